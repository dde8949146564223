package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestExamples loads every traffic document (top-level zones:) and node
// file (top-level node: or dns:) under examples/, so the examples cannot
// rot: a change to the documents that breaks one fails here.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	var traffic, nodes int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ext := filepath.Ext(path)
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var keys map[string]yaml.Node
		if err := yaml.Unmarshal(src, &keys); err != nil {
			// Not a mapping at the top: not one of ours.
			return nil
		}
		name, _ := filepath.Rel(root, path)
		_, isTraffic := keys["zones"]
		_, hasNode := keys["node"]
		_, hasDNS := keys["dns"]
		switch {
		case isTraffic:
			traffic++
			t.Run(name, func(t *testing.T) {
				if _, err := LoadTraffic(path); err != nil {
					t.Errorf("traffic document:\n%v", err)
				}
			})
		case hasNode || hasDNS:
			nodes++
			t.Run(name, func(t *testing.T) {
				n, err := LoadNode(path)
				if err != nil {
					t.Fatalf("node file:\n%v", err)
				}
				// The traffic_file it names, from its directory as gtmd
				// serve reads it, must be there and valid.
				n.ResolvePaths(filepath.Dir(path))
				if n.TrafficFile != "" {
					if _, err := LoadTraffic(n.TrafficFile); err != nil {
						t.Errorf("traffic_file:\n%v", err)
					}
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walking %s: %v", root, err)
	}
	if traffic == 0 || nodes == 0 {
		t.Errorf("found %d traffic documents and %d node files under %s; want at least one of each", traffic, nodes, root)
	}
}

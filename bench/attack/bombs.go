package main

import (
	"fmt"
	"strings"
)

// mergeBomb nests YAML merge keys: each level merges the one below ten
// times, so a naive walker does 10^levels work for a few hundred bytes.
func mergeBomb(levels int) []byte {
	var b strings.Builder
	b.WriteString("bombs:\n  - &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  - &m%d {<<: [%s], k%d: %d}\n", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*m%d, ", i-1), 10), ", "), i, i)
	}
	fmt.Fprintf(&b, "zones:\n  - {<<: *m%d, name: example.test.}\n", levels)
	return []byte(b.String())
}

// aliasBomb is the "billion laughs": each anchor is a list of ten aliases
// of the one before.
func aliasBomb(levels int) []byte {
	var b strings.Builder
	b.WriteString("zones:\n  - name: example.test.\n    records:\n      - {name: a, type: TXT, data: &l0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]}\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "      - {name: l%d, type: TXT, data: &l%d [%s]}\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 10), ", "))
	}
	return []byte(b.String())
}

// attackBombs sends merge and alias bombs to the API, as dry runs and as
// applies; each must be refused quickly with a 4xx.
func attackBombs(t target) ([]string, error) {
	var lines []string
	var failed []string
	for _, c := range []struct {
		name string
		doc  []byte
	}{
		{"merge bomb, 9 levels", mergeBomb(9)},
		{"merge bomb, 12 levels", mergeBomb(12)},
		{"alias bomb, 9 levels", aliasBomb(9)},
	} {
		for _, q := range []string{"?dry_run=1", ""} {
			status, msg, took, err := putConfig(t, q, c.doc)
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s%s: %v", c.name, q, err))
				continue
			}
			lines = append(lines, fmt.Sprintf("%s (%d bytes) PUT /v1/config%s: %d in %v: %s", c.name, len(c.doc), q, status, took.Round(1e5), msg))
			if status < 400 || status >= 500 {
				failed = append(failed, fmt.Sprintf("%s%s answered %d", c.name, q, status))
			}
		}
	}
	if len(failed) > 0 {
		return lines, fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return lines, nil
}

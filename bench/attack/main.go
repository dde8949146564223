// Command attack is a hostile client for one gtmd node on loopback. It
// floods the node from one client prefix, holds thousands of TCP and admin
// connections, pipelines past the per-connection query limit, sends YAML
// bombs to the admin API and tries to write the embedded store without
// credentials, and after each attack says whether a well-behaved client
// was still answered. Every loop is bounded in count and time, and only
// loopback addresses are used.
//
//	attack -dns 127.0.0.1:5300 -admin http://127.0.0.1:8300 -etcd http://127.0.0.1:2379
//
// bench/attack.sh starts a node with the quick-start document and runs it.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"
)

// target is the node under attack.
type target struct {
	dns   string // UDP and TCP address
	admin string // admin API base URL
	etcd  string // embedded etcd client URL
	zone  string // a zone the node serves
	token string // admin token, if the API wants one
}

// attack is one named attack and its report lines.
type attack struct {
	name string
	run  func(t target) ([]string, error)
}

func main() {
	var t target
	flag.StringVar(&t.dns, "dns", "127.0.0.1:5300", "the node's DNS address")
	flag.StringVar(&t.admin, "admin", "http://127.0.0.1:8300", "the node's admin API")
	flag.StringVar(&t.etcd, "etcd", "http://127.0.0.1:2379", "the embedded etcd's client URL")
	flag.StringVar(&t.zone, "zone", "example.test.", "a zone the node serves")
	tokenFile := flag.String("token-file", "", "admin token file, if the API needs one")
	only := flag.String("only", "", "comma-separated attacks to run (default all): "+strings.Join(names(), ","))
	printBomb := flag.String("print-bomb", "", "print a bomb document (merge or alias) and exit, for the CLI")
	flag.Parse()
	switch *printBomb {
	case "":
	case "merge":
		os.Stdout.Write(mergeBomb(12))
		return
	case "alias":
		os.Stdout.Write(aliasBomb(9))
		return
	default:
		log.Fatalf("attack: -print-bomb %q: want merge or alias", *printBomb)
	}
	if *tokenFile != "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			log.Fatalf("attack: reading -token-file: %v", err)
		}
		t.token = strings.TrimSpace(string(b))
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n != "" {
			want[n] = true
		}
	}
	failed := false
	for _, a := range attacks() {
		if len(want) > 0 && !want[a.name] {
			continue
		}
		start := time.Now()
		lines, err := a.run(t)
		fmt.Printf("== %s (%.1fs)\n", a.name, time.Since(start).Seconds())
		for _, l := range lines {
			fmt.Println("  " + l)
		}
		if err != nil {
			failed = true
			fmt.Println("  FAILED: " + err.Error())
		}
		// Between attacks the node must answer a plain query at once.
		if err := probeUDP(t, "127.0.0.1"); err != nil {
			failed = true
			fmt.Println("  FAILED after the attack: " + err.Error())
		}
	}
	if failed {
		os.Exit(1)
	}
}

func attacks() []attack {
	return []attack{
		{"rrl", attackRRL},
		{"tcp", attackTCP},
		{"pipeline", attackPipeline},
		{"admin", attackAdmin},
		{"bombs", attackBombs},
		{"store", attackStore},
	}
}

func names() []string {
	var n []string
	for _, a := range attacks() {
		n = append(n, a.name)
	}
	return n
}

// Command gentestdb writes the geo package's test databases (city.mmdb,
// country.mmdb and asn.mmdb) into a directory:
//
//	go run ./geo/testdb/cmd/gentestdb -out geo/testdata
//
// The output is reproducible byte for byte; see geo/testdata/README.md.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gtmd/gtmd/geo/testdb"
)

func main() {
	out := flag.String("out", "testdata", "directory to write the databases into (created if missing)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gentestdb:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return testdb.WriteAll(dir)
}

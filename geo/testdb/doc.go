// Package testdb writes small GeoIP2-format databases (City, Country and ASN)
// for tests, with mmdbwriter, from the fixed table that Networks returns.
//
// Tests in any package of the module write fresh databases into t.TempDir()
// and pick client addresses from the table:
//
//	dir := t.TempDir()
//	if err := testdb.WriteAll(dir); err != nil {
//		t.Fatal(err)
//	}
//	us, _ := testdb.ByName("us-va") // us.Addr() is a client in Ashburn, US-VA
//
// The same databases, committed in geo/testdata, are rebuilt with
// `go generate ./geo` (see geo/testdata/README.md). The data is invented:
// every network is in a reserved range, every ASN a documentation ASN.
package testdb

package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gtmd/gtmd/internal/testlog"
	"github.com/gtmd/gtmd/internal/testwait"
	"github.com/gtmd/gtmd/pkg/admin"
	"github.com/gtmd/gtmd/pkg/cluster/audit"
	"github.com/gtmd/gtmd/pkg/cluster/embedded/clustertest"
)

// lookup asks a node for name and type over UDP and returns the answer's
// records as zone-file text without the TTL, sorted.
func lookup(t *testing.T, n *liveNode, name string, qtype uint16) []string {
	t.Helper()
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion(name, qtype), n.dnsAddr())
	if err != nil {
		return nil
	}
	var out []string
	for _, rr := range resp.Answer {
		rr.Header().Ttl = 0
		out = append(out, rr.String())
	}
	slices.Sort(out)
	return out
}

// listedSerial is the SOA serial in GET /v1/zones/{zone}/records.
func listedSerial(t *testing.T, n *liveNode, zone string) uint32 {
	t.Helper()
	resp, err := http.Get(n.adminBase() + "/v1/zones/" + zone + "/records")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the records of %s: %d %v", zone, resp.StatusCode, err)
	}
	for line := range strings.Lines(string(body)) {
		if rr, err := dns.NewRR(line); err == nil && rr != nil {
			if soa, ok := rr.(*dns.SOA); ok {
				return soa.Serial
			}
		}
	}
	t.Fatalf("the records of %s hold no SOA:\n%s", zone, body)
	return 0
}

// putZone sends a master file to PUT /v1/zones/{zone}/records.
func putZone(t *testing.T, n *liveNode, zone, contentType, body string, out any) int {
	t.Helper()
	return api(t, http.MethodPut, n.adminBase()+"/v1/zones/"+zone+"/records", contentType, body, out)
}

// TestZoneRecordsAPI replaces a zone's records through the API as gtmd
// zone put does, and checks what the node then serves: a good file is
// served whole; a file with a fault is refused with its line and changes
// nothing; the zone comes back as a master file that PUT takes again
// without a change; the replacement is audited; a later document apply
// keeps the records.
func TestZoneRecordsAPI(t *testing.T) {
	n, doc := startServingNode(t)
	const file = `$TTL 120
@ IN SOA ignored. ignored. 1 2 3 4 5
@ IN NS ignored.example.
mail IN A 192.0.2.25
@ IN MX 10 mail
_acme-challenge IN TXT "token-1"
`
	var res admin.ZoneRecordsResult
	if code := putZone(t, n, "GTM.test", "text/dns", file, &res); code != http.StatusOK || res.Zone != "gtm.test." || res.RRsets != 3 {
		t.Fatalf("PUT a good file: %d %+v", code, res)
	}
	testwait.Eventually(t, 5*time.Second, "the records are served", func() bool {
		return slices.Equal(lookup(t, n, "mail.gtm.test.", dns.TypeA), []string{"mail.gtm.test.\t0\tIN\tA\t192.0.2.25"})
	})
	if got := lookup(t, n, "gtm.test.", dns.TypeMX); !slices.Equal(got, []string{"gtm.test.\t0\tIN\tMX\t10 mail.gtm.test."}) {
		t.Errorf("MX: %v", got)
	}
	if got := soaSerial(t, n); int64(got) != res.Revision {
		t.Errorf("SOA serial %d, want the records' revision %d", got, res.Revision)
	}
	// The name server's glue was not in the file: the document's stays.
	if got := lookup(t, n, "ns1.gtm.test.", dns.TypeA); len(got) != 1 {
		t.Errorf("ns1 glue after the replacement: %v", got)
	}

	bad := []struct {
		name, contentType, zone, body string
		code                          int
		wantMsg                       string
	}{
		{"a parse error", "text/dns", "gtm.test", "ok IN A 192.0.2.1\n\nbroken IN A 1.2.3\n", http.StatusBadRequest, "zone file:3:"},
		{"an address at a service's name", "text/dns", "gtm.test", "ok IN A 192.0.2.1\nwww IN A 192.0.2.9\n", http.StatusBadRequest, "zone file:2: www.gtm.test. A: www.gtm.test. is a service"},
		{"a CNAME beside other data", "text/dns", "gtm.test", "x IN TXT \"a\"\n\nx IN CNAME ok\n", http.StatusBadRequest, "CNAME"},
		{"a record outside the zone", "text/dns", "gtm.test", "ok IN A 192.0.2.1\nother.example. IN A 192.0.2.1\n", http.StatusBadRequest, "zone file:2: other.example. is outside zone gtm.test."},
		{"a class other than IN", "text/dns", "gtm.test", "ok IN A 192.0.2.1\nchaos CH TXT \"x\"\n", http.StatusBadRequest, "zone file:2: chaos.gtm.test.: class CH: only IN records are served"},
		{"$INCLUDE", "text/dns", "gtm.test", "$INCLUDE /etc/passwd\n", http.StatusBadRequest, "zone file:1:"},
		{"another media type", "text/plain", "gtm.test", "ok IN A 192.0.2.1\n", http.StatusUnsupportedMediaType, "text/dns"},
		{"a zone not in the document", "text/dns", "other.test", "ok IN A 192.0.2.1\n", http.StatusNotFound, "other.test."},
	}
	for _, tc := range bad {
		var body admin.ErrorBody
		code := putZone(t, n, tc.zone, tc.contentType, tc.body, &body)
		msg := body.Error
		for _, f := range body.Faults {
			msg += "\n" + f.Error()
		}
		if code != tc.code || !strings.Contains(msg, tc.wantMsg) {
			t.Errorf("%s: %d %q, want %d and %q", tc.name, code, msg, tc.code, tc.wantMsg)
		}
	}
	// Nothing of the refused files is served, and the good one still is.
	if got := lookup(t, n, "ok.gtm.test.", dns.TypeA); len(got) != 0 {
		t.Errorf("a record of a refused file is served: %v", got)
	}
	if got := lookup(t, n, "_acme-challenge.gtm.test.", dns.TypeTXT); len(got) != 1 {
		t.Errorf("after the refusals the TXT is %v", got)
	}

	// GET gives a master file that PUT takes back without a change.
	resp, err := http.Get(n.adminBase() + "/v1/zones/gtm.test/records")
	if err != nil {
		t.Fatal(err)
	}
	master, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/dns") {
		t.Fatalf("GET: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"mail.gtm.test.\t120\tIN\tA\t192.0.2.25\n", "_acme-challenge.gtm.test.\t120\tIN\tTXT\t\"token-1\"\n", "\tIN\tSOA\t"} {
		if !strings.Contains(string(master), want) {
			t.Errorf("GET lacks %q:\n%s", want, master)
		}
	}
	// The file holds the document's glue too, which the zone's data
	// then holds: once, and a second PUT changes nothing.
	var once, twice admin.ZoneRecordsResult
	if code := putZone(t, n, "gtm.test", "text/dns", string(master), &once); code != http.StatusOK || once.RRsets != 4 {
		t.Errorf("PUT of the GET: %d %+v, want the 3 RRsets and the glue", code, once)
	}
	if code := putZone(t, n, "gtm.test", "text/dns", string(master), &twice); code != http.StatusOK || twice.Revision != once.Revision {
		t.Errorf("PUT of the GET again: %d revision %d, want the unchanged %d", code, twice.Revision, once.Revision)
	}

	var trail []audit.Entry
	if code := api(t, http.MethodGet, n.adminBase()+"/v1/audit", "", "", &trail); code != http.StatusOK ||
		!slices.ContainsFunc(trail, func(e audit.Entry) bool { return e.Action == audit.ActionZoneRecords && e.Target == "gtm.test." }) {
		t.Errorf("audit trail %d: %+v, want a zone-records entry", code, trail)
	}

	// A document applied later keeps the zone's data.
	changed := strings.Replace(doc, "ttl: 5", "ttl: 6", 1)
	var applied admin.ApplyResult
	if code := api(t, http.MethodPut, n.adminBase()+"/v1/config", "application/yaml", changed, &applied); code != http.StatusOK {
		t.Fatalf("apply: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "the new document is served", func() bool { return int64(soaSerial(t, n)) >= applied.Revision })
	if got := lookup(t, n, "mail.gtm.test.", dns.TypeA); len(got) != 1 {
		t.Errorf("after a document apply, mail is %v", got)
	}
}

// TestZoneRecordsKeptForRestart: records put through the zones API and
// by UPDATE are in the copy a node keeps, so a node restarted while etcd
// is away serves them, at the serial it served before.
func TestZoneRecordsKeptForRestart(t *testing.T) {
	etcd := clustertest.StartCluster(t, 1)
	target := startTarget(t)
	dir := t.TempDir()
	first := startTestNodeIn(t, "n1", etcd.Endpoints(), writeTraffic(t, updateTraffic(target.Addr())), dir, withUpdateKeys)
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return soaSerial(t, first) > 0 })
	var res admin.ZoneRecordsResult
	if code := putZone(t, first, "gtm.test", "text/dns", "put IN A 192.0.2.31\n", &res); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	m := new(dns.Msg).SetUpdate("gtm.test.")
	m.Insert(rrs(t, "updated.gtm.test. 60 IN A 192.0.2.32"))
	if resp := signedUpdate(t, first.dnsAddr(), "udp", "ddns-key.", ddnsSecret, m); resp.Rcode != dns.RcodeSuccess {
		t.Fatalf("UPDATE: %s", dns.RcodeToString[resp.Rcode])
	}
	testwait.Eventually(t, 5*time.Second, "both are served", func() bool {
		return len(lookup(t, first, "put.gtm.test.", dns.TypeA)) == 1 && len(lookup(t, first, "updated.gtm.test.", dns.TypeA)) == 1
	})
	serial := soaSerial(t, first)
	first.stop()
	etcd.Stop(0)

	again := startTestNodeIn(t, "n1", etcd.Endpoints(), "", dir, withUpdateKeys)
	// ns1's glue is the document's: the PUT replaced the rest of them.
	for _, name := range []string{"put.gtm.test.", "updated.gtm.test.", "ns1.gtm.test."} {
		if got := lookup(t, again, name, dns.TypeA); len(got) != 1 {
			t.Errorf("restarted without etcd: %s is %v", name, got)
		}
	}
	if got := soaSerial(t, again); got != serial {
		t.Errorf("restarted without etcd: serial %d, want %d", got, serial)
	}
	// The record's own TTL, not the zone's 5 s.
	resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion("updated.gtm.test.", dns.TypeA), again.dnsAddr())
	if err != nil || len(resp.Answer) != 1 || resp.Answer[0].Header().Ttl != 60 {
		t.Errorf("restarted without etcd: updated.gtm.test. is %v (%v), want TTL 60", resp, err)
	}
}

// TestZoneSerialsApart: a change to one zone's records moves that zone's
// serial alone; a document applied moves every zone's. The records
// listing of each zone carries the serial a SOA query gets.
func TestZoneSerialsApart(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	doc := strings.Replace(clusterTraffic(target.Addr()), "services:", `  - name: other.test.
    soa: {mname: ns.example., rname: hostmaster.example.}
    ns: [ns.example.]
services:`, 1)
	n := startTestNode(t, "n1", etcd, writeTraffic(t, doc))
	serialOf := func(zone string) uint32 {
		resp, _, err := (&dns.Client{Timeout: time.Second}).Exchange(new(dns.Msg).SetQuestion(zone, dns.TypeSOA), n.dnsAddr())
		if err != nil || len(resp.Answer) != 1 {
			return 0
		}
		return resp.Answer[0].(*dns.SOA).Serial
	}
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return serialOf("other.test.") > 0 })
	first := serialOf("other.test.")
	if serialOf("gtm.test.") != first {
		t.Fatalf("after the document: serials %d and %d, want both the document's", serialOf("gtm.test."), first)
	}
	var res admin.ZoneRecordsResult
	if code := putZone(t, n, "gtm.test", "text/dns", "x IN A 192.0.2.1\n", &res); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "gtm.test. serves the change", func() bool { return int64(serialOf("gtm.test.")) == res.Revision })
	if got := serialOf("other.test."); got != first {
		t.Errorf("other.test. serial %d after a change to gtm.test., want %d", got, first)
	}
	for _, zone := range []string{"gtm.test.", "other.test."} {
		if listed, served := listedSerial(t, n, zone), serialOf(zone); listed != served {
			t.Errorf("%s: the records listing says serial %d, a SOA query %d", zone, listed, served)
		}
	}
	var applied admin.ApplyResult
	if code := api(t, http.MethodPut, n.adminBase()+"/v1/config", "application/yaml", strings.Replace(doc, "ttl: 5", "ttl: 7", 1), &applied); code != http.StatusOK {
		t.Fatalf("apply: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "both zones take the document's revision", func() bool {
		return int64(serialOf("other.test.")) == applied.Revision && int64(serialOf("gtm.test.")) == applied.Revision
	})
}

// TestKeptCopyGivesWayToTheStore: a node restarted with the store
// reachable answers from its kept copy only until the store's state
// comes, and then from the store's records alone, even at the same
// revision: it must not hold two copies of a large zone. The copy on
// disk, the same document, is not written again.
func TestKeptCopyGivesWayToTheStore(t *testing.T) {
	etcd := clustertest.StartCluster(t, 1)
	target := startTarget(t)
	dir := t.TempDir()
	first := startTestNodeIn(t, "n1", etcd.Endpoints(), writeTraffic(t, updateTraffic(target.Addr())), dir, withUpdateKeys)
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return soaSerial(t, first) > 0 })
	if code := putZone(t, first, "gtm.test", "text/dns", "put IN A 192.0.2.31\n", nil); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "the record is served", func() bool {
		return len(lookup(t, first, "put.gtm.test.", dns.TypeA)) == 1
	})
	testwait.Eventually(t, 5*time.Second, "the copy is kept", func() bool {
		k, err := loadKept(dir)
		return err == nil && k.Revision == int64(soaSerial(t, first))
	})
	first.stop()
	before, err := os.Stat(filepath.Join(dir, cacheFile))
	if err != nil {
		t.Fatal(err)
	}

	again := startTestNodeIn(t, "n1", etcd.Endpoints(), "", dir, withUpdateKeys)
	testwait.Eventually(t, 10*time.Second, "the store's state comes", func() bool {
		again.mu.Lock()
		defer again.mu.Unlock()
		return again.state != nil && again.state.Revision != 0
	})
	again.mu.Lock()
	served, stored := again.stored["gtm.test."], again.state.Zones["gtm.test."]
	var copied []string
	for _, r := range again.traffic.Zones[0].Records {
		if r.Name == "put.gtm.test." {
			copied = r.Data
		}
	}
	again.mu.Unlock()
	if served == nil || served != stored || copied != nil {
		t.Errorf("the node serves records of its own (stored %p, the store's %p; put in its document: %v): two copies are held", served, stored, copied)
	}
	if got := lookup(t, again, "put.gtm.test.", dns.TypeA); len(got) != 1 {
		t.Errorf("put.gtm.test. is %v after the store's state came", got)
	}
	time.Sleep(500 * time.Millisecond)
	after, err := os.Stat(filepath.Join(dir, cacheFile))
	if err != nil {
		t.Fatal(err)
	}
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the kept copy was written again (%v, then %v), though the store holds the same document", before.ModTime(), after.ModTime())
	}
}

// TestUnbuildableRecordsTriedOnce: records put into the store by hand
// that do not parse leave the node serving what it served, with one
// error logged, not a rebuild at every later state of the store (each
// observation written is one; seconds each at a million records).
func TestUnbuildableRecordsTriedOnce(t *testing.T) {
	etcd := clustertest.StartEtcd(t)
	target := startTarget(t)
	var logs testlog.Buffer
	n := startTestNodeLogged(t, "n1", etcd, writeTraffic(t, updateTraffic(target.Addr())), t.TempDir(), slog.New(slog.NewTextHandler(&logs, nil)), withUpdateKeys)
	testwait.Eventually(t, 10*time.Second, "n1 answers", func() bool { return soaSerial(t, n) > 0 })
	if code := putZone(t, n, "gtm.test", "text/dns", "good IN A 192.0.2.31\n", nil); code != http.StatusOK {
		t.Fatalf("PUT: %d", code)
	}
	testwait.Eventually(t, 5*time.Second, "the record is served", func() bool { return len(lookup(t, n, "good.gtm.test.", dns.TypeA)) == 1 })
	serial := soaSerial(t, n)

	raw := clustertest.Client(t, etcd)
	ctx := context.Background()
	head := "/gtmd-test/zones/gtm.test. head"
	resp, err := raw.Get(ctx, head)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("reading the zone's head: %v", err)
	}
	var h struct {
		Gen string `json:"gen"`
	}
	if err := json.Unmarshal(resp.Kvs[0].Value, &h); err != nil {
		t.Fatal(err)
	}
	// The RRset and its head, as every change writes them.
	if _, err := raw.Txn(ctx).Then(
		clientv3.OpPut("/gtmd-test/zones/gtm.test. rr "+h.Gen+" bad.gtm.test. A", `{"ttl":60,"data":["not-an-address"],"source":"data"}`),
		clientv3.OpPut(head, string(resp.Kvs[0].Value)),
	).Commit(); err != nil {
		t.Fatal(err)
	}
	refused := func() int { return strings.Count(logs.String(), "traffic document cannot be served") }
	testwait.Eventually(t, 10*time.Second, "the node says it cannot serve the records", func() bool { return refused() > 0 })
	// The node's checks write observations, each a new state of the store.
	time.Sleep(3 * time.Second)
	if got := refused(); got != 1 {
		t.Errorf("the unbuildable records were tried %d times, want once", got)
	}
	if got := soaSerial(t, n); got != serial {
		t.Errorf("serial %d, want %d: the node must keep serving what it served", got, serial)
	}
	if got := lookup(t, n, "good.gtm.test.", dns.TypeA); len(got) != 1 {
		t.Errorf("good.gtm.test. is %v after the bad records", got)
	}
}

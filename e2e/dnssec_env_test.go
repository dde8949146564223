package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// The signed zone's rollover timing (the traffic document's
// zones[].dnssec): short, so a whole key rollover takes seconds.
const (
	propagationDelay = 2 * time.Second
	// parentDSTTL is the TTL the root zone gives the zone's DS records,
	// and what the document tells gtmd it is.
	parentDSTTL = 5 * time.Second
)

// signedEnv is what the DNSSEC suite adds to the environment: Knot signs
// the root zone, which holds the zone's DS; Unbound and delv validate
// from the root's key.
type signedEnv struct {
	// zone is set when the traffic document signs the zone and the root
	// holds its DS; without it only the parent is signed.
	zone   bool
	tools  map[string]string // knotd, knotc, delv, unbound
	kek    string            // the key-encryption key file every node reads
	serial int               // the root zone's SOA serial
	anchor *dns.DS           // the root key's DS: the resolvers' trust anchor

	mu sync.Mutex // guards ds, which the validating watch reads
	ds []string   // the zone's DS records in the root zone
}

// newSignedEnv is newEnv for the DNSSEC suite.
func newSignedEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, &signedEnv{zone: true})
}

// signedTools are the tools the DNSSEC suite needs besides the others,
// each with its Debian package.
func signedTools() map[string]string {
	return map[string]string{"knotd": "knot", "knotc": "knot", "delv": "bind9-dnsutils"}
}

// knotPolicy signs the root zone with one ECDSA P-256 key that never
// rolls: it is the trust anchor of the run.
const knotPolicy = `  - id: e2e
    algorithm: ecdsap256sha256
    single-type-signing: on
    ksk-lifetime: 0
    zsk-lifetime: 0
    dnskey-ttl: 3600
    propagation-delay: 0
    nsec3: off`

// writeKEK writes the key-encryption key every node reads: 32 random
// bytes as 64 hex characters.
func writeKEK(t *testing.T, dir string) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kek.hex")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(b)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// zoneDS asks gtmd for the DS records the parent should hold, as an
// operator does (`gtmd dnssec ds`), and returns them as the root zone
// will hold them: with the TTL the document promised gtmd (parent_ds_ttl).
func (e *env) zoneDS(t *testing.T) []string {
	t.Helper()
	var out string
	// Keys are made when the document is applied: the command works as
	// soon as a node serves the zone.
	_, err := poll(20*time.Second, 200*time.Millisecond, func() error {
		var err error
		out, err = e.cli("dnssec", "ds", zone, "--admin", e.nodes[0].admin)
		if err == nil && strings.TrimSpace(out) == "" {
			return fmt.Errorf("gtmd dnssec ds %s printed nothing", zone)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := parseDS(out)
	if err != nil {
		t.Fatalf("gtmd dnssec ds %s: %v", zone, err)
	}
	return ds
}

// parseDS reads the DS lines `gtmd dnssec ds` prints and checks each is a
// DS of the zone with a SHA-256 digest, ready for the parent's zone file.
func parseDS(text string) ([]string, error) {
	var out []string
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		rr, err := dns.NewRR(line)
		if err != nil {
			return nil, fmt.Errorf("line %d %q is not a record in zone-file format: %w", i+1, line, err)
		}
		ds, ok := rr.(*dns.DS)
		if !ok || !strings.EqualFold(ds.Hdr.Name, zone) || ds.DigestType != dns.SHA256 {
			return nil, fmt.Errorf("line %d %q: want a DS of %s with digest type 2", i+1, line, zone)
		}
		// The root zone serves it with the TTL gtmd times the rollover by.
		ds.Hdr.Ttl = uint32(parentDSTTL.Seconds())
		out = append(out, ds.String())
	}
	return out, nil
}

// rootAnchor waits until Knot serves the root's signed DNSKEY RRset and
// returns the DS of its key (the SEP key, flags 257), the trust anchor of
// Unbound and delv. It is read over DNS from Knot, as a resolver's
// packager reads the root's keys, and checked: the key signs its RRset.
func (e *env) rootAnchor(t *testing.T) *dns.DS {
	t.Helper()
	var anchor *dns.DS
	_, err := poll(30*time.Second, 100*time.Millisecond, func() error {
		r, _, err := exchange(e.parentAddr, ask{name: ".", qtype: dns.TypeDNSKEY, do: true}, time.Second)
		if err != nil {
			return err
		}
		keys, sigs := splitKeys(r.Answer)
		for _, k := range keys {
			if k.Flags != 257 {
				continue
			}
			for _, sig := range sigs {
				if sig.KeyTag == k.KeyTag() && sig.Verify(k, rrs(keys)) == nil && sig.ValidityPeriod(time.Now()) {
					anchor = k.ToDS(dns.SHA256)
					return nil
				}
			}
		}
		return fmt.Errorf("no self-signed SEP key in the root's DNSKEY answer from %s:\n%v", e.parentAddr, r)
	})
	if err != nil {
		t.Fatalf("knotd did not sign the root zone: %v", err)
	}
	return anchor
}

// splitKeys returns the DNSKEY records of rrs and the RRSIGs over them.
func splitKeys(rrs []dns.RR) (keys []*dns.DNSKEY, sigs []*dns.RRSIG) {
	for _, rr := range rrs {
		switch v := rr.(type) {
		case *dns.DNSKEY:
			keys = append(keys, v)
		case *dns.RRSIG:
			if v.TypeCovered == dns.TypeDNSKEY {
				sigs = append(sigs, v)
			}
		}
	}
	return keys, sigs
}

func rrs[T dns.RR](in []T) []dns.RR {
	out := make([]dns.RR, len(in))
	for i, v := range in {
		out[i] = v
	}
	return out
}

// unboundAnchor is Unbound's trust-anchor-file: the root's DS in zone-file
// format.
func (s *signedEnv) unboundAnchor() string { return s.anchor.String() + "\n" }

// delvAnchor is delv's -a file (BIND's trust-anchors statement).
func (s *signedEnv) delvAnchor() string {
	return fmt.Sprintf("trust-anchors {\n\t. static-ds %d %d %d \"%s\";\n};\n",
		s.anchor.KeyTag, s.anchor.Algorithm, s.anchor.DigestType, strings.ToUpper(s.anchor.Digest))
}

// setRootDS puts ds in the root zone as the zone's DS records, makes
// Knot reload it (knotc zone-reload), and waits until Knot serves exactly
// them, signed. It returns how long Knot took.
func (e *env) setRootDS(t *testing.T, ds []string) time.Duration {
	t.Helper()
	e.signed.mu.Lock()
	e.signed.ds = ds
	e.signed.mu.Unlock()
	dir := filepath.Join(e.dir, "knot")
	e.writeRootZone(t, filepath.Join(dir, "root.zone"))
	start := time.Now()
	out, err := exec.Command(e.signed.tools["knotc"], "-c", filepath.Join(dir, "knot.conf"), "zone-reload", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("knotc zone-reload .: %v\n%s", err, out)
	}
	want := slices.Clone(ds)
	for i := range want {
		want[i] = dsRdata(want[i])
	}
	slices.Sort(want)
	took, err := pollFrom(start, 20*time.Second, step, func() error {
		r, _, err := exchange(e.parentAddr, ask{name: zone, qtype: dns.TypeDS, do: true}, time.Second)
		if err != nil {
			return err
		}
		var got []string
		signed := false
		for _, rr := range r.Answer {
			switch v := rr.(type) {
			case *dns.DS:
				got = append(got, dsRdata(v.String()))
			case *dns.RRSIG:
				signed = v.TypeCovered == dns.TypeDS
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) || !signed {
			return fmt.Errorf("knotd serves %s DS %v (signed: %v), want %v", zone, got, signed, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("the root zone's new DS: %v", err)
	}
	return took
}

// dsRdata is the rdata of a DS record in presentation format, for
// comparing DS sets whatever their TTL and spacing.
func dsRdata(line string) string {
	rr, err := dns.NewRR(line)
	if err != nil {
		return line
	}
	ds, ok := rr.(*dns.DS)
	if !ok {
		return line
	}
	return fmt.Sprintf("%d %d %d %s", ds.KeyTag, ds.Algorithm, ds.DigestType, strings.ToUpper(ds.Digest))
}

// delv asks delv to resolve name through the resolver at server (IP:port)
// and validate the answer itself from the root's key. It returns what
// delv printed.
func (e *env) delv(server, name, qtype string) (string, error) {
	anchors := filepath.Join(e.dir, "delv.anchors")
	if err := os.WriteFile(anchors, []byte(e.signed.delvAnchor()), 0o644); err != nil {
		return "", err
	}
	host, port, err := net.SplitHostPort(server)
	if err != nil {
		return "", err
	}
	out, err := exec.Command(e.signed.tools["delv"], "@"+host, "-p", port, "-a", anchors, "+root=.", name, qtype).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("delv @%s %s %s: %w\n%s", server, name, qtype, err, out)
	}
	return string(out), nil
}

package dnssec

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// testZone is a small authoritative server for example.test. on
// loopback that signs its answers with a ZoneSigner, so an independent
// validator (BIND's delv) can judge them.
type testZone struct {
	z      *ZoneSigner
	rrsets map[string]map[uint16][]dns.RR // owner → type → RRset
	tamper bool                           // change an address after signing
}

func newTestZone(t *testing.T, z *ZoneSigner) *testZone {
	tz := &testZone{z: z, rrsets: map[string]map[uint16][]dns.RR{}}
	for _, rr := range rrs(t,
		"example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1 7200 900 1209600 60",
		"example.test. 300 IN NS ns1.example.test.",
		"ns1.example.test. 300 IN A 127.0.0.1",
		"www.example.test. 60 IN A 192.0.2.1",
		"www.example.test. 60 IN A 192.0.2.2",
	) {
		tz.add(rr)
	}
	for _, rr := range z.DNSKEYs() {
		tz.add(rr)
	}
	for _, rr := range z.CDS() {
		tz.add(rr)
	}
	return tz
}

func (tz *testZone) add(rr dns.RR) {
	h := rr.Header()
	if tz.rrsets[h.Name] == nil {
		tz.rrsets[h.Name] = map[uint16][]dns.RR{}
	}
	tz.rrsets[h.Name][h.Rrtype] = append(tz.rrsets[h.Name][h.Rrtype], rr)
}

// signed appends rrset and its signatures to section.
func (tz *testZone) signed(section *[]dns.RR, rrset []dns.RR) {
	sigs, err := tz.z.Sign(rrset)
	if err != nil {
		panic(err)
	}
	*section = append(*section, rrset...)
	*section = append(*section, sigs...)
}

func (tz *testZone) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	m.Authoritative = true
	m.SetEdns0(1232, true)
	name, qtype := strings.ToLower(q.Question[0].Name), q.Question[0].Qtype
	switch {
	case !inZone(name, "example.test."):
		m.Rcode = dns.RcodeRefused
	case tz.rrsets[name][qtype] != nil:
		rrset := tz.rrsets[name][qtype]
		tz.signed(&m.Answer, rrset)
		if tz.tamper && qtype == dns.TypeA {
			forged := dns.Copy(rrset[0]).(*dns.A)
			forged.A = net.IPv4(203, 0, 113, 66)
			m.Answer[0] = forged
		}
	default:
		tz.signed(&m.Ns, tz.rrsets["example.test."][dns.TypeSOA])
		if types := tz.rrsets[name]; types != nil {
			var have []uint16
			for t := range types {
				have = append(have, t)
			}
			tz.signed(&m.Ns, []dns.RR{NoData(name, have, 60)})
		} else {
			tz.signed(&m.Ns, []dns.RR{NXName(name, 60)})
		}
	}
	w.WriteMsg(m)
}

// serve runs h on a loopback UDP and TCP port and returns the port.
func serve(t *testing.T, h dns.Handler) int {
	t.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			pc.Close()
			continue
		}
		for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: l, Handler: h}} {
			started := make(chan struct{})
			s.NotifyStartedFunc = func() { close(started) }
			go s.ActivateAndServe()
			<-started
			t.Cleanup(func() { s.Shutdown() })
		}
		return port
	}
	t.Fatal("no port free on both UDP and TCP")
	return 0
}

// delv asks BIND's delv, trusting the DS RRset ds for example.test., and
// returns its output.
func delv(t *testing.T, port int, ds []*dns.DS, qname, qtype string) string {
	t.Helper()
	var anchors strings.Builder
	anchors.WriteString("trust-anchors {\n")
	for _, d := range ds {
		fmt.Fprintf(&anchors, "\t%s static-ds %d %d %d \"%s\";\n", d.Hdr.Name, d.KeyTag, d.Algorithm, d.DigestType, d.Digest)
	}
	anchors.WriteString("};\n")
	file := filepath.Join(t.TempDir(), "anchors")
	if err := os.WriteFile(file, []byte(anchors.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "delv", "@127.0.0.1", "-p", fmt.Sprint(port), "-a", file, "+root=example.test.", qname, qtype).CombinedOutput()
	return string(out)
}

// TestDelvValidates: BIND's delv, trusting only the DS gtmd gives for the
// parent, fully validates a signed answer, the DNSKEY RRset, NODATA and
// compact-denial NXDOMAIN, at every step of a CSK roll and from every DS
// RRset a resolver may hold then; a forged address is rejected, and so is
// everything when delv trusts another key's DS. Skipped
// where delv is not installed (apt-get install bind9-dnsutils).
func TestDelvValidates(t *testing.T) {
	if _, err := exec.LookPath("delv"); err != nil {
		t.Skip("delv is not installed")
	}
	for _, alg := range []uint8{ECDSAP256SHA256, ED25519} {
		t.Run(AlgorithmName(alg), func(t *testing.T) {
			ks, s := newTestKeySet(t, alg, false)
			now := time.Now().Add(-time.Hour) // delv checks signatures against the real clock
			parents := [][]*dns.DS{ks.DS(3600)}
			check := func(label string, tamper bool) {
				z, err := ks.Signer(testKEK(1), s, func() time.Time { return now }, nil)
				if err != nil {
					t.Fatal(err)
				}
				tz := newTestZone(t, z)
				tz.tamper = tamper
				port := serve(t, tz)
				for _, ds := range parents {
					for _, q := range []struct{ name, qtype, want string }{
						{"www.example.test.", "A", "; fully validated"},
						{"example.test.", "DNSKEY", "; fully validated"},
						{"www.example.test.", "TXT", "; negative response, fully validated"},
						{"nope.example.test.", "A", "; negative response, fully validated"},
					} {
						if tamper && q.qtype != "A" {
							continue
						}
						out := delv(t, port, ds, q.name, q.qtype)
						if tamper && q.name == "www.example.test." {
							if strings.Contains(out, "fully validated") || !strings.Contains(out, "resolution failed") {
								t.Errorf("%s: delv accepted a forged answer:\n%s", label, out)
							}
							continue
						}
						if !strings.Contains(out, q.want) {
							t.Errorf("%s: %s %s from DS %d: delv says\n%s", label, q.name, q.qtype, ds[0].KeyTag, out)
						}
					}
				}
			}
			check("before the roll", false)
			check("forged", true)
			// Trusting another key's DS, nothing validates.
			other, _ := NewKeySet("example.test.", s, testKEK(1), testRand(99), now)
			z, _ := ks.Signer(testKEK(1), s, func() time.Time { return now }, nil)
			if out := delv(t, serve(t, newTestZone(t, z)), other.DS(3600), "www.example.test.", "A"); !strings.Contains(out, "broken trust chain") {
				t.Errorf("trusting another key's DS, delv says\n%s", out)
			}
			if alg != ECDSAP256SHA256 {
				return // the roll is the same for both algorithms; once is enough for delv
			}
			ks.StartRollover(s, testKEK(1), testRand(70), now)
			for ks.Rollover != nil {
				label := string(ks.Rollover.Step)
				check(label, false)
				switch ks.Rollover.Step {
				case StepReady:
					parents = append(parents, ks.DS(3600)) // old and new both in caches
					ks.Submitted(now)
				case StepDSWait:
					ks.Advance(s, now.Add(s.dsInterval()))
					parents = parents[1:] // every cache holds the new DS now
				default:
					due, _ := ks.Rollover.due(s)
					ks.Advance(s, due)
				}
			}
			check("done", false)
		})
	}
}

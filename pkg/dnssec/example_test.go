package dnssec_test

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/gtmd/gtmd/pkg/dnssec"
	"github.com/miekg/dns"
)

// A node's life with a signed zone: make the keys once and store them,
// open them with the KEK, sign answers, and move a rollover on.
func Example() {
	var kek dnssec.KEK
	rand.Read(kek[:]) // in production: config.LoadKEK(node.DNSSEC, os.Getenv)
	s := dnssec.Settings{DNSKEYTTL: 3600, MaxTTL: 3600, NegativeTTL: 300}
	now := time.Now()

	ks, err := dnssec.NewKeySet("example.com.", s, kek, rand.Reader, now)
	if err != nil {
		panic(err)
	}
	stored, _ := ks.Marshal() // what the store holds: private keys sealed

	ks, _ = dnssec.ParseKeySet(stored) // any node, later
	z, err := ks.Signer(kek, s, time.Now, nil)
	if err != nil {
		panic(err)
	}
	a, _ := dns.NewRR("www.example.com. 60 IN A 192.0.2.1")
	sigs, _ := z.Sign([]dns.RR{a})
	err = sigs[0].(*dns.RRSIG).Verify(z.DNSKEYs()[0].(*dns.DNSKEY), []dns.RR{a})
	fmt.Println("signatures:", len(sigs), "verified:", err == nil)

	ks.StartRollover(s, kek, rand.Reader, now)
	fmt.Println("step:", ks.Rollover.Step, "keys:", len(ks.Keys))
	ks.Advance(s, now.Add(2*time.Hour)) // Ipub: 1h propagation + 1h DNSKEY TTL
	fmt.Println("step:", ks.Rollover.Step, "waiting:", ks.Status(s, now).Rollover.Waiting != "")
	// Output:
	// signatures: 1 verified: true
	// step: publish keys: 2
	// step: ready waiting: true
}

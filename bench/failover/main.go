// Command failover measures how fast a cluster of gtmd nodes stops
// handing out a region that goes dark. It serves the regions' health
// targets itself, flips the US one down and up again and again, and polls
// every node's answer every few milliseconds; bench/failover.sh starts
// etcd and the nodes around it.
//
//	failover -nodes 127.0.0.2:5300,127.0.0.3:5300,127.0.0.4:5300 \
//	  -us 127.0.0.1:18081 -eu 127.0.0.1:18082 -flips 20 -interval 1s -fall 2 -rise 2
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/gtmd/gtmd/internal/regiontarget"
)

func main() {
	nodes := flag.String("nodes", "", "comma-separated DNS addresses of the gtmd nodes")
	usAddr := flag.String("us", "127.0.0.1:18081", "address of the US region's health target")
	euAddr := flag.String("eu", "127.0.0.1:18082", "address of the EU region's health target")
	name := flag.String("name", "www.bench.test.", "the service to ask for")
	usIP := flag.String("us-ip", "192.0.2.1", "the US region's address in answers")
	flips := flag.Int("flips", 10, "how many times to take the US region down")
	interval := flag.Duration("interval", time.Second, "the checks' interval, for the goal")
	fall := flag.Int("fall", 2, "the checks' fall, for the goal")
	poll := flag.Duration("poll", 5*time.Millisecond, "how often each node is asked")
	flag.Parse()
	if *nodes == "" {
		log.Fatal("failover: -nodes is required")
	}
	servers := strings.Split(*nodes, ",")

	us, err := regiontarget.Start(*usAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer us.Down()
	eu, err := regiontarget.Start(*euAddr)
	if err != nil {
		log.Fatal(err)
	}
	defer eu.Down()

	ctx := context.Background()
	fmt.Printf("waiting for every node to answer %s with %s\n", *name, *usIP)
	if _, err := waitAll(ctx, servers, *name, *usIP, true, *poll, 60*time.Second); err != nil {
		log.Fatal(err)
	}
	goal := time.Duration(*fall)**interval + time.Second
	fmt.Printf("\n%-5s", "flip")
	for _, s := range servers {
		fmt.Printf(" %16s", s)
	}
	fmt.Printf(" %10s %9s\n", "spread", "recovered")
	var all, spreads []time.Duration
	for i := 1; i <= *flips; i++ {
		// Start each flip at a different point of the check cycle.
		time.Sleep(time.Duration(i%7) * *interval / 7)
		stopped := time.Now()
		us.Down()
		gone, err := waitAll(ctx, servers, *name, *usIP, false, *poll, 30*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		upAt := time.Now()
		if err := us.Up(); err != nil {
			log.Fatal(err)
		}
		back, err := waitAll(ctx, servers, *name, *usIP, true, *poll, 60*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-5d", i)
		for _, t := range gone {
			d := t.Sub(stopped)
			all = append(all, d)
			fmt.Printf(" %16s", d.Round(time.Millisecond))
		}
		spread := slices.MaxFunc(gone, time.Time.Compare).Sub(slices.MinFunc(gone, time.Time.Compare))
		spreads = append(spreads, spread)
		fmt.Printf(" %10s %9s\n", spread.Round(time.Millisecond), slices.MaxFunc(back, time.Time.Compare).Sub(upAt).Round(time.Millisecond))
	}
	fmt.Printf("\nregion dark → answer without it, every node and flip: p50 %s  p99 %s  max %s  (goal fall×interval + 1s = %s)\n",
		pct(all, 50), pct(all, 99), pct(all, 100), goal)
	fmt.Printf("spread first node → last node: p50 %s  p99 %s  max %s  (goal < 1s at p99)\n", pct(spreads, 50), pct(spreads, 99), pct(spreads, 100))
	if pct(all, 100) > goal {
		os.Exit(1)
	}
}

// waitAll polls every server until its answer does (want true) or does not
// (want false) hold ip, and returns when each first did.
func waitAll(ctx context.Context, servers []string, name, ip string, want bool, poll, limit time.Duration) ([]time.Time, error) {
	at := make([]time.Time, len(servers))
	deadline := time.Now().Add(limit)
	c := &dns.Client{Net: "udp", Timeout: 200 * time.Millisecond}
	q := new(dns.Msg).SetQuestion(name, dns.TypeA)
	q.RecursionDesired = false
	for {
		pending := 0
		for i, s := range servers {
			if !at[i].IsZero() {
				continue
			}
			resp, _, err := c.ExchangeContext(ctx, q, s)
			if err == nil && resp.Rcode == dns.RcodeSuccess && hasIP(resp, ip) == want {
				at[i] = time.Now()
				continue
			}
			pending++
		}
		if pending == 0 {
			return at, nil
		}
		if time.Now().After(deadline) {
			return nil, errors.New("failover: nodes did not converge within " + limit.String())
		}
		time.Sleep(poll)
	}
}

func hasIP(m *dns.Msg, ip string) bool {
	for _, rr := range m.Answer {
		if a, ok := rr.(*dns.A); ok && a.A.String() == ip {
			return true
		}
	}
	return false
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))].Round(time.Millisecond)
}

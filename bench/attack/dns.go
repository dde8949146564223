package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// soaQuery packs a SOA query for the zone with EDNS, as a resolver sends it.
func soaQuery(zone string, id uint16) []byte {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(zone), dns.TypeSOA)
	m.Id = id
	m.SetEdns0(1232, false)
	b, err := m.Pack()
	if err != nil {
		panic(err) // a fixed, valid query
	}
	return b
}

// probeUDP asks the zone's SOA from src and wants an authoritative answer.
func probeUDP(t target, src string) error {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second, Dialer: &net.Dialer{LocalAddr: &net.UDPAddr{IP: net.ParseIP(src)}}}
	for try := 0; try < 3; try++ {
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(t.zone), dns.TypeSOA)
		r, _, err := c.Exchange(m, t.dns)
		if err == nil && r.Rcode == dns.RcodeSuccess && len(r.Answer) > 0 {
			return nil
		}
		if try == 2 {
			if err == nil {
				err = fmt.Errorf("rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
			}
			return fmt.Errorf("a plain UDP query from %s: %w", src, err)
		}
	}
	return nil
}

// probeTCP asks the zone's SOA over a new TCP connection from src.
func probeTCP(t target, src string, timeout time.Duration) error {
	c := &dns.Client{Net: "tcp", Timeout: timeout, Dialer: &net.Dialer{Timeout: timeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(t.zone), dns.TypeSOA)
	r, _, err := c.Exchange(m, t.dns)
	if err != nil {
		return err
	}
	if r.Rcode != dns.RcodeSuccess || len(r.Answer) == 0 {
		return fmt.Errorf("rcode %s, %d answers", dns.RcodeToString[r.Rcode], len(r.Answer))
	}
	return nil
}

// attackRRL floods identical queries from one /24 for a few seconds and
// counts full and truncated answers, while a client in another /24 asks
// at a resolver's pace and must be answered every time.
func attackRRL(t target) ([]string, error) {
	const flood, secs = 50000, 5
	pc, err := net.ListenPacket("udp", "127.0.0.10:0")
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	dst, err := net.ResolveUDPAddr("udp", t.dns)
	if err != nil {
		return nil, err
	}
	var full, truncated atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		var m dns.Msg
		for {
			_ = pc.SetReadDeadline(time.Now().Add(time.Second))
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if m.Unpack(buf[:n]) != nil {
				continue
			}
			if m.Truncated {
				truncated.Add(1)
			} else {
				full.Add(1)
			}
		}
	}()
	var other, otherOK int
	var otherErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		end := time.Now().Add(secs * time.Second)
		for time.Now().Before(end) {
			other++
			if err := probeUDP(t, "127.0.1.10"); err == nil {
				otherOK++
			} else {
				otherErr = err
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	q := soaQuery(t.zone, 1)
	start := time.Now()
	gap := time.Duration(secs) * time.Second / flood
	for i := 0; i < flood; i++ {
		binary.BigEndian.PutUint16(q, uint16(i))
		if _, err := pc.WriteTo(q, dst); err != nil {
			return nil, fmt.Errorf("sending the flood: %w", err)
		}
		if next := start.Add(time.Duration(i+1) * gap); time.Until(next) > 0 {
			time.Sleep(time.Until(next))
		}
	}
	elapsed := time.Since(start)
	wg.Wait()
	<-done
	lines := []string{
		fmt.Sprintf("flood from 127.0.0.10: %d queries in %.1fs; %d full answers (%.0f/s), %d truncated (slip), %d dropped",
			flood, elapsed.Seconds(), full.Load(), float64(full.Load())/elapsed.Seconds(), truncated.Load(), int64(flood)-full.Load()-truncated.Load()),
		fmt.Sprintf("other prefix 127.0.1.10 meanwhile: %d/%d answered", otherOK, other),
	}
	if otherOK != other {
		return lines, fmt.Errorf("the other prefix lost answers: %v", otherErr)
	}
	return lines, nil
}

// attackTCP holds 5,000 idle TCP connections from 200 addresses,
// reconnecting each one the node closes, and meanwhile asks over a new
// TCP connection from another address every 100 ms.
func attackTCP(t target) ([]string, error) {
	const conns, sources, secs = 5000, 200, 10
	ctx, cancel := context.WithTimeout(context.Background(), secs*time.Second)
	defer cancel()
	var opened, closedByServer, refused atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 2, byte(1+i%sources))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{LocalAddr: src, Timeout: time.Second}
			for ctx.Err() == nil {
				c, err := d.DialContext(ctx, "tcp", t.dns)
				if err != nil {
					refused.Add(1)
					select {
					case <-ctx.Done():
					case <-time.After(50 * time.Millisecond):
					}
					continue
				}
				opened.Add(1)
				stop := context.AfterFunc(ctx, func() { c.Close() })
				// Idle: wait for the server to close.
				_, err = c.Read(make([]byte, 1))
				stop()
				c.Close()
				if ctx.Err() == nil && err != nil {
					closedByServer.Add(1)
				}
			}
		}()
	}
	// Let the connections pile up, then ask as a resolver would.
	time.Sleep(2 * time.Second)
	asked, answered := 0, 0
	var lastErr error
	for ctx.Err() == nil {
		asked++
		if err := probeTCP(t, "127.0.0.2", 2*time.Second); err == nil {
			answered++
		} else {
			lastErr = err
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	lines := []string{
		fmt.Sprintf("%d hostile connections from %d addresses for %ds: %d opened, %d closed by the node, %d refused",
			conns, sources, secs, opened.Load(), closedByServer.Load(), refused.Load()),
		fmt.Sprintf("new TCP queries from 127.0.0.2 meanwhile: %d/%d answered", answered, asked),
	}
	if answered < asked {
		return lines, fmt.Errorf("TCP queries failed under the attack (last: %v)", lastErr)
	}
	return lines, nil
}

// attackPipeline writes 1,500 queries on one TCP connection before
// reading, and counts the answers until the node closes.
func attackPipeline(t target) ([]string, error) {
	const n = 1500
	c, err := net.DialTimeout("tcp", t.dns, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var out []byte
	for i := 0; i < n; i++ {
		q := soaQuery(t.zone, uint16(i))
		out = binary.BigEndian.AppendUint16(out, uint16(len(q)))
		out = append(out, q...)
	}
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(out)
		writeErr <- err
	}()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	answers := 0
	var head [2]byte
	var readErr error
	for answers < n {
		if _, readErr = io.ReadFull(c, head[:]); readErr != nil {
			break
		}
		if _, readErr = io.ReadFull(c, make([]byte, binary.BigEndian.Uint16(head[:]))); readErr != nil {
			break
		}
		answers++
	}
	end := "all read"
	switch {
	case readErr == nil:
	case errors.Is(readErr, io.EOF):
		end = "clean close (FIN)"
	default:
		end = readErr.Error()
	}
	lines := []string{fmt.Sprintf("%d pipelined queries on one connection: %d answers; end: %s; write: %v", n, answers, end, <-writeErr)}
	if answers < n {
		return lines, fmt.Errorf("%d queries were sent but not answered", n-answers)
	}
	return lines, nil
}

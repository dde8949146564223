package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// adminHold is how long the idle admin connections are held: past the
// embedded etcd's 30 s file purge, which once died of the descriptors
// they took.
const adminHold = 35 * time.Second

// attackAdmin holds 320 idle connections to the admin API, each having
// sent one request that failed authentication or none at all, and asks
// /readyz over a new connection every second meanwhile.
func attackAdmin(t target) ([]string, error) {
	const conns = 320
	u, err := url.Parse(t.admin)
	if err != nil {
		return nil, err
	}
	var held, closedByServer atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
			if err != nil {
				return
			}
			held.Add(1)
			if i%2 == 0 {
				// A request with a wrong token, then nothing.
				fmt.Fprintf(c, "GET /v1/config HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer wrong\r\n\r\n", u.Host)
			}
			closed := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, c)
				close(closed)
			}()
			select {
			case <-closed:
				closedByServer.Add(1)
			case <-stop:
			}
			c.Close()
		}()
	}
	client := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	asked, answered := 0, 0
	var lastErr error
	end := time.Now().Add(adminHold)
	for time.Now().Before(end) {
		time.Sleep(time.Second)
		asked++
		resp, err := client.Get(t.admin + "/readyz")
		if err != nil {
			lastErr = err
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			answered++
		} else {
			lastErr = fmt.Errorf("/readyz: %s", resp.Status)
		}
	}
	close(stop)
	wg.Wait()
	lines := []string{
		fmt.Sprintf("%d idle admin connections held for %v: %d opened, %d closed by the node", conns, adminHold, held.Load(), closedByServer.Load()),
		fmt.Sprintf("/readyz over a new connection meanwhile: %d/%d answered", answered, asked),
	}
	if answered < asked-2 {
		return lines, fmt.Errorf("the admin API stopped answering: %v", lastErr)
	}
	return lines, nil
}

// putConfig sends a traffic document to PUT /v1/config.
func putConfig(t target, query string, body []byte) (int, string, time.Duration, error) {
	req, err := http.NewRequest(http.MethodPut, t.admin+"/v1/config"+query, bytes.NewReader(body))
	if err != nil {
		return 0, "", 0, err
	}
	req.Header.Set("Content-Type", "application/yaml")
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	start := time.Now()
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		return 0, "", time.Since(start), err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(b))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return resp.StatusCode, msg, time.Since(start), nil
}

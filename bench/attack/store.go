package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// attackStore writes the traffic document's key in the embedded etcd
// through etcd's JSON gateway, without credentials, as any local process
// could; the store must refuse it.
func attackStore(t target) ([]string, error) {
	body, _ := json.Marshal(map[string]string{
		"key":   base64.StdEncoding.EncodeToString([]byte("/gtmd/attack")),
		"value": base64.StdEncoding.EncodeToString([]byte("owned")),
	})
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Post(t.etcd+"/v3/kv/put", "application/json", bytes.NewReader(body))
	if err != nil {
		return []string{"the store's client URL does not answer: " + err.Error()}, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	line := fmt.Sprintf("put without credentials: %s %s", resp.Status, strings.TrimSpace(string(b)))
	if resp.StatusCode == http.StatusOK && !strings.Contains(string(b), "error") {
		return []string{line}, fmt.Errorf("the store accepted a write without credentials")
	}
	return []string{line}, nil
}

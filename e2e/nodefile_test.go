package e2e

import (
	"path/filepath"
	"testing"
)

// keyedNodeFile is the node file of a one-node test on its embedded store
// that holds TSIG keys (zone transfers, dynamic updates). Its data: ID,
// DNS and Admin (IP:port), IP, Client and Peer (the embedded etcd's
// ports), Data, Traffic and Keys ([]tsigKey).
const keyedNodeFile = `# gtmd node {{.ID}}, written by an e2e test.
node: {id: {{.ID}}, region: test}
dns: {listen: ["{{.DNS}}"], udp_listeners: 1}
admin: {listen: "{{.Admin}}"}
store:
  embedded: {client_url: "http://{{.IP}}:{{.Client}}", peer_url: "http://{{.IP}}:{{.Peer}}"}
data_dir: {{.Data}}
traffic_file: {{.Traffic}}
log: {level: info, format: text}
tsig_keys:
{{- range .Keys}}
  - {name: {{.Name}}, algorithm: hmac-sha256, secret: {{.Secret}}}
{{- end}}
`

// tsigKey is one of keyedNodeFile's keys.
type tsigKey struct{ Name, Secret string }

// startKeyedNode writes the keyedNodeFile of node id on ip, its DNS on
// dnsAddr and its API on admin (IP:port), holding keys and applying the
// traffic file, its data and log (gtmd.log) in dir, and starts bin
// serve with it.
func startKeyedNode(t *testing.T, dir, bin, id, ip, dnsAddr, admin, traffic string, keys ...tsigKey) *proc {
	t.Helper()
	nodeFile := filepath.Join(dir, "gtmd.yaml")
	writeFile(t, nodeFile, keyedNodeFile, map[string]any{
		"ID": id, "Keys": keys, "DNS": dnsAddr, "Admin": admin, "IP": ip,
		"Client": freePort(t, ip), "Peer": freePort(t, ip), "Data": filepath.Join(dir, "data"), "Traffic": traffic,
	})
	p := newProc(t, "gtmd", filepath.Join(dir, "gtmd.log"), bin, "serve", "--config", nodeFile)
	if err := p.start(); err != nil {
		t.Fatal(err)
	}
	return p
}

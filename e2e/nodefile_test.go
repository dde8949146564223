package e2e

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

#!/usr/bin/env bash
# failover.sh: three gtmd nodes (or as many as asked) on 127.0.0.2-4 sharing Debian's etcd, a US
# and an EU region whose health targets bench/failover serves; the US
# target is taken down and brought back again and again, and for each flip
# it prints how long each node kept answering with the US region, and the
# spread between the first and the last node.
#
#   bench/failover.sh [flips] [nodes]
#
# With nodes=1 it measures one node alone: the time from a region going
# dark to answers without it, against fall × interval.
#
# Needs: go, etcd (apt-get install -y etcd-server).
set -euo pipefail
cd "$(dirname "$0")/.."
flips=${1:-10}
count=${2:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

command -v etcd >/dev/null || { echo "failover.sh: etcd not found (apt-get install -y etcd-server)" >&2; exit 1; }
go build -o "$work/gtmd" ./cmd/gtmd
go build -o "$work/failover" ./bench/failover

etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls http://127.0.0.1:23790 --advertise-client-urls http://127.0.0.1:23790 \
  --listen-peer-urls http://127.0.0.1:23800 --initial-advertise-peer-urls http://127.0.0.1:23800 \
  --initial-cluster bench=http://127.0.0.1:23800 --log-level error >"$work/etcd.log" 2>&1 &
pids+=($!)

cat > "$work/traffic.yaml" <<'YAML'
zones:
  - name: bench.test.
    ttl: 300
    soa: {mname: ns1.bench.test., rname: hostmaster.bench.test.}
    ns: [ns1.bench.test.]
    records:
      - {name: ns1, type: A, data: ["127.0.0.2"]}
services:
  - name: www.bench.test.
    policy: failover
    ttl: 30
    endpoints:
      - {id: us-east, priority: 1, a: [192.0.2.1], check: us}
      - {id: eu-west, priority: 2, a: [192.0.2.2], check: eu}
checks:
  - {name: us, type: http, url: "http://127.0.0.1:18081/", interval: 1s, timeout: 500ms, fall: 2, rise: 2}
  - {name: eu, type: http, url: "http://127.0.0.1:18082/", interval: 1s, timeout: 500ms, fall: 2, rise: 2}
YAML

nodes=()
last=$((count + 1))
for i in $(seq 2 "$last"); do
  cat > "$work/node$i.yaml" <<YAML
node: {id: node$i, region: $([ "$i" = 4 ] && echo eu-west || echo us-east)}
dns: {listen: ["127.0.0.$i:5300"], udp_listeners: 1}
admin: {listen: "127.0.0.$i:8300"}
store: {etcd_endpoints: ["http://127.0.0.1:23790"]}
data_dir: $work/data$i
traffic_file: $work/traffic.yaml
log: {level: warn}
YAML
  "$work/gtmd" serve --config "$work/node$i.yaml" 2>"$work/node$i.log" &
  pids+=($!)
  nodes+=("127.0.0.$i:5300")
done

"$work/failover" -nodes "$(IFS=,; echo "${nodes[*]}")" -flips "$flips" -interval 1s -fall 2 || {
  status=$?
  for i in $(seq 2 "$last"); do echo "--- node$i log"; tail -20 "$work/node$i.log"; done
  exit $status
}

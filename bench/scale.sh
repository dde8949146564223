#!/usr/bin/env bash
# scale.sh: N gtmd nodes (each `gtmd serve` in a process of its own, on
# 127.0.0.21, .22, ...) sharing one Debian etcd, and bench/scale, which
# serves every check's target, applies S failover services (two endpoints
# and an http check each, interval 1 s, rise/fall 2) and prints: the time
# from the apply to every node's first results, one flip and every primary
# at once → every node, the way back, and the costs: etcd puts and watch
# events per second, CPU and RSS per node, phase by phase.
#
#   bench/scale.sh [nodes] [services] [steady-seconds] [flips] [target-delay]
#
# target-delay (a Go duration, default 0s) is how long every probe's answer
# takes, as a distant region's would.
#
# 3 × 1,000 takes a few minutes when the cluster keeps up. Not part of
# .ci/run: it measures speed, on whatever else the machine is doing.
#
# Needs: go, etcd (apt-get install -y etcd-server).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
services=${2:-1000}
steady=${3:-60}
flips=${4:-5}
delay=${5:-0s}
work=$(mktemp -d)
pids=()
# SCALE_KEEP=1 keeps the work directory (node files, logs, etcd's data).
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -n "${SCALE_KEEP:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

command -v etcd >/dev/null || { echo "scale.sh: etcd not found (apt-get install -y etcd-server)" >&2; exit 1; }
go build -o "$work/gtmd" ./cmd/gtmd
go build -o "$work/scale" ./bench/scale
echo "gtmd $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(etcd --version | head -1), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

etcd --name scale --data-dir "$work/etcd" \
  --listen-client-urls http://127.0.0.1:23791 --advertise-client-urls http://127.0.0.1:23791 \
  --listen-peer-urls http://127.0.0.1:23801 --initial-advertise-peer-urls http://127.0.0.1:23801 \
  --initial-cluster scale=http://127.0.0.1:23801 --log-level error >"$work/etcd.log" 2>&1 &
etcd_pid=$!
pids+=("$etcd_pid")

# The nodes start on the zone alone, so they are ready before the measured
# apply.
cat > "$work/seed.yaml" <<'YAML'
zones:
  - name: scale.test.
    ttl: 300
    soa: {mname: ns1.scale.test., rname: hostmaster.scale.test.}
    ns: [ns1.scale.test.]
    records:
      - {name: ns1, type: A, data: ["127.0.0.1"]}
YAML

dns=() admin=() node_pids=()
for i in $(seq 1 "$count"); do
  ip=127.0.0.$((20 + i))
  # Rate limiting off: the benchmark asks each node thousands of times a
  # second from one address.
  cat > "$work/node$i.yaml" <<YAML
node: {id: node$i, region: us-east}
dns: {listen: ["$ip:5300"], udp_listeners: 1}
admin: {listen: "$ip:8300"}
rrl: {responses_per_second: 0}
store: {etcd_endpoints: ["http://127.0.0.1:23791"]}
data_dir: $work/data$i
traffic_file: $work/seed.yaml
log: {level: warn}
YAML
  "$work/gtmd" serve --config "$work/node$i.yaml" 2>"$work/node$i.log" &
  pids+=($!)
  node_pids+=($!)
  dns+=("$ip:5300")
  admin+=("http://$ip:8300")
done

join() { local IFS=,; echo "$*"; }
"$work/scale" -dns "$(join "${dns[@]}")" -admin "$(join "${admin[@]}")" -pids "$(join "${node_pids[@]}")" \
  -etcd-pid "$etcd_pid" -etcd-metrics http://127.0.0.1:23791/metrics -clk-tck "$(getconf CLK_TCK)" \
  -services "$services" -steady "${steady}s" -flips "$flips" -target-delay "$delay" || {
  status=$?
  for i in $(seq 1 "$count"); do echo "--- node$i log"; tail -20 "$work/node$i.log"; done
  exit $status
}
for i in $(seq 1 "$count"); do
  if [ -s "$work/node$i.log" ]; then echo "--- node$i log (last 5 lines of $(wc -l <"$work/node$i.log"))"; tail -5 "$work/node$i.log"; fi
done

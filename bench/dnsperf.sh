#!/usr/bin/env bash
# dnsperf.sh: gtmd beside Debian's Knot (and gdnsd and PowerDNS, when installed) on
# 127.0.0.1, each pinned to one core, dnsperf on the other, run in turn
# A B A B; prints QPS, CPU time per answered query and the ratios to Knot.
# The static A query runs on every server; then gtmd alone answers a
# latency-policy name with an ECS option from the generated GeoIP test
# database (a DE client), against Knot's static A of the same run.
#
#   bench/dnsperf.sh [seconds-per-run] [rounds]
#
# Needs: go, knot (knotd), dnsperf, taskset; optional: gdnsd, pdns_server.
# apt-get install -y knot dnsperf gdnsd pdns-server pdns-backend-bind
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-2}
server_cpu=1
client_cpu=0
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for tool in knotd dnsperf taskset; do
  command -v "$tool" >/dev/null || { echo "dnsperf.sh: $tool not found (apt-get install -y knot dnsperf util-linux)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { server_cpu=0; echo "one CPU: server and client share it" >&2; }

go build -o "$work/gtmd" ./cmd/gtmd
go run ./geo/testdb/cmd/gentestdb -out "$work/geo" >/dev/null

# gtmd: one UDP socket, pinned to one core (Go sizes GOMAXPROCS from the
# affinity mask).
cat > "$work/gtmd.yaml" <<YAML
node: {id: bench}
dns: {listen: ["127.0.0.1:15301"], udp_listeners: 1}
admin: {listen: "127.0.0.1:15380"}
store: {embedded: {client_url: "http://127.0.0.1:15379", peer_url: "http://127.0.0.1:15390"}}
geoip: {database: $work/geo/city.mmdb}
traffic_file: $PWD/bench/traffic.yaml
data_dir: $work/gtmd-data
log: {level: warn}
# dnsperf sends everything from one address: rate limiting would answer
# 200 a second (Knot and NSD run without theirs here too).
rrl: {responses_per_second: 0}
YAML
taskset -c $server_cpu "$work/gtmd" serve --config "$work/gtmd.yaml" 2>"$work/gtmd.log" &
pids+=($!); gtmd_pid=$!

mkdir -p "$work/knot"
cp bench/bench.test.zone "$work/knot/"
cat > "$work/knot/knot.conf" <<CONF
server:
    rundir: "$work/knot"
    listen: 127.0.0.1@15302
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$work/knot"
log:
  - target: stderr
    any: warning
zone:
  - domain: bench.test.
    file: "$work/knot/bench.test.zone"
CONF
taskset -c $server_cpu knotd -c "$work/knot/knot.conf" 2>"$work/knot.log" &
pids+=($!); knot_pid=$!

names=(gtmd knot)
declare -A port=([gtmd]=15301 [knot]=15302) pid=([gtmd]=$gtmd_pid [knot]=$knot_pid)
if command -v gdnsd >/dev/null; then
  mkdir -p "$work/gdnsd/zones" "$work/gdnsd/run" "$work/gdnsd/state"
  cp bench/bench.test.zone "$work/gdnsd/zones/bench.test"
  cat > "$work/gdnsd/config" <<CONF
options => { listen => [ 127.0.0.1:15303 ], udp_threads => 1, tcp_threads => 1, run_dir => $work/gdnsd/run, state_dir => $work/gdnsd/state }
CONF
  taskset -c $server_cpu gdnsd -c "$work/gdnsd" start 2>"$work/gdnsd.log" &
  pids+=($!); pid[gdnsd]=$!; port[gdnsd]=15303; names+=(gdnsd)
fi

if command -v pdns_server >/dev/null; then
  mkdir -p "$work/pdns"
  cp bench/bench.test.zone "$work/pdns/"
  echo "zone \"bench.test\" { type master; file \"$work/pdns/bench.test.zone\"; };" > "$work/pdns/named.conf"
  cat > "$work/pdns/pdns.conf" <<CONF
launch=bind
bind-config=$work/pdns/named.conf
local-address=127.0.0.1
local-port=15304
socket-dir=$work/pdns
receiver-threads=1
distributor-threads=1
daemon=no
guardian=no
disable-syslog=yes
loglevel=3
CONF
  taskset -c $server_cpu pdns_server --config-dir="$work/pdns" 2>"$work/pdns.log" &
  pids+=($!); pid[pdns]=$!; port[pdns]=15304; names+=(pdns)
fi

echo "static.bench.test A" > "$work/queries"
echo "latency.bench.test A" > "$work/queries-latency"
# ECS option 8: family 1, source /24, scope 0, 198.18.130.0 (DE).
ecs="8:00011800c61282"
for n in "${names[@]}"; do
  for _ in $(seq 50); do
    dig +short +tries=1 +time=1 -p "${port[$n]}" @127.0.0.1 static.bench.test A 2>/dev/null | grep -q 192.0.2.10 && break
    sleep 0.2
  done
  dig +short -p "${port[$n]}" @127.0.0.1 static.bench.test A | grep -q 192.0.2.10 || { echo "$n does not answer; log:"; cat "$work/$n.log"; exit 1; }
done
dig +short -p 15301 @127.0.0.1 latency.bench.test A +subnet=198.18.130.0/24 | grep -q 192.0.2.2 || { echo "gtmd does not place the DE client at eu-west"; exit 1; }

cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
declare -A qps_sum cpu_sum
for n in "${names[@]}"; do qps_sum[$n]=0; cpu_sum[$n]=0; done
printf '%-6s %-5s %12s %14s\n' server round QPS "CPU us/query"
for r in $(seq "$rounds"); do
  for n in "${names[@]}"; do
    before=$(cputicks "${pid[$n]}")
    out=$(taskset -c $client_cpu dnsperf -s 127.0.0.1 -p "${port[$n]}" -d "$work/queries" -l "$secs" -c 8 -q 500 -T 1 2>&1)
    after=$(cputicks "${pid[$n]}")
    qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
    done_q=$(awk '/Queries completed/ {print $3}' <<<"$out")
    cpu_us=$(awk -v t=$((after-before)) -v hz="$hz" -v q="$done_q" 'BEGIN { printf "%.2f", (q>0) ? t/hz*1e6/q : 0 }')
    printf '%-6s %-5s %12.0f %14s\n' "$n" "$r" "$qps" "$cpu_us"
    qps_sum[$n]=$(awk -v a="${qps_sum[$n]}" -v b="$qps" 'BEGIN{print a+b}')
    cpu_sum[$n]=$(awk -v a="${cpu_sum[$n]}" -v b="$cpu_us" 'BEGIN{print a+b}')
  done
done
for r in $(seq "$rounds"); do
  before=$(cputicks "$gtmd_pid")
  out=$(taskset -c $client_cpu dnsperf -s 127.0.0.1 -p 15301 -d "$work/queries-latency" -E "$ecs" -l "$secs" -c 8 -q 500 -T 1 2>&1)
  after=$(cputicks "$gtmd_pid")
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  done_q=$(awk '/Queries completed/ {print $3}' <<<"$out")
  cpu_us=$(awk -v t=$((after-before)) -v hz="$hz" -v q="$done_q" 'BEGIN { printf "%.2f", (q>0) ? t/hz*1e6/q : 0 }')
  printf '%-6s %-5s %12.0f %14s   (latency policy, ECS)\n' gtmd-lat "$r" "$qps" "$cpu_us"
  qps_sum[lat]=$(awk -v a="${qps_sum[lat]:-0}" -v b="$qps" 'BEGIN{print a+b}')
  cpu_sum[lat]=$(awk -v a="${cpu_sum[lat]:-0}" -v b="$cpu_us" 'BEGIN{print a+b}')
done
echo
awk -v q="${qps_sum[lat]}" -v c="${cpu_sum[lat]}" -v kq="${qps_sum[knot]}" -v kc="${cpu_sum[knot]}" -v r="$rounds" \
  'BEGIN { printf "gtmd latency+ECS: mean QPS %9.0f  CPU %6.2f us/query  QPS ratio to knot static A %.2f  CPU ratio %.2f\n", q/r, c/r, q/kq, c/kc }'
for n in "${names[@]}"; do
  awk -v n="$n" -v q="${qps_sum[$n]}" -v c="${cpu_sum[$n]}" -v kq="${qps_sum[knot]}" -v kc="${cpu_sum[knot]}" -v r="$rounds" \
    'BEGIN { printf "%-6s mean QPS %9.0f  CPU %6.2f us/query  QPS ratio %s/knot %.2f  CPU ratio %.2f\n", n, q/r, c/r, n, q/kq, c/kc }'
done

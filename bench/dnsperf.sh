#!/usr/bin/env bash
# dnsperf.sh: gtmd beside its peers on 127.0.0.1, all serving the zone of
# bench/bench.test.zone (gtmd from bench/traffic.yaml, the same records):
#
#   gtmd        static A                      gtmd-lat   latency policy, ECS /24 from DE
#   gtmd-dnssec gtmd-lat's query with DO, in a signed zone (RRSIG from the cache)
#   knot        static A (Knot)               gdnsd-geo  geoip plugin, same ECS -> eu
#   nsd         static A (NSD, rrl-ratelimit: 0)
#   gdnsd       static A                      pdns       static A (PowerDNS, bind backend)
#   coredns     static A (file plugin), when a coredns binary can be had
#
# Every server is pinned to one core and dnsperf to the other. Each round
# runs every case once, in turn (the order reversed every other round, so
# no case always follows the same one); a case is two dnsperf runs of
# [seconds] each:
#   1. throughput: QPS, the server's CPU time per answered query (user+sys
#      of its process and children from /proc/PID/stat, divided by the
#      queries dnsperf saw answered), and dnsperf's mean latency;
#   2. latency (skipped with P99=0): the same load with dnsperf -v, which
#      prints every answer's latency; p99 is the 99th percentile of those
#      (Debian's dnsperf 2.10 prints only the mean and the standard
#      deviation, and has no histogram option). -v costs dnsperf CPU, so
#      this run's QPS is printed beside it and is lower for the fastest
#      servers.
# It prints every run, then per case the median over rounds and gtmd's
# ratios to each peer (CPU: gtmd / peer, above 1 is more CPU per query than
# the peer; QPS: gtmd / peer).
#
#   bench/dnsperf.sh [seconds-per-run] [rounds]
#
# A change to gtmd's query path is measured against the gtmd it changes in
# the same run: GTMD_BASE=REV (a commit) builds gtmd at REV too and serves
# it beside the working tree's as cases base and base-lat (gtmd's and
# gtmd-lat's queries), interleaved like any peer; the ratios then include
# gtmd / base. CASES="gtmd gtmd-lat base base-lat knot gdnsd-geo" keeps
# only the cases named.
#
# Needs go, knotd, dnsperf, taskset, dig; nsd, gdnsd and pdns_server join
# when installed:
#   apt-get install -y knot nsd gdnsd pdns-server pdns-backend-bind dnsperf dnsutils
# CoreDNS is not in Debian: the script uses `coredns` from PATH or
# $COREDNS, or else builds it once with
#   GOFLAGS=-mod=mod go install github.com/coredns/coredns@$COREDNS_VERSION
# into ${GTMD_BENCH_CACHE:-~/.cache/gtmd-bench}/bin; COREDNS=none skips it.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
p99=${P99:-1}
coredns_version=${COREDNS_VERSION:-v1.11.4}
server_cpu=1
client_cpu=0
work=$(mktemp -d)
pids=()

# descendants prints pid and every process below it (ps, not /proc/*/stat:
# a process that exits while the table is read must not abort the walk).
descendants() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END { n = split(root, q, " "); for (i = 1; i <= n; i++) { print q[i]; m = split(kids[q[i]], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}
cleanup() {
  local p all=()
  for p in "${pids[@]}"; do all+=($(descendants "$p")); done
  for p in "${all[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  # NSD's server children leave a moment after their parent.
  for _ in $(seq 50); do
    for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && { sleep 0.1; continue 2; }; done
    break
  done
  rm -rf "$work"
}
trap cleanup EXIT
# A signal (Ctrl-C, a closed pipe) exits through cleanup too.
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE

for tool in knotd dnsperf taskset dig; do
  command -v "$tool" >/dev/null || { echo "dnsperf.sh: $tool not found (apt-get install -y knot dnsperf util-linux dnsutils)" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || { server_cpu=0; echo "one CPU: server and client share it" >&2; }

go build -o "$work/gtmd" ./cmd/gtmd
go run ./geo/testdb/cmd/gentestdb -out "$work/geo" >/dev/null

names=()
declare -A port pid
# serve NAME PORT CMD...: starts a server pinned to the server core.
serve() {
  local n=$1 p=$2
  shift 2
  taskset -c $server_cpu "$@" >"$work/$n.log" 2>&1 &
  pids+=($!); pid[$n]=$!; port[$n]=$p; names+=("$n")
}

# gtmd: one UDP socket, pinned to one core (Go sizes GOMAXPROCS from the
# affinity mask). dnsperf sends everything from one address: rate limiting
# would answer 200 a second (the peers run without theirs too).
cat > "$work/gtmd.yaml" <<YAML
node: {id: bench}
dns: {listen: ["127.0.0.1:15301"], udp_listeners: 1}
admin: {listen: "127.0.0.1:15380"}
store: {embedded: {client_url: "http://127.0.0.1:15379", peer_url: "http://127.0.0.1:15390"}}
geoip: {database: $work/geo/city.mmdb}
traffic_file: $PWD/bench/traffic.yaml
data_dir: $work/gtmd-data
log: {level: warn}
rrl: {responses_per_second: 0}
dnssec: {key_encryption_key_file: $work/gtmd-data/dnssec.kek}
YAML
serve gtmd 15301 "$work/gtmd" serve --config "$work/gtmd.yaml"

if [ -n "${GTMD_BASE:-}" ]; then
  base_rev=$(git rev-parse --short "$GTMD_BASE")
  mkdir -p "$work/base-src"
  git archive "$base_rev" | tar -x -C "$work/base-src"
  (cd "$work/base-src" && go build -o "$work/gtmd-base" ./cmd/gtmd)
  sed -e 's/15301/15311/; s/15380/15381/; s/15379/15389/; s/15390/15391/' -e "s|$work/gtmd-data|$work/base-data|g" "$work/gtmd.yaml" >"$work/base.yaml"
  serve base 15311 "$work/gtmd-base" serve --config "$work/base.yaml"
fi

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
serve knot 15302 knotd -c "$work/knot/knot.conf"

if command -v nsd >/dev/null; then
  mkdir -p "$work/nsd"
  cp bench/bench.test.zone "$work/nsd/"
  cat > "$work/nsd/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@15305
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$work/nsd"
    database: ""
    zonelistfile: "$work/nsd/zone.list"
    xfrdfile: "$work/nsd/xfrd.state"
    xfrdir: "$work/nsd"
    pidfile: "$work/nsd/nsd.pid"
    verbosity: 1
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: bench.test
    zonefile: bench.test.zone
CONF
  serve nsd 15305 nsd -d -c "$work/nsd/nsd.conf"
else
  echo "dnsperf.sh: nsd not installed, skipped (apt-get install -y nsd)" >&2
fi

# gdnsd serves the zone plus latency.bench.test from its geoip plugin in
# city auto mode: the generated test database places the client, and the
# nearest of the three regions of bench/traffic.yaml answers, as gtmd's
# latency policy does.
if command -v gdnsd >/dev/null; then
  mkdir -p "$work/gdnsd/zones" "$work/gdnsd/run" "$work/gdnsd/state"
  cp bench/bench.test.zone "$work/gdnsd/zones/bench.test"
  echo 'latency 30 DYNA geoip!latency' >> "$work/gdnsd/zones/bench.test"
  cat > "$work/gdnsd/config" <<CONF
options => { listen => [ 127.0.0.1:15303 ], udp_threads => 1, tcp_threads => 1, run_dir => $work/gdnsd/run, state_dir => $work/gdnsd/state }
plugins => { geoip => {
  maps => { bench => {
    geoip2_db => $work/geo/city.mmdb,
    datacenters => [us-east, eu-west, ap-northeast],
    auto_dc_coords => { us-east => [39.04, -77.49], eu-west => [53.34, -6.26], ap-northeast => [35.68, 139.69] },
    auto_dc_limit => 1,
  } },
  resources => { latency => { map => bench, dcmap => { us-east => 192.0.2.1, eu-west => 192.0.2.2, ap-northeast => 192.0.2.3 } } }
} }
CONF
  serve gdnsd 15303 gdnsd -c "$work/gdnsd" start
else
  echo "dnsperf.sh: gdnsd not installed, skipped (apt-get install -y gdnsd)" >&2
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
  serve pdns 15304 pdns_server --config-dir="$work/pdns"
else
  echo "dnsperf.sh: pdns_server not installed, skipped (apt-get install -y pdns-server pdns-backend-bind)" >&2
fi

coredns_bin() {
  local cache=${GTMD_BENCH_CACHE:-$HOME/.cache/gtmd-bench}
  if [ "${COREDNS:-}" = none ]; then return 1; fi
  if [ -n "${COREDNS:-}" ]; then echo "$COREDNS"; return; fi
  if command -v coredns >/dev/null; then command -v coredns; return; fi
  if [ ! -x "$cache/bin/coredns" ]; then
    echo "dnsperf.sh: building CoreDNS $coredns_version into $cache/bin (once)" >&2
    mkdir -p "$cache/bin"
    (cd "$work" && GOFLAGS=-mod=mod GOBIN="$cache/bin" go install "github.com/coredns/coredns@$coredns_version") >"$work/coredns-build.log" 2>&1 ||
      { echo "dnsperf.sh: building CoreDNS failed, skipped:" >&2; tail -5 "$work/coredns-build.log" >&2; return 1; }
  fi
  echo "$cache/bin/coredns"
}
if coredns=$(coredns_bin); then
  mkdir -p "$work/coredns"
  cp bench/bench.test.zone "$work/coredns/"
  cat > "$work/coredns/Corefile" <<CONF
bench.test:15306 {
    bind 127.0.0.1
    file $work/coredns/bench.test.zone
}
CONF
  serve coredns 15306 "$coredns" -conf "$work/coredns/Corefile"
else
  echo "dnsperf.sh: no CoreDNS (COREDNS=none or no binary), skipped" >&2
fi

echo "static.bench.test A" > "$work/q-static"
echo "latency.bench.test A" > "$work/q-latency"
echo "latency.signed.test A" > "$work/q-signed"
# ECS option 8: family 1, source /24, scope 0, 198.18.130.0 (DE in the test database).
ecs="8:00011800c61282"

# A case: name, server, query file, ECS (or -), the answer it must give,
# and DO when the queries set the DNSSEC OK bit.
cases=()
add_case() { [ -n "${pid[$2]:-}" ] && cases+=("$1 $2 $3 $4 $5 ${6:-}"); return 0; }
add_case gtmd gtmd q-static - 192.0.2.10
add_case base base q-static - 192.0.2.10
add_case base-lat base q-latency "$ecs" 192.0.2.2
add_case knot knot q-static - 192.0.2.10
add_case gtmd-lat gtmd q-latency "$ecs" 192.0.2.2
add_case gtmd-dnssec gtmd q-signed "$ecs" 192.0.2.2 DO
add_case gdnsd-geo gdnsd q-latency "$ecs" 192.0.2.2
add_case nsd nsd q-static - 192.0.2.10
add_case gdnsd gdnsd q-static - 192.0.2.10
add_case pdns pdns q-static - 192.0.2.10
add_case coredns coredns q-static - 192.0.2.10

if [ -n "${CASES:-}" ]; then
  kept=()
  for want in $CASES; do
    found=
    for c in "${cases[@]}"; do
      read -r name _ <<<"$c"
      [ "$name" = "$want" ] && { kept+=("$c"); found=1; }
    done
    [ -n "$found" ] || echo "dnsperf.sh: no case $want (its server is not installed, or GTMD_BASE is unset, or a typo), skipped" >&2
  done
  [ ${#kept[@]} -gt 0 ] || { echo "dnsperf.sh: none of CASES=\"$CASES\" can run" >&2; exit 1; }
  cases=("${kept[@]}")
fi

# Every case must give its answer before anything is measured.
for c in "${cases[@]}"; do
  read -r name server qf opt want do <<<"$c"
  read -r qname qtype <"$work/$qf"
  sub=(); [ "$opt" != - ] && sub=(+subnet=198.18.130.0/24)
  [ -n "$do" ] && sub+=(+dnssec)
  ok=
  for _ in $(seq 75); do
    if dig +short +tries=1 +time=1 -p "${port[$server]}" @127.0.0.1 "$qname" "$qtype" "${sub[@]}" 2>/dev/null | grep -qx "$want"; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { echo "dnsperf.sh: $name ($server) does not answer $qname $qtype with $want; its log:" >&2; cat "$work/$server.log" >&2; exit 1; }
done

# cputicks sums user+sys ticks of a process and its children (NSD forks).
cputicks() {
  local p t=0
  for p in $(descendants "$1"); do
    t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)
field() { awk -v k="$1" 'index($0, k) { sub(/.*: */, ""); print $1; exit }' <<<"$2"; }

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "peers:   $(for n in "${names[@]}"; do printf '%s ' "$n"; done)(server on CPU $server_cpu, dnsperf -c 8 -q 500 -T 1 -l $secs on CPU $client_cpu)"
echo "gtmd:    $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- . 2>/dev/null || echo ' with uncommitted changes')${base_rev:+; base: $base_rev}"
echo "versions: $(dpkg-query -W -f='${Package} ${Version}, ' knot nsd gdnsd pdns-server dnsperf 2>/dev/null)${coredns:+$("$coredns" -version | head -1)}"
echo
printf '%-10s %5s %10s %9s %8s %10s %10s %10s\n' case round QPS 'CPU us/q' 'lost %' 'mean ms' 'p99 ms' 'QPS (-v)'
: >"$work/results"
for r in $(seq "$rounds"); do
  order=("${cases[@]}")
  if [ $((r % 2)) -eq 0 ]; then
    order=(); for ((i = ${#cases[@]} - 1; i >= 0; i--)); do order+=("${cases[$i]}"); done
  fi
  for c in "${order[@]}"; do
    read -r name server qf opt want do <<<"$c"
    e=(); [ "$opt" != - ] && e=(-E "$opt")
    [ -n "$do" ] && e+=(-D)
    perf=(taskset -c $client_cpu dnsperf -s 127.0.0.1 -p "${port[$server]}" -d "$work/$qf" "${e[@]}" -l "$secs" -c 8 -q 500 -T 1)
    before=$(cputicks "${pid[$server]}")
    out=$("${perf[@]}" 2>&1)
    after=$(cputicks "${pid[$server]}")
    qps=$(field 'Queries per second' "$out")
    done_q=$(field 'Queries completed' "$out")
    sent=$(field 'Queries sent' "$out")
    mean=$(field 'Average Latency' "$out")
    cpu=$(awk -v t=$((after - before)) -v hz="$hz" -v q="$done_q" 'BEGIN { printf "%.2f", (q > 0) ? t / hz * 1e6 / q : 0 }')
    lost=$(awk -v s="$sent" -v d="$done_q" 'BEGIN { printf "%.2f", (s > 0) ? (s - d) * 100 / s : 0 }')
    mean_ms=$(awk -v m="$mean" 'BEGIN { printf "%.3f", m * 1000 }')
    p99_ms=- vqps=-
    if [ "$p99" != 0 ]; then
      "${perf[@]}" -v >"$work/verbose" 2>&1 || true
      vqps=$(awk '/Queries per second/ { printf "%.0f", $4 }' "$work/verbose")
      # Answered queries print "> RCODE name type seconds"; timeouts "> T name type".
      p99_ms=$(awk '$1 == ">" && $2 != "T" { print $NF }' "$work/verbose" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } i = int(NR * 0.99); if (i < NR * 0.99) i++; printf "%.3f", v[i] * 1000 }')
    fi
    printf '%-10s %5s %10.0f %9s %8s %10s %10s %10s\n' "$name" "$r" "$qps" "$cpu" "$lost" "$mean_ms" "$p99_ms" "$vqps"
    echo "$name $qps $cpu $mean_ms $p99_ms $vqps" >>"$work/results"
  done
done

# median NAME COLUMN: the median over rounds of one result column.
median() {
  awk -v n="$1" -v c="$2" '$1 == n && $c != "-" { print $c }' "$work/results" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "-"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
declare -A mq mc mm mp mv
for c in "${cases[@]}"; do
  read -r name _ <<<"$c"
  mq[$name]=$(median "$name" 2); mc[$name]=$(median "$name" 3); mm[$name]=$(median "$name" 4)
  mp[$name]=$(median "$name" 5); mv[$name]=$(median "$name" 6)
done
echo
echo "Medians over $rounds rounds:"
echo
echo "| case | QPS | CPU µs/query | mean latency ms | p99 latency ms (-v run) | QPS of the -v run |"
echo "| --- | --- | --- | --- | --- | --- |"
for c in "${cases[@]}"; do
  read -r name _ <<<"$c"
  printf '| %s | %.0f | %s | %s | %s | %s |\n' "$name" "${mq[$name]}" "${mc[$name]}" "${mm[$name]}" "${mp[$name]}" "${mv[$name]}"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
echo
echo "gtmd's ratios (CPU and latency: gtmd / peer, lower is better; QPS: gtmd / peer, higher is better):"
echo
echo "| gtmd case | peer | CPU ratio | QPS ratio | p99 ratio |"
echo "| --- | --- | --- | --- | --- |"
for g in gtmd gtmd-lat gtmd-dnssec; do
  [ -n "${mc[$g]:-}" ] || continue
  for c in "${cases[@]}"; do
    read -r peer _ <<<"$c"
    case $peer in gtmd | gtmd-lat | gtmd-dnssec) continue ;; esac
    # The base asks gtmd's static question as base and the latency one
    # as base-lat: each gtmd case is set beside its own only.
    case $peer in
      base) [ "$g" = gtmd ] || continue ;;
      base-lat) [ "$g" = gtmd-lat ] || continue ;;
    esac
    [ -n "${mc[$peer]:-}" ] || continue
    printf '| %s | %s | %s | %s | %s |\n' "$g" "$peer" "$(ratio "${mc[$g]}" "${mc[$peer]}")" "$(ratio "${mq[$g]}" "${mq[$peer]}")" "$(ratio "${mp[$g]}" "${mp[$peer]}")"
  done
done
if [ -n "${mc[gtmd-dnssec]:-}" ] && [ -n "${mc[gtmd-lat]:-}" ]; then
  echo
  echo "Signed against unsigned, the same latency answer (gtmd-dnssec / gtmd-lat): CPU $(ratio "${mc[gtmd-dnssec]}" "${mc[gtmd-lat]}"), QPS $(ratio "${mq[gtmd-dnssec]}" "${mq[gtmd-lat]}"), p99 $(ratio "${mp[gtmd-dnssec]}" "${mp[gtmd-lat]}")"
fi

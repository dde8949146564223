#!/usr/bin/env bash
# zones.sh: one gtmd node on its embedded store (127.0.0.5) takes a zone
# of N generated A records with `gtmd zone put` (streamed), and the
# script prints the time the put took (until etcd committed), the time
# until the node answers the last name of the file with the new serial,
# the node's resident memory (VmRSS, and its peak VmHWM, from /proc)
# before, right after and 15 s after, and per record; then the time from nsupdate sending
# one new record (RFC 2136 UPDATE) to the node answering it, from a
# change of that record to the new address served, and from the
# deletion of a record of the file to NXDOMAIN; then the node's CPU per
# update over BURST (default 20) updates in a row; then its resident
# memory once every name has been asked once (with dnsperf, when
# installed: the node keeps each answer it makes); then it restarts the node, times how long until it answers that name again,
# and reads its resident memory then, 30 s and 60 s later. After the
# put and after the restart it says how much of the memory is the heap's
# live objects, its partly used spans and mapped files (curl).
#
#   bench/zones.sh [records ...]      (default: 100000)
#
# Needs: go, dig and nsupdate (apt-get install -y bind9-dnsutils), curl.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("${@:-100000}")
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for tool in dig nsupdate curl; do
  command -v "$tool" >/dev/null || { echo "zones.sh: $tool not found (apt-get install -y bind9-dnsutils curl)" >&2; exit 1; }
done
secret=$(printf 'zones-bench-secret-zones-bench-secret' | base64)
go build -o "$work/gtmd" ./cmd/gtmd

ip=127.0.0.5
cat > "$work/traffic.yaml" <<'YAML'
zones:
  - name: big.test.
    ttl: 300
    soa: {mname: ns1.big.test., rname: hostmaster.big.test.}
    ns: [ns1.big.test.]
    records:
      - {name: ns1, type: A, data: ["192.0.2.53"]}
    update_policy: [{key: ddns-key., names: ["*"], types: [A]}]
YAML
cat > "$work/gtmd.yaml" <<YAML
node: {id: big, region: test}
dns: {listen: ["$ip:5300"], udp_listeners: 1}
admin: {listen: "$ip:8300"}
store:
  embedded: {client_url: "http://$ip:12379", peer_url: "http://$ip:12380"}
data_dir: $work/data
traffic_file: $work/traffic.yaml
log: {level: warn}
# dnsperf asks every name from one address: rate limiting would drop most.
rrl: {responses_per_second: 0}
tsig_keys: [{name: ddns-key., algorithm: hmac-sha256, secret: $secret}]
YAML

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
rss() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%.0f %.0f", r/1024, h/1024}' "/proc/$pid/status"; }
# heap: where the node's resident memory is, from its Go runtime metrics
# and /proc: the heap's live objects (as of the last collection, with
# what was made since), its spans in use (the difference: slots left free
# among live objects), and the file pages mapped (the binary, etcd's
# database).
heap() {
  curl -s "http://$ip:8300/metrics" | awk -v file="$(awk '/^RssFile/ {print $2}' "/proc/$pid/status")" '
    /^go_memstats_heap_alloc_bytes/ {a = $2} /^go_memstats_heap_inuse_bytes/ {i = $2}
    END {printf "  heap: %.0f MiB allocated, %.0f MiB in spans in use; file pages %.0f MiB\n", a / 1048576, i / 1048576, file / 1024}'
}
serial() { dig +short +time=1 +tries=1 @"$ip" -p 5300 big.test SOA 2>/dev/null | awk 'NF == 7 && $3 ~ /^[0-9]+$/ {print $3}'; }
# answers NAME IP: waits until the node answers NAME A with IP.
answers() { until [ "$(dig +short +time=1 +tries=1 @"$ip" -p 5300 "$1" A 2>/dev/null)" = "$2" ]; do sleep 0.05; done; }
# cpu: the node's user and system CPU so far, in seconds.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$pid/stat"; }
burst=${BURST:-20}
# gone NAME: waits until the node answers NAME with NXDOMAIN.
gone() { until dig +time=1 +tries=1 @"$ip" -p 5300 "$1" A 2>/dev/null | grep -q 'status: NXDOMAIN'; do sleep 0.05; done; }
# nsup LINES: sends one UPDATE to big.test. with the update lines given.
nsup() { printf 'server %s 5300\nzone big.test.\nkey hmac-sha256:ddns-key. %s\n%s\nsend\n' "$ip" "$secret" "$1" | nsupdate; }
start() {
  "$work/gtmd" serve --config "$work/gtmd.yaml" >>"$work/gtmd.log" 2>&1 &
  pid=$!
  until [ -n "$(serial)" ]; do kill -0 "$pid" || { cat "$work/gtmd.log"; exit 1; }; sleep 0.1; done
}

start
read -r rss0 hwm0 <<<"$(rss)"
echo "node serving, empty zone: RSS ${rss0} MiB (peak ${hwm0} MiB)"
for n in "${counts[@]}"; do
  file="$work/big-$n.zone"
  awk -v n="$n" 'BEGIN { print "$TTL 300"; for (i = 0; i < n; i++) printf "h%d IN A 10.%d.%d.%d\n", i, int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >"$file"
  last=$((n - 1))
  lastip="10.$((last / 65536 % 256)).$((last / 256 % 256)).$((last % 256))"
  t0=$(now)
  "$work/gtmd" zone put big.test "$file" --admin "http://$ip:8300" | tee "$work/put.out"
  put=$(since "$t0")
  rev=$(grep -o 'revision [0-9]*' "$work/put.out" | awk '{print $2}')
  answers "h$last.big.test" "$lastip"
  until [ "$(serial)" -ge "$rev" ]; do sleep 0.05; done
  served=$(since "$t0")
  read -r rss1 hwm1 <<<"$(rss)"
  printf '%d records (%s MiB file): put %.1f s, served %.1f s after the put began; RSS %s MiB (peak %s MiB), %.0f bytes/record over the empty node\n' \
    "$n" "$(du -m "$file" | cut -f1)" "$put" "$served" "$rss1" "$hwm1" "$(echo "($rss1 - $rss0) * 1048576 / $n" | bc)"
  # The node gives back what the put used for a moment once it settles.
  sleep 15
  read -r rss1 hwm1 <<<"$(rss)"
  printf '%d records: 15 s after they were served RSS %s MiB, %.0f bytes/record over the empty node\n' "$n" "$rss1" "$(echo "($rss1 - $rss0) * 1048576 / $n" | bc)"
  heap
  t0=$(now)
  nsup "update add new$n.big.test. 300 A 192.0.2.1"
  acked=$(since "$t0")
  answers "new$n.big.test" 192.0.2.1
  printf '%d records: one record added by nsupdate, acknowledged in %.2f s, served %.2f s after it was sent\n' "$n" "$acked" "$(since "$t0")"
  t0=$(now)
  nsup "update delete new$n.big.test. A
update add new$n.big.test. 300 A 192.0.2.2"
  acked=$(since "$t0")
  answers "new$n.big.test" 192.0.2.2
  printf '%d records: that record changed by nsupdate, acknowledged in %.2f s, served %.2f s after it was sent\n' "$n" "$acked" "$(since "$t0")"
  t0=$(now)
  nsup "update delete h0.big.test. A"
  acked=$(since "$t0")
  gone h0.big.test
  printf '%d records: a record of the file deleted by nsupdate, acknowledged in %.2f s, NXDOMAIN %.2f s after it was sent\n' "$n" "$acked" "$(since "$t0")"
  # A stream of updates, one after another as external-dns sends them:
  # the node's CPU over the stream and the 10 s after it.
  sleep 35
  cpu0=$(cpu)
  t0=$(now)
  for i in $(seq 1 "$burst"); do
    nsup "update add burst$i.big.test. 300 A 192.0.2.$((i % 250 + 1))"
    answers "burst$i.big.test" "192.0.2.$((i % 250 + 1))"
  done
  took=$(since "$t0")
  sleep 10
  printf '%d records: %d updates in a row, each served before the next: %.1f s (%.2f s each); node CPU %.2f s each, counting 10 s after\n' \
    "$n" "$burst" "$took" "$(echo "$took / $burst" | bc -l)" "$(echo "($(cpu) - $cpu0) / $burst" | bc -l)"
  # Every name asked once: the node keeps each answer it makes.
  if command -v dnsperf >/dev/null; then
    awk -v n="$n" 'BEGIN { for (i = 1; i < n; i++) printf "h%d.big.test A\n", i }' >"$work/every.q"
    t0=$(now)
    dnsperf -s "$ip" -p 5300 -d "$work/every.q" -n 1 -c 8 -q 500 -T 1 >"$work/every.out" 2>&1
    took=$(since "$t0")
    read -r rss4 hwm4 <<<"$(rss)"
    sleep 40
    read -r rss5 hwm5 <<<"$(rss)"
    printf '%d records: every name asked once (dnsperf, %s answered in %.1f s): RSS %s MiB right after, %s MiB 40 s later\n' \
      "$n" "$(awk '/Queries completed/ {print $3}' "$work/every.out")" "$took" "$rss4" "$rss5"
  fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  t0=$(now)
  start
  answers "h$last.big.test" "$lastip"
  read -r rss2 hwm2 <<<"$(rss)"
  printf '%d records stored: restart served in %.1f s; RSS %s MiB (peak %s MiB)' "$n" "$(since "$t0")" "$rss2" "$hwm2"
  # The node reads the store whole after it answers from its copy.
  for later in 30 60; do
    sleep 30
    read -r rss3 hwm3 <<<"$(rss)"
    printf '; %d s later RSS %s MiB (peak %s MiB), %.0f bytes/record over the empty node' "$later" "$rss3" "$hwm3" "$(echo "($rss3 - $rss0) * 1048576 / $n" | bc)"
  done
  echo
  heap
done

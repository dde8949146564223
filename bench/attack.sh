#!/usr/bin/env bash
# attack.sh: start one gtmd node with the quick-start document under a
# descriptor limit of 300 (as an attacker found it; NOFILE=n to change), then run the hostile
# client in bench/attack against it: a UDP flood from one prefix, 5,000
# TCP connections, 1,500 pipelined queries, 320 idle admin connections,
# YAML bombs through the API and the CLI, and a write to the embedded
# store without credentials. Everything stays on loopback.
#
#   bench/attack.sh [attack,...]
#
# Needs: go, prlimit (util-linux).
set -euo pipefail
cd "$(dirname "$0")/.."
only=${1:-}
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

go build -o "$work/gtmd" ./cmd/gtmd
go build -o "$work/attack" ./bench/attack
cp examples/quickstart/traffic.yaml "$work/"
cat >"$work/gtmd.yaml" <<YAML
node: {id: attack-1, region: us-east}
dns: {listen: ["127.0.0.1:15300"]}
admin: {listen: "127.0.0.1:18300"}
store:
  embedded: {client_url: "http://127.0.0.1:12379", peer_url: "http://127.0.0.1:12380"}
data_dir: data
traffic_file: traffic.yaml
log: {level: info, format: text}
YAML
prlimit --nofile="${NOFILE:-300}:${NOFILE:-300}" "$work/gtmd" serve --config "$work/gtmd.yaml" 2>"$work/gtmd.log" &
pid=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:18300/readyz >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf http://127.0.0.1:18300/readyz >/dev/null || { echo "the node did not become ready:"; cat "$work/gtmd.log"; exit 1; }

status=0
"$work/attack" -dns 127.0.0.1:15300 -admin http://127.0.0.1:18300 -etcd http://127.0.0.1:12379 -only "$only" || status=$?

if [ -z "$only" ] || [[ ",$only," == *",bombs,"* ]]; then
  echo "== bombs through the CLI (gtmd validate -f)"
  for kind in merge alias; do
    "$work/attack" -print-bomb "$kind" >"$work/bomb.yaml"
    start=$(date +%s.%N)
    out=$("$work/gtmd" validate -f "$work/bomb.yaml" 2>&1) && { echo "  FAILED: the $kind bomb validated"; status=1; }
    printf '  %s bomb: refused in %.3fs: %s\n' "$kind" "$(echo "$(date +%s.%N) - $start" | bc)" "$(echo "$out" | head -1)"
  done
fi

if kill -0 "$pid" 2>/dev/null; then
  echo "== the node is still running"
else
  echo "== FAILED: the node exited"; status=1
fi
echo "== the node's warnings and errors"
grep -E 'level=(WARN|ERROR)' "$work/gtmd.log" | cut -c1-240 | sort | uniq -c | sort -rn | head -20 || true
exit $status

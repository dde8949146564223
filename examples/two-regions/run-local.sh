#!/usr/bin/env bash
# The two-regions example on one Linux host, on loopback: the three gtmd
# nodes of us-east-1.yaml, us-east-2.yaml and eu-west-1.yaml serving
# traffic.yaml, one etcd (embedded in the first node), a stand-in load
# balancer per region, a parent server delegating gtm.example.com. to the
# nodes (a fourth gtmd, serving example.com.), and an Unbound resolver
# that finds the nodes through that delegation. It prints what to try,
# runs until Ctrl-C, and then stops every process it started and removes
# its files.
#
#   sudo examples/two-regions/run-local.sh      # from the repository
#
# Root is needed because the nodes listen on port 53 of their own
# 127.0.2.x address: a resolver follows a delegation to port 53 only. It
# needs Go (to build gtmd), Unbound and dig (Debian: apt-get install
# unbound bind9-dnsutils); nothing else is installed or changed.
#
# Environment:
#   GTMD_LOCAL_NET=127.0.2  the first three octets of the loopback addresses
#   GTMD_BIN=PATH           run this gtmd instead of building one
#   GTMD_GEOIP=PATH         a City database (default: the repository's
#                           generated test database, geo/testdata/city.mmdb)
#   GTMD_LOCAL_DIR=PATH     keep configurations and logs there, and leave them
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
net=${GTMD_LOCAL_NET:-127.0.2}
geoip=${GTMD_GEOIP:-$repo/geo/testdata/city.mmdb}

# The example's addresses, and where each stands here.
ns1=$net.2 ns2=$net.3 ns3=$net.4 # the nodes' glue addresses (port 53)
etcd_ip=$net.1                   # the etcd embedded in us-east-1
parent=$net.10                   # the parent zone, example.com.
resolver=$net.20                 # Unbound
us_lb=$net.11 eu_lb=$net.12      # the regions' load balancers (port 80)

say() { printf '%s\n' "$*"; }
die() {
	say "run-local.sh: $*" >&2
	exit 1
}

[[ $net =~ ^127\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "GTMD_LOCAL_NET=$net: want the first three octets of a loopback address, such as 127.0.2"
[ "$(uname -s)" = Linux ] || die "needs Linux, where all of 127.0.0.0/8 is loopback"
# Debian keeps the daemons in sbin, which a user's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin
[ "$(id -u)" = 0 ] || die "needs root: the nodes listen on port 53 of $ns1, $ns2 and $ns3 (sudo $0)"
for tool in unbound dig; do
	command -v "$tool" >/dev/null || die "$tool is not on PATH (Debian: apt-get install unbound bind9-dnsutils)"
done
[ -f "$geoip" ] || die "GTMD_GEOIP=$geoip: no such file"

if [ -n "${GTMD_LOCAL_DIR:-}" ]; then
	dir=$GTMD_LOCAL_DIR keep=1
	mkdir -p "$dir"
else
	dir=$(mktemp -d /tmp/gtmd-two-regions.XXXXXX) keep=
fi
chmod 755 "$dir" # Unbound reads its files here

# Every process started, by pid, stopped in reverse order on exit.
pids=() names=() sleeper=
cleanup() {
	local i pid
	trap - EXIT INT TERM
	if [ -n "$sleeper" ]; then
		kill "$sleeper" 2>/dev/null || true
		wait "$sleeper" 2>/dev/null || true
	fi
	# us-east's target started again by hand, as the printout shows, wrote
	# its pid where the first one's was.
	if [ -f "$dir/us-east-target.pid" ]; then
		kill -TERM "$(cat "$dir/us-east-target.pid")" 2>/dev/null || true
	fi
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		kill -TERM "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "${names[i]} (pid $pid) did not stop in 10 s: killed"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$keep" ]; then
		say "stopped; configurations and logs are in $dir"
	else
		rm -rf "$dir"
		say "stopped; removed $dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD...: runs CMD in the background, its output in NAME.log.
start() {
	local name=$1
	shift
	"$@" >"$dir/$name.log" 2>&1 &
	pids+=("$!")
	names+=("$name")
	echo "$!" >"$dir/$name.pid"
}

# http_get HOST PORT PATH: the body of an HTTP/1.0 GET, with bash alone.
http_get() {
	local body
	exec 3<>"/dev/tcp/$1/$2" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$3" "$1" >&3
	body=$(cat <&3) || true
	exec 3<&-
	printf '%s' "${body#*$'\r\n\r\n'}"
}

# wait_for WHAT SECONDS CMD...: until CMD succeeds, or fail saying WHAT.
wait_for() {
	local what=$1 limit=$2
	shift 2
	for _ in $(seq $((limit * 5))); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	die "$what did not come up in ${limit}s; its log is in $dir"
}

ready() { [ "$(http_get "$1" "$2" /readyz)" = ready ]; }

for ip in "$ns1" "$ns2" "$ns3" "$parent" "$resolver"; do
	if (exec 3<>"/dev/tcp/$ip/53") 2>/dev/null || dig +time=1 +tries=1 @"$ip" . SOA >/dev/null 2>&1; then
		die "something already answers on $ip port 53: set GTMD_LOCAL_NET to other addresses, such as 127.0.3"
	fi
done

gtmd=${GTMD_BIN:-}
if [ -z "$gtmd" ]; then
	say "building gtmd and the stand-in load balancer"
	(cd "$repo" && go build -o "$dir/gtmd" ./cmd/gtmd)
	gtmd=$dir/gtmd
fi
(cd "$repo" && go build -o "$dir/target" ./examples/quickstart/target)

# The regions' load balancers: /healthz says ok, where the checks ask.
start us-east-target "$dir/target" -listen "$us_lb:80"
start eu-west-target "$dir/target" -listen "$eu_lb:80"

# The example's traffic document, with the glue and the health checks on
# the local addresses; the answers stay the example's.
sed -e "s/198\.51\.100\.53/$ns1/g" -e "s/198\.51\.100\.54/$ns2/g" -e "s/203\.0\.113\.53/$ns3/g" \
	-e "s#http://198\.51\.100\.10/#http://$us_lb/#" -e "s#http://203\.0\.113\.10/#http://$eu_lb/#" \
	"$here/traffic.yaml" >"$dir/traffic.yaml"

# Each node's admin API, on its own address with its node file's port;
# explain --all-nodes asks the other two.
admin1=http://$ns1:8301 admin2=http://$ns2:8302 admin3=http://$ns3:8303

# node NAME REGION DNS-IP ADMIN PEERS STORE: a node file as the example's,
# on this host's addresses.
node() {
	cat >"$dir/$1.yaml" <<EOF
# Node $1 of the two-regions example, on loopback (written by run-local.sh).
node: {id: $1, region: $2}
dns: {listen: ["$3:53"]}
admin: {listen: "${4#http://}", peers: [$5]}
store:
$6
data_dir: $dir/$1
geoip: {database: $geoip}
traffic_file: $dir/traffic.yaml
log: {level: info, format: text}
EOF
}
node us-east-1 us-east "$ns1" "$admin1" "$admin2, $admin3" "  embedded: {client_url: \"http://$etcd_ip:2379\", peer_url: \"http://$etcd_ip:2380\"}"
store="  etcd_endpoints: [\"http://$etcd_ip:2379\"]
  username: root
  password_file: $dir/us-east-1/etcd-root.password"
node us-east-2 us-east "$ns2" "$admin2" "$admin1, $admin3" "$store"
node eu-west-1 eu-west "$ns3" "$admin3" "$admin1, $admin2" "$store"

say "starting us-east-1 (with the cluster's etcd), then us-east-2 and eu-west-1"
start us-east-1 "$gtmd" serve --config "$dir/us-east-1.yaml"
wait_for us-east-1 60 ready "$ns1" 8301
start us-east-2 "$gtmd" serve --config "$dir/us-east-2.yaml"
start eu-west-1 "$gtmd" serve --config "$dir/eu-west-1.yaml"
wait_for us-east-2 60 ready "$ns2" 8302
wait_for eu-west-1 60 ready "$ns3" 8303

# The parent: example.com., which delegates gtm.example.com. to the three
# nodes with their glue, as README.md's step 1 says to.
cat >"$dir/parent-traffic.yaml" <<EOF
# The parent zone of the two-regions example (written by run-local.sh).
zones:
  - name: example.com.
    soa: {mname: ns.example.com., rname: hostmaster.example.com.}
    ns: [ns.example.com.]
    records:
      - {name: ns, type: A, data: ["$parent"]}
      - {name: gtm, type: NS, ttl: 3600, data: [ns1.gtm.example.com., ns2.gtm.example.com., ns3.gtm.example.com.]}
      - {name: ns1.gtm, type: A, ttl: 3600, data: ["$ns1"]}
      - {name: ns2.gtm, type: A, ttl: 3600, data: ["$ns2"]}
      - {name: ns3.gtm, type: A, ttl: 3600, data: ["$ns3"]}
      - {name: www, type: CNAME, ttl: 300, data: [www.gtm.example.com.]}
EOF
cat >"$dir/parent.yaml" <<EOF
# The parent zone's server (written by run-local.sh): a gtmd of its own.
node: {id: parent}
dns: {listen: ["$parent:53"]}
admin: {listen: "$parent:8300"}
store:
  embedded: {client_url: "http://$parent:2379", peer_url: "http://$parent:2380"}
data_dir: $dir/parent
traffic_file: $dir/parent-traffic.yaml
log: {level: warn, format: text}
EOF
start parent "$gtmd" serve --config "$dir/parent.yaml"
wait_for "the parent" 60 ready "$parent" 8300

# Unbound: example.com. is found at the parent (a stub zone, as if the
# root and .com had sent it there), and EDNS Client Subnet goes to the
# nodes.
mkdir -p "$dir/unbound"
cat >"$dir/unbound/unbound.conf" <<EOF
# Unbound for the two-regions example (written by run-local.sh).
server:
    interface: $resolver
    port: 53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$dir/unbound"
    pidfile: "$dir/unbound/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 1
    num-threads: 1
    do-not-query-localhost: no
    module-config: "subnetcache iterator"
    send-client-subnet: $net.0/24
    max-client-subnet-ipv4: 24
    prefetch: no
remote-control:
    control-enable: no
stub-zone:
    name: "example.com."
    stub-addr: $parent@53
EOF
start unbound unbound -d -c "$dir/unbound/unbound.conf"
resolves() { [ -n "$(dig +short +time=1 +tries=1 @"$resolver" gtm.example.com SOA)" ]; }
wait_for Unbound 30 resolves

cat <<EOF

ready: the two-regions example runs on loopback; files and logs are in $dir

  resolver (Unbound)   $resolver:53
  parent (example.com) $parent:53
  us-east-1            ns1.gtm.example.com. $ns1:53, admin $admin1, etcd http://$etcd_ip:2379
  us-east-2            ns2.gtm.example.com. $ns2:53, admin $admin2
  eu-west-1            ns3.gtm.example.com. $ns3:53, admin $admin3
  us-east target       http://$us_lb/healthz (pid $(cat "$dir/us-east-target.pid"))
  eu-west target       http://$eu_lb/healthz (pid $(cat "$dir/eu-west-target.pid"))

Try, in another terminal (the geo database is $geoip;
with the repository's test database, 198.18.32.0/24 is in Ashburn, US,
and 198.18.128.0/24 in Frankfurt, DE):

  dig @$resolver www.gtm.example.com +subnet=198.18.32.0/24 +short    # 198.51.100.10 (us-east)
  dig @$resolver www.gtm.example.com +subnet=198.18.128.0/24 +short   # 203.0.113.10 (eu-west)
  dig @$resolver api.gtm.example.com +short                           # 198.51.100.10: us-east first
  dig @$parent gtm.example.com NS +norec                         # the referral, with glue
  export GTMD_ADMIN=$admin1
  $gtmd health
  $gtmd explain www.gtm.example.com A --ecs 198.18.128.0/24 --all-nodes
  $gtmd drain --region us-east --reason "trying it"           # every service leaves us-east
  $gtmd undrain --region us-east
  kill $(cat "$dir/us-east-target.pid")       # us-east goes dark: eu-west answers within about 50 s (checks + TTL 30 s)
  $dir/target -listen $us_lb:80 & echo \$! > $dir/us-east-target.pid   # and back (Ctrl-C here stops it too)

Ctrl-C stops everything.
EOF

# Waiting in the background, so that a signal is handled at once.
while :; do
	sleep 1 &
	sleeper=$!
	wait "$sleeper" || true
done

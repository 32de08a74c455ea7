#!/usr/bin/env bash
# bench/run.sh — what the product promises, measured side by side in one run
# on loopback:
#   throughput  requests/s, p50/p99 latency (wrk) and the proxy's CPU per 10k
#               requests of 1. the demo origin directly, 2. deploy's proxy
#               (access log on, to a file), 3. nginx and 4. haproxy (Debian's)
#               in front of the same origin, for a small response (/) and a
#               256 KiB one (/blob?kb=256), same load generator, same settings;
#   half load   each proxy's p99 at a constant half of its own maximum, minus
#               the origin's p99 at that rate (bench/rate, vegeta);
#   switch      how long a switch and a rollback take to be seen by a client
#               (bench/switchlatency);
#   memory      the controller's RSS with 10 services x 2 slots x 2 instances,
#               idle and under load (bench/memory).
#
# Usage: bash bench/run.sh      (from anywhere; see bench/README.md)
# Tunables (environment): BENCH_THREADS (1), BENCH_CONNS (32),
#   BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_RUNS (3), BENCH_BLOB_KB (256),
#   BENCH_RATE_DURATION (5s), BENCH_RATE_RUNS (3), BENCH_SWITCHES (200), BENCH_MEM_SERVICES (10),
#   BENCH_MEM_DURATION (10s), BENCH_QUIET_WAIT (120: seconds to wait for a busy
#   machine to quiet down first), BENCH_KEEP_TMP=1 keeps the temporary directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-32}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-3s}
RUNS=${BENCH_RUNS:-3}
BLOB_KB=${BENCH_BLOB_KB:-256}
RATE_DURATION=${BENCH_RATE_DURATION:-5s}
RATE_RUNS=${BENCH_RATE_RUNS:-3}
SWITCHES=${BENCH_SWITCHES:-200}
MEM_SERVICES=${BENCH_MEM_SERVICES:-10}
MEM_DURATION=${BENCH_MEM_DURATION:-10s}
QUIET_WAIT=${BENCH_QUIET_WAIT:-120}
HOST_HEADER=bench.test
# One core for each proxy; the origin gets one too, and shares the other core
# with the load generator. None of these processes is pinned (taskset): the
# origin is a child of deploy and would inherit deploy's pinning.
DEPLOY_GOMAXPROCS=1
NGINX_WORKERS=1
HAPROXY_THREADS=1
ORIGIN_GOMAXPROCS=1
# The product's targets, checked at the end.
TARGET_ADDED_P99_MS=1
TARGET_BLOB_VS_NGINX=0.9
TARGET_SWITCH_P99_MS=50
TARGET_RSS_MB=60

exec 4>&2 # log and die write here even where stderr is silenced
log() { printf '[bench] %s\n' "$*" >&4; }
die() { printf '[bench] ERROR: %s\n' "$*" >&4; exit 1; }

# ---------------------------------------------------------------- tools
need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]} (apt-get)"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}" >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}" >/dev/null ||
			die "could not install ${need_apt[*]}"
	fi
fi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
command -v curl >/dev/null 2>&1 || die "curl is needed for the sanity checks"
command -v ss >/dev/null 2>&1 || die "ss (iproute2) is needed to find free ports"

# ---------------------------------------------------------------- clean-up
TMP=$(mktemp -d /tmp/deploy-bench.XXXXXX)
chmod 755 "$TMP" # nginx workers run as nobody and must reach their temp dirs
PICKED=" "       # every port this run picked, free when picked
DEPLOY_PID=""
NGINX_PID=""
HAPROXY_PID=""
MEM_PID=""

# A port is free when no TCP socket uses it at all: a client's connection
# from it (wrk's, say) would make a later bind fail too.
port_free() {
	local p=$1
	[ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ] || return 1
	! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

stop_pid() { # pid signal seconds
	local pid=$1 sig=$2 secs=$3 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid ignored SIG$sig for ${secs}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	[ -n "$HAPROXY_PID" ] && stop_pid "$HAPROXY_PID" TERM 10
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID" QUIT 10
	# --stop-stacks: SIGTERM stops a controller and the instances it runs.
	[ -n "$MEM_PID" ] && stop_pid "$MEM_PID" TERM 60
	[ -n "$DEPLOY_PID" ] && stop_pid "$DEPLOY_PID" TERM 40
	local p pid left=""
	for p in $PICKED; do
		[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] || left+=" $p"
	done
	if [ -n "$left" ]; then
		log "WARNING: still listening after clean-up on port(s):$left"
		for p in $left; do
			# Only ports this run picked (free when picked): kill their owner.
			for pid in $(ss -Htlnp "sport = :$p" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u); do
				log "killing leftover pid $pid on port $p"
				stop_pid "$pid" TERM 5
			done
		done
	fi
	if [ "$rc" -ne 0 ] && [ -d "$TMP" ]; then
		for f in "$TMP"/deploy.log "$TMP"/nginx/error.log "$TMP"/haproxy/stderr.log "$TMP"/mem/deploy.log; do
			[ -s "$f" ] && { log "--- last lines of $f"; tail -n 20 "$f" >&2; }
		done
	fi
	if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_until() { # seconds description command...
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out after ${secs}s waiting for $what"
}

# ---------------------------------------------------------------- build
log "building bin/deploy, bin/demo-app and the bench programs"
go build -o bin/deploy ./cmd/deploy
go build -o bin/demo-app ./examples/demo/app
go build -o "$TMP/switchlatency" ./bench/switchlatency
go build -o "$TMP/memory" ./bench/memory
# bench/rate is a module of its own: vegeta is no dependency of deploy.
go build -C bench/rate -o "$TMP/rate" .
DEPLOY="$ROOT/bin/deploy"
DEMO_APP="$ROOT/bin/demo-app"

# ---------------------------------------------------------------- ports
# Ports are picked below the kernel's range of ephemeral ports, so that no
# client connection of this run (or anyone's) takes one between the pick
# and the bind.
PORT_MIN=20000
PORT_MAX=$(awk '{print $1 - 1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32767)
[ "$PORT_MAX" -gt $((PORT_MIN + 1000)) ] || PORT_MAX=32767
pick_port() { # span -> first of span free consecutive ports
	local span=$1 p i j ok
	for i in $(seq 1 200); do
		p=$((PORT_MIN + RANDOM % (PORT_MAX - PORT_MIN - span)))
		ok=1
		for ((j = p; j < p + span; j++)); do
			case "$PICKED" in *" $j "*) ok=0 ;; esac
			[ "$ok" = 1 ] && port_free "$j" || ok=0
		done
		if [ "$ok" = 1 ]; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}
take_port() { # variable [span]: sets variable to the first of span free ports
	local p j
	p=$(pick_port "${2:-1}") # a subshell: PICKED is added to here
	for ((j = p; j < p + ${2:-1}; j++)); do PICKED+="$j "; done
	printf -v "$1" '%s' "$p"
}
take_port ORIGIN_PORT
take_port OTHER_PORT
take_port PROXY_PORT
take_port NGINX_PORT
take_port HAPROXY_PORT

# ---------------------------------------------------------------- deploy + origin
CFG="$TMP/deploy.hcl"
cat >"$CFG" <<EOF
controller { state_dir = "state" }
proxy {
  listen = ["127.0.0.1:$PROXY_PORT"]
  # As production runs it: every request logged, to a file.
  access_log { path = "$TMP/deploy-access.log" }
}
service "bench" {
  hosts     = ["$HOST_HEADER"]
  default   = true
  instances = 1
  slot "blue"  { base_port = $ORIGIN_PORT }
  slot "green" { base_port = $OTHER_PORT }
  stack {
    command = ["$DEMO_APP"]
    env     = { GOMAXPROCS = "$ORIGIN_GOMAXPROCS" }
    ready { path = "/healthz" }
  }
}
EOF

log "starting deploy serve (GOMAXPROCS=$DEPLOY_GOMAXPROCS) on 127.0.0.1:$PROXY_PORT"
GOMAXPROCS=$DEPLOY_GOMAXPROCS "$DEPLOY" serve --config "$CFG" --stop-stacks >"$TMP/deploy.log" 2>&1 &
DEPLOY_PID=$!
deploy_ready() { kill -0 "$DEPLOY_PID" 2>/dev/null || die "deploy serve exited"; "$DEPLOY" status --config "$CFG"; }
wait_until 30 "deploy serve" deploy_ready
"$DEPLOY" up bench --slot blue --config "$CFG" >&2
"$DEPLOY" switch bench --to blue --config "$CFG" >&2
port_pid() { ss -Htlnp "sport = :$1" | awk 'match($0, /pid=[0-9]+/) && !n++ {print substr($0, RSTART + 4, RLENGTH - 4)}'; }
ORIGIN_PID=$(port_pid "$ORIGIN_PORT")
[ -n "$ORIGIN_PID" ] || die "no process listens on the origin's port $ORIGIN_PORT"

# ---------------------------------------------------------------- nginx
NG="$TMP/nginx"
mkdir -p "$NG"
cat >"$NG/nginx.conf" <<EOF
worker_processes $NGINX_WORKERS;
daemon off;
pid $NG/nginx.pid;
error_log $NG/error.log warn;
events { worker_connections 1024; }
http {
  # Every request logged to a file, as deploy does (one write per request).
  access_log $NG/access.log combined;
  client_body_temp_path $NG/client_body;
  proxy_temp_path $NG/proxy;
  fastcgi_temp_path $NG/fastcgi;
  # Large answers stream through the in-memory buffers and never go to a
  # temporary file: deploy and haproxy keep no body on disk either.
  proxy_max_temp_file_size 0;
  # deploy never closes a keep-alive connection after N requests; neither
  # does nginx here (its default is 1000), on either side.
  keepalive_requests 1000000;
  upstream origin {
    server 127.0.0.1:$ORIGIN_PORT;
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # What deploy's proxy sends too: the client's Host and X-Forwarded-*.
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host \$http_host;
      proxy_set_header X-Forwarded-Proto \$scheme;
    }
  }
}
EOF
"$NGINX" -t -q -c "$NG/nginx.conf" -p "$NG" -e "$NG/error.log" || die "nginx rejected its configuration"
log "starting nginx (worker_processes $NGINX_WORKERS) on 127.0.0.1:$NGINX_PORT"
"$NGINX" -c "$NG/nginx.conf" -p "$NG" -e "$NG/error.log" >"$NG/stdout.log" 2>&1 &
NGINX_PID=$!
nginx_up() { kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited"; ! port_free "$NGINX_PORT"; }
wait_until 10 "nginx" nginx_up
NGINX_WORKER_PIDS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
[ -n "$NGINX_WORKER_PIDS" ] || die "nginx started no worker"

# ---------------------------------------------------------------- haproxy
HP="$TMP/haproxy"
mkdir -p "$HP"
cat >"$HP/haproxy.cfg" <<EOF
global
  nbthread $HAPROXY_THREADS
  maxconn 4096
  # Every request logged to a file, as deploy does: haproxy writes its log
  # lines to stdout (one write per request), which this script sends to
  # $HP/access.log. No syslog daemon in between.
  log stdout format raw local0 info
defaults
  mode http
  log global
  option httplog
  option http-keep-alive
  # Keep-alive to the origin, connections shared between clients as deploy
  # and nginx share theirs.
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT
  # What deploy's proxy sends too: the client's Host and X-Forwarded-*.
  option forwardfor
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header X-Forwarded-Proto http
  default_backend origin
backend origin
  server origin 127.0.0.1:$ORIGIN_PORT
EOF
"$HAPROXY" -c -q -f "$HP/haproxy.cfg" || die "haproxy rejected its configuration"
log "starting haproxy (nbthread $HAPROXY_THREADS) on 127.0.0.1:$HAPROXY_PORT"
"$HAPROXY" -db -f "$HP/haproxy.cfg" >"$HP/access.log" 2>"$HP/stderr.log" &
HAPROXY_PID=$!
haproxy_up() { kill -0 "$HAPROXY_PID" 2>/dev/null || die "haproxy exited"; ! port_free "$HAPROXY_PORT"; }
wait_until 10 "haproxy" haproxy_up

# ---------------------------------------------------------------- targets and cases
NAMES=(direct deploy nginx haproxy)
PROXIES=(deploy nginx haproxy)
declare -A LABEL=([direct]="origin direct" [deploy]="deploy proxy" [nginx]="nginx proxy" [haproxy]="haproxy proxy")
declare -A BASE=(
	[direct]="http://127.0.0.1:$ORIGIN_PORT"
	[deploy]="http://127.0.0.1:$PROXY_PORT"
	[nginx]="http://127.0.0.1:$NGINX_PORT"
	[haproxy]="http://127.0.0.1:$HAPROXY_PORT"
)
# The process whose CPU time a target costs: the proxy's, the origin's for
# the origin itself.
declare -A CPU_PIDS=([direct]="$ORIGIN_PID" [deploy]="$DEPLOY_PID" [nginx]="$NGINX_WORKER_PIDS" [haproxy]="$HAPROXY_PID")
CASES=(small blob)
declare -A CASE_PATH=([small]="/" [blob]="/blob?kb=$BLOB_KB")
declare -A CASE_KEY=([small]="small" [blob]="blob_${BLOB_KB}k")
declare -A CASE_BYTES

want_sum=""
for t in "${NAMES[@]}"; do
	body=$(curl -sS --max-time 5 -H "Host: $HOST_HEADER" "${BASE[$t]}/") || die "$t: ${BASE[$t]}/ does not answer"
	case "$body" in
	*"service=bench slot=blue"*) ;;
	*) die "$t: unexpected answer from ${BASE[$t]}/: $body" ;;
	esac
	CASE_BYTES[small]=$((${#body} + 1)) # $(...) drops the final newline
	sum=$(curl -sS --max-time 5 -H "Host: $HOST_HEADER" "${BASE[$t]}${CASE_PATH[blob]}" | tee "$TMP/blob" | md5sum)
	size=$(stat -c %s "$TMP/blob")
	[ "$size" -eq $((BLOB_KB * 1024)) ] || die "$t: ${CASE_PATH[blob]} answered $size bytes, want $((BLOB_KB * 1024))"
	[ -z "$want_sum" ] || [ "$sum" = "$want_sum" ] || die "$t: ${CASE_PATH[blob]} answered other bytes than the origin"
	want_sum=$sum
done
CASE_BYTES[blob]=$((BLOB_KB * 1024))
declare -A CASE_LABEL=(
	[small]="small response: GET / (${CASE_BYTES[small]} bytes)"
	[blob]="large response: GET ${CASE_PATH[blob]} ($BLOB_KB KiB)"
)

# ---------------------------------------------------------------- environment
go_version=$(go version)
nginx_version=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
haproxy_version=$("$HAPROXY" -v 2>&1 | awk 'NR == 1 {print $3}')
wrk_version=$(wrk -v 2>&1 | head -n1 || true)
vegeta_version=$(awk '$1 == "require" && $2 ~ /vegeta/ {print $3}' bench/rate/go.mod)
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ncpu=$(nproc)
kernel=$(uname -r)
# Read-only, without taking the index lock others may need meanwhile.
export GIT_OPTIONAL_LOCKS=0
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
changes=$(git status --porcelain 2>/dev/null | grep -v ' bench/' || true)
if [ -n "$changes" ]; then commit+="+dirty"; fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# Share of CPU time others use while every target idles, over one second.
cpu_busy() {
	local a b
	a=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN {split(a, x, " "); split(b, y, " ");
		busy = y[1] - x[1]; idle = y[2] - x[2]; printf "%.0f", (busy + idle) ? 100 * busy / (busy + idle) : 0}'
}
busy_start=$(cpu_busy)
# Others' builds and tests come and go on a shared machine: give them a
# moment to end before measuring.
waited=0
while [ "$busy_start" -gt 10 ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
	[ "$waited" -gt 0 ] || log "the machine is ${busy_start}% busy with other work: waiting up to ${QUIET_WAIT}s for it to quiet down"
	sleep 4
	waited=$((waited + 5))
	busy_start=$(cpu_busy)
done
WRK_ARGS="-t$THREADS -c$CONNS -d$DURATION --latency -H 'Host: $HOST_HEADER'"

cat <<EOF
== deploy performance benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC') — commit $commit
machine  : $cpu_model, $ncpu CPUs, Linux $kernel
tools    : $go_version; nginx $nginx_version; haproxy $haproxy_version; $wrk_version; vegeta $vegeta_version
load     : wrk $WRK_ARGS URL  (same for every target and case; ${WARMUP} warm-up per target first)
runs     : $RUNS per target, interleaved (direct, deploy, nginx, haproxy, ...); figures are the MEDIAN of the runs, each column separately
cases    : ${CASE_LABEL[small]}; ${CASE_LABEL[blob]}
origin   : bin/demo-app (GOMAXPROCS=$ORIGIN_GOMAXPROCS), one process started by deploy on 127.0.0.1:$ORIGIN_PORT, behind every proxy
deploy   : bin/deploy serve, GOMAXPROCS=$DEPLOY_GOMAXPROCS, access log on (every request, one JSON line, to a file), 127.0.0.1:$PROXY_PORT
nginx    : worker_processes $NGINX_WORKERS, access_log to a file (combined), upstream keepalive 64, proxy_http_version 1.1,
           keepalive_requests 1000000 both sides, proxy_max_temp_file_size 0, X-Forwarded-* set like deploy
haproxy  : nbthread $HAPROXY_THREADS, option httplog to a file (log stdout), option http-keep-alive, http-reuse always, X-Forwarded-* set like deploy
fairness : each proxy has one core; wrk and the origin share the other. No CPU pinning. Loopback only.
cpu      : utime+stime of the proxy's process (deploy serve, nginx's worker, haproxy) per 10k requests; for the origin row, the origin's
idle cpu : ${busy_start}% busy over 1s before the runs (loadavg $load_start, waited ${waited}s); anything else running skews every figure
EOF
if [ "$busy_start" -gt 10 ]; then
	echo "WARNING: the machine is already ${busy_start}% busy with other work before the runs: figures will be noisy"
fi

# ---------------------------------------------------------------- measure
to_ms() { # wrk duration (e.g. 812.00us, 1.23ms, 1.02s, 1.00m) -> ms
	awk -v v="$1" 'BEGIN {
		n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") n = n / 1000; else if (u == "s") n = n * 1000; else if (u == "m") n = n * 60000
		printf "%.3f", n }'
}
parse_wrk() { # file -> "rps p50ms p99ms requests errors"
	local f=$1 rps p50 p99 reqs errs
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
	p50=$(awk '$1 == "50%" {print $2; exit}' "$f")
	p99=$(awk '$1 == "99%" {print $2; exit}' "$f")
	reqs=$(awk '/requests in/ {print $1; exit}' "$f")
	errs=$(awk '/Socket errors:/ {gsub(/,/, ""); s += $4 + $6 + $8 + $10} /Non-2xx or 3xx responses:/ {s += $5} END {print s + 0}' "$f")
	[ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || die "could not parse wrk output $f"
	echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${reqs:-0} $errs"
}
# CPU time used during a run by anything but this benchmark (other people's
# tests, builds): all busy time minus that of deploy, the origin, nginx,
# haproxy and the load generator. Loopback softirq time is left out of both
# sides. In % of all CPUs.
CLK_TCK=$(getconf CLK_TCK)
our_pids() { echo "$DEPLOY_PID $(pgrep -P "$DEPLOY_PID") $NGINX_PID $NGINX_WORKER_PIDS $HAPROXY_PID"; }
pid_ticks() { # pids... -> utime+stime ticks summed
	local p t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo "$t"
}
sys_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
child_ticks() { # -> CT: CPU ticks of this shell's finished children (the load generator)
	times >"$TMP/times" # in this shell: a subshell would not see them
	CT=$(tail -n1 "$TMP/times" | awk -v hz="$CLK_TCK" '{
		t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.0f", t * hz }')
}
# measured target command...: runs the command (the load generator) and sets
# OTHER_CPU (percent of all CPUs) and TARGET_TICKS (CPU ticks of the
# target's process) for the time it ran.
measured() {
	local target=$1 pids s0 s1 o0 o1 c0 c1 t0 t1
	shift
	pids=$(our_pids)
	read -r -a s0 <<<"$(sys_ticks)"
	o0=$(pid_ticks $pids)
	t0=$(pid_ticks ${CPU_PIDS[$target]})
	child_ticks
	c0=$CT
	"$@"
	t1=$(pid_ticks ${CPU_PIDS[$target]})
	read -r -a s1 <<<"$(sys_ticks)"
	o1=$(pid_ticks $pids)
	child_ticks
	c1=$CT
	TARGET_TICKS=$((t1 - t0))
	OTHER_CPU=$(awk -v busy=$((s1[0] - s0[0])) -v all=$((s1[1] - s0[1])) -v ours=$((o1 - o0 + c1 - c0)) \
		'BEGIN {o = busy - ours; if (o < 0) o = 0; printf "%.0f", all ? 100 * o / all : 0}')
}
wrk_to() { # target case duration outfile
	wrk "-t$THREADS" "-c$CONNS" "-d$3" --latency -H "Host: $HOST_HEADER" "${BASE[$1]}${CASE_PATH[$2]}" >"$4" 2>&1 ||
		die "wrk failed against $1 ($2): $(tail -n 3 "$4")"
}
cpu_per_10k() { # ticks requests -> CPU seconds per 10k requests
	awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN {printf "%.4f", n ? t / hz / n * 10000 : 0}'
}

declare -A RES # [case,target,run] = "rps p50 p99 requests errors other_cpu cpu_per_10k"
MAX_OTHER=0
for c in "${CASES[@]}"; do
	for t in "${NAMES[@]}"; do
		log "warm-up $c: $t ($WARMUP)"
		wrk_to "$t" "$c" "$WARMUP" "$TMP/warmup-$c-$t.txt"
	done
	for ((r = 1; r <= RUNS; r++)); do
		for t in "${NAMES[@]}"; do
			log "run $r/$RUNS $c: $t ($DURATION)"
			f="$TMP/run-$c-$t-$r.txt"
			measured "$t" wrk_to "$t" "$c" "$DURATION" "$f"
			read -r rps p50 p99 reqs errs <<<"$(parse_wrk "$f")"
			RES[$c,$t,$r]="$rps $p50 $p99 $reqs $errs $OTHER_CPU $(cpu_per_10k "$TARGET_TICKS" "$reqs")"
			[ "$OTHER_CPU" -gt "$MAX_OTHER" ] && MAX_OTHER=$OTHER_CPU
			log "  -> req/s p50ms p99ms requests errors other-cpu% cpu-s/10k: ${RES[$c,$t,$r]}"
		done
	done
done

median() { # numbers... -> median
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
		if (NR % 2) printf "%s", a[(NR + 1) / 2]; else printf "%.4f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
declare -A RPS P50 P99 ERRS CPU
for c in "${CASES[@]}"; do
	for t in "${NAMES[@]}"; do
		rs=() p5=() p9=() cp=() e=0
		for ((r = 1; r <= RUNS; r++)); do
			read -r a b d _ n _ u <<<"${RES[$c,$t,$r]}"
			rs+=("$a") p5+=("$b") p9+=("$d") cp+=("$u") e=$((e + n))
		done
		RPS[$c,$t]=$(median "${rs[@]}")
		P50[$c,$t]=$(median "${p5[@]}")
		P99[$c,$t]=$(median "${p9[@]}")
		CPU[$c,$t]=$(median "${cp[@]}")
		ERRS[$c,$t]=$e
	done
done

# ---------------------------------------------------------------- half load
# Each proxy at a constant half of its own maximum, and the origin directly
# at the same rate just before it, so that both see the same machine; the
# pair RATE_RUNS times, the medians of each p99 compared.
declare -A HALF # [case,proxy] = "rate origin_p99 proxy_p99 added_p99 errors held%"
declare -A HALF_JSON
HALF_BAD="" # pairs that did not hold their rate, or had errors
rate_to() { # target case rate outfile
	"$TMP/rate" -url "${BASE[$1]}${CASE_PATH[$2]}" -host "$HOST_HEADER" -rate "$3" -duration "$RATE_DURATION" >"$4" 2>"$4.err" ||
		die "bench/rate failed against $1 ($2): $(tail -n 3 "$4.err")"
}
for c in "${CASES[@]}"; do
	for p in "${PROXIES[@]}"; do
		rate=$(awk -v r="${RPS[$c,$p]}" 'BEGIN {printf "%d", r / 2}')
		for ((r = 1; r <= RATE_RUNS; r++)); do
			log "half load $r/$RATE_RUNS $c: origin, then $p, at $rate req/s ($RATE_DURATION each)"
			for side in origin proxy; do
				t=$p
				[ "$side" = origin ] && t=direct
				f="$TMP/half-$c-$p-$r-$side.json"
				measured "$t" rate_to "$t" "$c" "$rate" "$f"
				[ "$OTHER_CPU" -gt "$MAX_OTHER" ] && MAX_OTHER=$OTHER_CPU
				jq -c --argjson o "$OTHER_CPU" '. + {other_cpu_percent: $o}' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
			done
		done
		HALF_JSON[$c,$p]=$(for ((r = 1; r <= RATE_RUNS; r++)); do
			jq -c -s '{origin: .[0], proxy: .[1]}' "$TMP/half-$c-$p-$r-origin.json" "$TMP/half-$c-$p-$r-proxy.json"
		done | jq -c -s --argjson rate "$rate" '
			def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
			def r3: . * 1000 | round / 1000;
			{rate: $rate,
			 origin_p99_ms: (map(.origin.p99_ms) | median | r3),
			 proxy_p99_ms: (map(.proxy.p99_ms) | median | r3),
			 added_p99_ms: ((map(.proxy.p99_ms) | median) - (map(.origin.p99_ms) | median) | r3),
			 errors: (map(.origin.errors + .proxy.errors) | add),
			 held_percent: (map(.origin, .proxy | .achieved_rate / .rate * 100) | min | floor),
			 runs: .}')
		HALF[$c,$p]=$(jq -r '"\(.rate) \(.origin_p99_ms) \(.proxy_p99_ms) \(.added_p99_ms) \(.errors) \(.held_percent)"' <<<"${HALF_JSON[$c,$p]}")
		read -r _ o99 x99 added e held <<<"${HALF[$c,$p]}"
		if [ "$held" -lt 98 ] || [ "$e" -gt 0 ]; then
			HALF_BAD+=" $c/$p"
		fi
		log "  -> origin p99 ${o99}ms, $p p99 ${x99}ms (medians): added ${added}ms"
	done
done

# ---------------------------------------------------------------- throughput report
overhead() { # case target -> "req/s vs direct; p50 delta; p99 delta"
	local c=$1 t=$2
	if [ "$t" = direct ]; then echo "(baseline)"; return; fi
	awk -v r="${RPS[$c,$t]}" -v r0="${RPS[$c,direct]}" -v a="${P50[$c,$t]}" -v a0="${P50[$c,direct]}" \
		-v b="${P99[$c,$t]}" -v b0="${P99[$c,direct]}" 'BEGIN {
		printf "%+.1f%% req/s, p50 %+.3fms, p99 %+.3fms", (r / r0 - 1) * 100, a - a0, b - b0 }'
}
for c in "${CASES[@]}"; do
	echo
	echo "${CASE_LABEL[$c]}"
	printf '%-14s %10s %9s %9s %7s %11s  %s\n' target "req/s" "p50 ms" "p99 ms" errors "cpu s/10k" "proxy overhead vs direct"
	printf '%-14s %10s %9s %9s %7s %11s  %s\n' -------------- ---------- --------- --------- ------- ----------- ------------------------
	for t in "${NAMES[@]}"; do
		cpu_col=${CPU[$c,$t]}
		[ "$t" = direct ] && cpu_col="($cpu_col)"
		printf '%-14s %10.0f %9.3f %9.3f %7d %11s  %s\n' "${LABEL[$t]}" "${RPS[$c,$t]}" "${P50[$c,$t]}" "${P99[$c,$t]}" \
			"${ERRS[$c,$t]}" "$cpu_col" "$(overhead "$c" "$t")"
	done
done
echo "(cpu s/10k: CPU seconds of the proxy's process per 10,000 requests; in brackets, the origin's own)"
echo
echo "added p99 latency at half of each proxy's own maximum: constant rate (vegeta), origin then proxy at that rate, $RATE_DURATION each,"
echo "$RATE_RUNS pairs; p99 figures are the MEDIAN of the pairs; added = proxy p99 - origin p99"
printf '%-8s %-14s %8s %14s %13s %13s %7s %6s\n' case proxy "req/s" "origin p99 ms" "proxy p99 ms" "added p99 ms" errors "held"
printf '%-8s %-14s %8s %14s %13s %13s %7s %6s\n' -------- -------------- -------- -------------- ------------- ------------- ------- ------
for c in "${CASES[@]}"; do
	for p in "${PROXIES[@]}"; do
		read -r rate o99 x99 added e held <<<"${HALF[$c,$p]}"
		printf '%-8s %-14s %8d %14.3f %13.3f %+13.3f %7d %5d%%\n' "$c" "${LABEL[$p]}" "$rate" "$o99" "$x99" "$added" "$e" "$held"
	done
done
echo "(held: the lower of the origin's and the proxy's achieved rate, in % of the rate asked)"
if [ -n "$HALF_BAD" ]; then
	echo "WARNING: the rate was not held (under 98%) or requests failed in:$HALF_BAD; the machine was too busy for those figures"
fi

# ---------------------------------------------------------------- switch latency
log "switch latency: starting slot green, then $SWITCHES switches, each followed by a rollback"
"$DEPLOY" up bench --slot green --config "$CFG" >&2
"$TMP/switchlatency" -socket "$TMP/state/control.sock" -url "${BASE[deploy]}/" -host "$HOST_HEADER" \
	-service bench -from blue -to green -n "$SWITCHES" >"$TMP/switch.json" || die "bench/switchlatency failed"
"$DEPLOY" down bench --slot green --config "$CFG" >&2
echo
echo "switch latency: from the call until the first request sent after it is answered by the new slot ($SWITCHES of each;"
echo "one client sending requests back to back on a keep-alive connection through deploy's proxy; checks skipped)"
printf '%-9s %8s %8s %8s %14s %14s %14s\n' op "p50 ms" "p99 ms" "max ms" "call p50 ms" "call p99 ms" "proxy flip us"
printf '%-9s %8s %8s %8s %14s %14s %14s\n' --------- -------- -------- -------- -------------- -------------- --------------
for op in switch rollback; do
	jq -r --arg op "$op" '.[$op] | "\($op) \(.p50_ms) \(.p99_ms) \(.max_ms) \(.call_p50_ms) \(.call_p99_ms) \(.swap_p50_us)"' "$TMP/switch.json" |
		{ read -r a b d e f g h; printf '%-9s %8.3f %8.3f %8.3f %14.3f %14.3f %14.0f\n' "$a" "$b" "$d" "$e" "$f" "$g" "$h"; }
done
jq -r '"poller: \(.poll_requests) requests, \(.poll_errors) errors"' "$TMP/switch.json"

# ---------------------------------------------------------------- memory
# A second controller, as production runs it (GOMAXPROCS not set, access
# log on), with MEM_SERVICES services of two slots of two instances each.
MEM="$TMP/mem"
mkdir -p "$MEM"
take_port MEM_PROXY_PORT
mem_services=() mem_hosts=()
{
	echo 'controller { state_dir = "state" }'
	echo "proxy {"
	echo "  listen = [\"127.0.0.1:$MEM_PROXY_PORT\"]"
	echo "  access_log { path = \"$MEM/access.log\" }"
	echo "}"
	for ((i = 1; i <= MEM_SERVICES; i++)); do
		name=$(printf 'svc%02d' "$i")
		mem_services+=("$name") mem_hosts+=("$name.test")
		take_port blue_port 2
		take_port green_port 2
		cat <<EOF
service "$name" {
  hosts     = ["$name.test"]
  instances = 2
  slot "blue"  { base_port = $blue_port }
  slot "green" { base_port = $green_port }
  stack {
    command = ["$DEMO_APP"]
    env     = { GOMAXPROCS = "1" }
    ready { path = "/healthz" }
  }
}
EOF
	done
} >"$MEM/deploy.hcl"
log "memory: starting a controller with $MEM_SERVICES services x 2 slots x 2 instances on 127.0.0.1:$MEM_PROXY_PORT"
"$DEPLOY" serve --config "$MEM/deploy.hcl" --stop-stacks >"$MEM/deploy.log" 2>&1 &
MEM_PID=$!
mem_ready() { kill -0 "$MEM_PID" 2>/dev/null || die "deploy serve (memory) exited"; "$DEPLOY" status --config "$MEM/deploy.hcl"; }
wait_until 30 "deploy serve (memory)" mem_ready
"$TMP/memory" -socket "$MEM/state/control.sock" -pid "$MEM_PID" -url "http://127.0.0.1:$MEM_PROXY_PORT/" \
	-services "$(IFS=,; echo "${mem_services[*]}")" -hosts "$(IFS=,; echo "${mem_hosts[*]}")" \
	-duration "$MEM_DURATION" -wrk "-t$THREADS -c$CONNS" >"$TMP/memory.json" || die "bench/memory failed"
stop_pid "$MEM_PID" TERM 60
MEM_PID=""
echo
jq -r '"controller RSS, \(.services) services x \(.slots_per_service) slots x 2 instances: idle \(.idle_rss_mb | . * 10 | round / 10) MB, " +
	"under load max \(.load_rss_max_mb | . * 10 | round / 10) MB (\(.load_samples) samples; wrk \(.wrk_args), \(.load_requests_per_sec | round) req/s over all services), " +
	"peak (VmHWM) \(.peak_rss_mb | . * 10 | round / 10) MB"' "$TMP/memory.json"

# ---------------------------------------------------------------- targets
echo
TARGETS_JSON=()
target() { # key met description
	local mark="NOT MET"
	[ "$2" = true ] && mark="MET"
	printf 'target %s: %s\n' "$3" "$mark"
	TARGETS_JSON+=("$(jq -c -n --arg k "$1" --argjson met "$2" --arg d "$3" '{($k): {met: $met, detail: $d}}')")
}
is() { awk "BEGIN {exit !($1)}" && echo true || echo false; }
best_other=$(awk -v a="${RPS[small,nginx]}" -v b="${RPS[small,haproxy]}" 'BEGIN {print (a > b) ? a : b}')
target small_rps "$(is "${RPS[small,deploy]} >= $best_other")" \
	"small req/s >= best of nginx/haproxy (deploy ${RPS[small,deploy]}, best $best_other)"
for c in "${CASES[@]}"; do
	read -r rate _ _ added _ _ <<<"${HALF[$c,deploy]}"
	note=""
	case "$HALF_BAD " in *" $c/deploy "*) note="; rate not held, unreliable" ;; esac
	target "added_p99_$c" "$(is "$added < $TARGET_ADDED_P99_MS")" \
		"$c: added p99 at half load < ${TARGET_ADDED_P99_MS}ms (deploy $(printf '%+.3f' "$added")ms at $rate req/s$note)"
done
target blob_rps "$(is "${RPS[blob,deploy]} >= $TARGET_BLOB_VS_NGINX * ${RPS[blob,nginx]}")" \
	"$BLOB_KB KiB req/s within 10% of nginx (deploy ${RPS[blob,deploy]}, nginx ${RPS[blob,nginx]})"
read -r sw_p99 rb_p99 <<<"$(jq -r '"\(.switch.p99_ms) \(.rollback.p99_ms)"' "$TMP/switch.json")"
target switch_p99 "$(is "$sw_p99 < $TARGET_SWITCH_P99_MS && $rb_p99 < $TARGET_SWITCH_P99_MS")" \
	"switch and rollback p99 < ${TARGET_SWITCH_P99_MS}ms (switch ${sw_p99}ms, rollback ${rb_p99}ms)"
rss_max=$(jq -r '[.idle_rss_mb, .load_rss_max_mb] | max | . * 10 | round / 10' "$TMP/memory.json")
target rss "$(is "$rss_max < $TARGET_RSS_MB")" "controller RSS < ${TARGET_RSS_MB}MB, idle and under load (max ${rss_max}MB)"

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
total_errs=0
for c in "${CASES[@]}"; do for t in "${NAMES[@]}"; do total_errs=$((total_errs + ERRS[$c,$t])); done; done
echo
if [ "$MAX_OTHER" -gt 10 ]; then
	echo "WARNING: other work used up to ${MAX_OTHER}% of the CPUs during a run: these figures are skewed; rerun on a quiet machine"
else
	echo "quiet machine: other work used at most ${MAX_OTHER}% of the CPUs during any run"
fi
[ "$total_errs" -eq 0 ] || echo "WARNING: $total_errs socket errors or non-2xx responses during the runs: see the errors column"

# ---------------------------------------------------------------- JSON
jstr() { jq -n --arg s "$1" '$s'; }
mkdir -p bench/results
OUT="bench/results/bench-$(date '+%Y%m%d-%H%M%S').json"
{
	printf '{\n'
	printf '"date": %s,\n' "$(jstr "$(date -u '+%Y-%m-%dT%H:%M:%SZ')")"
	printf '"commit": %s,\n' "$(jstr "$commit")"
	printf '"worktree_changes": %s,\n' "$(printf '%s\n' "$changes" | jq -R . | jq -s -c 'map(select(. != ""))')"
	printf '"settings": {\n'
	printf '"wrk_args": %s,\n' "$(jstr "$WRK_ARGS")"
	printf '"warmup": %s, "runs_per_target": %d,\n' "$(jstr "$WARMUP")" "$RUNS"
	printf '"aggregate": "median of the runs, each figure separately; runs interleaved",\n'
	printf '"rate_duration": %s, "rate_runs": %d, "switches": %d, "memory_services": %d, "memory_load_duration": %s,\n' \
		"$(jstr "$RATE_DURATION")" "$RATE_RUNS" "$SWITCHES" "$MEM_SERVICES" "$(jstr "$MEM_DURATION")"
	printf '"deploy_gomaxprocs": %d, "origin_gomaxprocs": %d, "nginx_worker_processes": %d, "haproxy_nbthread": %d,\n' \
		"$DEPLOY_GOMAXPROCS" "$ORIGIN_GOMAXPROCS" "$NGINX_WORKERS" "$HAPROXY_THREADS"
	printf '"access_logs": "deploy: access_log to a file (JSON lines); nginx: access_log to a file (combined); haproxy: option httplog, log stdout to a file",\n'
	printf '"nginx_upstream_keepalive": 64, "nginx_keepalive_requests": 1000000, "nginx_proxy_max_temp_file_size": 0,\n'
	printf '"haproxy_options": "option http-keep-alive, http-reuse always",\n'
	printf '"cpu_pinning": false,\n'
	printf '"nginx_version": %s, "haproxy_version": %s, "go_version": %s, "wrk_version": %s, "vegeta_version": %s,\n' \
		"$(jstr "$nginx_version")" "$(jstr "$haproxy_version")" "$(jstr "$go_version")" "$(jstr "$wrk_version")" "$(jstr "$vegeta_version")"
	printf '"cpu_model": %s, "cpus": %d, "kernel": %s,\n' "$(jstr "$cpu_model")" "$ncpu" "$(jstr "$kernel")"
	printf '"cpu_busy_percent_before_runs": %d, "loadavg_start": %s, "loadavg_end": %s\n' \
		"$busy_start" "$(jstr "$load_start")" "$(jstr "$load_end")"
	printf '},\n'
	printf '"throughput": {\n'
	for c in "${CASES[@]}"; do
		[ "$c" = "${CASES[0]}" ] || printf ',\n'
		printf '%s: {"path": %s, "response_bytes": %d, "targets": {\n' "$(jstr "${CASE_KEY[$c]}")" "$(jstr "${CASE_PATH[$c]}")" "${CASE_BYTES[$c]}"
		for t in "${NAMES[@]}"; do
			[ "$t" = "${NAMES[0]}" ] || printf ',\n'
			cpu_key=proxy_cpu_s_per_10k
			[ "$t" = direct ] && cpu_key=origin_cpu_s_per_10k
			printf '"%s": {"url": %s, "requests_per_sec": %s, "p50_ms": %s, "p99_ms": %s, "errors": %d, "%s": %s, "runs": [' \
				"$t" "$(jstr "${BASE[$t]}${CASE_PATH[$c]}")" "${RPS[$c,$t]}" "${P50[$c,$t]}" "${P99[$c,$t]}" "${ERRS[$c,$t]}" "$cpu_key" "${CPU[$c,$t]}"
			for ((r = 1; r <= RUNS; r++)); do
				read -r a b d n e o u <<<"${RES[$c,$t,$r]}"
				[ "$r" -gt 1 ] && printf ', '
				printf '{"requests_per_sec": %s, "p50_ms": %s, "p99_ms": %s, "requests": %s, "errors": %s, "other_cpu_percent": %s, "%s": %s}' \
					"$a" "$b" "$d" "$n" "$e" "$o" "$cpu_key" "$u"
			done
			printf ']}'
		done
		printf '}}'
	done
	printf '},\n'
	printf '"half_load": {\n'
	for c in "${CASES[@]}"; do
		[ "$c" = "${CASES[0]}" ] || printf ',\n'
		printf '%s: {' "$(jstr "${CASE_KEY[$c]}")"
		for p in "${PROXIES[@]}"; do
			[ "$p" = "${PROXIES[0]}" ] || printf ', '
			printf '"%s": %s' "$p" "${HALF_JSON[$c,$p]}"
		done
		printf '}'
	done
	printf '},\n'
	printf '"switch": %s,\n' "$(cat "$TMP/switch.json")"
	printf '"memory": %s,\n' "$(cat "$TMP/memory.json")"
	printf '"targets": %s,\n' "$(printf '%s\n' "${TARGETS_JSON[@]}" | jq -s -c 'add')"
	printf '"max_other_cpu_percent": %d\n' "$MAX_OTHER"
	printf '}\n'
} >"$OUT.tmp"
jq . "$OUT.tmp" >"$OUT" || die "the results are not valid JSON: see $OUT.tmp"
rm -f "$OUT.tmp"
echo "results: $OUT"

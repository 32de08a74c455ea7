#!/usr/bin/env bash
# bench/run.sh — requests/s and p50/p99 latency, side by side in one run, of
#   1. the demo origin directly,
#   2. deploy's embedded proxy in front of that origin,
#   3. nginx (Debian's) in front of the same origin,
# on loopback, with the same load generator (wrk) and the same settings.
#
# Usage: bash bench/run.sh      (from anywhere; see bench/README.md)
# Tunables (environment): BENCH_THREADS (1), BENCH_CONNS (32),
#   BENCH_DURATION (10s), BENCH_WARMUP (3s), BENCH_RUNS (3),
#   BENCH_KEEP_TMP=1 keeps the temporary directory (configs, logs).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

THREADS=${BENCH_THREADS:-1}
CONNS=${BENCH_CONNS:-32}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-3s}
RUNS=${BENCH_RUNS:-3}
HOST_HEADER=bench.test
# One core for each proxy; the origin gets one too, and shares the other core
# with wrk. None of these processes is pinned (taskset): the origin is a child
# of deploy and would inherit deploy's pinning.
DEPLOY_GOMAXPROCS=1
NGINX_WORKERS=1
ORIGIN_GOMAXPROCS=1

exec 4>&2 # log and die write here even where stderr is silenced
log() { printf '[bench] %s\n' "$*" >&4; }
die() { printf '[bench] ERROR: %s\n' "$*" >&4; exit 1; }

# ---------------------------------------------------------------- tools
need_apt=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]} (apt-get)"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}" >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get update >/dev/null 2>&1 || true
		DEBIAN_FRONTEND=noninteractive apt-get install -y "${need_apt[@]}" >/dev/null ||
			die "could not install ${need_apt[*]}"
	fi
fi
NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
command -v curl >/dev/null 2>&1 || die "curl is needed for the sanity checks"
command -v ss >/dev/null 2>&1 || die "ss (iproute2) is needed to find free ports"

# ---------------------------------------------------------------- build
log "building bin/deploy and bin/demo-app"
go build -o bin/deploy ./cmd/deploy
go build -o bin/demo-app ./examples/demo/app
DEPLOY="$ROOT/bin/deploy"
DEMO_APP="$ROOT/bin/demo-app"

# ---------------------------------------------------------------- ports
PICKED=" "
port_free() {
	local p=$1
	[ -z "$(ss -Htln "sport = :$p" 2>/dev/null)" ] || return 1
	! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		case "$PICKED" in *" $p "*) continue ;; esac
		if port_free "$p"; then
			PICKED+="$p "
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}
ORIGIN_PORT=$(free_port)
OTHER_PORT=$(free_port)
PROXY_PORT=$(free_port)
NGINX_PORT=$(free_port)

# ---------------------------------------------------------------- clean-up
TMP=$(mktemp -d /tmp/deploy-bench.XXXXXX)
chmod 755 "$TMP" # nginx workers run as nobody and must reach their temp dirs
DEPLOY_PID=""
NGINX_PID=""

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
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID" QUIT 10
	# --stop-stacks: SIGTERM stops the controller and the origin it runs.
	[ -n "$DEPLOY_PID" ] && stop_pid "$DEPLOY_PID" TERM 40
	local p left=""
	for p in $ORIGIN_PORT $OTHER_PORT $PROXY_PORT $NGINX_PORT; do
		port_free "$p" || left+=" $p"
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
		for f in "$TMP"/deploy.log "$TMP"/nginx/error.log; do
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

# ---------------------------------------------------------------- deploy + origin
CFG="$TMP/deploy.hcl"
cat >"$CFG" <<EOF
controller { state_dir = "state" }
proxy { listen = ["127.0.0.1:$PROXY_PORT"] }
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
  access_log off;
  client_body_temp_path $NG/client_body;
  proxy_temp_path $NG/proxy;
  fastcgi_temp_path $NG/fastcgi;
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

# ---------------------------------------------------------------- targets
NAMES=(direct deploy nginx)
declare -A LABEL=([direct]="origin direct" [deploy]="deploy proxy" [nginx]="nginx proxy")
declare -A URL=(
	[direct]="http://127.0.0.1:$ORIGIN_PORT/"
	[deploy]="http://127.0.0.1:$PROXY_PORT/"
	[nginx]="http://127.0.0.1:$NGINX_PORT/"
)
for t in "${NAMES[@]}"; do
	body=$(curl -sS --max-time 5 -H "Host: $HOST_HEADER" "${URL[$t]}") || die "$t: ${URL[$t]} does not answer"
	case "$body" in
	*"service=bench slot=blue"*) ;;
	*) die "$t: unexpected answer from ${URL[$t]}: $body" ;;
	esac
done

# ---------------------------------------------------------------- environment
go_version=$(go version)
nginx_version=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
wrk_version=$(wrk -v 2>&1 | head -n1 || true)
cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
ncpu=$(nproc)
kernel=$(uname -r)
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
WRK_ARGS="-t$THREADS -c$CONNS -d$DURATION --latency -H 'Host: $HOST_HEADER'"

cat <<EOF
== deploy proxy benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC') — commit $commit
machine  : $cpu_model, $ncpu CPUs, Linux $kernel
tools    : $go_version; nginx $nginx_version; $wrk_version
load     : wrk $WRK_ARGS URL  (same for every target; ${WARMUP} warm-up per target first)
runs     : $RUNS per target, interleaved (direct, deploy, nginx, ...); figures are the MEDIAN of the runs, each column separately
origin   : bin/demo-app (GOMAXPROCS=$ORIGIN_GOMAXPROCS), one process started by deploy on 127.0.0.1:$ORIGIN_PORT, used by all three targets
deploy   : bin/deploy serve, GOMAXPROCS=$DEPLOY_GOMAXPROCS (logs no request), 127.0.0.1:$PROXY_PORT
nginx    : worker_processes $NGINX_WORKERS, access_log off (deploy logs no request either), upstream keepalive 64,
           proxy_http_version 1.1, Connection "", keepalive_requests 1000000 both sides, X-Forwarded-* set like deploy
fairness : each proxy has one core; wrk and the origin share the other. No CPU pinning. Loopback only.
idle cpu : ${busy_start}% busy over 1s before the runs (loadavg $load_start); anything else running skews every figure
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
# tests, builds): all busy time minus that of deploy, the origin, nginx and
# wrk. Loopback softirq time is left out of both sides. In % of all CPUs.
CLK_TCK=$(getconf CLK_TCK)
our_pids() { echo "$DEPLOY_PID $(pgrep -P "$DEPLOY_PID") $NGINX_PID $(pgrep -P "$NGINX_PID")"; }
pid_ticks() { # pids... -> utime+stime ticks summed
	local p t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
	done
	echo "$t"
}
sys_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
child_ticks() { # -> CT: CPU ticks of this shell's finished children (wrk)
	times >"$TMP/times" # in this shell: a subshell would not see them
	CT=$(tail -n1 "$TMP/times" | awk -v hz="$CLK_TCK" '{
		t = 0; for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
		printf "%.0f", t * hz }')
}
run_wrk() { # target duration outfile -> sets OTHER_CPU (percent)
	local pids s0 s1 o0 o1 c0 c1
	pids=$(our_pids)
	read -r -a s0 <<<"$(sys_ticks)"
	o0=$(pid_ticks $pids)
	child_ticks
	c0=$CT
	wrk "-t$THREADS" "-c$CONNS" "-d$2" --latency -H "Host: $HOST_HEADER" "${URL[$1]}" >"$3" 2>&1 ||
		die "wrk failed against $1: $(tail -n 3 "$3")"
	read -r -a s1 <<<"$(sys_ticks)"
	o1=$(pid_ticks $pids)
	child_ticks
	c1=$CT
	OTHER_CPU=$(awk -v busy=$((s1[0] - s0[0])) -v all=$((s1[1] - s0[1])) -v ours=$((o1 - o0 + c1 - c0)) \
		'BEGIN {o = busy - ours; if (o < 0) o = 0; printf "%.0f", all ? 100 * o / all : 0}')
}

for t in "${NAMES[@]}"; do
	log "warm-up $t ($WARMUP)"
	run_wrk "$t" "$WARMUP" "$TMP/warmup-$t.txt"
done
declare -A RES
for ((r = 1; r <= RUNS; r++)); do
	for t in "${NAMES[@]}"; do
		log "run $r/$RUNS: $t ($DURATION)"
		run_wrk "$t" "$DURATION" "$TMP/run-$t-$r.txt"
		RES[$t,$r]="$(parse_wrk "$TMP/run-$t-$r.txt") $OTHER_CPU"
		log "  -> req/s p50ms p99ms requests errors other-cpu%: ${RES[$t,$r]}"
	done
done

median() { # numbers... -> median
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {
		if (NR % 2) printf "%s", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
declare -A RPS P50 P99 ERRS
MAX_OTHER=0
for t in "${NAMES[@]}"; do
	rs=() p5=() p9=() e=0
	for ((r = 1; r <= RUNS; r++)); do
		read -r a b c _ d o <<<"${RES[$t,$r]}"
		rs+=("$a") p5+=("$b") p9+=("$c") e=$((e + d))
		[ "$o" -gt "$MAX_OTHER" ] && MAX_OTHER=$o
	done
	RPS[$t]=$(median "${rs[@]}")
	P50[$t]=$(median "${p5[@]}")
	P99[$t]=$(median "${p9[@]}")
	ERRS[$t]=$e
done

# ---------------------------------------------------------------- report
overhead() { # target -> "req/s vs direct; p50 delta; p99 delta"
	local t=$1
	if [ "$t" = direct ]; then echo "(baseline)"; return; fi
	awk -v r="${RPS[$t]}" -v r0="${RPS[direct]}" -v a="${P50[$t]}" -v a0="${P50[direct]}" \
		-v b="${P99[$t]}" -v b0="${P99[direct]}" 'BEGIN {
		printf "%+.1f%% req/s, p50 %+.3fms, p99 %+.3fms", (r / r0 - 1) * 100, a - a0, b - b0 }'
}
echo
printf '%-14s %12s %10s %10s %7s  %s\n' target "req/s" "p50 ms" "p99 ms" errors "proxy overhead vs direct"
printf '%-14s %12s %10s %10s %7s  %s\n' -------------- ------------ ---------- ---------- ------- ------------------------
for t in "${NAMES[@]}"; do
	printf '%-14s %12.0f %10.3f %10.3f %7d  %s\n' "${LABEL[$t]}" "${RPS[$t]}" "${P50[$t]}" "${P99[$t]}" "${ERRS[$t]}" "$(overhead "$t")"
done
echo
ratio=$(awk -v a="${RPS[deploy]}" -v b="${RPS[nginx]}" 'BEGIN {printf "%.3f", a / b}')
if awk -v a="${RPS[deploy]}" -v b="${RPS[nginx]}" 'BEGIN {exit !(a >= b)}'; then
	verdict=true
	echo "target deploy req/s >= nginx req/s: MET in this run (deploy ${RPS[deploy]} vs nginx ${RPS[nginx]}, ratio $ratio)"
else
	verdict=false
	echo "target deploy req/s >= nginx req/s: NOT MET in this run (deploy ${RPS[deploy]} vs nginx ${RPS[nginx]}, ratio $ratio)"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
total_errs=$((ERRS[direct] + ERRS[deploy] + ERRS[nginx]))
if [ "$MAX_OTHER" -gt 10 ]; then
	echo "WARNING: other work used up to ${MAX_OTHER}% of the CPUs during a run: these figures are skewed; rerun on a quiet machine"
else
	echo "quiet machine: other work used at most ${MAX_OTHER}% of the CPUs during any run"
fi
[ "$total_errs" -eq 0 ] || echo "WARNING: $total_errs socket errors or non-2xx responses during the runs: see the errors column"

# ---------------------------------------------------------------- JSON
jstr() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
mkdir -p bench/results
OUT="bench/results/bench-$(date '+%Y%m%d-%H%M%S').json"
{
	printf '{\n'
	printf '  "date": %s,\n' "$(jstr "$(date -u '+%Y-%m-%dT%H:%M:%SZ')")"
	printf '  "commit": %s,\n' "$(jstr "$commit")"
	printf '  "worktree_changes": ['
	first=1
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		[ "$first" = 1 ] || printf ', '
		first=0
		printf '%s' "$(jstr "$line")"
	done <<<"$changes"
	printf '],\n'
	printf '  "settings": {\n'
	printf '    "wrk_args": %s,\n' "$(jstr "$WRK_ARGS")"
	printf '    "warmup": %s,\n' "$(jstr "$WARMUP")"
	printf '    "runs_per_target": %d,\n' "$RUNS"
	printf '    "aggregate": "median of the runs, each figure separately; runs interleaved",\n'
	printf '    "deploy_gomaxprocs": %d,\n' "$DEPLOY_GOMAXPROCS"
	printf '    "origin_gomaxprocs": %d,\n' "$ORIGIN_GOMAXPROCS"
	printf '    "nginx_worker_processes": %d,\n' "$NGINX_WORKERS"
	printf '    "nginx_access_log": "off",\n'
	printf '    "nginx_upstream_keepalive": 64,\n'
	printf '    "nginx_keepalive_requests": 1000000,\n'
	printf '    "cpu_pinning": false,\n'
	printf '    "nginx_version": %s,\n' "$(jstr "$nginx_version")"
	printf '    "go_version": %s,\n' "$(jstr "$go_version")"
	printf '    "wrk_version": %s,\n' "$(jstr "$wrk_version")"
	printf '    "cpu_model": %s,\n' "$(jstr "$cpu_model")"
	printf '    "cpus": %d,\n' "$ncpu"
	printf '    "kernel": %s,\n' "$(jstr "$kernel")"
	printf '    "cpu_busy_percent_before_runs": %d,\n' "$busy_start"
	printf '    "loadavg_start": %s,\n' "$(jstr "$load_start")"
	printf '    "loadavg_end": %s\n' "$(jstr "$load_end")"
	printf '  },\n'
	printf '  "results": {\n'
	i=0
	for t in "${NAMES[@]}"; do
		i=$((i + 1))
		printf '    "%s": {\n' "$t"
		printf '      "url": %s,\n' "$(jstr "${URL[$t]}")"
		printf '      "requests_per_sec": %s,\n' "${RPS[$t]}"
		printf '      "p50_ms": %s,\n' "${P50[$t]}"
		printf '      "p99_ms": %s,\n' "${P99[$t]}"
		printf '      "errors": %d,\n' "${ERRS[$t]}"
		printf '      "runs": ['
		for ((r = 1; r <= RUNS; r++)); do
			read -r a b c n d o <<<"${RES[$t,$r]}"
			[ "$r" -gt 1 ] && printf ', '
			printf '{"requests_per_sec": %s, "p50_ms": %s, "p99_ms": %s, "requests": %s, "errors": %s, "other_cpu_percent": %s}' "$a" "$b" "$c" "$n" "$d" "$o"
		done
		printf ']\n'
		if [ "$i" -lt ${#NAMES[@]} ]; then printf '    },\n'; else printf '    }\n'; fi
	done
	printf '  },\n'
	printf '  "max_other_cpu_percent": %d,\n' "$MAX_OTHER"
	printf '  "deploy_vs_nginx_rps_ratio": %s,\n' "$ratio"
	printf '  "deploy_rps_ge_nginx": %s\n' "$verdict"
	printf '}\n'
} >"$OUT"
echo "results: $OUT"

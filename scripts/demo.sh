#!/usr/bin/env bash
# The demo: start the controller on examples/demo/deploy.hcl, bring up blue
# and switch to it (served over HTTP and HTTPS), release a build to green through the whole pipeline
# (checks, switch, watch), watch a broken release stopped by its checks, try
# maintenance, roll back, restart the live slot instance by instance, purge
# the cache, and show status and history. Everything it starts
# is stopped at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

config=examples/demo/deploy.hcl
deploy() { ./bin/deploy "$@" --config "$config"; }
step() { printf '\n\033[1m$ deploy %s\033[0m\n' "$*"; deploy "$@"; }
visit() {
	printf '  a visitor gets: '
	curl -sS -H "Host: ${1:-demo.localhost}" http://127.0.0.1:8080/
}

# The demo's HTTPS listener, trusting the controller's local development CA;
# the first certificate is issued in the background, so wait for it.
visit_https() {
	printf '  over HTTPS: '
	for _ in $(seq 50); do
		curl -sS --cacert examples/demo/.deploy/tls/local-ca/root.crt \
			--resolve demo.localhost:8443:127.0.0.1 https://demo.localhost:8443/ 2>/dev/null && return
		sleep 0.1
	done
	curl -sS --cacert examples/demo/.deploy/tls/local-ca/root.crt \
		--resolve demo.localhost:8443:127.0.0.1 https://demo.localhost:8443/
}

if deploy status >/dev/null 2>&1; then
	echo "a deploy controller is already running on $config; stop it first" >&2
	exit 1
fi
rm -rf examples/demo/.deploy examples/demo/build examples/demo/build-broken
mkdir -p examples/demo/build/bin examples/demo/build-broken/bin
cp bin/demo-app examples/demo/build/bin/
# A broken build: it answers 500 to everything but its health path.
cp bin/demo-app examples/demo/build-broken/bin/
echo 0 >examples/demo/build-broken/fail-after

log=$(mktemp)
./bin/deploy serve --config "$config" --stop-stacks >"$log" 2>&1 &
serve=$!
cleanup() {
	kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	rm -f "$log"
	rm -rf examples/demo/build-broken
}
trap cleanup EXIT
for _ in $(seq 100); do
	deploy status >/dev/null 2>&1 && break
	kill -0 "$serve" 2>/dev/null || { cat "$log"; exit 1; }
	sleep 0.1
done
echo "controller running (pid $serve), proxy on http://127.0.0.1:8080/"

step up demo --slot blue
step switch demo --to blue
visit
visit_https
step release demo --from examples/demo/build --release demo-2 --yes --reason "demo release"
visit
printf '  the previous slot, still warm, on the preview host:\n'
visit preview.demo.localhost
step check demo --slot blue
step rollback demo --reason "demo rollback"
visit
step maintenance on demo --message "Back in a minute"
visit
step maintenance off demo
printf '\n\033[1m$ deploy release demo --from examples/demo/build-broken --release demo-broken --yes\033[0m\n'
code=0
deploy release demo --from examples/demo/build-broken --release demo-broken --yes || code=$?
printf '  exit code %s: the broken build failed its checks, nothing was switched\n' "$code"
visit
printf '\n  the theme file, twice: the second answer comes from the proxy'"'"'s cache\n'
for _ in 1 2; do curl -sS -H "Host: demo.localhost" http://127.0.0.1:8080/static/theme.css; done
step restart demo --reason "demo: restart the live slot, one instance at a time"
visit
step cache purge demo --path "/static/*"
step status
step history demo

printf '\nstopping the controller and its slots\n'

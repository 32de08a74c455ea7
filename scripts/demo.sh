#!/usr/bin/env bash
# The demo: start the controller on examples/demo/deploy.hcl, bring up blue,
# switch to it, bring up green, switch, roll back, and show status and
# history. Everything it starts is stopped at the end, even on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

config=examples/demo/deploy.hcl
deploy() { ./bin/deploy "$@" --config "$config"; }
step() { printf '\n\033[1m$ deploy %s\033[0m\n' "$*"; deploy "$@"; }
visit() {
	printf '  a visitor gets: '
	curl -fsS -H 'Host: demo.localhost' http://127.0.0.1:8080/
}

if deploy status >/dev/null 2>&1; then
	echo "a deploy controller is already running on $config; stop it first" >&2
	exit 1
fi
rm -rf examples/demo/.deploy

log=$(mktemp)
./bin/deploy serve --config "$config" --stop-stacks >"$log" 2>&1 &
serve=$!
cleanup() {
	kill -TERM "$serve" 2>/dev/null && wait "$serve" 2>/dev/null || true
	rm -f "$log"
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
step up demo --slot green
step switch demo --to green --reason "demo release"
visit
visit
step rollback demo --reason "demo rollback"
visit
step status
step down demo --slot green
step history demo

printf '\nstopping the controller and its slots\n'

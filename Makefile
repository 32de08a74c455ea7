# The front door: make demo, make test, make lint, make bench.

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Fuzz budgets are execution counts, not durations: a duration races Go's
# fuzz coordinator at its deadline and fails with "context deadline exceeded"
# on a busy machine (go.dev/issue/75804, fixed in Go 1.27).
FUZZ_PARSE   ?= 100000x
FUZZ_EXTRACT ?= 8000x
FUZZ_ZEO     ?= 200000x
FUZZ_CACHE   ?= 100000x
FUZZ_REWRITE ?= 50000x
FUZZ_API     ?= 2000x

.PHONY: all build plugins proto demo test race fuzz lint bench soak clean

all: build

build: plugins
	$(GO) build -o bin/deploy ./cmd/deploy
	$(GO) build -o bin/demo-app ./examples/demo/app

# The example plugins, named by the rule deploy finds them by in a
# plugin_dir: deploy-plugin-<kind>-<name>.
plugins:
	$(GO) build -o bin/plugins/ ./plugins/cmd/...

# Regenerates the committed gRPC code from plugins/proto (installs protoc
# from Debian and the Go generators with go install when missing).
proto:
	bash plugins/proto/generate.sh

# A scripted demonstration on examples/demo/deploy.hcl: up blue, switch,
# up green, switch, rollback, status, history; leaves nothing running.
demo: build
	bash scripts/demo.sh

# The whole suite, race-checked, plus a short run of every fuzz target.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=$(FUZZ_PARSE) ./config/
	$(GO) test -run=NONE -fuzz=FuzzExtract -fuzztime=$(FUZZ_EXTRACT) -fuzzminimizetime=200x ./stacks/release/
	$(GO) test -run=NONE -fuzz=FuzzReadMessage -fuzztime=$(FUZZ_ZEO) ./zeo/
	$(GO) test -run=NONE -fuzz=FuzzServe -fuzztime=$(FUZZ_CACHE) ./proxy/httpcache/
	$(GO) test -run=NONE -fuzz=FuzzRewrite -fuzztime=$(FUZZ_REWRITE) ./proxy/
	$(GO) test -run=NONE -fuzz=FuzzDecodeRequest -fuzztime=$(FUZZ_API) ./orchestrator/

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# The product's performance promises against their targets (bench/README.md:
# throughput against nginx and haproxy, half-load latency, switch latency,
# memory), then release unpacking against tar.
bench: build
	bash bench/run.sh
	command -v zstd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd
	$(GO) run ./bench/unpack -json bench/results/unpack-$$(date +%Y%m%d-%H%M%S).json

# The long runs of the reliability tests: 1,000 switches and rollbacks under
# 32 clients, and 100 kills of the controller at random points of a switch;
# each prints its figures.
soak:
	DEPLOY_SOAK=1 $(GO) test -race -count=1 -v -timeout 60m -run 'TestSwitch_UnderLoadFailsNoRequest|TestServe_Kill9DuringSwitches' ./e2e/

clean:
	rm -rf bin examples/demo/.deploy

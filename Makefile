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

.PHONY: all build plugins proto demo test race fuzz lint bench clean

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
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz

fuzz:
	$(GO) test -run=NONE -fuzz=FuzzParse -fuzztime=$(FUZZ_PARSE) ./config/
	$(GO) test -run=NONE -fuzz=FuzzExtract -fuzztime=$(FUZZ_EXTRACT) -fuzzminimizetime=200x ./stacks/release/
	$(GO) test -run=NONE -fuzz=FuzzReadMessage -fuzztime=$(FUZZ_ZEO) ./zeo/
	$(GO) test -run=NONE -fuzz=FuzzServe -fuzztime=$(FUZZ_CACHE) ./proxy/httpcache/

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

bench: build
	bash bench/run.sh
	command -v zstd >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zstd
	$(GO) run ./bench/unpack -json bench/results/unpack-$$(date +%Y%m%d-%H%M%S).json

clean:
	rm -rf bin examples/demo/.deploy

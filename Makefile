# OpenEvents: the Makefile is the interface (STYLE.md "Tooling").
# `make` alone lists the targets. CI runs `make ci` through .ci/run.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

GO ?= go
GOFMT ?= gofmt

# Pinned tools live in a git-ignored folder, installed by `make tools`.
TOOLS_DIR := $(CURDIR)/.tools
GOLANGCI_LINT_VERSION := v2.15.0
GOLANGCI_LINT := $(TOOLS_DIR)/golangci-lint

# Fuzz smoke: each entry is pkgdir:FuzzName; every one must exist. go test
# exits 0 when -fuzz matches nothing, so the fuzz target checks each name with
# go test -list first and fails on a missing one.
#
# The budget is a count of executions, not a duration: Go 1.26's fuzz
# coordinator can report a spurious "context deadline exceeded" failure when a
# duration -fuzztime expires while a worker is mid-call (golang/go#75804,
# fixed in Go 1.27); a count has no deadline to race. FUZZTIME=30s still works
# for a longer local run.
FUZZTIME ?= 100000x
FUZZ_TARGETS ?= ./event:FuzzPlainValid ./event/format/jsonformat:FuzzDecode ./event/format/jsonformat:FuzzDecodeBatch ./event/sdkgo:FuzzDifferential ./event/binding:FuzzDecodeHeaderValue ./transports/http:FuzzDetectMode ./transports/http:FuzzBinaryHeader ./event/format/protoformat:FuzzDecode ./event/format/protoformat:FuzzDecodeBatch ./transports/grpc:FuzzFrame ./transports/mqtt:FuzzReceive ./transports/mqtt:FuzzLimitConn ./transports/grpc:FuzzMessages

# Go files we own: not the tools folder, not test vectors (testdata may hold
# deliberately broken Go), not VCS or npm folders.
GO_FILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path './.tools/*' -not -path '*/testdata/*' -not -path '*/node_modules/*')

.PHONY: help
help: ## List the targets
	@echo "Usage: make TARGET [VAR=value]"
	@echo
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'
	@echo
	@echo "Variables: GO=$(GO) FUZZTIME=$(FUZZTIME)"
	@echo "           FUZZ_TARGETS=$(FUZZ_TARGETS)"

.PHONY: test
test: ## Run every test with the race detector, then the allocation budgets without it
	$(GO) test -race -count=1 ./...
	@# The race detector changes allocation counts, so the budget tests skip
	@# themselves under it; this pass is where they are enforced.
	$(GO) test -count=1 -run 'Alloc|KeepsEventsOnTheStack' ./...

.PHONY: test-short
test-short: ## Run the short tests (go test -short), without the race detector
	$(GO) test -short -count=1 ./...

.PHONY: lint
lint: tools checkgenerate buf-lint ## gofmt, go vet, golangci-lint and the go.mod tidiness check
	@echo "gofmt -l"
	@unformatted="$$($(GOFMT) -l $(GO_FILES))"; \
	if [ -n "$$unformatted" ]; then \
		echo "these files need gofmt -w:"; echo "$$unformatted"; exit 1; \
	fi
	$(GO) vet ./...
	$(GOLANGCI_LINT) run --build-tags interop,browser ./...
	@echo "go mod tidy -diff"
	@if ! $(GO) mod tidy -diff; then \
		echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit the result"; exit 1; \
	fi

.PHONY: fuzz
fuzz: ## Fuzz each of FUZZ_TARGETS for FUZZTIME (a smoke test, default 100000 executions each)
	@for target in $(FUZZ_TARGETS); do \
		pkg="$${target%%:*}"; name="$${target##*:}"; \
		if [ "$$pkg" = "$$target" ] || [ -z "$$name" ]; then \
			echo "fuzz: bad FUZZ_TARGETS entry '$$target', want pkgdir:FuzzName"; exit 1; \
		fi; \
		echo "== fuzz $$pkg $$name for $(FUZZTIME)"; \
		if ! $(GO) test -list="^$${name}\$$" "$$pkg" | grep -x "$$name" >/dev/null; then \
			echo "fuzz: $$pkg has no fuzz target $$name (listed in FUZZ_TARGETS)"; exit 1; \
		fi; \
		log="$$(mktemp)"; \
		if ! $(GO) test -run='^$$' -fuzz="^$${name}\$$" -fuzztime=$(FUZZTIME) "$$pkg" 2>&1 | tee "$$log"; then \
			rm -f "$$log"; echo "fuzz: $$pkg $$name failed"; exit 1; \
		fi; \
		if grep -q 'no fuzz tests to fuzz' "$$log"; then \
			rm -f "$$log"; echo "fuzz: $$pkg has no fuzz target $$name (listed in FUZZ_TARGETS)"; exit 1; \
		fi; \
		rm -f "$$log"; \
	done

.PHONY: bench
bench: bench-json bench-http bench-grpc bench-mqtt ## Every benchmark: codecs (bench.out), then HTTP, gRPC and MQTT against their baselines
	$(GO) test -run='^$$' -bench=. -benchmem ./event/... | tee bench.out

.PHONY: bench-json
bench-json: ## The JSON codecs vs sdk-go's, interleaved rounds on one core (table; JSON in reports/)
	$(GO) build -o bin/ce ./cmd/ce
	@mkdir -p reports
	bin/ce bench json --json reports/bench-json.json

.PHONY: build
build: ## Build the ce command into bin/ce
	$(GO) build -o bin/ce ./cmd/ce

.PHONY: validate-example
validate-example: ## Validate examples/event.json with ce
	$(GO) run ./cmd/ce validate examples/event.json

.PHONY: conformance
conformance: ## The conformance suite against the embedded reference provider (reports in reports/)
	@mkdir -p reports
	$(GO) run ./cmd/ce conformance run --junit reports/conformance-junit.xml --json reports/conformance.json --html reports/conformance.html

# The HTML report in a real browser: conformance/html_browser_test.go (build
# tag browser) renders a real run and drives Debian's chromium, headless,
# with chromedp. chromium is installed from Debian's packages when
# /usr/bin/chromium is missing; the test fails, never skips, without it.
CHROMIUM := /usr/bin/chromium

.PHONY: browser
browser: ## The HTML conformance report in headless chromium (installs Debian's chromium if missing)
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "== installing chromium from Debian's packages"; \
		sudo_cmd=""; \
		if [ "$$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi; \
		$$sudo_cmd apt-get update; \
		$$sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	OPENEVENTS_CHROMIUM=$(CHROMIUM) $(GO) test -tags browser -count=1 -timeout 5m -run TestHTMLInBrowser ./conformance/

.PHONY: tools
tools: ## Install the pinned golangci-lint into .tools (only if missing or another version)
	@if [ -x "$(GOLANGCI_LINT)" ] && "$(GOLANGCI_LINT)" version 2>/dev/null | grep -q "version $(GOLANGCI_LINT_VERSION:v%=%) "; then \
		echo "golangci-lint $(GOLANGCI_LINT_VERSION) is installed in .tools"; \
	else \
		echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into .tools"; \
		GOBIN="$(TOOLS_DIR)" $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION); \
	fi

.PHONY: ci
ci: ## What CI runs: tools, lint, test, fuzz (in that order)
	$(MAKE) --no-print-directory tools
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test
	$(MAKE) --no-print-directory fuzz

# Protobuf: the buf CLI runs at a pinned version through `go run` (nothing
# to install); the protoc-gen-go and protoc-gen-go-grpc plugins are go.mod
# tools. Generated Go lives in proto/gen and is committed.
BUF_VERSION := v1.75.0
BUF := $(GO) run github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

.PHONY: generate
generate: ## Regenerate proto/gen from proto/ with buf and the pinned plugins
	rm -rf proto/gen
	$(BUF) generate

.PHONY: checkgenerate
checkgenerate: ## Fail if regenerating proto/gen changes any file in it
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	if [ -d proto/gen ]; then cp -R proto/gen "$$tmp/before"; else mkdir "$$tmp/before"; fi; \
	$(MAKE) --no-print-directory generate; \
	if ! diff -r "$$tmp/before" proto/gen; then \
		echo "proto/gen was out of date: 'make generate' has rewritten it; commit the result"; exit 1; \
	fi

.PHONY: buf-lint
buf-lint: ## buf lint and buf format check of proto/
	$(BUF) lint
	$(BUF) format --diff --exit-code

.PHONY: interop
interop: peers ## The MQTT tests against a real Mosquitto broker (installed from Debian's packages if missing), then the suite against the peers (reports in reports/peers/)
	scripts/mosquitto.sh $(GO) test -race -count=1 -timeout 5m ./transports/mqtt/...
	scripts/mosquitto.sh $(GO) test -race -count=1 -timeout 5m -run MQTT ./cmd/ce/
	OPENEVENTS_PEER_REPORTS=$(CURDIR)/reports/peers scripts/mosquitto.sh $(GO) test -tags interop -count=1 -timeout 10m -run 'TestPeer' ./conformance/
	$(MAKE) --no-print-directory browser

# Conformance peers no one here wrote (conformance/peers): sdk-go's HTTP
# receiver and sender, built into bin/peers/, and the JavaScript SDK's,
# whose npm packages (pinned by package-lock.json) npm ci installs into
# conformance/peers/js/node_modules, only when that is missing or older
# than the lockfile. scripts/node.sh installs Node.js and npm from Debian's
# packages when either is missing.
PEERS_JS := conformance/peers/js
PEERS_JS_INSTALLED := $(PEERS_JS)/node_modules/.package-lock.json

.PHONY: peers
peers: $(PEERS_JS_INSTALLED) ## Build the conformance peers: sdk-go's into bin/peers/, the JavaScript SDK's with npm ci
	$(GO) build -o bin/peers/sdkgo-receiver ./conformance/peers/sdkgo/receiver
	$(GO) build -o bin/peers/sdkgo-sender ./conformance/peers/sdkgo/sender
	@scripts/node.sh node -e 'console.log("== node " + process.version + ", cloudevents " + require("./$(PEERS_JS)/node_modules/cloudevents/package.json").version)'

$(PEERS_JS_INSTALLED): $(PEERS_JS)/package-lock.json $(PEERS_JS)/package.json
	cd $(PEERS_JS) && $(CURDIR)/scripts/node.sh npm ci --no-audit --no-fund
	@touch $@

.PHONY: bench-mqtt
bench-mqtt: ## MQTT subscriber throughput vs a bare paho subscriber, on the embedded broker and Mosquitto
	$(GO) build -o bin/ce ./cmd/ce
	@mkdir -p reports
	scripts/mosquitto.sh bin/ce bench mqtt --mosquitto-from-env --json reports/bench-mqtt.json

# HTTP binding (issue 4): the Go benchmarks of the receive path (allocations
# per binary-mode event, batch events/s), then `ce bench http`, which runs
# each receiver in its own process on 127.0.0.1:0 and drives it with the
# in-repo fasthttp load generator, bounded in time and request count.
BENCH_HTTP_DURATION ?= 5s
BENCH_HTTP_RUNS ?= 2

.PHONY: bench-http
bench-http: ## HTTP receivers vs sdk-go and bare net/http and fasthttp (table; JSON in reports/)
	$(GO) test -run='^$$' -bench=. -benchmem ./transports/http/ ./transports/http/fasthttp/ ./event/binding/ | tee bench-http.out
	$(GO) build -o bin/ce ./cmd/ce
	@mkdir -p reports
	bin/ce bench http --duration $(BENCH_HTTP_DURATION) --runs $(BENCH_HTTP_RUNS) --json reports/bench-http.json | tee -a bench-http.out
	bin/ce bench http --batch 100 --duration $(BENCH_HTTP_DURATION) --runs $(BENCH_HTTP_RUNS) --json reports/bench-http-batch.json | tee -a bench-http.out

# The MQTT binding's user-property decoder joins the fuzz smoke.
FUZZ_TARGETS += ./transports/mqtt:FuzzDecodeUserProperties
FUZZ_TARGETS += ./event/format/jsonformat:FuzzFastPathAgrees ./event/format/jsonformat:FuzzSkipValueAgrees ./event/format/jsonformat:FuzzStops

.PHONY: bench-grpc
bench-grpc: ## gRPC Stream throughput between two processes vs a bare gRPC stream
	$(GO) build -o bin/ce ./cmd/ce
	bin/ce bench grpc --runs 2

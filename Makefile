# The front door. `make` alone lists the targets.
GO      ?= go
# ADDR, when given (make run ADDR=0.0.0.0:4010), wins; otherwise the mock's
# own default or BENJI_MOCK_ADDR applies.
ADDR    ?=
FUZZTIME ?= 5m
SOAKTIME ?= 60s
ROUNDS ?= 7
ROUNDTIME ?= 5s

.DEFAULT_GOAL := help
.PHONY: help generate check-generate validate-spec vet test race fuzz fuzz-short soak bench bench-go bench-smoke bench-proxy build run ci e2e-compose screenshot

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-16s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

generate: ## Regenerate gen/ from openapi.yaml
	$(GO) generate ./...

check-generate: ## Fail if gen/, go.mod or go.sum differ from what generation and tidying produce
	$(GO) generate ./...
	@git status --porcelain -- gen | grep . && { echo "gen/ is stale: run make generate and commit it"; exit 1; } || true
	$(GO) mod tidy -diff

validate-spec: ## Validate openapi.yaml: document, examples, seed requests, bad bodies
	$(GO) test -count=1 .

vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

test: ## Run every test
	$(GO) test ./...

race: ## Run every test under the race detector; without a C compiler (cgo), without it, saying so
	@if [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1; then \
	  echo "$(GO) test -race ./..."; $(GO) test -race ./...; \
	else \
	  echo "race: no C compiler for cgo ($$($(GO) env CC)): running the tests WITHOUT the race detector (CI has one)"; \
	  $(GO) test ./...; \
	fi

fuzz: ## Fuzz the mock with arbitrary requests, the quick check against kin-openapi, decoding against validation, the answer check against kin-openapi, the inspector's body layout, $(FUZZTIME) each
	$(GO) test -run '^$$' -fuzz FuzzCreateToken -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./mockserver/
	$(GO) test -run '^$$' -fuzz FuzzQuickCheckAgreesWithKin -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzUUIDMatcher -fuzztime $(FUZZTIME) ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzDecodeAgreesWithValidation -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzCheckAnswerAgreesWithKin -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzIndentJSON -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./mockserver/

fuzz-short: ## A bounded fuzzing pass, as CI runs it
	$(GO) test -run '^$$' -fuzz FuzzCreateToken -fuzztime 15s -fuzzminimizetime 1s ./mockserver/
	$(GO) test -run '^$$' -fuzz FuzzQuickCheckAgreesWithKin -fuzztime 15s -fuzzminimizetime 1s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzDecodeAgreesWithValidation -fuzztime 10s -fuzzminimizetime 1s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzCheckAnswerAgreesWithKin -fuzztime 10s -fuzzminimizetime 1s ./internal/contract/
	$(GO) test -run '^$$' -fuzz FuzzIndentJSON -fuzztime 5s -fuzzminimizetime 1s ./mockserver/

soak: ## Soak the mock for $(SOAKTIME) with concurrent clients, SIGTERM the binary under load, and send it 700 bodies of 1 MiB at once (peak RSS at most 300 MB)
	$(GO) test -count=1 -v -run 'TestSoak|TestSIGTERMUnderLoad|TestBodiesInFlightAgainstTheBinary' ./soak/ -args -soak.duration=$(SOAKTIME) -soak.bodies-clients=700 -soak.bodies-peak-mb=300

bench-smoke: ## Run every testing.B benchmark once, so that CI catches one that no longer runs (no figures)
	$(GO) test -run '^$$' -bench . -benchtime 1x ./internal/contract/ ./mockserver/ ./client/

bench-go: ## testing.B benchmarks of the hot path, the quick check and the client
	$(GO) test -run '^$$' -bench . -benchmem ./internal/contract/ ./mockserver/ ./client/

bench: bench-go ## bench-go, then the side-by-side load of the mock and the bare reference (wrk)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk; } || { echo "install wrk first"; exit 1; }
	$(GO) run ./bench/sidebyside -rounds $(ROUNDS) -duration $(ROUNDTIME)

bench-proxy: ## Proxy mode's overhead: requests through benji-mock --upstream, then through a bare httputil reverse proxy, each against requests straight to the same upstream (wrk)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk; } || { echo "install wrk first"; exit 1; }
	$(GO) run ./bench/sidebyside -proxy -rounds $(ROUNDS) -duration $(ROUNDTIME)
	$(GO) run ./bench/sidebyside -proxy -bare-proxy -rounds $(ROUNDS) -duration $(ROUNDTIME)

build: ## Build bin/benji-mock
	$(GO) build -o bin/benji-mock ./cmd/benji-mock

run: ## Run the mock on its defaults (127.0.0.1:4010, or BENJI_MOCK_ADDR; ADDR=... overrides)
	$(GO) run ./cmd/benji-mock $(if $(ADDR),--addr $(ADDR))

screenshot: ## Drive the request inspector in headless Chromium and write docs/inspector.png and docs/inspector-proxy.png
	$(GO) test -count=1 -run '^TestInspectorInBrowser(InProxyMode)?$$' ./mockserver/ -args -inspector.screenshot=$(CURDIR)/docs/inspector.png -inspector.proxy-screenshot=$(CURDIR)/docs/inspector-proxy.png

e2e-compose: ## Build the image, run compose.yaml with a real Docker engine, check it end to end (root; installs docker)
	bash scripts/e2e-compose.sh

ci: check-generate validate-spec vet race fuzz-short bench-smoke ## Everything CI runs

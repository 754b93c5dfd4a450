# rlhf-eval — every task starts here; CI runs the same targets.

GO          ?= go
BIN         := bin/rlhf-eval
SQLC        := $(GO) tool -modfile=tools/go.mod sqlc
# Tests create one database per package on this server (any database name works).
RLHF_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export RLHF_TEST_DATABASE_URL
# How long each fuzz target runs under `make fuzz`.
FUZZTIME    ?= 20s
# Flags of `make bench`, e.g. BENCH_FLAGS=--quick for a smoke run of seconds, or
# BENCH_FLAGS='--sections ingest --out /tmp/bench.md'. The benchmark creates and drops
# its own database on RLHF_BENCH_DATABASE_URL (default: the local server).
BENCH_FLAGS ?=
# Where the real data for checks lives (never committed).
DATA        ?= ../shared/data

.PHONY: all build run test test-short lint fmt vet generate check-generated migrate bench fuzz check-data vendor-web clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rlhf-eval

## run: build, create the database if missing, migrate, serve on :8080
run: build
	./$(BIN) serve

## test: lint, then the whole suite against PostgreSQL
test: lint
	$(GO) test -count=1 -timeout 15m ./...

## test-short: the suite without the slow fault and load tests
test-short:
	$(GO) test -count=1 -short ./...

lint: vet check-generated
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## generate: regenerate sqlc code from db/queries and db/migrations
generate:
	$(SQLC) generate

## check-generated: fail when the committed sqlc code is stale
check-generated:
	$(SQLC) diff

## migrate: apply migrations to RLHF_DATABASE_URL
migrate: build
	./$(BIN) migrate up

## bench: end-to-end benchmark against baselines (about 15 minutes; see docs/benchmarks.md)
bench:
	$(GO) run ./cmd/rlhf-bench $(BENCH_FLAGS)

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## check-data: the import checks on the real data in DATA, every AlpacaEval file (about 35 s;
## make test runs a quick subset of them when the data is there)
check-data:
	$(GO) test -count=1 -v -run RealData ./cmd/rlhf-eval -args -data $(abspath $(DATA)) -data-all

## vendor-web: refresh the dashboard's vendored htmx from npm (HTMX_VERSION=2 takes the newest
## 2.x); only this target needs npm, go build and CI never do
HTMX_VERSION ?= 2.0.11
vendor-web:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	(cd "$$tmp" && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-*.tgz); \
	cp "$$tmp/package/dist/htmx.min.js" internal/adapters/web/static/htmx.min.js; \
	cp "$$tmp/package/LICENSE" internal/adapters/web/static/htmx.LICENSE; \
	grep -o 'version:"[^"]*"' internal/adapters/web/static/htmx.min.js

clean:
	rm -rf bin

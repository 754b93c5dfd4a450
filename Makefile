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
# Size and repeats of `make bench-judges`: 20,000 pairwise judgments a run, medians of 5.
JUDGE_BENCH_N     ?= 20000
JUDGE_BENCH_COUNT ?= 5
# Where the real data for checks lives (never committed).
DATA        ?= ../shared/data

.PHONY: all build run test test-norace test-short lint fmt vet staticcheck archcheck tidycheck generate check-generated migrate bench bench-judges fuzz check-data check-detectors check-refusal-judge vendor-web clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/rlhf-eval

## run: build, create the database if missing, migrate, serve on :8080
run: build
	./$(BIN) serve

## test: lint, then the whole suite against PostgreSQL with the race detector (what CI runs).
## Every test runs under -race: a data race fails the build. The detector makes the code
## several times slower, so no test may depend on how fast it runs (timed checks compare
## against a baseline measured in the same run).
test: lint
	$(GO) test -race -count=1 -timeout 25m ./...

## test-norace: the whole suite without the race detector, a quicker local pass (no lint)
test-norace:
	$(GO) test -count=1 -timeout 25m ./...

## test-short: the suite without the slow fault and load tests
test-short:
	$(GO) test -count=1 -short ./...

## lint: gofmt, go vet, staticcheck, the dependency rule, go mod tidy, and the sqlc code up to date
lint: vet staticcheck archcheck tidycheck check-generated
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

staticcheck:
	@echo "staticcheck (the first run builds it: a minute or two)"
	$(GO) tool -modfile=tools/go.mod staticcheck ./...

## archcheck: the core imports no adapter, adapters no other adapter, only the Postgres adapter pgx
archcheck:
	$(GO) test -count=1 ./internal/archtest

tidycheck:
	@$(GO) mod tidy -diff || { echo "go.mod is not tidy: run go mod tidy"; exit 1; }

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

## generate: regenerate sqlc code from db/queries and db/migrations
generate:
	$(SQLC) generate

## check-generated: fail when the committed sqlc code is stale
check-generated:
	@echo "check-generated: building sqlc if needed (the first time takes minutes: its PostgreSQL parser is C), then comparing db/queries with the committed code"
	$(SQLC) diff

## migrate: apply migrations to RLHF_DATABASE_URL
migrate: build
	./$(BIN) migrate up

## bench: end-to-end benchmark against baselines (about 15 minutes; see docs/benchmarks.md)
bench:
	$(GO) run ./cmd/rlhf-bench $(BENCH_FLAGS)

## bench-judges: pairwise judgments against a fake endpoint that answers in 20 ms, at
## concurrency 64, beside plain HTTP requests to it; medians of the rate, its share of the
## bound (64 / 20 ms = 3,200/s) and CPU per call; baseline and judge alternate, so both see
## the same load (about 2 minutes; see docs/benchmarks.md)
bench-judges:
	@set -e; out=$$(mktemp); trap 'rm -f $$out' EXIT; \
	for i in $$(seq $(JUDGE_BENCH_COUNT)); do \
		$(GO) test -run '^$$' -bench '^BenchmarkPairwiseJudge$$' -benchtime $(JUDGE_BENCH_N)x \
			-benchmem ./internal/adapters/openai 2>&1 | tee -a $$out; \
	done; \
	test "$$(grep -c '^ok' $$out)" -eq $(JUDGE_BENCH_COUNT); \
	awk '\
	function median(k,   n, i, j, t, a) { \
		n = c[k]; for (i = 1; i <= n; i++) a[i] = v[k, i] + 0; \
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } \
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 } \
	/^BenchmarkPairwiseJudge\// { name = $$1; sub(/^BenchmarkPairwiseJudge\//, "", name); sub(/-[0-9]+$$/, "", name); \
		for (i = 3; i < NF; i += 2) { k = name " " $$(i+1); v[k, ++c[k]] = $$i } } \
	END { b = "baseline=raw-http"; j = "judge"; \
		printf "\nmedians of %d runs of %s calls each\n", c[j " judgments/s"], "$(JUDGE_BENCH_N)"; \
		printf "%-18s %12s %9s %10s %10s %10s\n", "", "calls/s", "of bound", "cpu-µs", "B", "allocs"; \
		split(b " " j, names, " "); \
		for (x = 1; x <= 2; x++) { n = names[x]; printf "%-18s %12.0f %9.3f %10.1f %10.0f %10.0f\n", n, \
			median(n " judgments/s"), median(n " of-bound"), median(n " cpu-µs/op"), median(n " B/op"), median(n " allocs/op") } \
		printf "judge ÷ baseline: rate %.3f, CPU per call %.2f\n", \
			median(j " judgments/s") / median(b " judgments/s"), median(j " cpu-µs/op") / median(b " cpu-µs/op") }' $$out

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
	$(GO) test -count=1 -v -run RealData ./internal/adapters/openai -args -data $(abspath $(DATA)) -data-all

## check-detectors: every detector against the labelled real outputs in testdata/labels,
## per label file, split and source (SPLIT=dev|heldout|heldout2|heldout3|all, default dev; make test
## runs dev when the data is there). heldout3 is scored once, after the last change to a detector.
SPLIT ?= dev
check-detectors:
	RLHF_DATA=$(abspath $(DATA)) $(GO) test -count=1 -v -run TestLabelledDetectors ./internal/scoring/builtin -args -split $(SPLIT)

## check-refusal-judge: the refusal judge (internal/judging, template refusal-kind) beside the
## rule-based detector on the labelled real outputs, through any OpenAI-compatible endpoint:
## JUDGE_URL=http://host:8000/v1 JUDGE_MODEL=name [JUDGE_KEY_ENV=OPENAI_API_KEY] [JUDGE_LIMIT=n]
## [SPLIT=dev|heldout|heldout2|all]
JUDGE_KEY_ENV ?=
JUDGE_LIMIT ?= 0
check-refusal-judge:
	@test -n "$(JUDGE_URL)" -a -n "$(JUDGE_MODEL)" || { echo "check-refusal-judge needs JUDGE_URL and JUDGE_MODEL"; exit 2; }
	RLHF_DATA=$(abspath $(DATA)) $(GO) test -count=1 -v -timeout 0 -run 'TestLabelledRefusalJudge$$' ./internal/scoring/builtin \
		-args -split $(SPLIT) -judge-url '$(JUDGE_URL)' -judge-model '$(JUDGE_MODEL)' -judge-key-env '$(JUDGE_KEY_ENV)' -judge-limit $(JUDGE_LIMIT) $(if $(MISSES),-misses)

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

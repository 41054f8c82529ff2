#!/usr/bin/env bash
# Runs golangci-lint (pinned in hack/lib.sh, installed into _output/tools) with
# .golangci.yaml over every package, the e2e suite's build tag included, and
# over the examples and test/bench/plot modules.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT}"

ensure_golangci_lint
# --allow-parallel-runners: other checkouts on the machine may lint at the same time.
golangci-lint run --allow-parallel-runners --build-tags e2e ./...
# examples/ is a module of its own, as a user's program would be.
(cd examples && golangci-lint run --allow-parallel-runners --config "${ROOT}/.golangci.yaml" ./...)
# test/bench/plot is one too (the plotting library stays out of go.mod).
(cd test/bench/plot && golangci-lint run --allow-parallel-runners --config "${ROOT}/.golangci.yaml" ./...)
echo ">> golangci-lint ${GOLANGCI_LINT_VERSION}: no findings"

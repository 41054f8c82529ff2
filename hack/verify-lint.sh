#!/usr/bin/env bash
# Runs golangci-lint (pinned in hack/lib.sh, installed into _output/tools) with
# .golangci.yaml over every package, the e2e suite's build tag included.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT}"

ensure_golangci_lint
golangci-lint run --build-tags e2e ./...
echo ">> golangci-lint ${GOLANGCI_LINT_VERSION}: no findings"

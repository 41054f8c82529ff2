#!/usr/bin/env bash
# The Python client's tests (clients/python/tests) against a real local-mode
# server: compiles the bindings (make proto-clients), builds the server, runs
# them. Fails when a test fails or none ran.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "${ROOT}/hack/lib-python.sh"
cd "${ROOT}"
"${ROOT}/hack/proto-clients.sh"
PY=$(python_with_protobuf)
go build -o _output/bin/cicd-apiserver .
CICD_APISERVER="${ROOT}/_output/bin/cicd-apiserver" PYTHONPATH="${ROOT}/_output/python" \
	"${PY}" clients/python/tests/run.py

#!/usr/bin/env bash
# The Python client (clients/python) against a real local-mode server: compiles
# the bindings (make proto-clients), type-checks the package (mypy --strict),
# builds the server and runs the tests. Fails when a test fails or none ran.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "${ROOT}/hack/lib-python.sh"
cd "${ROOT}"
"${ROOT}/hack/proto-clients.sh"
PY=$(python_with_protobuf)
# The package is typed: mypy --strict (Debian's mypy) over it, the bindings skipped.
"${PY}" -m mypy --version >/dev/null 2>&1 || {
	echo ">> installing mypy (Debian package mypy)"
	apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends mypy >/dev/null
}
(cd clients/python && MYPYPATH="${ROOT}/_output/python" "${PY}" -m mypy)
go build -ldflags "$(hack/version.sh)" -o _output/bin/cicd-apiserver .
CICD_APISERVER="${ROOT}/_output/bin/cicd-apiserver" PYTHONPATH="${ROOT}/_output/python" \
	"${PY}" clients/python/tests/run.py

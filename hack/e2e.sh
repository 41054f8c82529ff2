#!/usr/bin/env bash
# make e2e: the end-to-end tests in test/e2e, behind a real kube-apiserver.
#
#   hack/e2e.sh [go test flags...]      e.g. hack/e2e.sh -run TestRBAC
#
# Builds (or reuses, see hack/tools.sh) the pinned kubectl, etcd,
# kube-apiserver and kube-controller-manager first, outside the tests' time
# limit: a cold kube-apiserver build takes over ten minutes. The tests then
# build the server with artifacts/build.sh (the image's build) and start
# everything on 127.0.0.1. E2E_KEEP=1 keeps the work directory (logs,
# certificates, kubeconfigs); it is kept anyway when a test fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=${SECONDS}
echo ">> hack/tools.sh e2e" >&2
hack/tools.sh e2e >/dev/null
echo ">> tools ready in $((SECONDS - start))s" >&2

go vet -tags e2e ./test/e2e/...
go test -tags e2e -count=1 -timeout 30m -v ./test/e2e/... "$@"
echo ">> make e2e took $((SECONDS - start))s" >&2

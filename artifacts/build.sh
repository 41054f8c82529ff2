#!/usr/bin/env bash
# Builds the cicd-apiserver binary the image ships: static (CGO_ENABLED=0),
# no VCS stamping, trimmed paths, stripped.
#
#   artifacts/build.sh OUT          e.g. artifacts/build.sh _output/bin/cicd-apiserver
#
# artifacts/Dockerfile runs this script, and so does the end-to-end test
# (test/e2e), so the binary tested there is built exactly as the image's.
# VERSION and GIT_COMMIT, when set, are stamped into /version; without them
# the server reports the version of the Kubernetes libraries it is built with.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: artifacts/build.sh OUT" >&2; exit 2; }
out=$1
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ldflags="-s -w"
if [[ -n ${VERSION:-} ]]; then
	ldflags+=" -X k8s.io/component-base/version.gitVersion=${VERSION} -X k8s.io/client-go/pkg/version.gitVersion=${VERSION}"
fi
if [[ -n ${GIT_COMMIT:-} ]]; then
	ldflags+=" -X k8s.io/component-base/version.gitCommit=${GIT_COMMIT} -X k8s.io/component-base/version.gitTreeState=clean"
fi

CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" \
	go build -trimpath -ldflags="${ldflags}" -o "${out}" .

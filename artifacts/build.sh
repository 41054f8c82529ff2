#!/usr/bin/env bash
# Builds the cicd-apiserver binary the image ships: static (CGO_ENABLED=0),
# no VCS stamping, trimmed paths, stripped.
#
#   artifacts/build.sh OUT          e.g. artifacts/build.sh _output/bin/cicd-apiserver
#
# artifacts/Dockerfile runs this script, and so does the end-to-end test
# (test/e2e), so the binary tested there is built exactly as the image's.
# The version is stamped by hack/version.sh: from git, or from VERSION and
# GIT_COMMIT (the image's build has no .git); with neither, v0.0.0-dev.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: artifacts/build.sh OUT" >&2; exit 2; }
out=$1
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ldflags="-s -w $(hack/version.sh)"

CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" \
	go build -trimpath -ldflags="${ldflags}" -o "${out}" .

#!/usr/bin/env bash
# Fails when the image's build context (artifacts/Dockerfile.dockerignore, an
# allowlist) leaves out a directory of ours that the binary is built from.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT}"

allowed=$(sed -n 's:^!\([^/]*\)/\{0,1\}$:\1:p' artifacts/Dockerfile.dockerignore)
missing=$(
	go list -deps -f '{{with .Module}}{{if eq .Path "'"${MODULE}"'"}}{{$.Dir}}{{end}}{{end}}' . |
		sed -n "s:^${ROOT}/\([^/]*\).*:\1:p" | sort -u |
		while read -r dir; do grep -qxF "${dir}" <<<"${allowed}" || echo "${dir}"; done
)
if [ -n "${missing}" ]; then
	echo "verify: artifacts/Dockerfile.dockerignore leaves out directories the binary is built from:" >&2
	echo "${missing}" | sed 's/^/  !/; s:$:/:' >&2
	exit 1
fi
echo ">> the image's build context holds every package of the binary"

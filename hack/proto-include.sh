#!/usr/bin/env bash
# Writes into DEST (default: proto/) every .proto file that our own .proto files
# under proto/github.com import, transitively, taken from the pinned modules in
# go.mod (k8s.io/apimachinery, k8s.io/api), plus k8s.io/api's autoscaling/v1 for
# the Scale subresource. With DEST other than proto/, our own files are copied too.
# The result is an include tree that protoc needs nothing else for (-I DEST).
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SRC_ROOT="${OUT_ROOT:-${ROOT}}"
DEST=$(mkdir -p "${1:-${SRC_ROOT}/proto}" && cd "${1:-${SRC_ROOT}/proto}" && pwd)
cd "${SRC_ROOT}"

# Import path prefix -> module directory, at go.mod's version (downloaded when needed).
pinned_dir() { module_dir "$1@$(go list -m -f '{{.Version}}' "$1")"; }
declare -A MODULE_DIRS=(
	[k8s.io/apimachinery/]="$(pinned_dir k8s.io/apimachinery)"
	[k8s.io/api/]="$(pinned_dir k8s.io/api)"
)
for p in "${!MODULE_DIRS[@]}"; do
	[ -n "${MODULE_DIRS[${p}]}" ] || { echo "proto-include: no module for ${p}" >&2; exit 1; }
done

# source_of prints the file an import path names: one in a module, or ours under
# proto/ (never a module's copy there: that is what this script writes).
source_of() {
	local path=$1 prefix
	for prefix in "${!MODULE_DIRS[@]}"; do
		if [[ "${path}" == "${prefix}"* ]]; then echo "${MODULE_DIRS[${prefix}]}/${path#"${prefix}"}"; return; fi
	done
	if [ -f "proto/${path}" ]; then echo "${SRC_ROOT}/proto/${path}"; return; fi
	echo "proto-include: no source for import \"${path}\"" >&2
	return 1
}

queue=(k8s.io/api/autoscaling/v1/generated.proto)
while IFS= read -r f; do queue+=("${f#proto/}"); done < <(find proto/github.com -name '*.proto' | LC_ALL=C sort)
declare -A seen=()
n=0
while [ "${#queue[@]}" -gt 0 ]; do
	path=${queue[0]}
	queue=("${queue[@]:1}")
	[ -z "${seen[${path}]:-}" ] || continue
	seen[${path}]=1
	src=$(source_of "${path}")
	[ -f "${src}" ] || { echo "proto-include: ${src} is missing" >&2; exit 1; }
	if [ "${src}" != "${DEST}/${path}" ]; then
		mkdir -p "$(dirname "${DEST}/${path}")"
		cp "${src}" "${DEST}/${path}"
		chmod 0644 "${DEST}/${path}"
	fi
	n=$((n + 1))
	while IFS= read -r imp; do queue+=("${imp}"); done < <(sed -n 's/^import[[:space:]]*"\([^"]*\)";.*/\1/p' "${src}")
done
echo "proto-include: ${n} .proto files in ${DEST}"

#!/usr/bin/env bash
# Fails when a generated file is stale: regenerates into a temporary copy of the
# tree and compares. Also checks gofmt and go vet.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT}"

TMP=$(mktemp -d)
trap 'rm -rf "${TMP}"' EXIT
# The tree as git sees it: tracked files and untracked ones that are not ignored.
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' |
	tar --null -T - -cf - | tar -xf - -C "${TMP}"

OUT_ROOT="${TMP}" "${ROOT}/hack/update-codegen.sh" >"${TMP}.log" 2>&1 || {
	cat "${TMP}.log" >&2
	rm -f "${TMP}.log"
	echo "verify: code generation failed" >&2
	exit 1
}
rm -f "${TMP}.log"

# What the generators write: zz_generated.* and protobuf files under apis/, the
# whole of generated/ and proto/, the API-rule report, and the protobuf tags that
# go-to-protobuf writes into the types.
generated_files() {
	(cd "$1" && find apis generated proto -type f \( -name 'zz_generated.*' -o -name 'generated.pb.go' \
		-o -name 'generated.proto' -o -name 'types.go' -o -path 'generated/*' -o -path 'proto/*' \) 2>/dev/null |
		LC_ALL=C sort; echo hack/api-violations.list)
}
stale=$(
	diff <(generated_files "${ROOT}") <(generated_files "${TMP}") | sed -n 's/^[<>] //p'
	generated_files "${ROOT}" | while read -r f; do
		if [ -f "${TMP}/${f}" ] && ! cmp -s "${ROOT}/${f}" "${TMP}/${f}"; then echo "${f}"; fi
	done
	true
)
if [ -n "${stale}" ]; then
	echo "verify: generated files are stale; run 'make generate' and commit:" >&2
	echo "${stale}" | LC_ALL=C sort -u | sed 's/^/  /' >&2
	exit 1
fi
echo "verify: generated files are up to date"

unformatted=$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)
if [ -n "${unformatted}" ]; then
	echo "verify: not gofmt-formatted:" >&2
	echo "${unformatted}" | sed 's/^/  /' >&2
	exit 1
fi
echo "verify: gofmt clean"

go vet ./...
echo "verify: go vet clean"

#!/usr/bin/env bash
# Checks that protoc accepts every .proto file under proto/ with the include
# layout the README gives protobuf users in other languages: proto/ alone (it
# holds what our files import, hack/proto-include.sh).
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT}"
ensure_protoc

n=0
while IFS= read -r f; do
	# go-to-protobuf imports runtime/ and runtime/schema/ whether used or not;
	# protoc's warning about that is noise here.
	if ! out=$(protoc --descriptor_set_out=/dev/null -I proto "${f#proto/}" 2>&1); then
		echo "${out}" >&2
		echo "verify: protoc refuses ${f}" >&2
		exit 1
	fi
	n=$((n + 1))
done < <(find proto -name '*.proto' | LC_ALL=C sort)
[ "${n}" -gt 0 ] || { echo "verify: no .proto files under proto/" >&2; exit 1; }
echo "verify: protoc accepts the ${n} files under proto/"

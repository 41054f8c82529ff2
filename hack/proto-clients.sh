#!/usr/bin/env bash
# make proto-clients: assembles under _output/proto an include tree of our .proto
# files and every .proto they import (from the pinned modules, hack/proto-include.sh),
# and compiles the Python bindings into _output/python. Installs protoc and the
# Python protobuf runtime from Debian when they are missing.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "${ROOT}/hack/lib-python.sh"
cd "${ROOT}"
ensure_protoc
PY=$(python_with_protobuf)

INC="${ROOT}/_output/proto"
OUT="${ROOT}/_output/python"
rm -rf "${INC}" "${OUT}"
"${ROOT}/hack/proto-include.sh" "${INC}"
# The tree shipped in proto/ for users without Go must be the same files.
if ! diff -r "${INC}" "${ROOT}/proto" >/dev/null; then
	echo "proto-clients: proto/ differs from the pinned modules' files; run 'make generate'" >&2
	diff -rq "${INC}" "${ROOT}/proto" >&2 || true
	exit 1
fi

mkdir -p "${OUT}"
mapfile -t files < <(cd "${INC}" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
# go-to-protobuf imports runtime/ and runtime/schema/ whether used or not;
# protoc's warnings about that are noise here.
protoc -I "${INC}" --python_out="${OUT}" "${files[@]}" 2> >(grep -v 'is unused\.$' >&2)
"${PY}" -c 'import sys; sys.path.insert(0, sys.argv[1])
from github.com.autobusi.cicd_apiserver.apis.cicd.v1beta import generated_pb2
from k8s.io.api.autoscaling.v1 import generated_pb2 as scale' "${OUT}"
echo "proto-clients: ${#files[@]} .proto files in ${INC}; Python bindings in ${OUT} (${PY})"

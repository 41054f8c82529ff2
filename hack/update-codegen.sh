#!/usr/bin/env bash
# Regenerates every generated file from the types in apis/: deepcopy, defaulters,
# conversions, OpenAPI, clientset/listers/informers/applyconfigurations, protobuf,
# and the copies of our .proto files under proto/.
#
# OUT_ROOT (default: the repository) is where the output goes; verify-codegen.sh
# points it at a temporary copy.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
OUT_ROOT="${OUT_ROOT:-${ROOT}}"
cd "${OUT_ROOT}"

ensure_codegen_tools
ensure_protoc

HEADER="${OUT_ROOT}/hack/boilerplate.go.txt"
HUB="${MODULE}/apis/cicd"
VERSIONS=(v1alpha v1beta)
EXTERNAL=()
for v in "${VERSIONS[@]}"; do EXTERNAL+=("${HUB}/${v}"); done
GEN="${MODULE}/generated"

echo ">> deepcopy"
find apis -name zz_generated.deepcopy.go -delete
deepcopy-gen --output-file zz_generated.deepcopy.go --go-header-file "${HEADER}" "${HUB}" "${EXTERNAL[@]}"

echo ">> defaulters"
find apis -name zz_generated.defaults.go -delete
defaulter-gen --output-file zz_generated.defaults.go --go-header-file "${HEADER}" "${EXTERNAL[@]}"

echo ">> conversions"
find apis -name zz_generated.conversion.go -delete
# conversion-gen only warns when a hand-written Convert_ function is missing; the
# build below turns that into a failure.
conversion-gen --output-file zz_generated.conversion.go --go-header-file "${HEADER}" "${EXTERNAL[@]}"

echo ">> openapi"
rm -rf generated/openapi
find apis -name zz_generated.model_name.go -delete
READONLY=(k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/runtime k8s.io/apimachinery/pkg/version
	k8s.io/apimachinery/pkg/api/resource k8s.io/apimachinery/pkg/util/intstr k8s.io/api/autoscaling/v1)
ro_args=()
for p in "${READONLY[@]}"; do ro_args+=(--readonly-pkg "${p}"); done
# The report lists the known API-rule violations (our v1alpha JSON names are fixed
# by the contract and not lowerCamelCase); a new violation fails the run.
openapi-gen --output-file zz_generated.openapi.go --go-header-file "${HEADER}" \
	--output-dir generated/openapi --output-pkg "${GEN}/openapi" \
	--output-model-name-file zz_generated.model_name.go \
	--report-filename hack/api-violations.list \
	"${ro_args[@]}" "${READONLY[@]}" "${EXTERNAL[@]}"

echo ">> clients"
# Called directly: kube_codegen.sh's gen_client skips versions without a trailing
# number (v1alpha, v1beta).
rm -rf generated/applyconfiguration generated/clientset generated/listers generated/informers
applyconfiguration-gen --go-header-file "${HEADER}" --output-dir generated/applyconfiguration \
	--output-pkg "${GEN}/applyconfiguration" "${EXTERNAL[@]}"
client_inputs=()
for v in "${VERSIONS[@]}"; do client_inputs+=(--input "cicd/${v}"); done
client-gen --go-header-file "${HEADER}" --output-dir generated/clientset --output-pkg "${GEN}/clientset" \
	--clientset-name versioned --apply-configuration-package "${GEN}/applyconfiguration" \
	--input-base "${HUB%/cicd}" "${client_inputs[@]}"
lister-gen --go-header-file "${HEADER}" --output-dir generated/listers --output-pkg "${GEN}/listers" "${EXTERNAL[@]}"
informer-gen --go-header-file "${HEADER}" --output-dir generated/informers --output-pkg "${GEN}/informers" \
	--versioned-clientset-package "${GEN}/clientset/versioned" --listers-package "${GEN}/listers" "${EXTERNAL[@]}"

echo ">> protobuf"
# go-to-protobuf works on a GOPATH-shaped tree: build one of symlinks outside the
# repository (a tree inside it would be shadowed by protoc's "-I .").
TREE=$(mktemp -d)
trap 'rm -rf "${TREE}"' EXIT
APIMACHINERY=$(go list -m -f '{{.Dir}}' k8s.io/apimachinery)
GOGO=$(module_dir "github.com/gogo/protobuf@${GOGO_VERSION}")
mkdir -p "${TREE}/$(dirname "${MODULE}")" "${TREE}/k8s.io" "${TREE}/github.com/gogo"
ln -s "${OUT_ROOT}" "${TREE}/${MODULE}"
ln -s "${APIMACHINERY}" "${TREE}/k8s.io/apimachinery"
ln -s "${GOGO}" "${TREE}/github.com/gogo/protobuf"
find apis -name generated.pb.go -delete
# Every apimachinery package carries "-": use its messages, never write to it (the
# module cache must stay untouched).
go-to-protobuf --go-header-file "${HEADER}" --output-dir "${TREE}" --proto-import "${GOGO}/protobuf" \
	--apimachinery-packages=-k8s.io/apimachinery/pkg/util/intstr,-k8s.io/apimachinery/pkg/api/resource,-k8s.io/apimachinery/pkg/runtime/schema,-k8s.io/apimachinery/pkg/runtime,-k8s.io/apimachinery/pkg/apis/meta/v1 \
	--packages="$(IFS=,; echo "${EXTERNAL[*]}")"

echo ">> proto/"
rm -rf proto/github.com
for v in "${VERSIONS[@]}"; do
	mkdir -p "proto/${MODULE}/apis/cicd/${v}"
	cp "apis/cicd/${v}/generated.proto" "proto/${MODULE}/apis/cicd/${v}/generated.proto"
done
# What they import, from the pinned modules, so that protoc needs only -I proto
# (users without Go; hack/proto-include.sh).
rm -rf proto/k8s.io
OUT_ROOT="${OUT_ROOT}" "${ROOT}/hack/proto-include.sh" "${OUT_ROOT}/proto"

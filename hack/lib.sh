# Shared by the hack/ scripts: pinned tool versions and where tools live.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE=github.com/autobusi/cicd-apiserver
CODEGEN_VERSION=v0.37.2
GOIMPORTS_VERSION=v0.47.0
KUBE_OPENAPI_VERSION=v0.0.0-20260721132016-d427ff9ee9ad
GOGO_VERSION=v1.3.2
GOLANGCI_LINT_VERSION=v2.15.0
TOOLS_BIN="${ROOT}/_output/tools"
export GOBIN="${TOOLS_BIN}"
export PATH="${TOOLS_BIN}:${PATH}"

# ensure_protoc installs protoc from Debian's protobuf-compiler when it is absent.
ensure_protoc() {
	command -v protoc >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
		echo ">> installing protoc (Debian package protobuf-compiler)"
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends protobuf-compiler >/dev/null
	fi
	command -v protoc >/dev/null 2>&1 || {
		echo "protoc is missing: install Debian's protobuf-compiler (apt-get install protobuf-compiler)" >&2
		return 1
	}
}

# ensure_codegen_tools installs the pinned generators into _output/tools. The
# @version form keeps them out of the project's go.mod; an installed tool is
# reused when its recorded version matches.
ensure_codegen_tools() {
	local stamp="${TOOLS_BIN}/.versions" want
	want="codegen=${CODEGEN_VERSION} goimports=${GOIMPORTS_VERSION} kube-openapi=${KUBE_OPENAPI_VERSION}"
	if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want}" ]; then
		return 0
	fi
	echo ">> installing code generators (${want})"
	mkdir -p "${TOOLS_BIN}"
	(
		cd "${TOOLS_BIN}"
		local c=k8s.io/code-generator/cmd
		go install "${c}/deepcopy-gen@${CODEGEN_VERSION}" "${c}/defaulter-gen@${CODEGEN_VERSION}" \
			"${c}/conversion-gen@${CODEGEN_VERSION}" "${c}/client-gen@${CODEGEN_VERSION}" \
			"${c}/lister-gen@${CODEGEN_VERSION}" "${c}/informer-gen@${CODEGEN_VERSION}" \
			"${c}/applyconfiguration-gen@${CODEGEN_VERSION}" "${c}/go-to-protobuf@${CODEGEN_VERSION}" \
			"${c}/go-to-protobuf/protoc-gen-gogo@${CODEGEN_VERSION}"
		go install "golang.org/x/tools/cmd/goimports@${GOIMPORTS_VERSION}"
		go install "k8s.io/kube-openapi/cmd/openapi-gen@${KUBE_OPENAPI_VERSION}"
	)
	echo "${want}" >"${stamp}"
}

# module_dir prints the directory of a module version in the module cache,
# downloading it when needed.
module_dir() {
	go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p'
}

# ensure_golangci_lint installs the pinned golangci-lint into _output/tools
# (built from its module, a few minutes the first time) unless it is there.
ensure_golangci_lint() {
	local stamp="${TOOLS_BIN}/.golangci-lint-version"
	if [ -x "${TOOLS_BIN}/golangci-lint" ] && [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${GOLANGCI_LINT_VERSION}" ]; then
		return 0
	fi
	echo ">> installing golangci-lint ${GOLANGCI_LINT_VERSION}"
	mkdir -p "${TOOLS_BIN}"
	GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@${GOLANGCI_LINT_VERSION}"
	echo "${GOLANGCI_LINT_VERSION}" >"${stamp}"
}

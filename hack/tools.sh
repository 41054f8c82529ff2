#!/usr/bin/env bash
# Builds the pinned test tools from Go modules into _output/bin and prints
# their paths, one a line, on stdout (progress goes to stderr).
#
#   hack/tools.sh kubectl     kubectl                  (module hack/tools/kubectl)
#   hack/tools.sh e2e         kubectl, etcd, kube-apiserver, kube-controller-manager
#   hack/tools.sh NAME...     any of kubectl etcd kube-apiserver kube-controller-manager
#   hack/tools.sh pin [VERSION]
#                             re-pin both tool modules to Kubernetes VERSION (default:
#                             the one pinned now) and regenerate hack/tools/go.mod's
#                             replaces of the staging modules from k8s.io/kubernetes's go.mod
#
# Scripts use these binaries, never whatever kubectl is on PATH:
#   KUBECTL=$(hack/tools.sh kubectl)
#
# Versions come from the modules' go.mod files: kubectl from k8s.io/kubectl in
# hack/tools/kubectl/go.mod (v0.X.Y is kubectl v1.X.Y); kube-apiserver and
# kube-controller-manager from k8s.io/kubernetes in hack/tools/go.mod; etcd is
# our own main around go.etcd.io/etcd/server/v3/embed at the version that
# module resolves to. kubectl is a module of its own so that `make test`, which
# needs only kubectl, never downloads k8s.io/kubernetes.
#
# Reuse: NAME.stamp next to each binary records its version and a hash of
# what went into it (go.mod, go.sum, our sources, the build flags). A binary
# whose stamp matches is not rebuilt; any change rebuilds it. The Go toolchain
# version is deliberately not part of the stamp (a patch release of Go does not
# warrant an 11-minute rebuild); delete _output/bin/NAME.stamp to force one.
#
# Environment: TOOLS_NICE (default 19) is the niceness of the go builds, which
# take minutes on two cores shared with other work.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="${ROOT}/hack/tools"
BIN="${ROOT}/_output/bin"

# Builds here must not pick up a go.work, a vendor directory or the VCS state
# of this repository, and are static like the upstream release binaries.
export GOWORK=off
export GOFLAGS="-mod=readonly -buildvcs=false"
export CGO_ENABLED=0
# Upstream's release build tags (kubernetes hack/lib/golang.sh, non-debug).
BUILD_TAGS="selinux,notest,grpcnotrace"

log() { echo ">> $*" >&2; }
die() { echo "hack/tools.sh: $*" >&2; exit 1; }

# mod_require GOMOD MODULE prints the version GOMOD requires of MODULE.
mod_require() {
	awk -v m="$2" '
		$1 == "require" && $2 == m && $3 ~ /^v/ { print $3; exit }
		$1 == m && $2 ~ /^v/ { print $2; exit }
	' "$1"
}

# mod_time DIR MODULE prints the UTC commit time of MODULE as DIR's module
# resolves it, as kubernetes' buildDate; the epoch when it is unknown.
mod_time() {
	(cd "$1" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2" 2>/dev/null) |
		grep . || echo "1970-01-01T00:00:00Z"
}

# kube_ldflags VERSION stamps VERSION (vMAJOR.MINOR.PATCH) the way
# kube::version::ldflags does, into both version packages. The release's git
# commit is unknown in a module zip, so, like upstream's build from a source
# archive, the tree state is "archive" (and the commit empty rather than the
# "$Format:%H$" placeholder).
kube_ldflags() {
	local version=$1 major minor rest flags="" pkg
	rest=${version#v}
	major=${rest%%.*}
	rest=${rest#*.}
	minor=${rest%%.*}
	for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
		flags+=" -X ${pkg}.gitVersion=${version} -X ${pkg}.gitMajor=${major} -X ${pkg}.gitMinor=${minor}"
		flags+=" -X ${pkg}.gitCommit= -X ${pkg}.gitTreeState=archive"
	done
	echo "${flags# }"
}

# build NAME VERSION MODDIR PKG LDFLAGS [DATE_MODULE [SRC...]] builds PKG in the
# module at MODDIR into ${BIN}/NAME unless the stamp there already matches.
# LDFLAGS are part of the stamp; buildDate (the date of DATE_MODULE's version)
# is not, so that it alone never causes a rebuild.
build() {
	local name=$1 version=$2 moddir=$3 pkg=$4 ldflags=$5 date_module=${6:-} srcs=("${@:7}")
	local out="${BIN}/${name}" stamp="${BIN}/${name}.stamp"
	local flags="CGO_ENABLED=${CGO_ENABLED} -trimpath -tags=${BUILD_TAGS} -ldflags=-s -w ${ldflags}"
	local hash want
	hash=$({
		printf '%s\n%s\n' "${pkg}" "${flags}"
		cat "${moddir}/go.mod" "${moddir}/go.sum" ${srcs[@]+"${srcs[@]}"}
	} | sha256sum | cut -d' ' -f1)
	want=$(printf 'name=%s\nversion=%s\ninputs=sha256:%s\n' "${name}" "${version}" "${hash}")
	if [[ -x ${out} && -f ${stamp} && "$(<"${stamp}")" == "${want}" ]]; then
		echo "${out}"
		return 0
	fi

	local date_flags="" start=${SECONDS} tmp="${out}.tmp.$$"
	if [[ -n ${date_module} ]]; then
		local date pkgpath
		date=$(mod_time "${moddir}" "${date_module}")
		for pkgpath in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
			date_flags+=" -X ${pkgpath}.buildDate=${date}"
		done
	fi
	log "building ${name} ${version} (${pkg})"
	rm -f "${stamp}"
	mkdir -p "${BIN}"
	TMP_FILES+=("${tmp}")
	(
		cd "${moddir}"
		nice -n "${TOOLS_NICE:-19}" go build -trimpath -tags="${BUILD_TAGS}" \
			-ldflags="-s -w ${ldflags}${date_flags}" -o "${tmp}" "${pkg}"
	) >&2
	mv -f "${tmp}" "${out}"
	printf '%s\n' "${want}" >"${stamp}"
	log "built ${out} in $((SECONDS - start))s"
	echo "${out}"
}

tool_kubectl() {
	local dir="${TOOLS}/kubectl" v
	v=$(mod_require "${dir}/go.mod" k8s.io/kubectl)
	[[ ${v} == v0.* ]] || die "k8s.io/kubectl ${v:-not found} in ${dir}/go.mod"
	v="v1.${v#v0.}"
	build kubectl "${v}" "${dir}" . "$(kube_ldflags "${v}")" k8s.io/kubectl "${dir}"/*.go
}

tool_kube() { # kube-apiserver | kube-controller-manager
	local v
	v=$(mod_require "${TOOLS}/go.mod" k8s.io/kubernetes)
	[[ -n ${v} ]] || die "k8s.io/kubernetes not found in ${TOOLS}/go.mod"
	build "$1" "${v}" "${TOOLS}" "k8s.io/kubernetes/cmd/$1" "$(kube_ldflags "${v}")" k8s.io/kubernetes
}

tool_etcd() {
	local v
	v=$(mod_require "${TOOLS}/go.mod" go.etcd.io/etcd/server/v3)
	[[ -n ${v} ]] || die "go.etcd.io/etcd/server/v3 not found in ${TOOLS}/go.mod"
	build etcd "${v}" "${TOOLS}" ./etcd "" "" "${TOOLS}"/etcd/*.go
}

# pin [VERSION]: see the header. Needs the network (the Go module proxy).
pin() {
	local version=${1:-} staging kdir m
	[[ -n ${version} ]] || version=$(mod_require "${TOOLS}/go.mod" k8s.io/kubernetes)
	[[ ${version} =~ ^v1\.[0-9]+\.[0-9]+$ ]] || die "pin: want a version like v1.37.2, got '${version}'"
	staging="v0.${version#v1.}"
	log "pinning the tool modules to Kubernetes ${version} (staging modules ${staging})"

	(
		cd "${TOOLS}/kubectl"
		go get "k8s.io/kubectl@${staging}" "k8s.io/client-go@${staging}" "k8s.io/component-base@${staging}"
		go mod tidy
	) >&2

	kdir=$(cd "${TOOLS}" && go mod download -json "k8s.io/kubernetes@${version}" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -f ${kdir}/go.mod ]] || die "pin: could not download k8s.io/kubernetes@${version}"
	# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces
	# them with ./staging/src/...; replaces do not apply to a dependency, so
	# point each staging module it requires at its published version instead.
	local -a drops=() replaces=()
	while read -r m; do
		drops+=(-dropreplace="${m}")
	done < <(awk '
		$2 == "=>" && $3 ~ /^k8s\.io\// { print $1 }
		$1 == "replace" && $3 == "=>" && $4 ~ /^k8s\.io\// { print $2 }
	' "${TOOLS}/go.mod")
	while read -r m; do
		replaces+=("${m} => ${m} ${staging}")
	done < <(awk '
		/^require[[:space:]]*\(/ { inreq = 1; next }
		/^replace[[:space:]]*\(/ { inrep = 1; next }
		/^\)/ { inreq = 0; inrep = 0; next }
		inreq && $2 == "v0.0.0" { req[$1] = 1 }
		$1 == "require" && $3 == "v0.0.0" { req[$2] = 1 }
		inrep && $2 == "=>" && $3 ~ /^\.\/staging\// { rep[$1] = 1 }
		$1 == "replace" && $3 == "=>" && $4 ~ /^\.\/staging\// { rep[$2] = 1 }
		END { for (m in rep) if (m in req) print m }
	' "${kdir}/go.mod" | sort)
	[[ ${#replaces[@]} -gt 0 ]] || die "pin: found no staging modules in ${kdir}/go.mod"
	log "replacing ${#replaces[@]} staging modules with their ${staging} releases"
	(
		cd "${TOOLS}"
		go mod edit -require="k8s.io/kubernetes@${version}" ${drops[@]+"${drops[@]}"}
		{
			echo
			echo "// The staging modules k8s.io/kubernetes ${version} requires (at v0.0.0, replaced"
			echo "// there by ./staging/src/...), pointed at their ${staging} releases."
			echo "// Generated by hack/tools.sh pin from its go.mod: do not edit by hand."
			echo "replace ("
			printf '\t%s\n' "${replaces[@]}"
			echo ")"
		} >>go.mod
		go mod edit -fmt
		go mod tidy
	) >&2
}

TMP_FILES=()
cleanup() { [[ ${#TMP_FILES[@]} -eq 0 ]] || rm -f "${TMP_FILES[@]}"; }
trap cleanup EXIT

[[ $# -gt 0 ]] || die "usage: hack/tools.sh kubectl | e2e | pin [VERSION] | NAME..."
if [[ $1 == pin ]]; then
	shift
	pin "$@"
	exit 0
fi

# One build at a time: a second caller waits, then finds the binary stamped.
mkdir -p "${BIN}"
if command -v flock >/dev/null 2>&1; then
	exec 9>"${BIN}/.lock"
	flock 9
fi

for arg in "$@"; do
	case ${arg} in
	kubectl) tool_kubectl ;;
	etcd) tool_etcd ;;
	kube-apiserver | kube-controller-manager) tool_kube "${arg}" ;;
	e2e)
		tool_kubectl
		tool_etcd
		tool_kube kube-apiserver
		tool_kube kube-controller-manager
		;;
	*) die "unknown tool '${arg}' (want kubectl, e2e, etcd, kube-apiserver, kube-controller-manager or pin)" ;;
	esac
done

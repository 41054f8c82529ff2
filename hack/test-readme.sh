#!/usr/bin/env bash
# Runs the README's shell commands as a reader would paste them: every ```sh block
# of "## kubectl walkthrough" and of "## Protobuf" (except blocks right after a
# "<!-- readme-test: skip -->" line), each section in a fresh bash of its own, in
# a copy of the tree as git sees it, against `cicd-apiserver local` with its data
# in that copy's .cicd-apiserver/ (as `make run`). The shells get a PATH without
# Go: only the pinned kubectl, a Python with protobuf, and the system's tools.
set -o errexit -o nounset -o pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "${ROOT}/hack/lib-python.sh"
cd "${ROOT}"
ensure_protoc
PY=$(python_with_protobuf)
KUBECTL=$(hack/tools.sh kubectl)
go build -ldflags "$(hack/version.sh)" -o _output/bin/cicd-apiserver .

TMP=$(mktemp -d)
SERVER_PID=
cleanup() {
	if [ -n "${SERVER_PID}" ]; then
		kill -TERM "${SERVER_PID}" 2>/dev/null || true
		wait "${SERVER_PID}" 2>/dev/null || true
	fi
	rm -rf "${TMP}"
}
trap cleanup EXIT
REPO="${TMP}/repo"
mkdir -p "${REPO}" "${TMP}/tools" "${TMP}/home"
git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c '[ -e "{}" ] && printf "%s\0" "{}"' |
	tar --null -T - -cf - | tar -xf - -C "${REPO}"
ln -s "${KUBECTL}" "${TMP}/tools/kubectl"
ln -s "${PY}" "${TMP}/tools/python3"
SAFE_PATH="${TMP}/tools:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
if env -i PATH="${SAFE_PATH}" sh -c 'command -v go' >/dev/null; then
	echo "test-readme: go is on the reader's PATH (${SAFE_PATH}); cannot check the README without Go" >&2
	exit 1
fi

"${ROOT}/_output/bin/cicd-apiserver" local --data-dir "${REPO}/.cicd-apiserver" --secure-port 0 \
	>"${TMP}/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 180); do
	grep -q 'KUBECONFIG=' "${TMP}/server.log" && break
	kill -0 "${SERVER_PID}" 2>/dev/null || { cat "${TMP}/server.log" >&2; exit 1; }
	sleep 0.5
done
grep -q 'KUBECONFIG=' "${TMP}/server.log" || { echo "test-readme: server not ready" >&2; cat "${TMP}/server.log" >&2; exit 1; }

# blocks SECTION: the section's sh blocks, in order, as one script.
blocks() {
	awk -v section="$1" '
		/^## / { in_section = ($0 == section) }
		!in_section { next }
		in_block && /^```/ { in_block = 0; next }
		in_block { if (!skip) print; next }
		/^```sh$/ { in_block = 1; next }
		/^<!-- readme-test: skip -->$/ { skip = 1; next }
		NF { skip = 0 }
	' README.md
}

passed=0 failed=0
run_section() {
	local section=$1 script="${TMP}/section.sh" out="${TMP}/section.out" want ok=1
	shift
	blocks "${section}" >"${script}"
	[ -s "${script}" ] || { echo "test-readme: no commands in ${section}" >&2; exit 1; }
	echo ">> ${section}: $(grep -c . "${script}") lines, PATH without Go"
	if ! (cd "${REPO}" && env -i HOME="${TMP}/home" PATH="${SAFE_PATH}" LANG=C.UTF-8 \
		KUBECONFIG="${REPO}/.cicd-apiserver/admin.kubeconfig" bash -o errexit -o pipefail "${script}") >"${out}" 2>&1; then
		sed 's/^/   | /' "${out}"
		echo "FAIL ${section}: a command failed" >&2
		failed=$((failed + 1))
		return
	fi
	sed 's/^/   | /' "${out}"
	for want in "$@"; do
		if ! grep -qF -- "${want}" "${out}"; then
			echo "FAIL ${section}: the output lacks \"${want}\"" >&2
			ok=0
		fi
	done
	if [ "${ok}" = 1 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

run_section "## kubectl walkthrough" "jenkinsservice.autobusi.group.cicd/ci replaced" "Approved"
run_section "## Protobuf" \
	"autobusi.group.cicd/v1beta JenkinsServiceList ['ci']" "ADDED ci 3" "404 NotFound" \
	"2 2 2Gi jenkins/jenkins:lts" "Approved" "422 ['spec.replicas']" "ADDED py" "MODIFIED py" "DELETED py"
echo "readme: ${passed} passed, ${failed} failed"
[ "${failed}" = 0 ]

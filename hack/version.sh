#!/usr/bin/env bash
# Prints the -ldflags that stamp cicd-apiserver's version (package version):
#
#   go build -ldflags "$(hack/version.sh)" .
#
# The version is `git describe --tags` of HEAD (v0.0.0-<date>-<commit> while
# the repository has no tag), with the commit, the tree state and the build
# date. VERSION, GIT_COMMIT and GIT_TREE_STATE override what git says (the
# image's build has no .git); without git or those, nothing is stamped and the
# binary reports v0.0.0-dev.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pkg=github.com/autobusi/cicd-apiserver/version
version=${VERSION:-}
commit=${GIT_COMMIT:-}
tree=${GIT_TREE_STATE:-}
if git rev-parse --git-dir >/dev/null 2>&1; then
	if [[ -z ${commit} ]]; then
		commit=$(git rev-parse HEAD)
	fi
	if [[ -z ${tree} ]]; then
		tree=clean
		[[ -z $(git status --porcelain --untracked-files=no 2>/dev/null) ]] || tree=dirty
	fi
	if [[ -z ${version} ]]; then
		version=$(git describe --tags --match 'v*' 2>/dev/null ||
			echo "v0.0.0-$(TZ=UTC git show -s --format=%cd --date=format-local:%Y%m%d%H%M%S HEAD)-$(git rev-parse --short=12 HEAD)")
	fi
fi

flags=()
[[ -z ${version} ]] || flags+=("-X ${pkg}.gitVersion=${version}")
[[ -z ${commit} ]] || flags+=("-X ${pkg}.gitCommit=${commit}")
[[ -z ${tree} ]] || flags+=("-X ${pkg}.gitTreeState=${tree}")
if ((${#flags[@]})); then
	flags+=("-X ${pkg}.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)")
fi
echo "${flags[*]:-}"

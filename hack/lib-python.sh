# Shared by the hack/ scripts for the Python client: finds a Python 3.11+ that
# has the protobuf runtime and PyYAML (kubeconfig reading), installing Debian's
# python3-protobuf and python3-yaml when none has.
# shellcheck shell=bash

# python_with_protobuf prints a Python interpreter that imports google.protobuf and yaml:
# $PYTHON when set, else python3 on PATH, else Debian's /usr/bin/python3.
python_with_protobuf() {
	local candidates=() py
	if [ -n "${PYTHON:-}" ]; then candidates=("${PYTHON}"); else candidates=(python3 /usr/bin/python3); fi
	for attempt in 1 2; do
		for py in "${candidates[@]}"; do
			if command -v "${py}" >/dev/null 2>&1 &&
				"${py}" -c 'import sys, google.protobuf, yaml; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
				command -v "${py}"
				return 0
			fi
		done
		[ "${attempt}" = 1 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || break
		echo ">> installing the Python protobuf runtime and PyYAML (Debian python3-protobuf python3-yaml)" >&2
		apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends python3 python3-protobuf python3-yaml >/dev/null
	done
	echo "no Python 3.11+ with the protobuf runtime: install Debian's python3-protobuf and python3-yaml (or pip install protobuf pyyaml) or set PYTHON" >&2
	return 1
}

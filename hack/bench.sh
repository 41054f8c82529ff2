#!/usr/bin/env bash
# make bench: the same workload against cicd-apiserver (local mode: v1beta
# protobuf, v1alpha protobuf; as deployed, behind the pinned kube-apiserver's
# aggregator: v1beta protobuf and JSON), a multi-version CRD with a conversion
# webhook in the pinned kube-apiserver (v1beta JSON) and raw etcd; more with
# -setups (ours-json, crd-alpha, deploy). Every phase runs against every setup
# in turn, -rounds times (3); the report gives medians and spreads; -growth
# adds create, list and delete at several N on fresh processes, with a plot.
# Prints a line per phase and tables at the end, and writes
# docs/benchmarks.md. See test/bench.
#
#   hack/bench.sh                      N=10000 C=8, 3 rounds
#   hack/bench.sh -growth 1000,10000,50000
#                                      the rounds, then growth (make bench)
#   hack/bench.sh -rounds 0 -growth 1000,10000,50000
#                                      growth with N only (make bench-growth)
#   N=2000 C=8 hack/bench.sh           a smaller run
#   hack/bench.sh -setups ours-pb,etcd -profile-dir /tmp/prof -out ''
#                                      any flag of test/bench (go run ./test/bench -h)
#
# The pinned etcd and kube-apiserver come from hack/tools.sh (reused when built;
# a cold build of kube-apiserver takes over ten minutes). The server and the
# bench are built into _output/bench, so that a run never replaces a binary
# someone else is running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

start=${SECONDS}
echo ">> hack/tools.sh etcd kube-apiserver (reused when built)" >&2
hack/tools.sh etcd kube-apiserver >/dev/null
echo ">> building cicd-apiserver and test/bench into _output/bench" >&2
mkdir -p _output/bench
go build -ldflags "$(hack/version.sh)" -o _output/bench/cicd-apiserver .
go build -o _output/bench/bench ./test/bench
# The plot program of -growth is a module of its own (gonum.org/v1/plot stays
# out of the server's go.mod).
(cd test/bench/plot && go build -o ../../../_output/bench/plot .)
echo ">> ready in $((SECONDS - start))s" >&2

_output/bench/bench -n "${N:-10000}" -c "${C:-8}" \
	-server _output/bench/cicd-apiserver -bin-dir _output/bin -plot _output/bench/plot "$@"
echo ">> make bench took $((SECONDS - start))s" >&2

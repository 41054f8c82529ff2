// Command bench is `make bench`: the same workload against cicd-apiserver
// in local mode (v1beta JSON, v1beta protobuf, v1alpha protobuf) and as
// deployed, behind kube-apiserver's aggregator (ours-agg: protobuf,
// ours-agg-json), against a multi-version CRD with a conversion webhook in
// the pinned kube-apiserver (through v1beta and v1alpha, JSON), against
// built-in Deployments in that kube-apiserver (protobuf), and against raw
// etcd. All setups start first; then -rounds rounds run every phase against
// every setup in turn. It prints a line per phase and tables at the end, and
// writes docs/benchmarks.md with the medians and spreads of the target
// ratios computed within each round.
//
//	go run ./test/bench -n 10000 -c 8
//	go run ./test/bench webhook --addr 127.0.0.1:0 --cert C --key K   (the conversion webhook)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

var allSetups = []string{"ours-json", "ours-pb", "ours-alpha", "crd-beta", "crd-alpha", "deploy", "ours-agg", "ours-agg-json", "etcd"}

// defaultSetups are those the targets need: a round of them takes about
// five minutes at N=10 000 on two cores.
var defaultSetups = []string{"ours-pb", "ours-alpha", "crd-beta", "ours-agg", "ours-agg-json", "etcd"}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "webhook" {
		if err := runWebhook(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "webhook:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.IntVar(&o.p.N, "n", 10000, "objects to create (N)")
	fs.IntVar(&o.p.C, "c", 8, "concurrent clients (C)")
	fs.IntVar(&o.p.Gets, "gets", 0, "random GETs (0: N)")
	fs.IntVar(&o.p.Lists, "lists", 5, "repetitions of the full list and of the paged list (the best counts)")
	fs.Int64Var(&o.p.PageLimit, "page", 500, "page size of the paged list")
	fs.IntVar(&o.p.Updates, "updates", 0, "read-modify-write updates on the hot keys (0: N/10)")
	fs.IntVar(&o.p.HotKeys, "hot", 16, "hot keys of the update phase")
	fs.IntVar(&o.p.Watchers, "watchers", 10, "watchers of the watch phase")
	fs.IntVar(&o.p.ManyWatchers, "many-watchers", 100, "watchers of the second watch phase (0: none)")
	fs.IntVar(&o.p.ManyWatchUpdates, "many-watch-updates", 0, "updates the watchers of the second watch phase receive (0: half of -watch-updates, at least 100)")
	fs.IntVar(&o.p.Rounds, "rounds", 3, "rounds: every phase runs against every setup in turn, this many times; the report gives medians and spreads (0: none, with -growth)")
	growth := fs.String("growth", "", "after the rounds, create, list and delete N objects in ours-pb, ours-agg and crd-beta for each N of this comma-separated list (e.g. 1000,10000,50000), with slopes and a plot")
	fs.StringVar(&o.plotBin, "plot", "", "the plot program for -growth (test/bench/plot; hack/bench.sh builds it)")
	fs.IntVar(&o.p.WatchUpdates, "watch-updates", 0, "updates the watchers receive, M (0: N/10, at least 100)")
	setups := fs.String("setups", strings.Join(defaultSetups, ","), "setups to run, comma separated: "+strings.Join(allSetups, ", "))
	fs.StringVar(&o.binDir, "bin-dir", "_output/bin", "directory of the pinned etcd and kube-apiserver (hack/tools.sh)")
	fs.StringVar(&o.serverBin, "server", "_output/bin/cicd-apiserver", "the cicd-apiserver binary")
	fs.StringVar(&o.workDir, "work-dir", "", "work directory (data, logs, certificates); a temporary one when empty")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory")
	fs.StringVar(&o.out, "out", "docs/benchmarks.md", "Markdown report to write (empty: none)")
	fs.BoolVar(&o.fsync, "etcd-fsync", true, "let etcd fsync its WAL (false: --unsafe-no-fsync) — the same for every setup")
	fs.StringVar(&o.profileDir, "profile-dir", "", "write CPU profiles of the API servers and their etcd per phase, and a heap profile of the API servers after create, into this directory")
	fs.DurationVar(&o.profileFor, "profile-for", 10*time.Second, "length of each CPU profile")
	fs.IntVar(&o.valueSize, "value-size", 0, "value size of the raw etcd setup (0: the size of our stored object, measured in ours-pb, else 865)")
	fs.DurationVar(&o.timeout, "timeout", 40*time.Minute, "give up after this long")
	fs.StringVar(&o.clientAuth, "client-auth", clientAuthToken, "how the clients authenticate to kube-apiserver (CRD, Deployments, ours through the aggregator): token (a ServiceAccount token with an RBAC role, as in-cluster clients) or cert (the admin's client certificate, system:masters)")
	fs.BoolVar(&o.aggRouting, "agg-routing", false, "ours-agg*: kube-apiserver with --enable-aggregator-routing, our server on the machine's own address behind a Service with an EndpointSlice (default: an ExternalName Service for localhost)")
	aggServerFlags := fs.String("agg-server-flags", "", "more flags for cicd-apiserver behind the aggregator, space separated (e.g. --disable-http2-serving)")
	fs.BoolVar(&noGzip, "no-gzip", false, "clients do not accept gzip (client-go accepts it by default, and API servers compress responses over 128 KiB)")
	_ = fs.Parse(os.Args[1:])

	if o.p.Gets == 0 {
		o.p.Gets = o.p.N
	}
	if o.p.Updates == 0 {
		o.p.Updates = max(o.p.N/10, 10)
	}
	if o.p.WatchUpdates == 0 {
		o.p.WatchUpdates = max(o.p.N/10, 100)
	}
	if o.p.ManyWatchUpdates == 0 {
		o.p.ManyWatchUpdates = max(o.p.WatchUpdates/2, 100)
	}
	var err error
	if o.growth, err = parseGrowth(*growth); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if o.p.N < 2*o.p.HotKeys || o.p.C < 1 || o.p.Watchers < 1 || o.p.Lists < 1 || o.p.Rounds < 0 || (o.p.Rounds == 0 && len(o.growth) == 0) || o.p.ManyWatchers < 0 {
		fmt.Fprintln(os.Stderr, "bench: need -n ≥ 2×-hot, -c ≥ 1, -watchers ≥ 1, -many-watchers ≥ 0, -lists ≥ 1, -rounds ≥ 1 (or 0 with -growth)")
		os.Exit(2)
	}
	o.aggServerFlags = strings.Fields(*aggServerFlags)
	if o.clientAuth != clientAuthToken && o.clientAuth != clientAuthCert {
		fmt.Fprintln(os.Stderr, "bench: -client-auth is token or cert")
		os.Exit(2)
	}
	o.setups = map[string]bool{}
	for _, s := range strings.Split(*setups, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !contains(allSetups, s) {
			fmt.Fprintf(os.Stderr, "bench: unknown setup %q (known: %s)\n", s, strings.Join(allSetups, ", "))
			os.Exit(2)
		}
		o.setups[s] = true
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, o.timeout)
	defer cancelT()
	if err := run(ctx, &o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	p              params
	setups         map[string]bool
	binDir         string
	serverBin      string
	workDir        string
	keep           bool
	out            string
	fsync          bool
	profileDir     string
	profileFor     time.Duration
	growth         []int
	plotBin        string
	valueSize      int
	timeout        time.Duration
	clientAuth     string
	aggRouting     bool
	aggServerFlags []string
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// startSetups starts the setups in want (and what they need) on env.
func (e *environment) startSetups(ctx context.Context, want map[string]bool, st *stops) ([]*setup, error) {
	e.want = want
	var setups []*setup
	for _, id := range []string{"ours-json", "ours-pb", "ours-alpha"} {
		if !want[id] {
			continue
		}
		s, err := e.startOurs(ctx, id, st)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		setups = append(setups, s)
	}
	if want["crd-beta"] || want["crd-alpha"] || want["deploy"] {
		ss, err := e.startKube(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("kube-apiserver: %w", err)
		}
		setups = append(setups, ss...)
	}
	if want["ours-agg"] || want["ours-agg-json"] {
		ss, err := e.startAgg(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("aggregated: %w", err)
		}
		setups = append(setups, ss...)
	}
	if want["etcd"] {
		s, err := e.startRawEtcd(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("etcd: %w", err)
		}
		setups = append(setups, s)
	}
	for _, s := range setups {
		if s.rssPID != 0 {
			s.baseRSS, _ = rssBytes(s.rssPID)
		}
	}
	return setups, nil
}

func run(ctx context.Context, o *options) (err error) {
	started := time.Now()
	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "cicd-bench-"); err != nil {
			return err
		}
	}
	if o.workDir, err = filepath.Abs(o.workDir); err != nil {
		return err
	}
	defer func() {
		if o.keep || err != nil {
			logf("kept the work directory %s (logs/ has every process's output)", o.workDir)
		} else {
			os.RemoveAll(o.workDir)
		}
	}()
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	if o.binDir, err = filepath.Abs(o.binDir); err != nil {
		return err
	}
	if o.serverBin, err = filepath.Abs(o.serverBin); err != nil {
		return err
	}
	env, err := newEnvironment(o)
	if err != nil {
		return err
	}
	b := &bench{p: o.p, profileDir: o.profileDir, profileFor: o.profileFor, logf: logf}
	logf("work directory %s; N=%d C=%d gets=%d lists=%d page=%d updates=%d on %d hot keys, %d watchers × %d updates; etcd fsync %v",
		o.workDir, o.p.N, o.p.C, o.p.Gets, o.p.Lists, o.p.PageLimit, o.p.Updates, o.p.HotKeys, o.p.Watchers, o.p.WatchUpdates, o.fsync)

	// Every setup is started first and runs until the end of the rounds:
	// they interleave their phases.
	var st stops
	defer st.run()
	var setups []*setup
	if o.p.Rounds > 0 {
		if setups, err = env.startSetups(ctx, o.setups, &st); err != nil {
			return err
		}
	}
	var order []string
	for _, s := range setups {
		order = append(order, s.id)
	}
	var rounds []map[string]*setupResult
	for r := 0; r < o.p.Rounds && ctx.Err() == nil; r++ {
		// Each round starts with another setup, so that none is always
		// first after the previous phase's burst.
		rot := append(append([]*setup(nil), setups[r%len(setups):]...), setups[:r%len(setups)]...)
		res := b.round(ctx, rot, r)
		for _, s := range setups {
			res[s.id].StoredValueBytes = s.storedBytes
		}
		rounds = append(rounds, res)
	}
	st.run() // growth starts processes of its own
	var growthPts []growthPoint
	if len(o.growth) > 0 && ctx.Err() == nil {
		if growthPts, err = b.growth(ctx, env, o.growth); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}

	rep := newReport(o, env, rounds, order, started)
	rep.growth = growthPts
	if len(growthPts) > 0 && o.out != "" {
		rep.plot = "benchmarks-growth.svg"
		svg := filepath.Join(filepath.Dir(o.out), rep.plot)
		if err := drawGrowth(growthPts, o.plotBin, o.workDir, svg); err != nil {
			logf("growth plot: %v", err)
			rep.plot = ""
		} else {
			logf("wrote %s", svg)
		}
	}
	text := rep.markdown()
	fmt.Println()
	fmt.Println(rep.terminal())
	if o.out != "" {
		if err := rep.write(o.out, text); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	logf("done in %s", time.Since(started).Round(time.Second))
	return nil
}

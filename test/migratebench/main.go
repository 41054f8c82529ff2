// Command migratebench measures `cicd-apiserver migrate` on the original
// server's data: it starts the pinned etcd, puts N legacy objects (v1alpha
// JSON) into it, starts `cicd-apiserver local` on it, and runs migrate twice
// (the rewrite, then a run that finds everything current), printing objects
// per second and the CPU the server and etcd used meanwhile.
//
//	go build -o _output/bench/cicd-apiserver . && go run ./test/migratebench -n 10000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/autobusi/cicd-apiserver/test/internal/legacydata"
)

func main() {
	n := flag.Int("n", 10000, "legacy objects")
	namespaces := flag.Int("namespaces", 10, "namespaces the objects are spread over")
	server := flag.String("server", "_output/bench/cicd-apiserver", "the cicd-apiserver binary")
	etcdBin := flag.String("etcd", "_output/bin/etcd", "the pinned etcd")
	migrateArgs := flag.String("migrate-args", "", "more flags for migrate, space separated")
	flag.Parse()
	if err := run(*n, *namespaces, *server, *etcdBin, strings.Fields(*migrateArgs)); err != nil {
		fmt.Fprintln(os.Stderr, "migratebench:", err)
		os.Exit(1)
	}
}

func run(n, namespaces int, server, etcdBin string, migrateArgs []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "migratebench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	cp, pp, sp := freePort(), freePort(), freePort()
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", cp)
	etcd := exec.CommandContext(ctx, etcdBin, "--data-dir", filepath.Join(dir, "etcd"),
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", pp),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", pp),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", pp), "--log-level", "warn")
	etcd.Stderr = io.Discard
	if err := etcd.Start(); err != nil {
		return err
	}
	defer func() { _ = etcd.Process.Kill(); _ = etcd.Wait() }()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{clientURL}, DialTimeout: 30 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return err
	}
	defer client.Close()
	seedStart := time.Now()
	for i := range namespaces {
		per := n / namespaces
		if i < n%namespaces {
			per++
		}
		if _, err := legacydata.Seed(ctx, client, fmt.Sprintf("bench-%d", i), "js", per); err != nil {
			return err
		}
	}
	fmt.Printf("seeded %d legacy objects (v1alpha JSON) in %s\n", n, time.Since(seedStart).Round(time.Millisecond))

	srv := exec.CommandContext(ctx, server, "local", "--data-dir", filepath.Join(dir, "server"),
		"--etcd-servers", clientURL, "--secure-port", strconv.Itoa(sp), "--max-jenkinsservices", "0")
	out, err := srv.StdoutPipe()
	if err != nil {
		return err
	}
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() { _ = srv.Process.Signal(os.Interrupt); _ = srv.Wait() }()
	kubeconfig := ""
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := regexp.MustCompile(`KUBECONFIG=(\S+?);`).FindStringSubmatch(sc.Text()); m != nil {
			kubeconfig = m[1]
			break
		}
	}
	if kubeconfig == "" {
		return fmt.Errorf("the server printed no kubeconfig line")
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	for _, step := range []string{"rewrite", "all current"} {
		cpuServer, cpuEtcd := cpuSeconds(srv.Process.Pid), cpuSeconds(etcd.Process.Pid)
		start := time.Now()
		cmd := exec.CommandContext(ctx, server, append([]string{"migrate", "--kubeconfig", kubeconfig}, migrateArgs...)...)
		b, err := cmd.CombinedOutput()
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("migrate: %w\n%s", err, b)
		}
		dServer, dEtcd := cpuSeconds(srv.Process.Pid)-cpuServer, cpuSeconds(etcd.Process.Pid)-cpuEtcd
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		fmt.Printf("%-12s %d objects in %s: %.0f objects/s; server CPU %.1fs (%.2f cores), etcd CPU %.1fs (%.2f cores)\n  %s\n",
			step, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
			dServer, dServer/elapsed.Seconds(), dEtcd, dEtcd/elapsed.Seconds(), lines[len(lines)-1])
	}
	forms, err := legacydata.Forms(ctx, client)
	if err != nil {
		return err
	}
	fmt.Printf("stored forms after: %v\n", forms)
	return nil
}

// cpuSeconds is the user and system CPU time of a process so far, from
// /proc/<pid>/stat (clock ticks of 1/100 s).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

package framework

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ProcStat is what Linux's /proc says about the server process: the CPU it
// has used and its resident memory, now and at its peak since the last
// ResetPeakMemory.
type ProcStat struct {
	CPUSeconds float64
	RSSBytes   int64
	PeakBytes  int64
}

// ProcStat reads the server process's CPU time and memory from /proc.
func (s *Server) ProcStat() (ProcStat, error) {
	pid, err := s.pid()
	if err != nil {
		return ProcStat{}, err
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcStat{}, err
	}
	// The fields after the command name, which is in parentheses: utime and
	// stime are the 12th and 13th of them, in clock ticks (100 per second).
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(fields) < 13 {
		return ProcStat{}, fmt.Errorf("/proc/%d/stat: %q", pid, stat)
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	ps := ProcStat{CPUSeconds: (utime + stime) / 100}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ProcStat{}, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			ps.RSSBytes = kb << 10
		case "VmHWM":
			ps.PeakBytes = kb << 10
		}
	}
	return ps, nil
}

// ResetPeakMemory makes the peak resident memory the current one (Linux's
// clear_refs 5).
func (s *Server) ResetPeakMemory() error {
	pid, err := s.pid()
	if err != nil {
		return err
	}
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func (s *Server) pid() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return 0, fmt.Errorf("the server is not a process of this test")
	}
	return s.cmd.Process.Pid, nil
}

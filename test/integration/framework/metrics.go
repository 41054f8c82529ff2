package framework

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Sample is one line of the Prometheus text format: a series and its value.
type Sample struct {
	Name   string
	Labels string // the text between the braces, e.g. group="g",resource="r"
	Value  float64
}

// Metrics scrapes the server's /metrics with the admin credentials.
func (s *Server) Metrics(t testing.TB) string {
	t.Helper()
	code, _, body := s.Get(t, s.AdminHTTPClient(t), "/metrics", "text/plain")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d: %s", code, body)
	}
	return string(body)
}

// FindSamples returns the samples of the metric name (exactly that name, not
// its _bucket/_sum/... series) whose labels include every label in want.
func FindSamples(text, name string, want map[string]string) []Sample {
	var out []Sample
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		labels := ""
		if rest[0] == '{' {
			end := strings.LastIndex(rest, "}")
			if end < 0 {
				continue
			}
			labels, rest = rest[1:end], rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		match := true
		for k, val := range want {
			if !hasLabel(labels, k, val) {
				match = false
				break
			}
		}
		if match {
			out = append(out, Sample{Name: name, Labels: labels, Value: v})
		}
	}
	return out
}

func hasLabel(labels, key, value string) bool {
	needle := fmt.Sprintf("%s=%q", key, value)
	for _, part := range splitLabels(labels) {
		if part == needle {
			return true
		}
	}
	return false
}

// splitLabels splits a="x",b="y" at the commas outside quotes.
func splitLabels(s string) []string {
	var parts []string
	inQuote, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case c == ',' && !inQuote:
			parts = append(parts, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		parts = append(parts, rest)
	}
	return parts
}

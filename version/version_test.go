package version

import (
	"strings"
	"testing"
)

func TestUnstamped(t *testing.T) {
	i := Get()
	if i.GitVersion != "v0.0.0-dev" || i.GitCommit != "" || i.Major != "0" || i.Minor != "0" {
		t.Errorf("unstamped build reports %+v, want v0.0.0-dev without a commit", i)
	}
	if s := String(); !strings.HasPrefix(s, "cicd-apiserver v0.0.0-dev go") {
		t.Errorf("String() = %q", s)
	}
}

func TestStamped(t *testing.T) {
	defer func(v, c, s, d string) { gitVersion, gitCommit, gitTreeState, buildDate = v, c, s, d }(gitVersion, gitCommit, gitTreeState, buildDate)
	gitVersion, gitCommit, gitTreeState, buildDate = "v0.3.1-4-gabcdef0", "abcdef0123", "dirty", "2026-11-25T00:00:00Z"
	i := Get()
	if i.Major != "0" || i.Minor != "3" {
		t.Errorf("major, minor = %q, %q", i.Major, i.Minor)
	}
	if s := String(); !strings.HasPrefix(s, "cicd-apiserver v0.3.1-4-gabcdef0 commit abcdef0123-dirty built 2026-11-25T00:00:00Z go") {
		t.Errorf("String() = %q", s)
	}
}

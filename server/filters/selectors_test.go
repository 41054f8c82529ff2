package filters

import (
	"net/url"
	"strings"
	"testing"
)

func TestSelectorRequirements(t *testing.T) {
	for _, c := range []struct {
		selector string
		labels   bool
		want     int
	}{
		{"", true, 0},
		{"a=b", true, 1},
		{"a=b,c!=d,!e", true, 3},
		{"a in (x,y,z),b notin (1,2)", true, 2},
		{"a in (x,y", true, 1}, // the parser says what is wrong
		{"metadata.name=a,spec.replicas=2", false, 2},
		{`metadata.name=a\,b,metadata.namespace=c`, false, 2},
		{`metadata.name=a\\,metadata.namespace=c`, false, 2},
	} {
		if got := selectorRequirements(c.selector, c.labels); got != c.want {
			t.Errorf("selectorRequirements(%q, labels %v) = %d, want %d", c.selector, c.labels, got, c.want)
		}
	}
}

func TestCheckSelectors(t *testing.T) {
	many := func(term string, n int) string { return strings.TrimSuffix(strings.Repeat(term+",", n), ",") }
	for _, c := range []struct {
		query string
		ok    bool
	}{
		{"labelSelector=" + url.QueryEscape(many("a!=b", 1000)), true},
		{"labelSelector=" + url.QueryEscape(many("a!=b", 1001)), false},
		{"labelSelector=" + url.QueryEscape("a in ("+many("v", 5000)+")"), true},
		{"fieldSelector=" + url.QueryEscape(many("metadata.name!=b", 1000)), true},
		{"fieldSelector=" + url.QueryEscape(many("metadata.name!=b", 1001)), false},
		{"fieldSelector=" + url.QueryEscape(many(`metadata.name=a\,b`, 600)), true},
	} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkSelectors(q); (err == nil) != c.ok {
			t.Errorf("%.60s…: %v, want ok %v", c.query, err, c.ok)
		}
	}
}

package filters

import (
	"strings"
	"testing"
)

// Tags and anchors before a flow collection ("!!seq [", "&a [") hid its
// nesting from yamlDepth: each '[' followed a letter, where no value starts.
func TestYAMLDepthTagsAndAnchors(t *testing.T) {
	for _, c := range []struct {
		name, yaml string
		depth      int // the least limit it passes
	}{
		{"tags", "a: !!seq [!!seq [!!map {b: 1}]]\n", 4},
		{"anchors", "a: &x [&y [1]]\n", 3},
		{"anchor right before a bracket", "a: &x[&y[1]]\n", 3},
		{"local tag", "a: !t [!u [1]]\n", 3},
		{"tag and anchor", "a: !!seq &x [!!seq &y [1]]\n", 3},
		{"tag of a block mapping", "a: !!map\n  b: 1\n", 2},
		{"exclamation mark in a plain scalar", "a: b!c[d]\n", 1},
		{"ampersand in a plain scalar", "a: b&c[d]\n", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if d := yamlDepth([]byte(c.yaml), c.depth); d != nil {
				t.Errorf("refused at limit %d (byte %d)", c.depth, d.offset)
			}
			if c.depth > 1 {
				if d := yamlDepth([]byte(c.yaml), c.depth-1); d == nil {
					t.Errorf("passed at limit %d, want refused", c.depth-1)
				}
			}
		})
	}
}

func TestYAMLDepthUTF16(t *testing.T) {
	utf16Body := func(s string, bigEndian bool) []byte {
		out := []byte{0xFF, 0xFE}
		if bigEndian {
			out = []byte{0xFE, 0xFF}
		}
		for _, r := range s { // ASCII only
			if bigEndian {
				out = append(out, 0, byte(r))
			} else {
				out = append(out, byte(r), 0)
			}
		}
		return out
	}
	deep := "a: " + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "\n"
	for _, bigEndian := range []bool{false, true} {
		if d := yamlDepth(yamlText(utf16Body(deep, bigEndian)), 10); d == nil {
			t.Errorf("UTF-16 (big endian %v): 20 levels passed at limit 10", bigEndian)
		}
		if d := yamlDepth(yamlText(utf16Body("a: [[1]]\n", bigEndian)), 10); d != nil {
			t.Errorf("UTF-16 (big endian %v): 2 levels refused at limit 10", bigEndian)
		}
	}
}

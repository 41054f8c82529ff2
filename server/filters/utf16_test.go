package filters

import (
	"strings"
	"testing"
)

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

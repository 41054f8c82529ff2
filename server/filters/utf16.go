package filters

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// yamlText is the YAML body as UTF-8 for the depth scan. The YAML decoder
// reads UTF-16 after a byte order mark too, and in UTF-16 every bracket is
// followed or preceded by a zero byte, which the scan takes for a scalar: a
// body in UTF-16 nested as deep as the decoder allows.
func yamlText(body []byte) []byte {
	var order binary.ByteOrder
	switch {
	case len(body) >= 2 && body[0] == 0xFE && body[1] == 0xFF:
		order = binary.BigEndian
	case len(body) >= 2 && body[0] == 0xFF && body[1] == 0xFE:
		order = binary.LittleEndian
	default:
		return body
	}
	units := make([]uint16, 0, len(body)/2)
	for i := 2; i+1 < len(body); i += 2 {
		units = append(units, order.Uint16(body[i:]))
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out
}

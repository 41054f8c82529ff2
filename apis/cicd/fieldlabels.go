package cicd

import "strconv"

// CanonicalIntegerFieldValue writes an integer field-selector value as the
// server's field sets do (decimal, no sign or leading zeros), so that "02"
// selects what "2" selects. Anything else is returned as it is, and matches
// nothing.
func CanonicalIntegerFieldValue(value string) string {
	if n, err := strconv.ParseInt(value, 10, 32); err == nil {
		return strconv.FormatInt(n, 10)
	}
	return value
}

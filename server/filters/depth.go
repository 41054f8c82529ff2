package filters

// Nesting depth by a byte scan, without decoding: the libraries that decode
// and patch request bodies recurse, and some of them (JSON merge patch, the
// conversion to and from unstructured) spend time and memory that grows with
// the square of the depth. A scan is linear and allocates nothing.

// depthError says where a body first nests deeper than the limit.
type depthError struct {
	limit  int
	offset int
}

// jsonDepth returns the first place a JSON body nests deeper than limit
// (objects and arrays), or nil. Brackets inside strings do not count.
func jsonDepth(b []byte, limit int) *depthError {
	depth := 0
	inString, escaped := false, false
	for i, c := range b {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > limit {
				return &depthError{limit: limit, offset: i}
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// yamlDepth returns the first place a YAML body nests deeper than limit, or
// nil. It counts block nesting (a stack of indentations, one more for each
// "- " that opens a sequence entry on the line) plus flow nesting ({ and [
// outside quoted scalars and comments), which covers JSON too. It may count a
// level more than the YAML has, never fewer than an attacker needs.
func yamlDepth(b []byte, limit int) *depthError {
	var indents []int // the block indentations open above this line
	flow := 0         // { and [ open, across lines
	blockScalar := -1 // the indentation of the line a | or > scalar started on; -1 when none
	for start := 0; start < len(b); {
		end := start
		for end < len(b) && b[end] != '\n' {
			end++
		}
		line := b[start:end]
		lineStart := start
		start = end + 1

		indent := 0
		for indent < len(line) && line[indent] == ' ' {
			indent++
		}
		rest := line[indent:]
		if len(trimSpace(rest)) == 0 || rest[0] == '#' {
			continue // blank lines and comments say nothing about nesting
		}
		if blockScalar >= 0 {
			if indent > blockScalar {
				continue // the text of a literal or folded scalar
			}
			blockScalar = -1
		}
		if flow == 0 {
			for len(indents) > 0 && indents[len(indents)-1] >= indent {
				indents = indents[:len(indents)-1]
			}
			indents = append(indents, indent)
			// "- - - x": each dash opens a sequence one column further in.
			col := indent
			for len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ') {
				n := 1
				for n < len(rest) && rest[n] == ' ' {
					n++
				}
				col += n
				rest = rest[n:]
				indents = append(indents, col)
			}
			if len(indents) > limit {
				return &depthError{limit: limit, offset: lineStart + indent}
			}
		}
		var quote byte // ' or " while in a quoted scalar
		prev := byte(' ')
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			if quote != 0 {
				switch {
				case quote == '"' && c == '\\':
					i++
				case c == quote:
					quote = 0
				}
				prev = c
				continue
			}
			switch c {
			case '!', '&':
				// A tag or an anchor: a property of the node after it, which
				// may be a flow collection ("!!seq [", "&a ["). It ends at a
				// blank or a flow indicator, and leaves prev as it was.
				if isScalarStart(prev) {
					for i+1 < len(rest) && !isPropertyEnd(rest[i+1]) {
						i++
					}
					continue
				}
			case '"', '\'':
				// A quote opens a scalar only where a scalar can start.
				if isScalarStart(prev) {
					quote = c
				}
			case '#':
				if i == 0 || rest[i-1] == ' ' || rest[i-1] == '\t' {
					i = len(rest) // a comment to the end of the line
					continue
				}
			case '{', '[':
				if isScalarStart(prev) || prev == '{' || prev == '[' {
					flow++
					if len(indents)+flow > limit {
						return &depthError{limit: limit, offset: lineStart + indent + i}
					}
				}
			case '}', ']':
				if flow > 0 {
					flow--
				}
			}
			if c != ' ' && c != '\t' {
				prev = c
			}
		}
		if flow == 0 && quote == 0 && endsBlockScalar(rest) {
			blockScalar = indent
		}
	}
	return nil
}

// isScalarStart tells whether a value can start after the character prev
// (the last one that was not a space).
func isScalarStart(prev byte) bool {
	switch prev {
	case ' ', '\t', ':', '-', ',', '[', '{', '?':
		return true
	}
	return false
}

// isPropertyEnd tells whether c ends a tag or an anchor.
func isPropertyEnd(c byte) bool {
	switch c {
	case ' ', '\t', ',', '[', ']', '{', '}':
		return true
	}
	return false
}

// endsBlockScalar tells whether a line ends with the indicator of a literal
// or folded block scalar ("key: |", "- >-", "key: |2+").
func endsBlockScalar(line []byte) bool {
	line = trimSpace(line)
	i := len(line) - 1
	for i >= 0 && (line[i] == '+' || line[i] == '-' || (line[i] >= '0' && line[i] <= '9')) {
		i--
	}
	if i < 0 || (line[i] != '|' && line[i] != '>') {
		return false
	}
	return i == 0 || line[i-1] == ' '
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

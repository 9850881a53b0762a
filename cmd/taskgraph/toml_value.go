package main

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseValue reads one value starting at the current position.
func (p *tomlParser) parseValue() (any, error) {
	switch c := p.peek(); {
	case p.eof() || c == '\n' || c == '\r' || c == '#':
		return nil, p.errorf("missing value")
	case p.hasPrefix(`"""`):
		return p.parseMultilineString('"')
	case c == '"':
		return p.parseBasicString()
	case p.hasPrefix(`'''`):
		return p.parseMultilineString('\'')
	case c == '\'':
		return p.parseLiteralString()
	case c == '[':
		return p.parseArray()
	case c == '{':
		return p.parseInlineTable()
	}
	return p.parseScalar()
}

func (p *tomlParser) parseBasicString() (string, error) {
	p.pos++
	var b strings.Builder
	for {
		if p.eof() || p.peek() == '\n' {
			return "", p.errorf("unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\':
			if err := p.parseEscape(&b); err != nil {
				return "", err
			}
		case isTOMLControl(c):
			return "", p.errorf("control character %q in string", c)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

// isLineEndingBackslash reports whether the backslash at the current position
// is followed only by whitespace up to the end of its line.
func (p *tomlParser) isLineEndingBackslash() bool {
	i := p.pos + 1
	for i < len(p.src) && (p.src[i] == ' ' || p.src[i] == '\t') {
		i++
	}
	return strings.HasPrefix(p.src[i:], "\n") || strings.HasPrefix(p.src[i:], "\r\n")
}

func (p *tomlParser) parseEscape(b *strings.Builder) error {
	p.pos++
	if p.eof() {
		return p.errorf("unterminated escape sequence")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'b':
		b.WriteByte('\b')
	case 't':
		b.WriteByte('\t')
	case 'n':
		b.WriteByte('\n')
	case 'f':
		b.WriteByte('\f')
	case 'r':
		b.WriteByte('\r')
	case '"':
		b.WriteByte('"')
	case '\\':
		b.WriteByte('\\')
	case 'u', 'U':
		size := 4
		if c == 'U' {
			size = 8
		}
		if p.pos+size > len(p.src) {
			return p.errorf("short \\%c escape", c)
		}
		code, err := strconv.ParseUint(p.src[p.pos:p.pos+size], 16, 32)
		if err != nil || !utf8.ValidRune(rune(code)) {
			return p.errorf("invalid unicode escape \\%c%s", c, p.src[p.pos:p.pos+size])
		}
		b.WriteRune(rune(code))
		p.pos += size
	default:
		return p.errorf("invalid escape sequence \\%c", c)
	}
	return nil
}

func (p *tomlParser) parseLiteralString() (string, error) {
	p.pos++
	start := p.pos
	for {
		if p.eof() || p.peek() == '\n' {
			return "", p.errorf("unterminated literal string")
		}
		c := p.src[p.pos]
		if c == '\'' {
			s := p.src[start:p.pos]
			p.pos++
			return s, nil
		}
		if isTOMLControl(c) {
			return "", p.errorf("control character %q in string", c)
		}
		p.pos++
	}
}

// parseMultilineString reads a string delimited by three quote characters.
// With double quotes it is a basic string with escapes and line-ending
// backslashes, with single quotes a literal string. A newline right after
// the opening delimiter is dropped and CRLF line endings become LF.
func (p *tomlParser) parseMultilineString(quote byte) (string, error) {
	delimiter := strings.Repeat(string(quote), 3)
	escapes := quote == '"'
	p.pos += 3
	p.skipNewline()

	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errorf("unterminated multi-line string")
		}
		if p.hasPrefix(delimiter) {
			// Up to two quotes may stand right before the closing delimiter.
			extra := 0
			for extra < 2 && p.pos+3+extra < len(p.src) && p.src[p.pos+3+extra] == quote {
				extra++
			}
			b.WriteString(strings.Repeat(string(quote), extra))
			p.pos += 3 + extra
			return b.String(), nil
		}

		c := p.src[p.pos]
		switch {
		case escapes && c == '\\' && p.isLineEndingBackslash():
			// A backslash at the end of a line trims all whitespace and
			// newlines up to the next other character. A '#' after them is
			// content, not a comment.
			p.pos++
			p.skipSpace()
			for p.skipNewline() {
				p.skipSpace()
			}
		case escapes && c == '\\':
			if err := p.parseEscape(&b); err != nil {
				return "", err
			}
		case p.hasPrefix("\r\n") || c == '\n':
			b.WriteByte('\n')
			p.skipNewline()
		case isTOMLControl(c):
			return "", p.errorf("control character %q in string", c)
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
}

func (p *tomlParser) parseArray() (*tomlArray, error) {
	p.pos++
	arr := &tomlArray{items: []any{}}
	for {
		if err := p.skipBlank(); err != nil {
			return nil, err
		}
		if p.peek() == ']' {
			p.pos++
			return arr, nil
		}

		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		arr.items = append(arr.items, v)

		if err := p.skipBlank(); err != nil {
			return nil, err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.errorf("missing ',' or ']' in array")
		}
	}
}

func (p *tomlParser) parseInlineTable() (*tomlTable, error) {
	p.pos++
	table := newTOMLTable(tomlDotted)
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		table.kind = tomlInline
		return table, nil
	}
	for {
		p.skipSpace()
		if err := p.parseKeyValue(table); err != nil {
			return nil, err
		}
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			closeInlineTable(table)
			return table, nil
		default:
			return nil, p.errorf("missing ',' or '}' in inline table")
		}
	}
}

// closeInlineTable marks an inline table and the tables its dotted keys
// created as closed, so no header or dotted key can add to them later.
func closeInlineTable(t *tomlTable) {
	t.kind = tomlInline
	for _, v := range t.entries {
		if sub, ok := v.(*tomlTable); ok && sub.kind == tomlDotted {
			closeInlineTable(sub)
		}
	}
}

const (
	tomlDate = `\d{4}-\d{2}-\d{2}`
	tomlTime = `\d{2}:\d{2}:\d{2}(\.\d+)?`
)

// The patterns below classify a scalar token; they are compiled once and
// never modified.
var (
	tomlDateTimePattern = regexp.MustCompile(`^(` + tomlDate + `([Tt ]` + tomlTime +
		`([Zz]|[+-]\d{2}:\d{2})?)?|` + tomlTime + `)$`)
	tomlDecimal = regexp.MustCompile(`^[+-]?(0|[1-9](_?\d)*)$`)
	tomlHex     = regexp.MustCompile(`^0x[0-9A-Fa-f](_?[0-9A-Fa-f])*$`)
	tomlOctal   = regexp.MustCompile(`^0o[0-7](_?[0-7])*$`)
	tomlBinary  = regexp.MustCompile(`^0b[01](_?[01])*$`)
	tomlFloat   = regexp.MustCompile(
		`^[+-]?(0|[1-9](_?\d)*)(\.\d(_?\d)*)?([eE][+-]?\d(_?\d)*)?$`)
)

// parseScalar reads a boolean, number or date-time. The token runs up to a
// delimiter; a date followed by a space and a time is one token.
func (p *tomlParser) parseScalar() (any, error) {
	start := p.pos
	for !p.eof() && isScalarChar(p.src[p.pos]) {
		p.pos++
	}
	if p.peek() == ' ' && tomlDateTimePattern.MatchString(p.src[start:p.pos]) &&
		len(p.src[start:p.pos]) == 10 && p.pos+1 < len(p.src) && isDigit(p.src[p.pos+1]) {
		p.pos++
		for !p.eof() && isScalarChar(p.src[p.pos]) {
			p.pos++
		}
	}
	token := p.src[start:p.pos]
	if token == "" {
		return nil, p.errorf("invalid character %q at the start of a value", p.peek())
	}

	switch {
	case token == "true":
		return true, nil
	case token == "false":
		return false, nil
	case token == "inf" || token == "+inf":
		return math.Inf(1), nil
	case token == "-inf":
		return math.Inf(-1), nil
	case token == "nan" || token == "+nan" || token == "-nan":
		return math.NaN(), nil
	case tomlDateTimePattern.MatchString(token):
		return tomlDateTime(token), nil
	}

	digits := strings.ReplaceAll(token, "_", "")
	var base int
	switch {
	case tomlDecimal.MatchString(token):
		base = 10
	case tomlHex.MatchString(token):
		base, digits = 16, digits[2:]
	case tomlOctal.MatchString(token):
		base, digits = 8, digits[2:]
	case tomlBinary.MatchString(token):
		base, digits = 2, digits[2:]
	case tomlFloat.MatchString(token):
		f, err := strconv.ParseFloat(digits, 64)
		if err != nil {
			return nil, p.errorf("invalid float %q", token)
		}
		return f, nil
	default:
		return nil, p.errorf("invalid value %q", token)
	}
	n, err := strconv.ParseInt(digits, base, 64)
	if err != nil {
		return nil, p.errorf("integer %q does not fit in 64 bits", token)
	}
	return n, nil
}

func isScalarChar(c byte) bool {
	return isBareKeyChar(c) || c == '+' || c == '.' || c == ':'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

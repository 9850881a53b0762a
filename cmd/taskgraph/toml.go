package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tomlTableKind records how a table came into existence, which decides
// whether a later header or dotted key may add to it.
type tomlTableKind uint8

const (
	// tomlImplicit tables exist only as a prefix of a longer header such as
	// the "a" of [a.b]. A later [a] header may still define them.
	tomlImplicit tomlTableKind = iota
	// tomlHeader tables were defined by a [header] or [[header]].
	tomlHeader
	// tomlDotted tables were created by a dotted key such as a.b = 1.
	tomlDotted
	// tomlInline tables were written as { ... } and are closed for good.
	tomlInline
)

// tomlTable is a decoded TOML table. Values are string, int64, float64, bool,
// tomlDateTime, *tomlArray or *tomlTable.
type tomlTable struct {
	entries map[string]any
	kind    tomlTableKind
}

func newTOMLTable(kind tomlTableKind) *tomlTable {
	return &tomlTable{entries: map[string]any{}, kind: kind}
}

// lookup returns the value at a dotted path of keys, or false when a key is
// missing or an intermediate value is not a table.
func (t *tomlTable) lookup(path ...string) (any, bool) {
	table := t
	for i, key := range path {
		v, ok := table.entries[key]
		if !ok {
			return nil, false
		}
		if i == len(path)-1 {
			return v, true
		}
		if table, ok = v.(*tomlTable); !ok {
			return nil, false
		}
	}
	return table, true
}

// tomlArray is a decoded TOML array. ofTables is true for an array built by
// [[header]] lines; only those may grow by another header.
type tomlArray struct {
	items    []any
	ofTables bool
}

// tomlDateTime is a TOML offset date-time, local date-time, local date or
// local time, kept as its literal text because the CLI never interprets one.
type tomlDateTime string

// tomlError is a syntax or semantic error at a 1-based line of the document.
type tomlError struct {
	Line    int
	Message string
}

func (e *tomlError) Error() string {
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// parseTOML decodes a TOML v1.0 document. It accepts tables, arrays of
// tables, dotted and quoted keys, the four string forms, integers in four
// bases, floats, booleans, date-times, arrays and inline tables. It rejects
// duplicate keys and redefined tables, so a malformed config fails even when
// the broken part is a key the CLI ignores.
func parseTOML(src string) (*tomlTable, error) {
	if !utf8.ValidString(src) {
		return nil, &tomlError{Line: 1, Message: "document is not valid UTF-8"}
	}
	p := &tomlParser{src: src, line: 1, root: newTOMLTable(tomlHeader)}
	p.current = p.root
	if err := p.parseDocument(); err != nil {
		return nil, err
	}
	return p.root, nil
}

type tomlParser struct {
	src  string
	pos  int
	line int

	root    *tomlTable
	current *tomlTable
}

func (p *tomlParser) errorf(format string, args ...any) error {
	return &tomlError{Line: p.line, Message: fmt.Sprintf(format, args...)}
}

func (p *tomlParser) eof() bool { return p.pos >= len(p.src) }

func (p *tomlParser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.pos]
}

func (p *tomlParser) hasPrefix(s string) bool { return strings.HasPrefix(p.src[p.pos:], s) }

// skipSpace skips spaces and tabs.
func (p *tomlParser) skipSpace() {
	for !p.eof() && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

// skipComment skips a comment up to, excluding, the end of its line.
func (p *tomlParser) skipComment() error {
	if p.peek() != '#' {
		return nil
	}
	for !p.eof() && p.src[p.pos] != '\n' {
		c := p.src[p.pos]
		if isTOMLControl(c) && !p.hasPrefix("\r\n") {
			return p.errorf("control character %q in comment", c)
		}
		p.pos++
	}
	return nil
}

// skipNewline consumes one "\n" or "\r\n" and reports whether it did.
func (p *tomlParser) skipNewline() bool {
	switch {
	case p.hasPrefix("\n"):
		p.pos++
	case p.hasPrefix("\r\n"):
		p.pos += 2
	default:
		return false
	}
	p.line++
	return true
}

// skipBlank skips whitespace, comments and newlines, as allowed between
// lines of the document and between array elements.
func (p *tomlParser) skipBlank() error {
	for {
		p.skipSpace()
		if err := p.skipComment(); err != nil {
			return err
		}
		if !p.skipNewline() {
			return nil
		}
	}
}

// endLine requires the rest of the line to be blank or a comment.
func (p *tomlParser) endLine() error {
	p.skipSpace()
	if err := p.skipComment(); err != nil {
		return err
	}
	if p.eof() || p.skipNewline() {
		return nil
	}
	return p.errorf("unexpected %q; expected the end of the line", p.peek())
}

func (p *tomlParser) parseDocument() error {
	for {
		if err := p.skipBlank(); err != nil {
			return err
		}
		if p.eof() {
			return nil
		}

		var err error
		switch {
		case p.hasPrefix("[["):
			err = p.parseArrayTableHeader()
		case p.peek() == '[':
			err = p.parseTableHeader()
		default:
			err = p.parseKeyValue(p.current)
		}
		if err != nil {
			return err
		}
		if err := p.endLine(); err != nil {
			return err
		}
	}
}

// parseHeader reads a [table] or [[array]] header whose opening bracket
// is at the current position. It returns the full key and the table that
// will contain the header's own table, creating implicit tables on the way.
func (p *tomlParser) parseHeader(opening, closing string) (*tomlTable, []string, error) {
	p.pos += len(opening)
	p.skipSpace()
	key, err := p.parseKey()
	if err != nil {
		return nil, nil, err
	}
	p.skipSpace()
	if !p.hasPrefix(closing) {
		return nil, nil, p.errorf("missing %q after table name %q", closing, strings.Join(key, "."))
	}
	p.pos += len(closing)

	parent, err := p.descendHeader(key[:len(key)-1])
	if err != nil {
		return nil, nil, err
	}
	return parent, key, nil
}

func (p *tomlParser) parseTableHeader() error {
	parent, key, err := p.parseHeader("[", "]")
	if err != nil {
		return err
	}
	name := key[len(key)-1]
	switch existing := parent.entries[name].(type) {
	case nil:
		table := newTOMLTable(tomlHeader)
		parent.entries[name] = table
		p.current = table
	case *tomlTable:
		if existing.kind != tomlImplicit {
			return p.errorf("table %q is defined twice", strings.Join(key, "."))
		}
		existing.kind = tomlHeader
		p.current = existing
	default:
		return p.errorf("key %q is already defined as a value", strings.Join(key, "."))
	}
	return nil
}

func (p *tomlParser) parseArrayTableHeader() error {
	parent, key, err := p.parseHeader("[[", "]]")
	if err != nil {
		return err
	}
	name := key[len(key)-1]
	table := newTOMLTable(tomlHeader)
	switch existing := parent.entries[name].(type) {
	case nil:
		parent.entries[name] = &tomlArray{items: []any{table}, ofTables: true}
	case *tomlArray:
		if !existing.ofTables {
			return p.errorf("key %q is a static array and cannot be extended", strings.Join(key, "."))
		}
		existing.items = append(existing.items, table)
	default:
		return p.errorf("key %q is already defined", strings.Join(key, "."))
	}
	p.current = table
	return nil
}

// descendHeader walks from the root along the prefix of a header key and
// creates missing tables as implicit ones. Through an array of tables it
// enters the last element, so [a.b] after [[a]] adds to the latest a.
func (p *tomlParser) descendHeader(prefix []string) (*tomlTable, error) {
	table := p.root
	for _, part := range prefix {
		switch next := table.entries[part].(type) {
		case nil:
			created := newTOMLTable(tomlImplicit)
			table.entries[part] = created
			table = created
		case *tomlTable:
			if next.kind == tomlInline {
				return nil, p.errorf("inline table %q cannot be extended", part)
			}
			table = next
		case *tomlArray:
			if !next.ofTables {
				return nil, p.errorf("key %q is a static array, not a table", part)
			}
			table = next.items[len(next.items)-1].(*tomlTable)
		default:
			return nil, p.errorf("key %q is already defined as a value", part)
		}
	}
	return table, nil
}

// parseKeyValue reads "key = value" into table, creating the tables of a
// dotted key.
func (p *tomlParser) parseKeyValue(table *tomlTable) error {
	key, err := p.parseKey()
	if err != nil {
		return err
	}
	p.skipSpace()
	if p.peek() != '=' {
		return p.errorf("missing '=' after key %q", strings.Join(key, "."))
	}
	p.pos++
	p.skipSpace()

	for _, part := range key[:len(key)-1] {
		switch next := table.entries[part].(type) {
		case nil:
			created := newTOMLTable(tomlDotted)
			table.entries[part] = created
			table = created
		case *tomlTable:
			if next.kind == tomlHeader || next.kind == tomlInline {
				return p.errorf("table %q cannot be extended by a dotted key", part)
			}
			table = next
		default:
			return p.errorf("key %q is already defined as a value", part)
		}
	}
	name := key[len(key)-1]
	if _, exists := table.entries[name]; exists {
		return p.errorf("key %q is defined twice", strings.Join(key, "."))
	}

	value, err := p.parseValue()
	if err != nil {
		return err
	}
	table.entries[name] = value
	return nil
}

// parseKey reads a possibly dotted key of bare and quoted parts.
func (p *tomlParser) parseKey() ([]string, error) {
	var parts []string
	for {
		part, err := p.parseSimpleKey()
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)

		p.skipSpace()
		if p.peek() != '.' {
			return parts, nil
		}
		p.pos++
		p.skipSpace()
	}
}

func (p *tomlParser) parseSimpleKey() (string, error) {
	switch p.peek() {
	case '"':
		if p.hasPrefix(`"""`) {
			return "", p.errorf("a key cannot be a multi-line string")
		}
		return p.parseBasicString()
	case '\'':
		if p.hasPrefix(`'''`) {
			return "", p.errorf("a key cannot be a multi-line string")
		}
		return p.parseLiteralString()
	}

	start := p.pos
	for !p.eof() && isBareKeyChar(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		if p.eof() {
			return "", p.errorf("missing key at the end of the document")
		}
		return "", p.errorf("invalid character %q at the start of a key", p.peek())
	}
	return p.src[start:p.pos], nil
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-'
}

// isTOMLControl reports the control characters TOML forbids in comments and
// strings; tab is allowed everywhere.
func isTOMLControl(c byte) bool {
	return c < 0x20 && c != '\t' || c == 0x7f
}

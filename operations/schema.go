package operations

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Schema is a JSON Schema compiled once for validation and Cast. A Schema is
// immutable and safe for concurrent use. An Unknown schema accepts anything
// and skips validation and Cast.
type Schema struct {
	raw      json.RawMessage
	doc      any // generic JSON of raw, walked by Cast
	compiled *jsonschema.Schema
	// members holds the compiled anyOf/oneOf members by JSON Pointer into
	// doc, so that Cast can test them without compiling at call time.
	members map[string]*jsonschema.Schema
	unknown bool
	hash    string // content key in a schemaCache; "" for Unknown schemas
}

// Unknown reports whether the schema accepts any value without checks: empty
// bytes, {}, true, or an object holding only annotation keywords. false is
// not Unknown. A nil *Schema is Unknown.
func (s *Schema) Unknown() bool { return s == nil || s.unknown }

// Raw returns the schema document as given, or {} for empty bytes.
func (s *Schema) Raw() json.RawMessage {
	if s == nil || len(s.raw) == 0 {
		return json.RawMessage("{}")
	}
	return s.raw
}

// annotationKeywords do not constrain a value; a schema made only of them is
// Unknown.
var annotationKeywords = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "title": true, "description": true,
	"examples": true, "default": true, "deprecated": true, "readOnly": true, "writeOnly": true,
}

// errNotSchemaDocument: the document is valid JSON but neither an object nor
// a boolean.
var errNotSchemaDocument = errors.New("must be a JSON object or boolean")

// parseSchemaDoc decodes raw into generic JSON and checks that it is an
// object or a boolean. Empty raw gives nil.
func parseSchemaDoc(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("invalid JSON: %w", err)
	}
	switch doc.(type) {
	case map[string]any, bool:
		return doc, nil
	}
	return nil, errNotSchemaDocument
}

func isUnknownDoc(doc any) bool {
	switch d := doc.(type) {
	case nil:
		return true
	case bool:
		return d
	case map[string]any:
		for k := range d {
			if !annotationKeywords[k] {
				return false
			}
		}
		return true
	}
	return false
}

// CompileSchema compiles a raw JSON Schema (draft 2020-12 unless its $schema
// selects another draft). References may only reach the document itself:
// every other URL is refused, so no file or network is read. format is an
// annotation, not an assertion. context names the schema in errors, such as
// "task.create inputSchema".
func CompileSchema(raw json.RawMessage, context string) (*Schema, error) {
	doc, err := parseSchemaDoc(raw)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", context, err)
	}
	if isUnknownDoc(doc) {
		return &Schema{raw: raw, doc: doc, unknown: true}, nil
	}
	compact, hash, err := schemaKey(raw)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", context, err)
	}
	schema, err := compileDoc(compact, doc, hash)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", context, err)
	}
	return schema, nil
}

// schemaKey returns the compacted bytes of raw and their SHA-256 in hex.
func schemaKey(raw json.RawMessage) (json.RawMessage, string, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "", fmt.Errorf("invalid JSON: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// compileDoc compiles a parsed schema document; errors are the compiler's own.
func compileDoc(raw json.RawMessage, doc any, hash string) (*Schema, error) {
	if isUnknownDoc(doc) {
		return &Schema{raw: raw, doc: doc, unknown: true}, nil
	}

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refusingLoader{})
	url := "mem://schemas/" + hash + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	// A $ref that leads back to itself without consuming input ({"$ref":
	// "#"}) compiles, but every validation then fails. Validating null
	// finds such cycles at the top level, so the schema is refused here
	// rather than failing every call later. Cycles reachable only through
	// some instance shapes still surface at validation time.
	if verr := compiled.Validate(nil); verr != nil && hasRefCycle(verr) {
		return nil, errors.New("schema has a $ref cycle that no value can satisfy")
	}

	members := map[string]*jsonschema.Schema{}
	for _, ptr := range alternativePointers(doc, "") {
		// A member that does not compile on its own is left out; Cast then
		// treats it as not matching.
		if m, err := c.Compile(url + "#" + ptr); err == nil {
			members[ptr] = m
		}
	}
	return &Schema{raw: raw, doc: doc, compiled: compiled, members: members, hash: hash}, nil
}

// alternativePointers lists the JSON Pointers of every anyOf and oneOf member
// inside node.
func alternativePointers(node any, ptr string) []string {
	var out []string
	switch n := node.(type) {
	case map[string]any:
		for k, v := range n {
			p := ptr + "/" + escapePointer(k)
			if k == "anyOf" || k == "oneOf" {
				if members, ok := v.([]any); ok {
					for i := range members {
						out = append(out, p+"/"+strconv.Itoa(i))
					}
				}
			}
			out = append(out, alternativePointers(v, p)...)
		}
	case []any:
		for i, v := range n {
			out = append(out, alternativePointers(v, ptr+"/"+strconv.Itoa(i))...)
		}
	}
	return out
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(token string) string { return pointerEscaper.Replace(token) }

// refusingLoader rejects every URL so that $ref cannot leave the document.
type refusingLoader struct{}

func (refusingLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("loading %s: remote and file references are not allowed", url)
}

// CheckSchema reports whether raw is a valid JSON Schema that compiles. The
// failure message is "not a valid JSON Schema for <context>: <reason>".
func CheckSchema(raw json.RawMessage, context string) error {
	doc, err := parseSchemaDoc(raw)
	if err == nil && !isUnknownDoc(doc) {
		var compact json.RawMessage
		var hash string
		compact, hash, err = schemaKey(raw)
		if err == nil {
			_, err = compileDoc(compact, doc, hash)
		}
	}
	if err != nil {
		return fmt.Errorf("not a valid JSON Schema for %s: %w", context, err)
	}
	return nil
}

// schemaCache shares compiled schemas between operations whose schemas have
// the same compacted bytes. Entries are reference counted and dropped with
// their last user.
type schemaCache struct {
	mu       sync.Mutex
	entries  map[string]*cacheEntry
	compiles atomic.Int64 // number of compilations, for tests and metrics
}

type cacheEntry struct {
	schema *Schema
	refs   int
}

func newSchemaCache() *schemaCache {
	return &schemaCache{entries: map[string]*cacheEntry{}}
}

// acquire returns the compiled schema of raw, compiling it only when no
// operation holds the same schema. field names the schema in errors
// ("inputSchema"), id the operation.
func (c *schemaCache) acquire(raw json.RawMessage, id, field string) (*Schema, error) {
	doc, err := parseSchemaDoc(raw)
	if errors.Is(err, errNotSchemaDocument) {
		return nil, fmt.Errorf("%s of %s %w", field, id, errNotSchemaDocument)
	}
	if err != nil {
		return nil, fmt.Errorf("compiling %s %s: %w", id, field, err)
	}
	if isUnknownDoc(doc) {
		return &Schema{raw: raw, doc: doc, unknown: true}, nil
	}
	compact, hash, err := schemaKey(raw)
	if err != nil {
		return nil, fmt.Errorf("compiling %s %s: %w", id, field, err)
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[hash]; ok {
		e.refs++
		return e.schema, nil
	}
	c.compiles.Add(1)
	s, err := compileDoc(compact, doc, hash)
	if err != nil {
		return nil, fmt.Errorf("compiling %s %s: %w", id, field, err)
	}
	c.entries[hash] = &cacheEntry{schema: s, refs: 1}
	return s, nil
}

// release drops one reference to s.
func (c *schemaCache) release(s *Schema) {
	if s == nil || s.hash == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[s.hash]; ok {
		e.refs--
		if e.refs <= 0 {
			delete(c.entries, s.hash)
		}
	}
}

// hasRefCycle reports whether a validation error comes from a $ref cycle.
func hasRefCycle(err error) bool {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	var walk func(*jsonschema.ValidationError) bool
	walk = func(e *jsonschema.ValidationError) bool {
		if _, ok := e.ErrorKind.(*kind.RefCycle); ok {
			return true
		}
		for _, c := range e.Causes {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(ve)
}

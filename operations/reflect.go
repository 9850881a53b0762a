package operations

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"
)

// Void is the output type of typed operations that return nothing: its
// schema is {"type":"null"} and the envelope's data is null.
type Void struct{}

var (
	voidType       = reflect.TypeFor[Void]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// SchemaOf returns the JSON Schema of T, reflected with invopop/jsonschema.
// Objects stay open (additional properties allowed) and fields without
// omitempty are required. Every non-recursive $defs entry is inlined, so the
// schema is self-contained, while recursive types keep $defs and $ref.
// json.RawMessage and interface types give an Unknown schema, Void gives
// {"type":"null"}. SchemaOf returns nil (Unknown) when T cannot be reflected.
//
// SchemaOf reflects on every call; the typed helpers call it once when an
// operation is built.
func SchemaOf[T any]() json.RawMessage {
	raw, err := schemaOfType(reflect.TypeFor[T]())
	if err != nil {
		return nil
	}
	return raw
}

// schemaOfType reflects t, turning a panic of the reflector into an error.
func schemaOfType(t reflect.Type) (raw json.RawMessage, err error) {
	switch {
	case t == voidType:
		return json.RawMessage(`{"type":"null"}`), nil
	case t == rawMessageType || t.Kind() == reflect.Interface:
		return json.RawMessage(`{}`), nil
	}
	defer func() {
		if p := recover(); p != nil {
			raw, err = nil, fmt.Errorf("reflecting JSON Schema of %v: %v", t, p)
		}
	}()
	r := &jsonschema.Reflector{
		ExpandedStruct:            true,
		AllowAdditionalProperties: true,
		Anonymous:                 true,
	}
	raw, err = SchemaFromInvopop(r.ReflectFromType(t))
	if err != nil {
		return nil, fmt.Errorf("reflecting JSON Schema of %v: %w", t, err)
	}
	return raw, nil
}

// SchemaFromInvopop converts an invopop schema to raw JSON Schema with every
// non-recursive $defs entry inlined and unused $defs dropped.
func SchemaFromInvopop(s *jsonschema.Schema) (json.RawMessage, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("encoding invopop schema: %w", err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decoding invopop schema: %w", err)
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return b, nil
	}
	inlineDefs(root)
	out, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("encoding inlined schema: %w", err)
	}
	return out, nil
}

const defsPrefix = "#/$defs/"

// inlineDefs replaces references to non-recursive $defs entries by copies of
// the entries and drops the entries no longer referenced.
func inlineDefs(root map[string]any) {
	defs, _ := root["$defs"].(map[string]any)
	if defs == nil {
		defs = map[string]any{}
	}
	delete(root, "$defs")

	// An expanded recursive root refers to its own definition, which the
	// reflector removed: restore it from the root.
	for name := range referencedDefs(root) {
		if _, ok := defs[name]; !ok {
			self := map[string]any{}
			for k, v := range root {
				if k != "$schema" && k != "$id" {
					self[k] = v
				}
			}
			defs[name] = self
		}
	}

	recursive := map[string]bool{}
	for name := range defs {
		if reaches(defs, name, name, map[string]bool{}) {
			recursive[name] = true
		}
	}
	in := inliner{defs: defs, recursive: recursive}
	for k, v := range root {
		root[k] = in.inline(v, 0)
	}
	kept := map[string]any{}
	for name := range recursive {
		kept[name] = in.inline(defs[name], 0)
	}
	used := referencedDefs(root)
	for _, def := range kept {
		for n := range referencedDefs(def) {
			used[n] = true
		}
	}
	for name := range kept {
		if !used[name] {
			delete(kept, name)
		}
	}
	if len(kept) > 0 {
		root["$defs"] = kept
	}
}

// reaches reports whether def from references target, directly or through
// other definitions.
func reaches(defs map[string]any, from, target string, seen map[string]bool) bool {
	for name := range referencedDefs(defs[from]) {
		if name == target {
			return true
		}
		if !seen[name] {
			seen[name] = true
			if reaches(defs, name, target, seen) {
				return true
			}
		}
	}
	return false
}

// referencedDefs returns the names of the $defs entries referenced in v.
func referencedDefs(v any) map[string]bool {
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok && strings.HasPrefix(ref, defsPrefix) {
				out[strings.TrimPrefix(ref, defsPrefix)] = true
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

type inliner struct {
	defs      map[string]any
	recursive map[string]bool
}

// inline returns v with references to non-recursive definitions replaced by
// inlined copies; keys next to a $ref override the definition's keys.
func (in inliner) inline(v any, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok && strings.HasPrefix(ref, defsPrefix) && depth < 64 {
			name := strings.TrimPrefix(ref, defsPrefix)
			if def, ok := in.defs[name].(map[string]any); ok && !in.recursive[name] {
				out := in.inline(copyJSONValue(def), depth+1).(map[string]any)
				for k, e := range x {
					if k != "$ref" {
						out[k] = in.inline(e, depth+1)
					}
				}
				return out
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = in.inline(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = in.inline(e, depth+1)
		}
		return out
	}
	return v
}

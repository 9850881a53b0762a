package operations

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// maxCastDepth bounds Cast's recursion, so that recursive schemas with
// required self-references end.
const maxCastDepth = 32

// Cast normalises v towards s and returns the result. A value that is valid
// against s, or any value when s is Unknown, is returned unchanged (no copy).
// Otherwise the schema is walked (local $refs followed):
//   - const gives the const value; enum keeps a member, else the first member;
//   - anyOf/oneOf keep a value valid against some member, else Cast to the
//     first member; allOf Casts through each member in order;
//   - an object keeps every existing key (extra properties too), Casts each
//     listed property and creates each missing required one;
//   - an array Casts each element against items;
//   - a value of the right primitive type is kept even when it breaks other
//     constraints; a wrong type is replaced by a created value.
//
// Created values are the default, else the const, else the first enum
// member, else the zero value of the type ("", 0, false, [], null, or an
// object of its created required properties).
//
// The result is generic JSON (maps, slices, json.Number) wherever Cast
// changed something.
func Cast(s *Schema, v any) any {
	if s.Unknown() {
		return v
	}
	inst, err := toInstance(v)
	if err != nil {
		return v
	}
	if s.compiled.Validate(inst) == nil {
		return v
	}
	c := caster{schema: s}
	return c.cast(s.doc, "", inst, 0)
}

type caster struct {
	schema *Schema
}

// resolve follows a local $ref ("#/…") of node, returning the target and its
// pointer, or node itself.
func (c caster) resolve(node map[string]any, ptr string) (map[string]any, string) {
	for range maxCastDepth {
		ref, ok := node["$ref"].(string)
		if !ok || !strings.HasPrefix(ref, "#") {
			return node, ptr
		}
		target, ok := lookupPointer(c.schema.doc, ref[1:]).(map[string]any)
		if !ok {
			return node, ptr
		}
		node, ptr = target, ref[1:]
	}
	return node, ptr
}

func (c caster) cast(schemaNode any, ptr string, v any, depth int) any {
	node, ok := schemaNode.(map[string]any)
	if !ok || depth > maxCastDepth {
		return v
	}
	node, ptr = c.resolve(node, ptr)

	if cv, ok := node["const"]; ok {
		return cv
	}
	if enum, ok := node["enum"].([]any); ok && len(enum) > 0 {
		for _, m := range enum {
			if jsonEqual(m, v) {
				return v
			}
		}
		return enum[0]
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if members, ok := node[key].([]any); ok && len(members) > 0 {
			for i := range members {
				if c.matchesMember(ptr+"/"+key+"/"+strconv.Itoa(i), v) {
					return v
				}
			}
			return c.cast(members[0], ptr+"/"+key+"/0", v, depth+1)
		}
	}
	if members, ok := node["allOf"].([]any); ok {
		for i, m := range members {
			v = c.cast(m, ptr+"/allOf/"+strconv.Itoa(i), v, depth+1)
		}
	}

	types := schemaTypes(node)
	if len(types) == 0 {
		return v
	}
	for _, t := range types {
		if jsonTypeMatches(t, v) {
			return c.castContainer(node, ptr, t, v, depth)
		}
	}
	return c.create(node, ptr, depth)
}

// castContainer recurses into an object or array of the right type; other
// values of the right type are kept as they are.
func (c caster) castContainer(node map[string]any, ptr, typ string, v any, depth int) any {
	switch typ {
	case "object":
		obj := v.(map[string]any)
		props, _ := node["properties"].(map[string]any)
		out := make(map[string]any, len(obj)+len(props))
		for k, pv := range obj {
			if ps, ok := props[k]; ok {
				pv = c.cast(ps, ptr+"/properties/"+escapePointer(k), pv, depth+1)
			}
			out[k] = pv
		}
		for _, r := range requiredNames(node) {
			if _, ok := out[r]; !ok {
				out[r] = c.createSchema(props[r], ptr+"/properties/"+escapePointer(r), depth+1)
			}
		}
		return out
	case "array":
		arr := v.([]any)
		items, ok := node["items"]
		if !ok {
			return v
		}
		out := make([]any, len(arr))
		for i, e := range arr {
			out[i] = c.cast(items, ptr+"/items", e, depth+1)
		}
		return out
	}
	return v
}

// matchesMember reports whether v is valid against the anyOf/oneOf member at
// ptr, using the member compiled at registration.
func (c caster) matchesMember(ptr string, v any) bool {
	m, ok := c.schema.members[ptr]
	return ok && m.Validate(v) == nil
}

func (c caster) createSchema(schemaNode any, ptr string, depth int) any {
	node, ok := schemaNode.(map[string]any)
	if !ok || depth > maxCastDepth {
		return nil
	}
	node, ptr = c.resolve(node, ptr)
	return c.create(node, ptr, depth)
}

// create builds a value for node: default, const, first enum member, or the
// zero value of its (first) type.
func (c caster) create(node map[string]any, ptr string, depth int) any {
	if d, ok := node["default"]; ok {
		return d
	}
	if cv, ok := node["const"]; ok {
		return cv
	}
	if enum, ok := node["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	types := schemaTypes(node)
	if len(types) == 0 {
		if members, ok := node["allOf"].([]any); ok && len(members) > 0 {
			return c.createSchema(members[0], ptr+"/allOf/0", depth+1)
		}
		return nil
	}
	switch types[0] {
	case "string":
		return ""
	case "number", "integer":
		return json.Number("0")
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		props, _ := node["properties"].(map[string]any)
		out := map[string]any{}
		for _, r := range requiredNames(node) {
			out[r] = c.createSchema(props[r], ptr+"/properties/"+escapePointer(r), depth+1)
		}
		return out
	}
	return nil
}

// schemaTypes returns the types named by node's "type" keyword; a node with
// properties but no type is an object.
func schemaTypes(node map[string]any) []string {
	switch t := node["type"].(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if _, ok := node["properties"]; ok {
		return []string{"object"}
	}
	return nil
}

func requiredNames(node map[string]any) []string {
	req, _ := node["required"].([]any)
	out := make([]string, 0, len(req))
	for _, r := range req {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// jsonTypeMatches reports whether generic JSON v has JSON Schema type t; a
// non-integral number is not an integer.
func jsonTypeMatches(t string, v any) bool {
	switch t {
	case "null":
		return v == nil
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := jsonNumber(v)
		return ok || isGoInteger(v)
	case "integer":
		if isGoInteger(v) {
			return true
		}
		if n, ok := v.(json.Number); ok {
			if _, err := n.Int64(); err == nil {
				return true
			}
		}
		f, ok := jsonNumber(v)
		return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
	}
	return false
}

func isGoInteger(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// jsonEqual compares two generic JSON values, numbers by value.
func jsonEqual(a, b any) bool {
	fa, okA := jsonNumber(a)
	fb, okB := jsonNumber(b)
	if okA && okB {
		return fa == fb
	}
	return reflect.DeepEqual(a, b)
}

// lookupPointer resolves a JSON Pointer inside generic JSON; nil when absent.
func lookupPointer(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	if !strings.HasPrefix(ptr, "/") {
		return nil
	}
	cur := doc
	for tok := range strings.SplitSeq(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := cur.(type) {
		case map[string]any:
			cur = n[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil
			}
			cur = n[i]
		default:
			return nil
		}
	}
	return cur
}

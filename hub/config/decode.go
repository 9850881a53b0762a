package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// decodeDocument decodes a configuration document into c strictly: every
// field must be known and of the right JSON type, and errors name the
// field by its dotted path ("server.port"). Numbers written with an
// exponent or a fraction of zero (1e6, 8.0) are accepted for integer
// fields when they are whole and fit.
func decodeDocument(data []byte, c *Config) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return describeDecodeError(err)
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("invalid JSON: more than one document")
	}
	if _, ok := doc.(map[string]any); !ok {
		return fmt.Errorf("the configuration must be a JSON object")
	}
	normalised, err := checkShape(doc, reflect.TypeOf(*c), "")
	if err != nil {
		return err
	}
	b, err := json.Marshal(normalised)
	if err != nil {
		return fmt.Errorf("re-encoding the configuration: %w", err)
	}
	strict := json.NewDecoder(bytes.NewReader(b))
	strict.DisallowUnknownFields()
	if err := strict.Decode(c); err != nil {
		return describeDecodeError(err)
	}
	return nil
}

var (
	durationType = reflect.TypeOf(Duration(0))
	secretType   = reflect.TypeOf(Secret(""))
)

// checkShape compares a generic JSON value with the Go type it will decode
// into and returns the value with integer literals rewritten in plain
// digits.
func checkShape(v any, t reflect.Type, path string) (any, error) {
	if v == nil {
		return nil, nil // JSON null leaves the default
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			return nil, fieldErr(path, "must be a duration string such as \"20s\", not %s", jsonTypeOf(v))
		}
		if _, err := parseDuration(s); err != nil {
			return nil, fieldErr(path, "%v", err)
		}
		return v, nil
	case t == secretType:
		if _, ok := v.(string); !ok {
			return nil, fieldErr(path, "must be a string, not %s", jsonTypeOf(v))
		}
		return v, nil
	}

	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fieldErr(path, "must be an object, not %s", jsonTypeOf(v))
		}
		fields := jsonFields(t)
		out := make(map[string]any, len(obj))
		for name, child := range obj {
			ft, ok := fields[name]
			if !ok {
				return nil, fieldErr(join(path, name), "unknown field")
			}
			nv, err := checkShape(child, ft, join(path, name))
			if err != nil {
				return nil, err
			}
			out[name] = nv
		}
		return out, nil
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return nil, fieldErr(path, "must be an array, not %s", jsonTypeOf(v))
		}
		out := make([]any, len(arr))
		for i, child := range arr {
			nv, err := checkShape(child, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = nv
		}
		return out, nil
	case reflect.String:
		if _, ok := v.(string); !ok {
			return nil, fieldErr(path, "must be a string, not %s", jsonTypeOf(v))
		}
		return v, nil
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return nil, fieldErr(path, "must be true or false, not %s", jsonTypeOf(v))
		}
		return v, nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		return wholeNumber(v, path, t.Bits())
	}
	return v, nil
}

// wholeNumber accepts a JSON number that is a whole number within the range
// of a signed integer of the given size, and returns it in plain digits.
func wholeNumber(v any, path string, bits int) (any, error) {
	n, ok := v.(json.Number)
	if !ok {
		return nil, fieldErr(path, "must be a whole number, not %s", jsonTypeOf(v))
	}
	if i, err := strconv.ParseInt(n.String(), 10, bits); err == nil {
		return json.Number(strconv.FormatInt(i, 10)), nil
	}
	f, err := n.Float64()
	limit := math.Ldexp(1, bits-1)
	if err != nil || f != math.Trunc(f) || f >= limit || f < -limit {
		return nil, fieldErr(path, "must be a whole number of at most %d bits, not %s", bits, n)
	}
	return json.Number(strconv.FormatInt(int64(f), 10)), nil
}

// jsonFields maps the JSON names of a struct's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func jsonTypeOf(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case json.Number:
		return "the number " + v.String()
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

package taskgraph

import (
	"encoding/json"
	"errors"

	"go.yaml.in/yaml/v3"
)

type optState uint8

const (
	optAbsent optState = iota
	optNull
	optValue
)

// Opt is an optional field with three states: absent (the zero value), null
// and a value. Parsing keeps the states apart so that a record serialises
// back as it was read: null is written as null, absent fields are omitted
// (with the json ",omitzero" and yaml ",omitempty" options). Every analysis
// treats null like absent.
type Opt[T any] struct {
	state optState
	v     T
}

// Some returns an Opt holding v.
func Some[T any](v T) Opt[T] { return Opt[T]{state: optValue, v: v} }

// Null returns an Opt in the null state.
func Null[T any]() Opt[T] { return Opt[T]{state: optNull} }

// Get returns the value and true, or the zero value and false when o is
// absent or null.
func (o Opt[T]) Get() (T, bool) { return o.v, o.state == optValue }

// Value returns the value, or the zero value when o is absent or null.
func (o Opt[T]) Value() T { return o.v }

// IsNull reports whether o is in the null state.
func (o Opt[T]) IsNull() bool { return o.state == optNull }

// IsSet reports whether o is present: null or a value.
func (o Opt[T]) IsSet() bool { return o.state != optAbsent }

// IsZero reports whether o is absent, so that ",omitzero" drops it.
func (o Opt[T]) IsZero() bool { return o.state == optAbsent }

// MarshalJSON writes the value, or null when o is null or absent.
func (o Opt[T]) MarshalJSON() ([]byte, error) {
	if o.state != optValue {
		return []byte("null"), nil
	}
	return json.Marshal(o.v)
}

// UnmarshalJSON sets the null state for null and otherwise decodes the
// value with T's own rules. A value T rejects gives *InvalidInputError with
// the message "Expected union value".
func (o *Opt[T]) UnmarshalJSON(data []byte) error {
	if kindOfJSON(data) == kindNull {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		if _, ok := errors.AsType[*InvalidInputError](err); ok {
			return err
		}
		return invalidInput("", msgUnion)
	}
	*o = Some(v)
	return nil
}

// MarshalYAML returns the value, or nil (written as null) when o is null or
// absent.
func (o Opt[T]) MarshalYAML() (any, error) {
	if o.state != optValue {
		return nil, nil
	}
	return o.v, nil
}

// UnmarshalYAML decodes the value of a node. A value that T rejects through
// a Valid method gives *InvalidInputError with the message "Expected union
// value".
//
// NOTE: yaml.v3 does not call UnmarshalYAML for a null value inside a
// struct or map, so such a field stays absent. ParseFrontmatter walks the
// YAML nodes itself and keeps null and absent apart.
func (o *Opt[T]) UnmarshalYAML(node *yaml.Node) error {
	if yamlValue(node).kind == kindNull {
		*o = Null[T]()
		return nil
	}
	var v T
	if err := node.Decode(&v); err != nil {
		return invalidInput("", msgUnion)
	}
	if checker, ok := any(v).(interface{ Valid() bool }); ok && !checker.Valid() {
		return invalidInput("", msgUnion)
	}
	*o = Some(v)
	return nil
}

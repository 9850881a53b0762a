package operations

import (
	"context"
	"encoding/json"
	"iter"
	"reflect"
)

// SpecInfo holds the descriptive fields of a typed operation; the type and
// the schemas come from the helper and its type parameters.
type SpecInfo struct {
	Namespace, Name, Version, Title, Description string
	Tags                                         []string
	AccessControl                                AccessControl
	ErrorSchemas                                 []ErrorDefinition
	Meta                                         map[string]any
}

// Query returns a query operation whose input and output schemas are
// SchemaOf[I] and SchemaOf[O]. The handler receives the validated input
// decoded into I; input that validates but does not decode into I fails
// with VALIDATION_ERROR at path "". The result is returned as is (Execute
// validates it), and a *ResponseEnvelope result passes through. With
// O = Void the data is null. A reflection failure is returned by Register.
func Query[I, O any](info SpecInfo,
	fn func(ctx context.Context, in I, oc *OperationContext) (O, error)) Operation {
	return typedUnary(info, TypeQuery, fn)
}

// Mutation is Query for operations with side effects.
func Mutation[I, O any](info SpecInfo,
	fn func(ctx context.Context, in I, oc *OperationContext) (O, error)) Operation {
	return typedUnary(info, TypeMutation, fn)
}

// Subscription returns a subscription operation; each item of fn's sequence
// is wrapped in a local envelope by Subscribe, as for a StreamHandler.
func Subscription[I, O any](info SpecInfo,
	fn func(ctx context.Context, in I, oc *OperationContext) (iter.Seq2[O, error], error),
) Operation {
	op, id := typedSpec[I, O](info, TypeSubscription)
	op.Stream = func(ctx context.Context, raw json.RawMessage, oc *OperationContext) (
		iter.Seq2[any, error], error) {
		in, err := decodeTyped[I](raw, id)
		if err != nil {
			return nil, err
		}
		seq, err := fn(ctx, in, oc)
		if err != nil || seq == nil {
			return nil, err
		}
		return func(yield func(any, error) bool) {
			for item, err := range seq {
				if !yield(typedResult(item), err) {
					return
				}
			}
		}, nil
	}
	return op
}

func typedUnary[I, O any](info SpecInfo, typ OperationType,
	fn func(ctx context.Context, in I, oc *OperationContext) (O, error)) Operation {
	op, id := typedSpec[I, O](info, typ)
	op.Handler = func(ctx context.Context, raw json.RawMessage, oc *OperationContext) (any, error) {
		in, err := decodeTyped[I](raw, id)
		if err != nil {
			return nil, err
		}
		out, err := fn(ctx, in, oc)
		if err != nil {
			return nil, err
		}
		return typedResult(out), nil
	}
	return op
}

// typedSpec builds the spec of a typed operation and returns its id.
func typedSpec[I, O any](info SpecInfo, typ OperationType) (Operation, string) {
	spec := OperationSpec{
		Namespace: info.Namespace, Name: info.Name, Version: info.Version, Type: typ,
		Title: info.Title, Description: info.Description, Tags: info.Tags,
		ErrorSchemas: info.ErrorSchemas, AccessControl: info.AccessControl, Meta: info.Meta,
	}
	if spec.Version == "" {
		spec.Version = DefaultVersion
	}
	var op Operation
	var err error
	spec.InputSchema, err = schemaOfType(reflect.TypeFor[I]())
	if err == nil {
		spec.OutputSchema, err = schemaOfType(reflect.TypeFor[O]())
	}
	op.Spec = spec
	op.err = err
	return op, spec.ID()
}

// decodeTyped decodes validated input into I.
func decodeTyped[I any](raw json.RawMessage, id string) (I, error) {
	var in I
	if err := json.Unmarshal(raw, &in); err != nil {
		return in, validationError([]ValueError{{Path: "", Message: err.Error()}}, id+" input")
	}
	return in, nil
}

// typedResult returns nil for Void, so the envelope's data is null.
func typedResult(v any) any {
	if _, ok := v.(Void); ok {
		return nil
	}
	return v
}

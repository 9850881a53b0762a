package operations

import (
	"context"
	"iter"
	"slices"

	"github.com/google/uuid"
)

// Env lets a handler call other operations of the same registry without the
// bus and without access checks: the outer operation is the gate.
//
// An Env is a live view of the registry, cheap to build per request; it
// shows operations registered after it was built. Call, Func, Names,
// Namespaces and Has see the queries and mutations of the allowed
// namespaces (all namespaces when no allow-list is set). Subscriptions are
// reachable only through Subscribe.
type Env struct {
	registry *Registry
	base     *OperationContext
	allowed  map[string]bool // nil: every namespace
}

// EnvOption configures an Env.
type EnvOption func(*Env)

// WithAllowedNamespaces restricts the Env to operations of the given
// namespaces.
func WithAllowedNamespaces(ns ...string) EnvOption {
	return func(e *Env) {
		if e.allowed == nil {
			e.allowed = map[string]bool{}
		}
		for _, n := range ns {
			e.allowed[n] = true
		}
	}
}

// EnvFunc calls one operation through an Env.
type EnvFunc func(ctx context.Context, input any) (*ResponseEnvelope, error)

// BuildEnv returns an Env over r for calls made on behalf of base. A nil base
// is an anonymous outer request.
func BuildEnv(r *Registry, base *OperationContext, opts ...EnvOption) *Env {
	if base == nil {
		base = &OperationContext{}
	}
	e := &Env{registry: r, base: base}
	for _, o := range opts {
		o(e)
	}
	return e
}

// child returns the context of a nested call: the base's identity and
// metadata, a new request id whose parent is the base's, trusted, and this
// Env.
func (e *Env) child() *OperationContext {
	return &OperationContext{
		RequestID:       uuid.NewString(),
		ParentRequestID: e.base.RequestID,
		Identity:        e.base.Identity,
		Metadata:        e.base.Metadata,
		Env:             e,
		trusted:         true,
	}
}

func (e *Env) namespaceAllowed(ns string) bool {
	return e.allowed == nil || e.allowed[ns]
}

// visible reports whether spec can be called through Call.
func (e *Env) visible(spec OperationSpec) bool {
	return spec.Type != TypeSubscription && e.namespaceAllowed(spec.Namespace)
}

// Call runs the query or mutation opID with a trusted child context. It
// returns what Registry.Execute returns; an id that is not visible through
// this Env fails with OPERATION_NOT_FOUND.
func (e *Env) Call(ctx context.Context, opID string, input any) (*ResponseEnvelope, error) {
	spec, ok := e.registry.GetSpec(opID)
	if !ok || !e.visible(spec) {
		return nil, notFoundError(opID)
	}
	return e.registry.Execute(ctx, opID, input, e.child())
}

// Subscribe runs the subscription opID with a trusted child context, as
// Registry.Subscribe does. An id outside the allowed namespaces fails with
// OPERATION_NOT_FOUND.
func (e *Env) Subscribe(ctx context.Context, opID string, input any) (
	iter.Seq2[*ResponseEnvelope, error], error) {
	spec, ok := e.registry.GetSpec(opID)
	if !ok || !e.namespaceAllowed(spec.Namespace) {
		return nil, notFoundError(opID)
	}
	return e.registry.Subscribe(ctx, opID, input, e.child())
}

// Func returns a function that calls namespace.name, the map-like access of
// env.ns.name(input); ok is false when the operation is not visible.
func (e *Env) Func(namespace, name string) (EnvFunc, bool) {
	id := namespace + "." + name
	if !e.Has(id) {
		return nil, false
	}
	return func(ctx context.Context, input any) (*ResponseEnvelope, error) {
		return e.Call(ctx, id, input)
	}, true
}

// Namespaces returns the namespaces with at least one visible operation, in
// first-registration order.
func (e *Env) Namespaces() []string {
	var out []string
	for _, spec := range e.registry.Specs() {
		if e.visible(spec) && !slices.Contains(out, spec.Namespace) {
			out = append(out, spec.Namespace)
		}
	}
	return out
}

// Names returns the names of the visible operations of namespace, in
// registration order.
func (e *Env) Names(namespace string) []string {
	var out []string
	for _, spec := range e.registry.Specs() {
		if spec.Namespace == namespace && e.visible(spec) {
			out = append(out, spec.Name)
		}
	}
	return out
}

// Has reports whether opID is visible through this Env.
func (e *Env) Has(opID string) bool {
	spec, ok := e.registry.GetSpec(opID)
	return ok && e.visible(spec)
}

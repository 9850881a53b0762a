package operations

import (
	"context"
	"encoding/json"
	"iter"
	"regexp"
	"strings"
)

// OperationType says how an operation is invoked and what it returns.
type OperationType string

// The three operation types.
const (
	TypeQuery        OperationType = "query"        // read-only, one result
	TypeMutation     OperationType = "mutation"     // side effects, one result
	TypeSubscription OperationType = "subscription" // many results, needs a StreamHandler
)

// Valid reports whether t is one of the three operation types.
func (t OperationType) Valid() bool {
	return t == TypeQuery || t == TypeMutation || t == TypeSubscription
}

// Identity is the security context of a caller. Identities are immutable
// once attached to an OperationContext.
type Identity struct {
	ID string `json:"id"`
	// Scopes are global permissions, matched by exact string comparison.
	// They are always written, as [] when empty.
	Scopes []string `json:"scopes"`
	// Resources maps "<resourceType>:<resourceId>" to the allowed actions.
	Resources map[string][]string `json:"resources,omitempty"`
}

// MarshalJSON writes scopes as [] when the slice is nil.
func (id Identity) MarshalJSON() ([]byte, error) {
	type plain Identity
	p := plain(id)
	if p.Scopes == nil {
		p.Scopes = []string{}
	}
	return json.Marshal(p)
}

// AccessControl declares what an identity needs to call an operation.
// CheckAccess gives the semantics; a customAuth key in old documents is
// ignored on decode and never written.
type AccessControl struct {
	// RequiredScopes must all be held; always written, as [] when nil.
	RequiredScopes []string `json:"requiredScopes"`
	// RequiredScopesAny needs at least one match; ignored when empty.
	RequiredScopesAny []string `json:"requiredScopesAny,omitempty"`
	// ResourceType is the resource category, such as "project".
	ResourceType string `json:"resourceType,omitempty"`
	// ResourceAction is the action needed on a resource of ResourceType.
	ResourceAction string `json:"resourceAction,omitempty"`
}

// MarshalJSON writes requiredScopes as [] when the slice is nil.
func (ac AccessControl) MarshalJSON() ([]byte, error) {
	type plain AccessControl
	p := plain(ac)
	if p.RequiredScopes == nil {
		p.RequiredScopes = []string{}
	}
	return json.Marshal(p)
}

// ErrorDefinition declares a domain error an operation may return. At run
// time only Code (error mapping) and HTTPStatus (status table) are used.
type ErrorDefinition struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Schema describes the error's details; always written, as {} when nil.
	Schema json.RawMessage `json:"schema"`
	// HTTPStatus overrides the status of the code table when non-zero.
	HTTPStatus int `json:"httpStatus,omitempty"`
}

// MarshalJSON writes a nil schema as {}.
func (d ErrorDefinition) MarshalJSON() ([]byte, error) {
	type plain ErrorDefinition
	p := plain(d)
	p.Schema = schemaOrEmpty(p.Schema)
	return json.Marshal(p)
}

// OperationSpec is the serialisable description of an operation. It holds no
// handler. Specs stored in a Registry are immutable: callers must not modify
// the slices and maps of a spec they got from it.
type OperationSpec struct {
	Name        string        `json:"name"`
	Namespace   string        `json:"namespace"`
	Version     string        `json:"version"`
	Type        OperationType `json:"type"`
	Title       string        `json:"title,omitempty"`
	Description string        `json:"description"`
	Tags        []string      `json:"tags,omitempty"`
	// InputSchema is a raw JSON Schema document (object or boolean). Nil
	// means Unknown (accept anything) and is written as {}.
	InputSchema json.RawMessage `json:"inputSchema"`
	// OutputSchema describes the envelope's data, not the envelope. Nil
	// means Unknown and is written as {}.
	OutputSchema  json.RawMessage   `json:"outputSchema"`
	ErrorSchemas  []ErrorDefinition `json:"errorSchemas,omitempty"`
	AccessControl AccessControl     `json:"accessControl"`
	// Meta is free-form; importers store method, path, originalName and so on.
	Meta map[string]any `json:"_meta,omitempty"`
}

// ID returns the operation id, Namespace + "." + Name.
func (s OperationSpec) ID() string {
	return s.Namespace + "." + s.Name
}

// MarshalJSON writes nil schemas as {}.
func (s OperationSpec) MarshalJSON() ([]byte, error) {
	type plain OperationSpec
	p := plain(s)
	p.InputSchema = schemaOrEmpty(p.InputSchema)
	p.OutputSchema = schemaOrEmpty(p.OutputSchema)
	return json.Marshal(p)
}

func schemaOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

var segmentPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidName reports whether name is one id segment: one or more characters
// of [A-Za-z0-9_-].
func ValidName(name string) bool {
	return segmentPattern.MatchString(name)
}

// ValidNamespace reports whether ns is one or more valid segments joined by ".".
func ValidNamespace(ns string) bool {
	for segment := range strings.SplitSeq(ns, ".") {
		if !ValidName(segment) {
			return false
		}
	}
	return true
}

// SplitID splits an operation id at its last dot into namespace and name.
// ok is false when either part is not valid, so "dev.abc.fs.read" gives
// ("dev.abc.fs", "read", true).
func SplitID(id string) (namespace, name string, ok bool) {
	i := strings.LastIndexByte(id, '.')
	if i < 0 {
		return "", "", false
	}
	namespace, name = id[:i], id[i+1:]
	if !ValidNamespace(namespace) || !ValidName(name) {
		return "", "", false
	}
	return namespace, name, true
}

// OperationContext is the per-invocation context a handler receives. It has
// no JSON form; cancellation and deadlines travel in the context.Context
// argument instead.
type OperationContext struct {
	// RequestID correlates this invocation.
	RequestID string
	// ParentRequestID is the id of the calling request, "" at an edge.
	ParentRequestID string
	// Identity is the caller; nil means anonymous.
	Identity *Identity
	// Metadata is copied from call.requested; free-form.
	Metadata map[string]any
	// Env lets the handler call other operations in-process. The host sets
	// it (BuildEnv, or a Server built WithEnv); the registry never does.
	Env *Env

	// trusted skips access control. Only Env sets it; it is never
	// serialised or decoded.
	trusted bool
}

// Trusted reports whether the context belongs to a nested call made through
// an Env, which skips access control.
func (oc *OperationContext) Trusted() bool {
	return oc != nil && oc.trusted
}

// Handler serves query and mutation operations. It receives validated JSON
// input and returns a plain value, which the registry wraps into a local
// envelope, or a *ResponseEnvelope, which passes through unchanged.
type Handler func(ctx context.Context, input json.RawMessage, oc *OperationContext) (any, error)

// StreamHandler serves subscription operations. Each item of the returned
// sequence is a plain value or a *ResponseEnvelope; a non-nil item error
// ends the stream with that error.
//
// The sequence is ranged at most once. It must acquire its resources inside
// the sequence function and release them with defer, and it must return
// promptly when yield returns false or ctx is done.
type StreamHandler func(ctx context.Context, input json.RawMessage, oc *OperationContext) (
	iter.Seq2[any, error], error)

// Operation is a spec together with its handler. Handler serves queries and
// mutations, Stream serves subscriptions; exactly one of them matches the
// spec's type, or both are nil for a spec without handler.
type Operation struct {
	Spec    OperationSpec
	Handler Handler
	Stream  StreamHandler

	// err is a construction error of a typed helper, reported by Register.
	err error
}

// ID returns the operation id of the spec.
func (op Operation) ID() string {
	return op.Spec.ID()
}

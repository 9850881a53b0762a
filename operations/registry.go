package operations

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
)

// DefaultVersion is stored for specs registered with an empty version.
const DefaultVersion = "1.0.0"

// OutputMode says what Execute and Subscribe do with output that does not
// match the operation's output schema.
type OutputMode int

const (
	// OutputWarn Casts invalid unary output and logs one warning per
	// operation per minute; invalid stream items are logged once per stream.
	OutputWarn OutputMode = iota
	// OutputStrict Casts invalid unary output and fails with EXECUTION_ERROR
	// when it is still invalid; an invalid stream item ends the stream.
	OutputStrict
	// OutputOff skips Cast and output validation.
	OutputOff
)

// RegistryOption configures a Registry.
type RegistryOption func(*Registry)

// WithLogger sets the registry's logger; nil discards.
func WithLogger(l *slog.Logger) RegistryOption {
	return func(r *Registry) { r.logger = componentLogger(l, "operations.registry") }
}

// WithOutputMode sets how invalid output is handled; the default is OutputWarn.
func WithOutputMode(m OutputMode) RegistryOption {
	return func(r *Registry) { r.mode = m }
}

func componentLogger(l *slog.Logger, component string) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l.With("component", component)
}

// Registry stores operations by id and runs them. Schemas are compiled once
// at registration and shared between operations with identical schemas.
// A Registry is safe for concurrent use: lookups take a read lock only, and
// handlers run outside every lock.
type Registry struct {
	mu      sync.RWMutex
	entries map[string]*entry
	order   []string // ids in first-registration order

	cache  *schemaCache
	logger *slog.Logger
	mode   OutputMode
}

// entry is one registered operation. It is replaced, never modified, when
// its id is registered again (warn is shared state by design).
type entry struct {
	spec    OperationSpec
	handler Handler
	stream  StreamHandler
	input   *Schema
	output  *Schema
	warn    *warnLimiter
}

// NewRegistry returns an empty registry.
func NewRegistry(opts ...RegistryOption) *Registry {
	r := &Registry{
		entries: map[string]*entry{},
		cache:   newSchemaCache(),
		logger:  componentLogger(nil, ""),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// registrationError is an error with a fixed message that matches a sentinel.
type registrationError struct {
	msg      string
	sentinel error
}

func (e *registrationError) Error() string { return e.msg }
func (e *registrationError) Unwrap() error { return e.sentinel }

// Register validates op and stores it. Names, type, error codes, handler
// kind and both schemas are checked before anything is stored. Registering
// an id again replaces the operation in place (last wins); it keeps its
// position in List.
func (r *Registry) Register(op Operation) error {
	e, err := r.prepare(op)
	if err != nil {
		return err
	}
	r.store(e)
	return nil
}

// RegisterAll registers every op or none: all are validated first, and the
// returned error joins every failure, each naming its id.
func (r *Registry) RegisterAll(ops ...Operation) error {
	prepared := make([]*entry, 0, len(ops))
	var errs []error
	for _, op := range ops {
		e, err := r.prepare(op)
		if err != nil {
			errs = append(errs, fmt.Errorf("registering %s: %w", op.ID(), err))
			continue
		}
		prepared = append(prepared, e)
	}
	if len(errs) > 0 {
		for _, e := range prepared {
			r.releaseSchemas(e)
		}
		return errors.Join(errs...)
	}
	for _, e := range prepared {
		r.store(e)
	}
	return nil
}

// RegisterSpec stores a spec. An existing handler is kept when its kind
// still matches the new type; otherwise the call fails with ErrHandlerKind
// and the old entry stays.
func (r *Registry) RegisterSpec(spec OperationSpec) error {
	e, err := r.prepare(Operation{Spec: spec})
	if err != nil {
		return err
	}
	id := e.spec.ID()

	r.mu.Lock()
	old := r.entries[id]
	if old != nil {
		e.handler, e.stream = old.handler, old.stream
		if err := checkHandlerKind(e.spec, e.handler, e.stream); err != nil {
			r.mu.Unlock()
			r.releaseSchemas(e)
			return err
		}
	}
	r.storeLocked(e)
	r.mu.Unlock()
	return nil
}

// RegisterHandler attaches a query or mutation handler to a registered
// spec, replacing any previous handler. It fails with ErrUnknownOperation
// when no spec has the id, and with ErrHandlerKind for a subscription.
func (r *Registry) RegisterHandler(id string, h Handler) error {
	return r.attach(id, h, nil)
}

// RegisterStream attaches a subscription handler to a registered spec,
// replacing any previous handler. It fails with ErrUnknownOperation when no
// spec has the id, and with ErrHandlerKind for a query or mutation.
func (r *Registry) RegisterStream(id string, h StreamHandler) error {
	return r.attach(id, nil, h)
}

func (r *Registry) attach(id string, h Handler, sh StreamHandler) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.entries[id]
	if old == nil {
		return &registrationError{
			msg:      "cannot register handler for unknown operation: " + id,
			sentinel: ErrUnknownOperation,
		}
	}
	if err := checkHandlerKind(old.spec, h, sh); err != nil {
		return err
	}
	e := *old
	e.handler, e.stream = h, sh
	r.entries[id] = &e
	r.logger.Debug("handler registered", "operationId", id)
	return nil
}

// Unregister removes the spec, handler and schema references of id and
// reports whether it was registered.
func (r *Registry) Unregister(id string) bool {
	r.mu.Lock()
	e, ok := r.entries[id]
	if ok {
		delete(r.entries, id)
		r.order = slices.DeleteFunc(r.order, func(s string) bool { return s == id })
	}
	r.mu.Unlock()
	if ok {
		r.releaseSchemas(e)
		r.logger.Debug("operation unregistered", "operationId", id)
	}
	return ok
}

// Get returns the operation registered under id.
func (r *Registry) Get(id string) (Operation, bool) {
	e := r.lookup(id)
	if e == nil {
		return Operation{}, false
	}
	return e.operation(), true
}

// GetSpec returns the spec registered under id. The spec is shared: callers
// must not modify its slices or maps.
func (r *Registry) GetSpec(id string) (OperationSpec, bool) {
	e := r.lookup(id)
	if e == nil {
		return OperationSpec{}, false
	}
	return e.spec, true
}

// GetByName returns the operation namespace.name.
func (r *Registry) GetByName(namespace, name string) (Operation, bool) {
	return r.Get(namespace + "." + name)
}

// List returns every operation in first-registration order.
func (r *Registry) List() []Operation {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]Operation, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.entries[id].operation())
	}
	return out
}

// Specs returns every spec in first-registration order.
func (r *Registry) Specs() []OperationSpec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]OperationSpec, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.entries[id].spec)
	}
	return out
}

// Len returns the number of registered operations.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.entries)
}

// Schemas returns the compiled input and output schemas of id.
func (r *Registry) Schemas(id string) (input, output *Schema, ok bool) {
	e := r.lookup(id)
	if e == nil {
		return nil, nil, false
	}
	return e.input, e.output, true
}

func (r *Registry) lookup(id string) *entry {
	r.mu.RLock()
	e := r.entries[id]
	r.mu.RUnlock()
	return e
}

func (e *entry) operation() Operation {
	return Operation{Spec: e.spec, Handler: e.handler, Stream: e.stream}
}

func (r *Registry) store(e *entry) {
	r.mu.Lock()
	r.storeLocked(e)
	r.mu.Unlock()
}

func (r *Registry) storeLocked(e *entry) {
	id := e.spec.ID()
	old, exists := r.entries[id]
	if !exists {
		r.order = append(r.order, id)
	} else {
		e.warn = old.warn
	}
	r.entries[id] = e
	if exists {
		// The cache has its own lock, taken after r.mu (lock order).
		r.releaseSchemas(old)
	}
	r.logger.Debug("operation registered", "operationId", id, "type", string(e.spec.Type))
}

func (r *Registry) releaseSchemas(e *entry) {
	r.cache.release(e.input)
	r.cache.release(e.output)
}

// prepare validates op and compiles its schemas into a new entry, storing
// nothing.
func (r *Registry) prepare(op Operation) (*entry, error) {
	if op.err != nil {
		return nil, op.err
	}
	spec := copySpec(op.Spec)
	if spec.Version == "" {
		spec.Version = DefaultVersion
	}
	id := spec.ID()
	if !ValidName(spec.Name) {
		return nil, fmt.Errorf("invalid operation name %q in %q: a name is one segment of "+
			"letters, digits, '_' and '-'", spec.Name, id)
	}
	if !ValidNamespace(spec.Namespace) {
		return nil, fmt.Errorf("invalid namespace %q in %q: a namespace is one or more "+
			"segments of letters, digits, '_' and '-' joined by '.'", spec.Namespace, id)
	}
	if !spec.Type.Valid() {
		return nil, fmt.Errorf("invalid type %q of operation %s: must be query, mutation "+
			"or subscription", spec.Type, id)
	}
	if err := checkErrorSchemas(spec); err != nil {
		return nil, err
	}
	if err := checkHandlerKind(spec, op.Handler, op.Stream); err != nil {
		return nil, err
	}

	input, err := r.cache.acquire(spec.InputSchema, id, "inputSchema")
	if err != nil {
		return nil, err
	}
	output, err := r.cache.acquire(spec.OutputSchema, id, "outputSchema")
	if err != nil {
		r.cache.release(input)
		return nil, err
	}
	return &entry{
		spec: spec, handler: op.Handler, stream: op.Stream,
		input: input, output: output, warn: &warnLimiter{},
	}, nil
}

func checkErrorSchemas(spec OperationSpec) error {
	seen := make(map[string]bool, len(spec.ErrorSchemas))
	for i, d := range spec.ErrorSchemas {
		if d.Code == "" {
			return fmt.Errorf("errorSchemas[%d] of %s has an empty code", i, spec.ID())
		}
		if seen[d.Code] {
			return fmt.Errorf("errorSchemas of %s declare code %q twice", spec.ID(), d.Code)
		}
		seen[d.Code] = true
	}
	return nil
}

// checkHandlerKind checks that the handler kind matches the operation type;
// no handler at all is allowed.
func checkHandlerKind(spec OperationSpec, h Handler, sh StreamHandler) error {
	id := spec.ID()
	var msg string
	switch {
	case h != nil && sh != nil:
		msg = fmt.Sprintf("operation %q has both a Handler and a StreamHandler", id)
	case spec.Type == TypeSubscription && h != nil:
		msg = fmt.Sprintf("handler for subscription operation %q must be a StreamHandler", id)
	case spec.Type != TypeSubscription && sh != nil:
		msg = fmt.Sprintf("handler for %s operation %q must be a Handler, not a StreamHandler",
			spec.Type, id)
	default:
		return nil
	}
	return &registrationError{msg: msg, sentinel: ErrHandlerKind}
}

// copySpec deep-copies the slices, maps and schemas of a spec so that the
// registry's copy cannot change under it.
func copySpec(s OperationSpec) OperationSpec {
	s.Tags = slices.Clone(s.Tags)
	s.InputSchema = slices.Clone(s.InputSchema)
	s.OutputSchema = slices.Clone(s.OutputSchema)
	if s.ErrorSchemas != nil {
		defs := make([]ErrorDefinition, len(s.ErrorSchemas))
		for i, d := range s.ErrorSchemas {
			d.Schema = slices.Clone(d.Schema)
			defs[i] = d
		}
		s.ErrorSchemas = defs
	}
	s.AccessControl.RequiredScopes = slices.Clone(s.AccessControl.RequiredScopes)
	s.AccessControl.RequiredScopesAny = slices.Clone(s.AccessControl.RequiredScopesAny)
	if s.Meta != nil {
		s.Meta = copyJSONValue(s.Meta).(map[string]any)
	}
	return s
}

// copyJSONValue deep-copies maps and slices of generic JSON; other values
// are shared.
func copyJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = copyJSONValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyJSONValue(e)
		}
		return out
	case json.RawMessage:
		return slices.Clone(x)
	}
	return v
}

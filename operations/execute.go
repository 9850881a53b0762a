package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/google/uuid"
)

// warnInterval is the minimum time between two output warnings of one
// operation; the warnings in between are counted.
const warnInterval = time.Minute

// Execute runs the query or mutation id and returns its envelope.
//
// A nil oc is an anonymous, untrusted caller with a fresh request id. The
// steps, each of which can fail with a *CallError: look up spec and handler
// (OPERATION_NOT_FOUND); reject subscriptions (EXECUTION_ERROR wrapping
// ErrWrongOperationType); enforce access control unless oc is trusted
// (ACCESS_DENIED); fail if ctx is already done (ABORTED or TIMEOUT); validate
// the input (VALIDATION_ERROR with []ValueError details); run the handler,
// mapping its error with MapError and a panic with MapPanic; wrap a plain
// result into a local envelope; check the output as the output mode requires.
func (r *Registry) Execute(ctx context.Context, id string, input any, oc *OperationContext) (
	*ResponseEnvelope, error) {
	e, raw, oc, err := r.begin(ctx, id, input, oc, TypeQuery)
	if err != nil {
		return nil, err
	}

	result, err := r.runHandler(ctx, e, raw, oc)
	if err != nil {
		return nil, err
	}
	env, ok := asEnvelope(result)
	if !ok {
		env = LocalEnvelope(result, id)
	}
	if err := r.checkOutput(e, env, oc.RequestID); err != nil {
		return nil, err
	}
	return env, nil
}

// begin runs the checks shared by Execute and Subscribe and returns the
// entry, the raw input and a non-nil context. want is TypeQuery for a unary
// call and TypeSubscription for a stream.
func (r *Registry) begin(ctx context.Context, id string, input any, oc *OperationContext,
	want OperationType) (*entry, json.RawMessage, *OperationContext, error) {
	e := r.lookup(id)
	if e == nil {
		return nil, nil, nil, notFoundError(id)
	}
	if e.handler == nil && e.stream == nil {
		return nil, nil, nil, noHandlerError(id)
	}
	isStream := e.spec.Type == TypeSubscription
	if want == TypeSubscription && !isStream {
		return nil, nil, nil, newCallErrorCause(CodeExecution,
			"Operation "+id+" is not a subscription; use Execute",
			map[string]any{"operationId": id}, ErrWrongOperationType)
	}
	if want != TypeSubscription && isStream {
		return nil, nil, nil, newCallErrorCause(CodeExecution,
			"Operation "+id+" is a subscription; use Subscribe",
			map[string]any{"operationId": id}, ErrWrongOperationType)
	}

	if oc == nil {
		oc = &OperationContext{RequestID: uuid.NewString()}
	}
	if err := EnforceAccess(e.spec.AccessControl, oc.Identity, id, oc.Trusted()); err != nil {
		return nil, nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, nil, MapError(err, nil)
	}

	raw, err := r.checkInput(e, input)
	if err != nil {
		return nil, nil, nil, err
	}
	return e, raw, oc, nil
}

// checkInput converts input to raw JSON and validates it unless the input
// schema is Unknown.
func (r *Registry) checkInput(e *entry, input any) (json.RawMessage, error) {
	raw, err := toRawJSON(input)
	if err != nil {
		return nil, validationError([]ValueError{{Path: "", Message: err.Error()}},
			e.spec.ID()+" input")
	}
	if e.input.Unknown() {
		if !json.Valid(raw) {
			return nil, validationError([]ValueError{{Path: "", Message: "invalid JSON"}},
				e.spec.ID()+" input")
		}
		return raw, nil
	}
	inst, err := decodeInstance(raw)
	if err != nil {
		return nil, validationError([]ValueError{{Path: "", Message: err.Error()}},
			e.spec.ID()+" input")
	}
	if errs := validateInstance(e.input, inst); errs != nil {
		return nil, validationError(errs, e.spec.ID()+" input")
	}
	return raw, nil
}

// toRawJSON returns input as raw JSON: json.RawMessage as is (empty means
// null), any other value marshalled.
func toRawJSON(input any) (json.RawMessage, error) {
	if raw, ok := input.(json.RawMessage); ok {
		if len(raw) == 0 {
			return json.RawMessage("null"), nil
		}
		return raw, nil
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, fmt.Errorf("encoding input: %w", err)
	}
	return raw, nil
}

// runHandler calls the unary handler, mapping errors and panics.
func (r *Registry) runHandler(ctx context.Context, e *entry, raw json.RawMessage,
	oc *OperationContext) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.recovered(p, e.spec.ID(), oc.RequestID)
		}
	}()
	result, err = e.handler(ctx, raw, oc)
	if err != nil {
		return nil, MapError(err, e.spec.ErrorSchemas)
	}
	return result, nil
}

// recovered logs a handler panic with its stack and maps it.
func (r *Registry) recovered(p any, id, requestID string) *CallError {
	r.logger.Error("handler panicked", "operationId", id, "requestId", requestID,
		"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return MapPanic(p)
}

// checkOutput validates env.Data against the output schema, Casts invalid
// data in place and, depending on the mode, logs or fails.
func (r *Registry) checkOutput(e *entry, env *ResponseEnvelope, requestID string) error {
	if r.mode == OutputOff || e.output.Unknown() {
		return nil
	}
	inst, err := toInstance(env.Data)
	if err != nil {
		errs := []ValueError{{Path: "", Message: err.Error()}}
		return r.outputFailure(e, errs, requestID, false)
	}
	errs := validateInstance(e.output, inst)
	if errs == nil {
		return nil
	}

	c := caster{schema: e.output}
	env.Data = c.cast(e.output.doc, "", inst, 0)
	remaining := validateInstance(e.output, env.Data)
	if remaining == nil {
		r.warnOutput(e, errs, requestID, true)
		return nil
	}
	return r.outputFailure(e, remaining, requestID, false)
}

// outputFailure fails in strict mode and warns otherwise.
func (r *Registry) outputFailure(e *entry, errs []ValueError, requestID string,
	normalised bool) error {
	if r.mode == OutputStrict {
		return NewCallError(CodeExecution,
			"Output validation failed for "+e.spec.ID()+":\n"+FormatValueErrors(errs), errs)
	}
	r.warnOutput(e, errs, requestID, normalised)
	return nil
}

func (r *Registry) warnOutput(e *entry, errs []ValueError, requestID string, normalised bool) {
	suppressed, ok := e.warn.allow(time.Now())
	if !ok {
		return
	}
	msg := "output does not match the output schema"
	if normalised {
		msg = "output did not match the output schema and was normalised"
	}
	r.logger.Warn(msg, "operationId", e.spec.ID(), "requestId", requestID,
		"errors", FormatValueErrorsIndent(errs, ""), "suppressed", suppressed)
}

// warnLimiter lets one warning through per warnInterval and counts the rest.
type warnLimiter struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a warning may be logged now and how many were
// suppressed since the last one.
func (w *warnLimiter) allow(now time.Time) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.last.IsZero() && now.Sub(w.last) < warnInterval {
		w.suppressed++
		return 0, false
	}
	n := w.suppressed
	w.last, w.suppressed = now, 0
	return n, true
}

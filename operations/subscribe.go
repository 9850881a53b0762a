package operations

import (
	"context"
	"iter"
)

// Subscribe starts the subscription id and returns its items as envelopes.
//
// Lookups, the type check (a query or mutation fails with EXECUTION_ERROR
// wrapping ErrWrongOperationType), access control, ctx and input validation
// run before Subscribe returns, as in Execute. The stream handler is then
// called synchronously: its error is mapped with MapError, a panic with
// MapPanic, and a nil sequence is EXECUTION_ERROR.
//
// The returned sequence may be ranged once. Envelope items pass through
// unchanged; other values are wrapped in a fresh local envelope each. An
// item error ends the stream with (nil, mapped *CallError), and so does a
// panic in the handler's sequence (UNKNOWN_ERROR) or the end of ctx
// (ABORTED or TIMEOUT). When the consumer stops ranging, the handler's
// sequence returns, and its deferred cleanup has run before the consumer's
// range loop ends. Items are not Cast; they are validated as the output mode
// says: warn logs once per stream, strict ends the stream with
// EXECUTION_ERROR.
func (r *Registry) Subscribe(ctx context.Context, id string, input any, oc *OperationContext) (
	iter.Seq2[*ResponseEnvelope, error], error) {
	e, raw, oc, err := r.begin(ctx, id, input, oc, TypeSubscription)
	if err != nil {
		return nil, err
	}
	seq, err := r.startStream(ctx, e, raw, oc)
	if err != nil {
		return nil, err
	}
	return r.wrapStream(ctx, e, oc, seq), nil
}

func (r *Registry) startStream(ctx context.Context, e *entry, raw []byte,
	oc *OperationContext) (seq iter.Seq2[any, error], err error) {
	defer func() {
		if p := recover(); p != nil {
			seq, err = nil, r.recovered(p, e.spec.ID(), oc.RequestID)
		}
	}()
	seq, err = e.stream(ctx, raw, oc)
	if err != nil {
		return nil, MapError(err, e.spec.ErrorSchemas)
	}
	if seq == nil {
		id := e.spec.ID()
		return nil, NewCallError(CodeExecution,
			"Subscription handler for \""+id+"\" returned no stream",
			map[string]any{"operationId": id})
	}
	return seq, nil
}

// wrapStream turns the handler's items into envelopes and applies the end
// rules of Subscribe.
func (r *Registry) wrapStream(ctx context.Context, e *entry, oc *OperationContext,
	seq iter.Seq2[any, error]) iter.Seq2[*ResponseEnvelope, error] {
	return func(yield func(*ResponseEnvelope, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(nil, MapError(err, nil))
			return
		}
		ended, endErr := r.rangeStream(ctx, e, oc, seq, yield)
		if ended {
			return
		}
		if endErr == nil && ctx.Err() != nil {
			endErr = MapError(ctx.Err(), nil)
		}
		if endErr != nil {
			yield(nil, endErr)
		}
	}
}

// rangeStream ranges the handler's sequence. ended is true when the consumer
// stopped; endErr is the error that ends the stream otherwise.
func (r *Registry) rangeStream(ctx context.Context, e *entry, oc *OperationContext,
	seq iter.Seq2[any, error], yield func(*ResponseEnvelope, error) bool) (
	ended bool, endErr error) {
	id := e.spec.ID()
	inConsumer := false
	warned := false
	defer func() {
		if inConsumer {
			return // the consumer's own panic keeps unwinding
		}
		if p := recover(); p != nil {
			ended, endErr = false, r.recovered(p, id, oc.RequestID)
		}
	}()

	for item, err := range seq {
		if err != nil {
			return false, MapError(err, e.spec.ErrorSchemas)
		}
		env, ok := asEnvelope(item)
		if !ok {
			env = LocalEnvelope(item, id)
		}
		if err := r.checkItem(e, env, oc.RequestID, &warned); err != nil {
			return false, err
		}
		inConsumer = true
		if !yield(env, nil) {
			return true, nil
		}
		inConsumer = false
		if ctx.Err() != nil {
			return false, MapError(ctx.Err(), nil)
		}
	}
	return false, nil
}

// checkItem validates one stream item without Cast.
func (r *Registry) checkItem(e *entry, env *ResponseEnvelope, requestID string,
	warned *bool) error {
	if r.mode == OutputOff || e.output.Unknown() {
		return nil
	}
	errs := CollectErrors(e.output, env.Data)
	if errs == nil {
		return nil
	}
	if r.mode == OutputStrict {
		return NewCallError(CodeExecution,
			"Output validation failed for "+e.spec.ID()+":\n"+FormatValueErrors(errs), errs)
	}
	if !*warned {
		*warned = true
		r.logger.Warn("stream item does not match the output schema",
			"operationId", e.spec.ID(), "requestId", requestID,
			"errors", FormatValueErrorsIndent(errs, ""))
	}
	return nil
}

package spokes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
)

// forwarded is a call the hub sent to a peer. The connection's reader
// pushes the peer's responses into stream; a disconnect stops it with
// SPOKE_DISCONNECTED.
type forwarded struct {
	requestID string
	stream    *pubsub.Stream[pubsub.Envelope]
}

// unaryBuffer bounds the frames buffered for a query or mutation: its one
// response, plus room for a stray frame from a misbehaving peer.
const unaryBuffer = 2

// startForward records a call to this connection, or fails with
// SPOKE_UNAVAILABLE when the spoke is gone or at its concurrency limit.
// buffer bounds the peer's frames waiting for the caller.
func (c *conn) startForward(hubID, requestID string, maxInFlight, buffer int) (*forwarded, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gone {
		return nil, spokeUnavailable(hubID, reasonNoProvider)
	}
	if _, dup := c.forwarded[requestID]; dup {
		return nil, operations.NewCallError(operations.CodeConflict, "Request "+requestID+" is already pending",
			map[string]any{"requestId": requestID})
	}
	if len(c.forwarded) >= maxInFlight {
		return nil, spokeUnavailable(hubID, reasonBusy)
	}
	f := &forwarded{
		requestID: requestID,
		stream: pubsub.NewStream[pubsub.Envelope](context.Background(), pubsub.StreamOptions{
			Buffer:   buffer,
			Overflow: pubsub.OverflowFail,
		}),
	}
	c.forwarded[requestID] = f
	return f, nil
}

func (c *conn) endForward(f *forwarded) {
	c.mu.Lock()
	if c.forwarded[f.requestID] == f {
		delete(c.forwarded, f.requestID)
	}
	c.mu.Unlock()
	f.stream.Close()
}

func (c *conn) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.forwarded)
}

func spokeUnavailable(opID, reason string) *operations.CallError {
	return operations.NewCallError(operations.CodeSpokeUnavailable,
		"No provider available for operation: "+opID,
		map[string]any{"operationId": opID, "reason": reason})
}

func spokeDisconnected(spokeID, reason string) *operations.CallError {
	return operations.NewCallError(operations.CodeSpokeDisconnected,
		"Spoke "+spokeID+" disconnected while serving the call",
		map[string]any{"spokeId": spokeID, "reason": reason})
}

func accessDenied(opID string) *operations.CallError {
	return operations.NewCallError(operations.CodeAccessDenied,
		"Access denied for operation: "+opID,
		map[string]any{"operationId": opID, "requiredScopes": []string{}})
}

// visibleTo reports whether the identity may call a spoke's operations:
// it owns the spoke, holds admin, has resource spoke:<id> with action call,
// or the spoke is public.
func visibleTo(info *spokeInfo, id *operations.Identity) bool {
	if info.visibility == visibilityPublic {
		return true
	}
	if id == nil {
		return false
	}
	if id.ID == info.ownerID || isAdmin(id) {
		return true
	}
	for _, a := range id.Resources["spoke:"+info.id] {
		if a == "call" {
			return true
		}
	}
	return false
}

func isAdmin(id *operations.Identity) bool {
	if id == nil {
		return false
	}
	for _, s := range id.Scopes {
		if s == auth.ScopeAdmin {
			return true
		}
	}
	return false
}

// callRequest builds the call.requested sent to the spoke: the same
// request id, the spoke's original operation id, the caller's identity
// and the context's deadline.
func callRequest(ctx context.Context, originalID string, input json.RawMessage,
	oc *operations.OperationContext) operations.CallRequested {
	req := operations.CallRequested{
		RequestID:       oc.RequestID,
		OperationID:     originalID,
		Input:           input,
		ParentRequestID: oc.ParentRequestID,
		Identity:        oc.Identity,
		Metadata:        oc.Metadata,
	}
	if dl, ok := ctx.Deadline(); ok {
		req.Deadline = dl.UnixMilli()
	}
	return req
}

// begin starts a forwarded call on c and sends call.requested.
func (m *Manager) begin(ctx context.Context, c *conn, info *spokeInfo, hubID, originalID string,
	input json.RawMessage, oc *operations.OperationContext, buffer int) (*forwarded, error) {
	f, err := c.startForward(hubID, oc.RequestID, info.maxInFlight, buffer)
	if err != nil {
		return nil, err
	}
	m.forwardedCalls.Add(1)
	if m.opts.OnForward != nil {
		m.opts.OnForward(oc.RequestID, info.id)
	}
	frame, err := json.Marshal(callRequest(ctx, originalID, input, oc))
	if err != nil {
		c.endForward(f)
		return nil, fmt.Errorf("encoding call.requested for %s: %w", hubID, err)
	}
	// A frame over the peer's read limit would make the peer drop its
	// connection and fail every call on it, so it is refused here. Peers
	// are assumed to accept what the hub accepts (MaxMessageBytes).
	if size := int64(len(frame)) + frameOverhead; size > m.opts.MaxMessageBytes {
		c.endForward(f)
		return nil, operations.NewCallError(operations.CodeValidation,
			fmt.Sprintf("Input of %s is too large to forward: %d bytes, spokes accept frames up to %d bytes",
				hubID, size, m.opts.MaxMessageBytes),
			[]operations.ValueError{{Path: "", Message: fmt.Sprintf("the call.requested frame would be %d bytes; the limit is %d",
				size, m.opts.MaxMessageBytes)}})
	}
	if err := c.send(operations.EventCallRequested, json.RawMessage(frame)); err != nil {
		c.endForward(f)
		return nil, spokeDisconnected(info.id, reasonDisconnected)
	}
	return f, nil
}

// frameOverhead is the size of the envelope around a call event payload:
// {"type":"call.requested","id":"","payload":…}.
const frameOverhead = 48

// forwardUnary sends a query or mutation to the spoke and waits for its one
// response.
func (m *Manager) forwardUnary(ctx context.Context, c *conn, info *spokeInfo, hubID, originalID string,
	input json.RawMessage, oc *operations.OperationContext) (any, error) {
	f, err := m.begin(ctx, c, info, hubID, originalID, input, oc, unaryBuffer)
	if err != nil {
		return nil, err
	}
	defer c.endForward(f)

	env, err := f.stream.Next(ctx)
	if err != nil {
		if ctx.Err() != nil {
			c.sendAbort(oc.RequestID)
			return nil, contextError(ctx, oc.RequestID)
		}
		return nil, err
	}
	switch env.Type {
	case operations.EventCallResponded:
		return decodeResponse(env, oc.RequestID)
	case operations.EventCallCompleted:
		return nil, operations.NewCallError(operations.CodeAborted,
			"Request "+oc.RequestID+" completed without response", nil)
	default:
		return nil, answerError(env, oc.RequestID)
	}
}

// contextError is the error of a forwarded call whose context ended:
// TIMEOUT with details {deadline} (epoch ms) when its deadline passed, as
// the caller's own timer reports it, else ABORTED.
func contextError(ctx context.Context, requestID string) error {
	if dl, ok := ctx.Deadline(); ok && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return operations.NewCallError(operations.CodeTimeout, "Request "+requestID+" timed out",
			map[string]any{"deadline": dl.UnixMilli()})
	}
	return operations.MapError(ctx.Err(), nil)
}

// forwardStream sends a subscription to the spoke and returns the sequence
// of its items. The sequence ends on call.completed, fails on call.error or
// call.aborted, and aborts the spoke's stream when the consumer stops.
func (m *Manager) forwardStream(ctx context.Context, c *conn, info *spokeInfo, hubID, originalID string,
	input json.RawMessage, oc *operations.OperationContext) (iter.Seq2[any, error], error) {
	f, err := m.begin(ctx, c, info, hubID, originalID, input, oc, m.opts.StreamBuffer)
	if err != nil {
		return nil, err
	}
	return func(yield func(any, error) bool) {
		defer c.endForward(f)
		for {
			env, err := f.stream.Next(ctx)
			switch {
			case err != nil && ctx.Err() != nil:
				c.sendAbort(oc.RequestID)
				return
			case errors.Is(err, pubsub.ErrSlowConsumer):
				c.sendAbort(oc.RequestID)
				yield(nil, operations.NewCallError(operations.CodeAborted,
					"Subscription "+oc.RequestID+" overflowed its buffer", map[string]any{"bufferSize": m.opts.StreamBuffer}))
				return
			case err != nil:
				yield(nil, err)
				return
			}

			switch env.Type {
			case operations.EventCallCompleted:
				return
			case operations.EventCallResponded:
				out, err := decodeResponse(env, oc.RequestID)
				if err != nil {
					c.sendAbort(oc.RequestID)
					yield(nil, err)
					return
				}
				if !yield(out, nil) {
					c.sendAbort(oc.RequestID)
					return
				}
			default:
				yield(nil, answerError(env, oc.RequestID))
				return
			}
		}
	}, nil
}

// decodeResponse checks that a spoke's call.responded carries a
// ResponseEnvelope and returns it unchanged; anything else is
// EXECUTION_ERROR (the spoke stays connected).
func decodeResponse(env pubsub.Envelope, requestID string) (*operations.ResponseEnvelope, error) {
	var p struct {
		Output json.RawMessage `json:"output"`
	}
	invalid := operations.NewCallError(operations.CodeExecution,
		"Invalid response for request "+requestID+": output is not a ResponseEnvelope",
		map[string]any{"message": "output is not a ResponseEnvelope"})

	raw, err := payloadJSON(env)
	if err != nil || json.Unmarshal(raw, &p) != nil || len(p.Output) == 0 {
		return nil, invalid
	}
	var generic any
	if err := json.Unmarshal(p.Output, &generic); err != nil {
		return nil, invalid
	}
	if _, ok := operations.DetectEnvelope(generic); !ok {
		return nil, invalid
	}
	out := new(operations.ResponseEnvelope)
	if err := json.Unmarshal(p.Output, out); err != nil {
		return nil, invalid
	}
	return out, nil
}

// answerError converts a spoke's call.error or call.aborted into the error
// returned to the caller.
func answerError(env pubsub.Envelope, requestID string) error {
	if env.Type == operations.EventCallAborted {
		return operations.NewCallError(operations.CodeAborted, "Request "+requestID+" was aborted",
			map[string]any{"reason": "aborted by the spoke"})
	}
	ev, err := pubsub.DecodePayload[operations.CallErrorEvent](env)
	if err != nil || ev.Code == "" {
		return operations.NewCallError(operations.CodeExecution,
			"Invalid call.error for request "+requestID, map[string]any{"message": "malformed call.error payload"})
	}
	return operations.NewCallError(ev.Code, ev.Message, ev.Details)
}

func payloadJSON(env pubsub.Envelope) (json.RawMessage, error) {
	if raw, ok := env.Payload.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(env.Payload)
}

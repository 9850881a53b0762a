package spokes

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
)

// handleRequest checks a peer's call.requested on the reader goroutine and
// starts the call on its own goroutine.
func (c *conn) handleRequest(env pubsub.Envelope) {
	req, err := pubsub.DecodePayload[operations.CallRequested](env)
	if err != nil {
		// Answer when the frame still names a request id the peer can match.
		if ref := requestIDOf(env); ref != "" {
			c.sendError(ref, operations.NewCallError(operations.CodeValidation,
				"call.requested payload is invalid: "+err.Error(),
				[]operations.ValueError{{Path: "", Message: err.Error()}}))
			return
		}
		c.m.log.Debug("dropping a call.requested without a usable requestId", "connectionId", c.id, "error", err)
		return
	}
	if req.RequestID == "" {
		c.m.log.Debug("dropping a call.requested without a requestId", "connectionId", c.id)
		return
	}
	if _, err := uuid.Parse(req.RequestID); err != nil {
		c.sendError(req.RequestID, operations.NewCallError(operations.CodeValidation,
			"requestId must be a UUID", []operations.ValueError{{Path: "/requestId", Message: "must be a UUID"}}))
		return
	}
	if req.OperationID == "" {
		c.sendError(req.RequestID, operations.NewCallError(operations.CodeValidation,
			"operationId is required", []operations.ValueError{{Path: "/operationId", Message: "is required"}}))
		return
	}

	ctx, cancel := context.WithCancel(c.m.ctx)
	if ce := c.admitInbound(req.RequestID, cancel); ce != nil {
		cancel()
		c.sendError(req.RequestID, ce)
		return
	}
	c.m.inboundCalls.Add(1)
	c.m.wg.Add(1)
	go func() {
		defer c.m.wg.Done()
		defer c.finishInbound(req.RequestID)
		defer cancel()
		c.serveInbound(ctx, req)
	}()
}

// admitInbound records a peer call, or returns the error to send back.
func (c *conn) admitInbound(requestID string, cancel context.CancelFunc) *operations.CallError {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.gone {
		return operations.NewCallError(operations.CodeAborted, "connection is closing", nil)
	}
	if _, dup := c.m.inbound[requestID]; dup {
		return operations.NewCallError(operations.CodeConflict, "Request "+requestID+" is already pending",
			map[string]any{"requestId": requestID})
	}
	if len(c.inbound) >= c.m.opts.MaxInboundCalls {
		return operations.NewCallError(operations.CodeRateLimited,
			"too many calls in flight on this connection", map[string]any{"limit": c.m.opts.MaxInboundCalls})
	}
	c.inbound[requestID] = &inboundCall{cancel: cancel}
	c.m.inbound[requestID] = c
	return nil
}

func (c *conn) finishInbound(requestID string) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.inbound, requestID)
	if c.m.inbound[requestID] == c {
		delete(c.m.inbound, requestID)
	}
}

func (c *conn) peerAborted(requestID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.inbound[requestID]
	return in != nil && in.abortedByPeer
}

// connForRequest returns the connection whose peer made the call with this
// request id; hub.register uses it to find the registering connection.
func (m *Manager) connForRequest(requestID string) *conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.inbound[requestID]
}

// serveInbound runs one call a peer made, with the connection's identity,
// and sends the result on the socket.
func (c *conn) serveInbound(ctx context.Context, req operations.CallRequested) {
	id := req.RequestID
	identity := c.principal.Identity

	if scope := auth.EdgeScope(req.OperationID); !c.principal.HasScope(scope) {
		c.sendError(id, operations.NewCallError(operations.CodeAccessDenied,
			"Access denied for operation: "+req.OperationID,
			map[string]any{"operationId": req.OperationID, "requiredScopes": []string{scope}}))
		return
	}

	// A parent id is trusted only when it names a call the hub forwarded
	// to this connection and that is still running.
	parent := ""
	if req.ParentRequestID != "" {
		c.mu.Lock()
		if _, ok := c.forwarded[req.ParentRequestID]; ok {
			parent = req.ParentRequestID
		}
		c.mu.Unlock()
	}

	input := any(req.Input)
	if len(req.Input) == 0 {
		input = nil
	}
	spec, _ := c.m.opts.Registry.GetSpec(req.OperationID)
	if spec.Type == operations.TypeSubscription {
		c.serveInboundStream(ctx, req, input, parent, &identity)
		return
	}

	env, err := c.m.opts.Invoker.Call(ctx, req.OperationID, input, operations.CallOptions{
		RequestID:       id,
		ParentRequestID: parent,
		Deadline:        c.m.deadline(req.Deadline),
		Identity:        &identity,
		Metadata:        req.Metadata,
	})
	if c.peerAborted(id) {
		return
	}
	if err != nil {
		c.sendError(id, operations.MapError(err, spec.ErrorSchemas))
		return
	}
	if err := c.send(operations.EventCallResponded, operations.CallResponded{RequestID: id, Output: env}); err != nil {
		c.m.log.Debug("sending call.responded to a peer", "connectionId", c.id, "requestId", id, "error", err)
	}
}

func (c *conn) serveInboundStream(ctx context.Context, req operations.CallRequested, input any,
	parent string, identity *operations.Identity) {
	id := req.RequestID
	stream, err := c.m.opts.Invoker.Subscribe(ctx, req.OperationID, input, operations.SubscribeOptions{
		RequestID:       id,
		ParentRequestID: parent,
		IdleTimeout:     time.Duration(req.IdleTimeout) * time.Millisecond,
		Identity:        identity,
		Metadata:        req.Metadata,
	})
	if err != nil {
		c.sendError(id, operations.MapError(err, nil))
		return
	}
	defer stream.Close()

	for env, err := range stream.All() {
		if c.peerAborted(id) {
			return
		}
		if err != nil {
			c.sendError(id, operations.MapError(err, nil))
			return
		}
		if err := c.send(operations.EventCallResponded, operations.CallResponded{RequestID: id, Output: env}); err != nil {
			return
		}
	}
	if c.peerAborted(id) {
		return
	}
	if err := c.send(operations.EventCallCompleted, operations.CallCompleted{RequestID: id}); err != nil {
		c.m.log.Debug("sending call.completed to a peer", "connectionId", c.id, "requestId", id, "error", err)
	}
}

// deadline applies the hub's limits to a deadline a peer sent (epoch ms,
// 0 for none): at most MaxTimeout ahead, DefaultTimeout when absent.
func (m *Manager) deadline(requested int64) time.Time {
	now := m.opts.Now()
	limit := now.Add(m.opts.MaxTimeout)
	if requested <= 0 {
		return now.Add(m.opts.DefaultTimeout)
	}
	d := time.UnixMilli(requested)
	if d.After(limit) {
		return limit
	}
	return d
}

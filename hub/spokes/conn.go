package spokes

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/ws"
)

// conn is the hub's state for one WebSocket connection.
type conn struct {
	m         *Manager
	ws        *ws.Conn
	id        string
	principal auth.Principal

	mu sync.Mutex
	// spokeID is set by a successful hub.register and cleared by
	// hub.unregister.
	spokeID   string
	spokeName string
	// forwarded holds the calls the hub sent to this peer, by request id.
	forwarded map[string]*forwarded
	// inbound holds the calls this peer made, by request id.
	inbound map[string]*inboundCall
	// reason is the SPOKE_DISCONNECTED reason once the connection goes.
	reason    string
	gone      bool
	lastTouch time.Time
}

type inboundCall struct {
	cancel context.CancelFunc
	// abortedByPeer is set when the peer sent call.aborted; nothing more
	// is sent for the call then.
	abortedByPeer bool
}

func (c *conn) setReason(r string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reason == "" {
		c.reason = r
	}
}

func (c *conn) spoke() (id, name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.spokeID, c.spokeName
}

// send writes one call event to the peer. Errors mean the connection is
// gone or over its send budget; the caller treats both as a lost peer.
func (c *conn) send(eventType string, payload any) error {
	ctx, cancel := context.WithTimeout(c.m.ctx, c.m.opts.WriteTimeout)
	defer cancel()
	return c.ws.Send(ctx, pubsub.Envelope{Type: eventType, ID: "", Payload: payload})
}

func (c *conn) sendAbort(requestID string) {
	if err := c.send(operations.EventCallAborted, operations.CallAborted{RequestID: requestID}); err != nil {
		c.m.log.Debug("sending call.aborted to a peer", "connectionId", c.id, "requestId", requestID, "error", err)
	}
}

func (c *conn) sendError(requestID string, ce *operations.CallError) {
	ev := operations.CallErrorEvent{
		RequestID: requestID,
		Code:      ce.Code,
		Message:   ce.Message,
		Details:   ce.Details,
	}
	if err := c.send(operations.EventCallError, ev); err != nil {
		c.m.log.Debug("sending call.error to a peer", "connectionId", c.id, "requestId", requestID, "error", err)
	}
}

// onConnect registers a new connection; it runs before any of its frames.
func (m *Manager) onConnect(wc *ws.Conn) {
	p, _ := wc.Info().Identity.(auth.Principal)
	c := &conn{
		m:         m,
		ws:        wc,
		id:        wc.ID(),
		principal: p,
		forwarded: make(map[string]*forwarded),
		inbound:   make(map[string]*inboundCall),
	}
	m.mu.Lock()
	m.conns[c.id] = c
	m.mu.Unlock()
	m.log.Info("websocket client connected", "connectionId", c.id, "accountId", p.AccountID, "keyId", p.KeyID)
}

func (m *Manager) connOf(wc *ws.Conn) *conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.conns[wc.ID()]
}

// onFrame handles one call event from a peer, on its reader goroutine. It
// never blocks: calls run on their own goroutines and responses go into
// bounded per-call buffers.
func (m *Manager) onFrame(wc *ws.Conn, env pubsub.Envelope) {
	c := m.connOf(wc)
	if c == nil {
		return
	}
	c.activity()

	switch env.Type {
	case operations.EventCallRequested:
		c.handleRequest(env)
	case operations.EventCallResponded, operations.EventCallError, operations.EventCallCompleted:
		c.deliver(env, requestIDOf(env))
	case operations.EventCallAborted:
		c.handleAbort(env)
	}
}

// requestRef is the part of every call event payload that correlates it.
type requestRef struct {
	RequestID string `json:"requestId"`
}

// requestIDOf reads payload.requestId; "" when absent or malformed.
func requestIDOf(env pubsub.Envelope) string {
	p, err := pubsub.DecodePayload[requestRef](env)
	if err != nil {
		return ""
	}
	return p.RequestID
}

// deliver hands a response frame to the call it belongs to. Frames for
// requests not forwarded to this connection are dropped and counted.
func (c *conn) deliver(env pubsub.Envelope, requestID string) bool {
	c.mu.Lock()
	f := c.forwarded[requestID]
	c.mu.Unlock()
	if f == nil {
		c.m.framesDropped.Add(1)
		c.m.log.Debug("dropping a response for a request not forwarded to this connection",
			"connectionId", c.id, "type", env.Type, "requestId", requestID)
		return false
	}
	switch err := f.stream.Push(env); {
	case errors.Is(err, pubsub.ErrSlowConsumer):
		// The first frame that does not fit ends the call; later frames
		// find the stream closed and are dropped quietly.
		c.m.log.Warn("a forwarded call's caller fell behind; aborting the call",
			"connectionId", c.id, "requestId", requestID, "buffer", cap(f.stream.C()))
	case err != nil:
		c.m.framesDropped.Add(1)
	}
	return true
}

// handleAbort cancels a call the peer made, or ends one forwarded to it.
func (c *conn) handleAbort(env pubsub.Envelope) {
	id := requestIDOf(env)
	c.mu.Lock()
	in := c.inbound[id]
	if in != nil {
		in.abortedByPeer = true
	}
	c.mu.Unlock()
	if in != nil {
		in.cancel()
		return
	}
	c.deliver(env, id)
}

// activity records that the peer is alive; for a registered spoke it
// writes lastHeartbeat at most once per HeartbeatWriteInterval.
func (c *conn) activity() {
	now := c.m.opts.Now()
	c.mu.Lock()
	spokeID := c.spokeID
	due := spokeID != "" && now.Sub(c.lastTouch) >= c.m.opts.HeartbeatWriteInterval
	if due {
		c.lastTouch = now
	}
	c.mu.Unlock()
	if due {
		c.m.opts.Store.TouchHeartbeat(spokeID, now)
	}
}

// authorizePublish lets every data frame through; frames of types the hub
// does not handle are counted and then reach no handler.
func (m *Manager) authorizePublish(wc *ws.Conn, env pubsub.Envelope) bool {
	switch env.Type {
	case operations.EventCallRequested, operations.EventCallResponded, operations.EventCallError,
		operations.EventCallCompleted, operations.EventCallAborted:
		if env.ID != "" {
			m.unknownFrames.Add(1)
			m.log.Debug("dropping a call event with a non-empty id", "connectionId", wc.ID(), "type", env.Type)
		}
	default:
		m.unknownFrames.Add(1)
		m.log.Debug("dropping a frame of an unhandled type", "connectionId", wc.ID(), "type", env.Type)
	}
	return true
}

// authorizeSubscribe accepts call.* topics (TypeScript spokes subscribe to
// them, but call events are delivered by request ownership, so they carry
// no traffic) and refuses every other topic for now.
func (m *Manager) authorizeSubscribe(wc *ws.Conn, topic string) bool {
	for _, t := range []string{
		operations.EventCallRequested, operations.EventCallResponded, operations.EventCallError,
		operations.EventCallCompleted, operations.EventCallAborted,
	} {
		if topic == pubsub.TopicOf(t, "") {
			return true
		}
	}
	m.log.Debug("refusing a topic subscription", "connectionId", wc.ID(), "topic", topic)
	return false
}

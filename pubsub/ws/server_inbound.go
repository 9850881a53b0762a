package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/internal/cow"
)

// handleFrame processes one inbound frame of c. The reader calls it for every frame in
// arrival order.
func (s *Server) handleFrame(c *Conn, data []byte) {
	env, err := pubsub.DecodeEnvelope(data)
	if err != nil {
		s.badFrame(c, fmt.Errorf("frame from connection %s: %w", c.info.ID, err))
		return
	}

	switch env.Type {
	case pubsub.ControlSubscribe, pubsub.ControlUnsubscribe:
		topic, err := s.controlTopic(env)
		if err != nil {
			s.badFrame(c, fmt.Errorf("%s from connection %s: %w: %w",
				env.Type, c.info.ID, pubsub.ErrBadEnvelope, err))
			return
		}
		if env.Type == pubsub.ControlSubscribe {
			s.subscribeConn(c, topic)
		} else {
			s.unsubscribeConn(c, topic)
		}
		return
	}
	if pubsub.IsReserved(env.Type) {
		s.badFrame(c, fmt.Errorf("frame from connection %s: %w: reserved type %q",
			c.info.ID, pubsub.ErrBadEnvelope, env.Type))
		return
	}

	if s.opts.AuthorizePublish != nil && !s.opts.AuthorizePublish(c, env) {
		s.deny(c, &DeniedError{ConnID: c.info.ID, Type: env.Type})
		return
	}
	s.deliverLocal(c, env)
}

// controlTopic returns payload.topic of a control frame: a non-empty string of at most
// MaxTopicLen bytes that is not reserved.
func (s *Server) controlTopic(env pubsub.Envelope) (string, error) {
	raw, ok := env.Payload.(json.RawMessage)
	if !ok || len(raw) == 0 || raw[0] != '{' {
		return "", errors.New("payload is not an object")
	}
	var p struct {
		Topic json.RawMessage `json:"topic"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("decoding payload: %w", err)
	}
	if len(p.Topic) == 0 || p.Topic[0] != '"' {
		return "", errors.New("payload.topic is missing or not a string")
	}
	var topic string
	if err := json.Unmarshal(p.Topic, &topic); err != nil {
		return "", fmt.Errorf("decoding payload.topic: %w", err)
	}
	if topic == "" {
		return "", errors.New("payload.topic is empty")
	}
	if len(topic) > s.opts.MaxTopicLen {
		return "", fmt.Errorf("payload.topic has %d bytes, limit %d", len(topic), s.opts.MaxTopicLen)
	}
	if pubsub.IsReserved(topic) {
		return "", fmt.Errorf("payload.topic %q is reserved", topic)
	}
	return topic, nil
}

// subscribeConn adds c to topic unless it is already there, the topic cap is reached or
// AuthorizeSubscribe denies it.
func (s *Server) subscribeConn(c *Conn, topic string) {
	s.mu.RLock()
	_, already := c.topics[topic]
	full := len(c.topics) >= s.opts.MaxTopicsPerConn
	gone := c.topics == nil
	s.mu.RUnlock()
	if already || gone {
		return
	}
	if full {
		s.deny(c, &DeniedError{ConnID: c.info.ID, Topic: topic})
		return
	}
	if s.opts.AuthorizeSubscribe != nil && !s.opts.AuthorizeSubscribe(c, topic) {
		s.deny(c, &DeniedError{ConnID: c.info.ID, Topic: topic})
		return
	}

	s.mu.Lock()
	// Only this reader adds topics of c, but a removal may have raced the hook.
	if c.topics == nil {
		s.mu.Unlock()
		return
	}
	c.topics[topic] = struct{}{}
	if cow.Add(s.subs, topic, c) {
		s.pushTopicEvent(topic, true)
	}
	s.mu.Unlock()
	s.drainTopicEvents()
}

func (s *Server) unsubscribeConn(c *Conn, topic string) {
	s.mu.Lock()
	if _, ok := c.topics[topic]; !ok {
		s.mu.Unlock()
		return
	}
	delete(c.topics, topic)
	s.dropSub(topic, c)
	s.mu.Unlock()
	s.drainTopicEvents()
}

// dropSub removes c from the subscribers of topic; the caller holds mu.
func (s *Server) dropSub(topic string, c *Conn) {
	if cow.Remove(s.subs, topic, c) {
		s.pushTopicEvent(topic, false)
	}
}

// unregister drops c from the registry and from every topic.
func (s *Server) unregister(c *Conn) {
	s.mu.Lock()
	if s.conns[c.info.ID] == c {
		delete(s.conns, c.info.ID)
	}
	for topic := range c.topics {
		s.dropSub(topic, c)
	}
	c.topics = nil
	s.mu.Unlock()
	s.drainTopicEvents()
}

// pushTopicEvent queues an OnTopic call; the caller holds mu, so events queue in the order
// the subscriptions changed.
func (s *Server) pushTopicEvent(topic string, active bool) {
	if s.opts.OnTopic == nil {
		return
	}
	s.hookMu.Lock()
	s.topicEvents = append(s.topicEvents, topicEvent{topic: topic, active: active})
	s.hookMu.Unlock()
}

// drainTopicEvents runs the queued OnTopic calls in order, outside mu. When another
// goroutine is already running them, it leaves its events to that goroutine.
func (s *Server) drainTopicEvents() {
	if s.opts.OnTopic == nil {
		return
	}
	s.hookMu.Lock()
	if s.hookRunning {
		s.hookMu.Unlock()
		return
	}
	s.hookRunning = true
	for len(s.topicEvents) > 0 {
		ev := s.topicEvents[0]
		s.topicEvents = s.topicEvents[1:]
		s.hookMu.Unlock()
		s.callHook("OnTopic", func() { s.opts.OnTopic(ev.topic, ev.active) })
		s.hookMu.Lock()
	}
	s.topicEvents = nil
	s.hookRunning = false
	s.hookMu.Unlock()
}

// callHook runs fn and reports a panic instead of letting it stop the server's bookkeeping.
func (s *Server) callHook(name string, fn func()) {
	defer func() {
		if v := recover(); v != nil {
			s.report(fmt.Errorf("ws: %s hook panicked: %v\n%s", name, v, debug.Stack()))
		}
	}()
	fn()
}

func (s *Server) deliverLocal(c *Conn, env pubsub.Envelope) {
	topic := env.Topic()
	s.mu.RLock()
	exact := s.exact[topic]
	wide := s.types[env.Type]
	s.mu.RUnlock()
	if len(exact) == 0 && len(wide) == 0 {
		return
	}
	s.received.Add(1)
	for _, e := range exact {
		s.callLocal(e, c, topic, env)
	}
	for _, e := range wide {
		s.callLocal(e, c, env.Type, env)
	}
}

func (s *Server) callLocal(e *localEntry, c *Conn, topic string, env pubsub.Envelope) {
	if e.h != nil {
		if perr := pubsub.CallHandler(e.h, topic, env); perr != nil {
			s.report(perr)
		}
		return
	}
	defer func() {
		if v := recover(); v != nil {
			s.report(&pubsub.HandlerPanicError{Topic: topic, Value: v, Stack: debug.Stack()})
		}
	}()
	e.ch(c, env)
}

func (s *Server) deny(c *Conn, err *DeniedError) {
	s.denied.Add(1)
	s.report(err)
	if s.opts.Deny == DenyClose {
		c.remove(s.opts.DenyCloseCode, "denied", err)
	}
}

func (s *Server) badFrame(c *Conn, err error) {
	s.badFrames.Add(1)
	s.report(err)
	if s.opts.BadFrames == BadFrameClose {
		c.remove(s.opts.ProtocolErrorCloseCode, "protocol error", err)
	}
}

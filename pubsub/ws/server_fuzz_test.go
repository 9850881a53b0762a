package ws

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/alkdev/alkhub/pubsub"
)

// socketlessConn registers a connection without a socket, so that frames can go straight
// into the server's frame handler.
func socketlessConn(s *Server, id string) *Conn {
	c := newConn(s, nil, ConnInfo{ID: id})
	s.mu.Lock()
	s.conns[id] = c
	s.mu.Unlock()
	return c
}

// checkRegistry fails t unless every subscriber of every topic is a registered connection
// that lists the topic, and every topic a registered connection lists has it as subscriber.
func checkRegistry(t *testing.T, s *Server) {
	t.Helper()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for topic, conns := range s.subs {
		if len(conns) == 0 {
			t.Fatalf("topic %q is kept with no subscribers", topic)
		}
		if err := pubsub.ValidateTopic(topic); err != nil || len(topic) > s.opts.MaxTopicLen {
			t.Fatalf("invalid topic %q was added", topic)
		}
		for _, c := range conns {
			if s.conns[c.info.ID] != c {
				t.Fatalf("topic %q lists removed connection %s", topic, c.info.ID)
			}
			if _, ok := c.topics[topic]; !ok {
				t.Fatalf("topic %q lists connection %s, which does not list the topic", topic, c.info.ID)
			}
		}
	}
	for id, c := range s.conns {
		if len(c.topics) > s.opts.MaxTopicsPerConn {
			t.Fatalf("connection %s holds %d topics, over the cap", id, len(c.topics))
		}
		for topic := range c.topics {
			if !containsConn(s.subs[topic], c) {
				t.Fatalf("connection %s lists topic %q but is not among its subscribers", id, topic)
			}
		}
	}
}

func containsConn(conns []*Conn, c *Conn) bool {
	for _, x := range conns {
		if x == c {
			return true
		}
	}
	return false
}

func FuzzControlFrame(f *testing.F) {
	for _, seed := range []string{
		`{"topic":"a:1"}`, `{"topic":""}`, `{"topic":5}`, `{"topic":null}`, `{}`, `[]`, `"a:1"`,
		`{"topic":"__x:1"}`, `{"Topic":"a:"}`, `{"topic":"a","topic":"b"}`, `{"topic":"\u0000"}`,
	} {
		f.Add(true, []byte(seed))
		f.Add(false, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, subscribe bool, payload []byte) {
		s := NewServer(ServerOptions{MaxTopicLen: 64, MaxTopicsPerConn: 4})
		defer s.Close()
		c := socketlessConn(s, "fuzz")
		kind := pubsub.ControlUnsubscribe
		if subscribe {
			kind = pubsub.ControlSubscribe
		}
		frame := fmt.Appendf(nil, `{"type":%q,"id":"","payload":%s}`, kind, payload)
		s.handleFrame(c, frame)
		s.handleFrame(c, fmt.Appendf(nil, `{"type":%q,"id":"","payload":%s}`, pubsub.ControlSubscribe, payload))
		checkRegistry(t, s)
	})
}

func FuzzServerInbound(f *testing.F) {
	seeds := []string{
		subscribeFrame("a:1") + "\n" + `{"type":"a","id":"1","payload":1}` + "\n" + unsubscribeFrame("a:1"),
		subscribeFrame("a:") + "\n" + subscribeFrame("b:") + "\n" + subscribeFrame("c:") + "\n" + subscribeFrame("d:") + "\n" + subscribeFrame("e:"),
		`not json` + "\n" + `{"type":"__x","id":""}`,
		subscribeFrame("deny:1") + "\n" + `{"type":"forbidden","id":"1"}`,
	}
	for _, seed := range seeds {
		f.Add(uint8(0), []byte(seed))
		f.Add(uint8(3), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, policy uint8, data []byte) {
		s := NewServer(ServerOptions{
			MaxTopicLen:        64,
			MaxTopicsPerConn:   4,
			BadFrames:          BadFramePolicy(policy & 1),
			Deny:               DenyAction(policy >> 1 & 1),
			AuthorizeSubscribe: func(_ *Conn, topic string) bool { return topic != "deny:1" },
			AuthorizePublish:   func(_ *Conn, env pubsub.Envelope) bool { return env.Type != "forbidden" },
		})
		defer s.Close()
		conns := []*Conn{socketlessConn(s, "one"), socketlessConn(s, "two")}
		for i, frame := range bytes.Split(data, []byte("\n")) {
			c := conns[i%len(conns)]
			if c.isClosing() {
				continue
			}
			s.handleFrame(c, frame)
			checkRegistry(t, s)
		}
	})
}

package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
)

// markTopic is watched by a local handler so that a test knows when a connection's earlier
// frames have been processed: the reader handles one connection's frames in order.
const markType = "mark"

type marks struct{ box inbox }

func watchMarks(t *testing.T, s *Server) *marks {
	t.Helper()
	m := &marks{}
	if _, err := s.SubscribeType(context.Background(), markType, m.box.handle); err != nil {
		t.Fatal(err)
	}
	return m
}

// sync sends a mark frame on c and waits until the server processed it.
func (m *marks) sync(t *testing.T, c *websocket.Conn) {
	t.Helper()
	n := len(m.box.all())
	writeText(t, c, fmt.Sprintf(`{"type":%q,"id":"%d","payload":null}`, markType, n))
	m.box.waitLen(t, n+1)
}

func TestAcceptRegistersAndCallsOnConnectFirst(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
	}
	hs := newHubServer(t, ServerOptions{OnConnect: func(c *Conn) {
		time.Sleep(20 * time.Millisecond)
		record("connect " + c.ID())
	}})
	hs.SubscribeConn(context.Background(), "hello:", func(c *Conn, _ pubsub.Envelope) { record("frame " + c.ID()) })

	peer := rawDial(t, hs.url)
	writeText(t, peer, `{"type":"hello","id":""}`)
	eventually(t, "the frame", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(events) == 2
	})
	conns := hs.Conns()
	if len(conns) != 1 {
		t.Fatalf("Conns() has %d entries, want 1", len(conns))
	}
	id := conns[0].ID()
	if events[0] != "connect "+id || events[1] != "frame "+id {
		t.Errorf("events = %v, want OnConnect before the frame", events)
	}
	if got, ok := hs.Conn(id); !ok || got != conns[0] {
		t.Errorf("Conn(%q) = %v, %v", id, got, ok)
	}
}

func TestControlFramesTrackSubscribers(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	m := watchMarks(t, hs.Server)
	peer := rawDial(t, hs.url)

	writeText(t, peer, subscribeFrame("t:1"))
	m.sync(t, peer)
	if n := hs.Subscribers("t:1"); n != 1 {
		t.Errorf("Subscribers after F2 = %d, want 1", n)
	}
	conn := hs.Conns()[0]
	if got := conn.Topics(); !slices.Equal(got, []string{"t:1"}) {
		t.Errorf("Topics() = %v, want [t:1]", got)
	}
	writeText(t, peer, subscribeFrame("t:1"))
	m.sync(t, peer)
	if n := hs.Subscribers("t:1"); n != 1 {
		t.Errorf("Subscribers after a second F2 = %d, want 1", n)
	}
	writeText(t, peer, unsubscribeFrame("unknown:1"))
	writeText(t, peer, unsubscribeFrame("t:1"))
	m.sync(t, peer)
	if n := hs.Subscribers("t:1"); n != 0 {
		t.Errorf("Subscribers after F3 = %d, want 0", n)
	}
	if got := conn.Topics(); len(got) != 0 {
		t.Errorf("Topics() after F3 = %v, want none", got)
	}
	if n := hs.Stats().BadFrames; n != 0 {
		t.Errorf("BadFrames = %d, want 0", n)
	}
}

func TestPublishReachesOnlySubscribers(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	m := watchMarks(t, hs.Server)
	a, b := rawDial(t, hs.url), rawDial(t, hs.url)
	writeText(t, a, subscribeFrame("direct:A"))
	writeText(t, b, subscribeFrame("direct:B"))
	writeText(t, b, subscribeFrame("marker:"))
	m.sync(t, a)
	m.sync(t, b)

	ctx := context.Background()
	toA := pubsub.Envelope{Type: "direct", ID: "A", Payload: "for A"}
	hs.Publish(ctx, toA)
	marker := pubsub.Envelope{Type: "marker", ID: ""}
	hs.Publish(ctx, marker)

	if _, f := readFrame(t, a); f != encode(t, toA) {
		t.Errorf("A received %s, want its direct frame", f)
	}
	if _, f := readFrame(t, b); f != encode(t, marker) {
		t.Errorf("B received %s first, want only the marker", f)
	}
}

func TestInboundFrameReachesLocalHandlersOnly(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	ctx := context.Background()
	var mu sync.Mutex
	var origin *Conn
	var exact, wide inbox
	hs.SubscribeConn(ctx, "ev:1", func(c *Conn, env pubsub.Envelope) {
		mu.Lock()
		origin = c
		mu.Unlock()
	})
	hs.Subscribe(ctx, "ev:1", exact.handle)
	hs.SubscribeType(ctx, "ev", wide.handle)
	m := watchMarks(t, hs.Server)

	a, b := rawDial(t, hs.url), rawDial(t, hs.url)
	writeText(t, b, subscribeFrame("ev:1"))
	m.sync(t, b)
	writeText(t, a, `{"type":"ev","id":"1","payload":{"x":1}}`)
	exact.waitLen(t, 1)
	wide.waitLen(t, 1)

	mu.Lock()
	if origin == nil || len(origin.Topics()) != 0 {
		t.Errorf("SubscribeConn handler got origin %v, want the sending connection A", origin)
	}
	mu.Unlock()
	marker := pubsub.Envelope{Type: "ev", ID: "1", Payload: "from server"}
	hs.Publish(ctx, marker)
	if _, f := readFrame(t, b); f != encode(t, marker) {
		t.Errorf("B received %s, want only the server's publish (no forwarding)", f)
	}
}

func TestBadFrames(t *testing.T) {
	long := strings.Repeat("x", 1025)
	frames := []struct {
		name  string
		frame string
	}{
		{"malformed json", `{"type":`},
		{"subscribe without payload", `{"type":"__subscribe","id":""}`},
		{"subscribe without topic", `{"type":"__subscribe","id":"","payload":{}}`},
		{"subscribe with empty topic", subscribeFrame("")},
		{"subscribe with numeric topic", `{"type":"__subscribe","id":"","payload":{"topic":5}}`},
		{"subscribe with long topic", subscribeFrame(long)},
		{"subscribe with reserved topic", subscribeFrame("__x:1")},
		{"unsubscribe with empty topic", unsubscribeFrame("")},
		{"unsubscribe with long topic", unsubscribeFrame(long)},
		{"unsubscribe with array payload", `{"type":"__unsubscribe","id":"","payload":[]}`},
		{"reserved type", `{"type":"__x","id":"1","payload":1}`},
	}
	for _, tt := range frames {
		t.Run(tt.name, func(t *testing.T) {
			var errs errorSink
			hs := newHubServer(t, ServerOptions{OnError: errs.add})
			m := watchMarks(t, hs.Server)
			var wide inbox
			hs.SubscribeType(context.Background(), "__x", wide.handle)
			peer := rawDial(t, hs.url)
			writeText(t, peer, tt.frame)
			m.sync(t, peer)
			if n := hs.Stats().BadFrames; n != 1 {
				t.Errorf("BadFrames = %d, want 1", n)
			}
			if n := errs.count(pubsub.ErrBadEnvelope); n != 1 {
				t.Errorf("OnError got %d ErrBadEnvelope errors, want 1: %v", n, errs.all())
			}
			if st := hs.Stats(); st.Topics != 0 || st.Conns != 1 {
				t.Errorf("stats = %+v, want 1 conn and no topics", st)
			}
		})
	}
	t.Run("close policy", func(t *testing.T) {
		hs := newHubServer(t, ServerOptions{BadFrames: BadFrameClose})
		peer := rawDial(t, hs.url)
		writeText(t, peer, `not json`)
		if code := readCloseCode(t, peer); code != CloseProtocolError {
			t.Errorf("close code = %d, want 4000", code)
		}
	})
}

func TestSlowConsumerDisconnect(t *testing.T) {
	var pressure atomic.Int32
	var pressureBytes atomic.Int64
	hs := newHubServer(t, ServerOptions{OnBackpressure: func(c *Conn, n int) {
		pressure.Add(1)
		pressureBytes.Store(int64(n))
	}})
	m := watchMarks(t, hs.Server)
	slow := rawDial(t, hs.url)
	writeText(t, slow, subscribeFrame("bulk:"))
	m.sync(t, slow)

	good := dial(t, hs.url, ClientOptions{})
	var received atomic.Int64
	good.Subscribe(context.Background(), "bulk:", func(pubsub.Envelope) { received.Add(1) })
	eventually(t, "two subscribers", func() bool { return hs.Subscribers("bulk:") == 2 })

	payload := strings.Repeat("p", 1024)
	ctx := context.Background()
	published := int64(0)
	for pressure.Load() == 0 && published < 200_000 {
		if err := hs.Publish(ctx, pubsub.Envelope{Type: "bulk", ID: "", Payload: payload}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		published++
		// Keep the reading client within its budget; the slow one is never waited for.
		for published-received.Load() > 256 {
			time.Sleep(100 * time.Microsecond)
		}
	}
	if pressure.Load() != 1 {
		t.Fatalf("OnBackpressure called %d times after %d publishes, want 1", pressure.Load(), published)
	}
	// Frames of just over 1 KiB reach the byte budget before the 1024-frame cap.
	if n := pressureBytes.Load(); n <= 1<<20 {
		t.Errorf("OnBackpressure reported %d queued bytes, want over 1 MiB", n)
	}
	for range 10 {
		hs.Publish(ctx, pubsub.Envelope{Type: "bulk", ID: "", Payload: payload})
		published++
	}
	eventually(t, "every event at the reading client", func() bool { return received.Load() == published })
	if code := readCloseCode(t, slow); code != CloseTryAgainLater {
		t.Errorf("slow client close code = %d, want 1013", code)
	}
	if n := hs.Stats().SlowDisconnects; n != 1 {
		t.Errorf("SlowDisconnects = %d, want 1", n)
	}
	if good.State() != StateConnected {
		t.Errorf("reading client state = %v, want connected", good.State())
	}
}

func TestSlowConsumerDropPolicies(t *testing.T) {
	for _, policy := range []SlowConsumerPolicy{SlowDropNewest, SlowDropOldest} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			hs := newHubServer(t, ServerOptions{SlowConsumer: policy, MaxQueuedFrames: 8})
			m := watchMarks(t, hs.Server)
			peer := rawDial(t, hs.url)
			writeText(t, peer, subscribeFrame("bulk:"))
			m.sync(t, peer)
			conn := hs.Conns()[0]

			payload := strings.Repeat("p", 1024)
			const total = 20_000
			for i := range total {
				hs.Publish(context.Background(), pubsub.Envelope{Type: "bulk", ID: "", Payload: map[string]any{"i": i, "p": payload}})
			}
			if conn.Dropped() == 0 {
				t.Fatal("Dropped() = 0 after publishing to a connection that is not reading")
			}
			last := -1
			count := 0
			for count+int(conn.Dropped()) < total {
				peer.SetReadDeadline(time.Now().Add(waitTimeout))
				_, data, err := peer.ReadMessage()
				if err != nil {
					t.Fatalf("reading after %d frames: %v", count, err)
				}
				env, _ := pubsub.DecodeEnvelope(data)
				v, _ := pubsub.DecodePayload[struct{ I int }](env)
				last = v.I
				count++
			}
			if policy == SlowDropOldest && last != total-1 {
				t.Errorf("last delivered event = %d, want the newest %d", last, total-1)
			}
			if n := hs.Stats().Dropped; n != conn.Dropped() {
				t.Errorf("server Dropped = %d, connection Dropped = %d", n, conn.Dropped())
			}
			if hs.Stats().Conns != 1 {
				t.Error("connection was removed under a drop policy")
			}
		})
	}
}

func TestAuthorizeHooksDeny(t *testing.T) {
	opts := func(action DenyAction, errs *errorSink) ServerOptions {
		return ServerOptions{
			Deny:               action,
			OnError:            errs.add,
			AuthorizeSubscribe: func(_ *Conn, topic string) bool { return !strings.HasPrefix(topic, "direct:") },
			AuthorizePublish:   func(_ *Conn, env pubsub.Envelope) bool { return env.Type != "forbidden" },
		}
	}
	t.Run("ignore", func(t *testing.T) {
		var errs errorSink
		hs := newHubServer(t, opts(DenyIgnore, &errs))
		m := watchMarks(t, hs.Server)
		var box inbox
		hs.SubscribeType(context.Background(), "forbidden", box.handle)
		peer := rawDial(t, hs.url)
		writeText(t, peer, subscribeFrame("direct:other"))
		writeText(t, peer, `{"type":"forbidden","id":"1"}`)
		m.sync(t, peer)
		if n := hs.Subscribers("direct:other"); n != 0 {
			t.Errorf("denied topic has %d subscribers, want 0", n)
		}
		if len(box.all()) != 0 {
			t.Error("denied publish reached a local handler")
		}
		if n := hs.Stats().Denied; n != 2 {
			t.Errorf("Denied = %d, want 2", n)
		}
		var de *DeniedError
		if errs := errs.all(); len(errs) != 2 || !errors.As(errs[0], &de) || de.Topic != "direct:other" {
			t.Errorf("OnError got %v, want two *DeniedError", errs)
		}
	})
	for _, frame := range []string{subscribeFrame("direct:other"), `{"type":"forbidden","id":"1"}`} {
		t.Run("close "+frame, func(t *testing.T) {
			var errs errorSink
			hs := newHubServer(t, opts(DenyClose, &errs))
			peer := rawDial(t, hs.url)
			writeText(t, peer, frame)
			if code := readCloseCode(t, peer); code != ClosePolicyViolation {
				t.Errorf("close code = %d, want 1008", code)
			}
		})
	}
}

func TestTopicCapPerConnection(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	m := watchMarks(t, hs.Server)
	peer := rawDial(t, hs.url)
	for i := range 1001 {
		writeText(t, peer, subscribeFrame(fmt.Sprintf("t:%d", i)))
	}
	m.sync(t, peer)
	if n := len(hs.Conns()[0].Topics()); n != 1000 {
		t.Errorf("connection holds %d topics, want 1000", n)
	}
	if n := hs.Subscribers("t:1000"); n != 0 {
		t.Errorf("the 1001st topic has %d subscribers, want 0", n)
	}
	if n := hs.Stats().Denied; n != 1 {
		t.Errorf("Denied = %d, want 1", n)
	}
}

// topicLog records OnTopic calls.
type topicLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *topicLog) add(topic string, active bool) {
	l.mu.Lock()
	l.calls = append(l.calls, fmt.Sprintf("%s=%v", topic, active))
	l.mu.Unlock()
}

func (l *topicLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

func TestPeerCloseRemovesConnection(t *testing.T) {
	var topics topicLog
	var disconnects atomic.Int32
	hs := newHubServer(t, ServerOptions{
		OnTopic:      topics.add,
		OnDisconnect: func(*Conn, error) { disconnects.Add(1) },
	})
	m := watchMarks(t, hs.Server)
	a, b := rawDial(t, hs.url), rawDial(t, hs.url)
	writeText(t, a, subscribeFrame("only:a"))
	writeText(t, a, subscribeFrame("shared:"))
	m.sync(t, a)
	writeText(t, b, subscribeFrame("shared:"))
	m.sync(t, b)

	closeSocket(a, CloseNormal, "bye")
	eventually(t, "the disconnect", func() bool { return disconnects.Load() == 1 })
	if n := len(hs.Conns()); n != 1 {
		t.Errorf("Conns() has %d entries, want 1", n)
	}
	if n := hs.Subscribers("only:a"); n != 0 {
		t.Errorf("only:a has %d subscribers, want 0", n)
	}
	if n := hs.Subscribers("shared:"); n != 1 {
		t.Errorf("shared: has %d subscribers, want 1", n)
	}
	want := []string{"only:a=true", "shared:=true", "only:a=false"}
	if got := topics.all(); !slices.Equal(got, want) {
		t.Errorf("OnTopic calls = %v, want %v", got, want)
	}
	time.Sleep(20 * time.Millisecond)
	if n := disconnects.Load(); n != 1 {
		t.Errorf("OnDisconnect called %d times, want 1", n)
	}
}

func TestConnCloseDisconnectsOnce(t *testing.T) {
	var disconnects atomic.Int32
	var causes sync.Map
	hs := newHubServer(t, ServerOptions{OnDisconnect: func(c *Conn, err error) {
		disconnects.Add(1)
		causes.Store(c.ID(), err)
	}})
	for range 20 {
		peer := rawDial(t, hs.url)
		eventually(t, "registration", func() bool { return len(hs.Conns()) == 1 })
		conn := hs.Conns()[0]
		before := disconnects.Load()
		go closeSocket(peer, CloseNormal, "")
		conn.Close(4004, "removed")
		conn.Close(4004, "removed")
		eventually(t, "the disconnect", func() bool { return disconnects.Load() == before+1 })
		eventually(t, "removal", func() bool { return len(hs.Conns()) == 0 })
	}
	time.Sleep(20 * time.Millisecond)
	if n := disconnects.Load(); n != 20 {
		t.Errorf("OnDisconnect called %d times for 20 connections, want 20", n)
	}
}

func TestHeartbeatRemovesSilentConnection(t *testing.T) {
	causes := make(chan error, 1)
	hs := newHubServer(t, ServerOptions{
		PingInterval: 20 * time.Millisecond,
		PongWait:     100 * time.Millisecond,
		OnDisconnect: func(_ *Conn, err error) { causes <- err },
	})
	// The peer never reads, so gorilla never answers the pings.
	peer := rawDial(t, hs.url)
	select {
	case err := <-causes:
		if !errors.Is(err, ErrHeartbeatTimeout) {
			t.Errorf("disconnect cause = %v, want ErrHeartbeatTimeout", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("silent connection was not removed")
	}
	peer.SetPingHandler(func(string) error { return nil })
	if code := readCloseCode(t, peer); code != CloseHeartbeatTimeout {
		t.Errorf("close code = %d, want 4009", code)
	}
}

func TestHeartbeatKeepsAnsweringConnection(t *testing.T) {
	var disconnects atomic.Int32
	hs := newHubServer(t, ServerOptions{
		PingInterval: 20 * time.Millisecond,
		PongWait:     250 * time.Millisecond,
		OnDisconnect: func(*Conn, error) { disconnects.Add(1) },
	})
	c := dial(t, hs.url, ClientOptions{})
	// Several PongWait periods pass; only the pongs keep the silent client registered.
	time.Sleep(time.Second)
	if n := disconnects.Load(); n != 0 {
		t.Errorf("a connection that answers pings was removed %d times", n)
	}
	if c.State() != StateConnected {
		t.Errorf("client state = %v, want connected", c.State())
	}
}

func TestServerClose(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	ctx := context.Background()
	unsub, _ := hs.Subscribe(ctx, "a:1", func(pubsub.Envelope) {})
	peers := []*websocket.Conn{rawDial(t, hs.url), rawDial(t, hs.url)}
	eventually(t, "registration", func() bool { return len(hs.Conns()) == 2 })

	if err := hs.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := hs.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	for i, p := range peers {
		if code := readCloseCode(t, p); code != CloseGoingAway {
			t.Errorf("peer %d close code = %d, want 1001", i, code)
		}
	}
	if n := len(hs.Conns()); n != 0 {
		t.Errorf("Conns() has %d entries after Close", n)
	}
	hs.mu.RLock()
	handlers := len(hs.exact) + len(hs.types)
	hs.mu.RUnlock()
	if handlers != 0 {
		t.Errorf("%d local handler tables left after Close", handlers)
	}
	unsub()
	if err := hs.Publish(ctx, pubsub.Envelope{Type: "a"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := hs.Subscribe(ctx, "a:1", func(pubsub.Envelope) {}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	late := rawDial(t, hs.url)
	if code := readCloseCode(t, late); code != CloseGoingAway {
		t.Errorf("connection accepted after Close got close code %d, want 1001", code)
	}
}

func TestClientAndServerBothDirections(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	c := dial(t, hs.url, ClientOptions{})
	ctx := context.Background()
	var atClient, atServer inbox
	c.Subscribe(ctx, "down:1", atClient.handle)
	hs.Subscribe(ctx, "up:1", atServer.handle)
	eventually(t, "the subscription", func() bool { return hs.Subscribers("down:1") == 1 })

	hs.Publish(ctx, pubsub.Envelope{Type: "down", ID: "1", Payload: map[string]int{"n": 1}})
	c.Publish(ctx, pubsub.Envelope{Type: "up", ID: "1", Payload: map[string]int{"n": 2}})
	down := atClient.waitLen(t, 1)
	up := atServer.waitLen(t, 1)
	if string(down[0].Payload.(json.RawMessage)) != `{"n":1}` {
		t.Errorf("client received %s", down[0].Payload)
	}
	if string(up[0].Payload.(json.RawMessage)) != `{"n":2}` {
		t.Errorf("server received %s", up[0].Payload)
	}
}

func TestSubscribeProcessedBeforeNextFrame(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	seen := make(chan int, 1)
	hs.Subscribe(context.Background(), "go:1", func(pubsub.Envelope) { seen <- hs.Subscribers("watch:1") })
	peer := rawDial(t, hs.url)
	writeText(t, peer, subscribeFrame("watch:1"))
	writeText(t, peer, `{"type":"go","id":"1"}`)
	select {
	case n := <-seen:
		if n != 1 {
			t.Errorf("Subscribers when the next frame ran = %d, want 1", n)
		}
	case <-time.After(waitTimeout):
		t.Fatal("data frame not delivered")
	}
}

func TestPublishEncodesOnce(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	m := watchMarks(t, hs.Server)
	peers := make([]*websocket.Conn, 100)
	for i := range peers {
		peers[i] = rawDial(t, hs.url)
		writeText(t, peers[i], subscribeFrame("fan:"))
		m.sync(t, peers[i])
	}
	before := hs.encodes.Load()
	env := pubsub.Envelope{Type: "fan", ID: "", Payload: "x"}
	hs.Publish(context.Background(), env)
	if n := hs.encodes.Load() - before; n != 1 {
		t.Errorf("one publish to 100 connections encoded %d times, want 1", n)
	}
	for i, p := range peers {
		if _, f := readFrame(t, p); f != encode(t, env) {
			t.Fatalf("peer %d received %s", i, f)
		}
	}
}

func TestOnTopicFirstAndLast(t *testing.T) {
	var topics topicLog
	hs := newHubServer(t, ServerOptions{OnTopic: topics.add})
	m := watchMarks(t, hs.Server)
	a, b := rawDial(t, hs.url), rawDial(t, hs.url)
	writeText(t, a, subscribeFrame("t:"))
	m.sync(t, a)
	writeText(t, b, subscribeFrame("t:"))
	m.sync(t, b)
	writeText(t, a, unsubscribeFrame("t:"))
	m.sync(t, a)
	if got := topics.all(); !slices.Equal(got, []string{"t:=true"}) {
		t.Errorf("OnTopic calls while one subscriber remains = %v, want [t:=true]", got)
	}
	closeSocket(b, CloseNormal, "")
	eventually(t, "the last subscriber leaving", func() bool { return len(topics.all()) == 2 })
	if got := topics.all(); got[1] != "t:=false" {
		t.Errorf("OnTopic calls = %v, want t: inactive last", got)
	}
}

func TestTypeScriptShapedClient(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	var box inbox
	hs.Subscribe(context.Background(), "call.requested:", box.handle)
	peer := rawDial(t, hs.url)
	writeText(t, peer, `{"type":"__subscribe","id":"","payload":{"topic":"call.responded:"}}`)
	writeText(t, peer, `{"type":"call.requested","id":"","payload":{"requestId":"r-1","operationId":"fs.read","input":{}}}`)
	got := box.waitLen(t, 1)
	p, _ := pubsub.DecodePayload[map[string]any](got[0])
	if p["requestId"] != "r-1" {
		t.Errorf("server received payload %v", p)
	}
	resp := pubsub.Envelope{Type: "call.responded", ID: "", Payload: map[string]any{"requestId": "r-1", "output": map[string]any{"data": 1}}}
	hs.Publish(context.Background(), resp)
	mt, f := readFrame(t, peer)
	if mt != websocket.TextMessage {
		t.Errorf("message type = %d, want text for JSON.parse", mt)
	}
	if f != `{"type":"call.responded","id":"","payload":{"output":{"data":1},"requestId":"r-1"}}` {
		t.Errorf("peer received %s", f)
	}
}

func TestConnSendIgnoresSubscriptions(t *testing.T) {
	hs := newHubServer(t, ServerOptions{})
	peer := rawDial(t, hs.url)
	eventually(t, "registration", func() bool { return len(hs.Conns()) == 1 })
	conn := hs.Conns()[0]
	env := pubsub.Envelope{Type: "call.requested", ID: "", Payload: map[string]string{"requestId": "r"}}
	if err := conn.Send(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if _, f := readFrame(t, peer); f != encode(t, env) {
		t.Errorf("peer received %s", f)
	}
	conn.Close(CloseRemoved, "removed by an administrator")
	if code := readCloseCode(t, peer); code != CloseRemoved {
		t.Errorf("close code = %d, want 4004", code)
	}
	if err := conn.Send(context.Background(), env); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Send to a removed connection = %v, want ErrClosed", err)
	}
}

func TestHandlerRejectsFailedAuth(t *testing.T) {
	s := NewServer(ServerOptions{})
	defer s.Close()
	ts := newHTTPTest(t, s.Handler(nil, func(r *http.Request) (ConnInfo, error) {
		if r.Header.Get("Authorization") != "Bearer good" {
			return ConnInfo{}, errors.New("bad key")
		}
		return ConnInfo{ID: "spoke-1", Identity: "alice"}, nil
	}))
	_, err := Dial(context.Background(), wsURL(ts), fastClient(ClientOptions{}))
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Errorf("Dial without a key = %v, want *HandshakeError{401}", err)
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer good")
	dial(t, wsURL(ts), ClientOptions{Header: h})
	eventually(t, "registration", func() bool { _, ok := s.Conn("spoke-1"); return ok })
	conn, _ := s.Conn("spoke-1")
	if conn.Info().Identity != "alice" {
		t.Errorf("Identity = %v, want alice", conn.Info().Identity)
	}
}

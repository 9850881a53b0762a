package ws

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/internal/leakcheck"
)

func TestClientPublishWritesOneTextFrame(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	peer := rs.accept(t)

	env := pubsub.Envelope{Type: "call.requested", ID: "", Payload: map[string]any{"requestId": "r-1", "x": "<&>"}}
	if err := c.Publish(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	mt, got := readFrame(t, peer)
	if mt != websocket.TextMessage {
		t.Errorf("message type = %d, want text", mt)
	}
	if want := encode(t, env); got != want {
		t.Errorf("frame = %s, want %s", got, want)
	}
}

func TestClientDeliversOnlyToTopic(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	peer := rs.accept(t)
	var ti, tj inbox
	c.Subscribe(context.Background(), "t:i", ti.handle)
	c.Subscribe(context.Background(), "t:j", tj.handle)

	writeText(t, peer, `{"type":"t","id":"i","payload":{"n":1}}`)
	writeText(t, peer, `{"type":"t","id":"j","payload":"marker"}`)
	got := tj.waitLen(t, 1)
	if len(got) != 1 {
		t.Errorf("t:j handler received %d envelopes, want only the marker", len(got))
	}
	ti.waitLen(t, 1)
	env := ti.all()[0]
	if env.Type != "t" || env.ID != "i" || string(env.Payload.(json.RawMessage)) != `{"n":1}` {
		t.Errorf("t:i handler received %+v", env)
	}
}

func TestClientSubscribeSendsControlFramesOnce(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	peer := rs.accept(t)
	ctx := context.Background()
	noop := func(pubsub.Envelope) {}

	first, _ := c.Subscribe(ctx, "t:i", noop)
	second, _ := c.Subscribe(ctx, "t:i", noop)
	if _, got := readFrame(t, peer); got != subscribeFrame("t:i") {
		t.Errorf("first frame = %s, want %s", got, subscribeFrame("t:i"))
	}

	second()
	second()
	marker := pubsub.Envelope{Type: "marker", ID: "1"}
	c.Publish(ctx, marker)
	if _, got := readFrame(t, peer); got != encode(t, marker) {
		t.Errorf("after a second subscribe and a partial removal the next frame = %s, want the marker", got)
	}

	first()
	if _, got := readFrame(t, peer); got != unsubscribeFrame("t:i") {
		t.Errorf("frame after removing the last handler = %s, want %s", got, unsubscribeFrame("t:i"))
	}
	first()
	c.Publish(ctx, marker)
	if _, got := readFrame(t, peer); got != encode(t, marker) {
		t.Errorf("removing twice sent %s, want nothing before the marker", got)
	}
}

func TestClientSubscribeFrameBeforeData(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	peer := rs.accept(t)
	ctx := context.Background()
	for i := range 20 {
		topic := "call.responded:" + string(rune('a'+i))
		c.Subscribe(ctx, topic, func(pubsub.Envelope) {})
		env := pubsub.Envelope{Type: "call.requested", ID: "", Payload: i}
		c.Publish(ctx, env)
		if _, got := readFrame(t, peer); got != subscribeFrame(topic) {
			t.Fatalf("round %d: first frame = %s, want the subscribe of %s", i, got, topic)
		}
		if _, got := readFrame(t, peer); got != encode(t, env) {
			t.Fatalf("round %d: second frame = %s, want the data frame", i, got)
		}
	}
}

func TestClientBadInboundFrames(t *testing.T) {
	rs := newRawServer(t, nil)
	var errs errorSink
	c := dial(t, rs.url, ClientOptions{OnError: errs.add})
	peer := rs.accept(t)
	var box inbox
	c.Subscribe(context.Background(), "t:i", box.handle)

	bad := []string{`not json`, `[1,2]`, `{"id":"i","payload":1}`, `{"type":"t","id":5}`}
	for _, f := range bad {
		writeText(t, peer, f)
	}
	writeText(t, peer, `{"type":"__subscribe","id":"","payload":{"topic":"t:i"}}`)
	writeText(t, peer, `{"type":"__other","id":"i"}`)
	if err := peer.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"t","id":"i","payload":2}`)); err != nil {
		t.Fatal(err)
	}

	got := box.waitLen(t, 1)
	if len(got) != 1 {
		t.Fatalf("handler received %d envelopes, want only the binary one", len(got))
	}
	if string(got[0].Payload.(json.RawMessage)) != "2" {
		t.Errorf("binary frame payload = %s, want 2", got[0].Payload)
	}
	st := c.Stats()
	if st.BadFrames != uint64(len(bad)) {
		t.Errorf("BadFrames = %d, want %d", st.BadFrames, len(bad))
	}
	if st.ControlIgnored != 2 {
		t.Errorf("ControlIgnored = %d, want 2", st.ControlIgnored)
	}
	if n := errs.count(pubsub.ErrBadEnvelope); n != len(bad) {
		t.Errorf("OnError got %d ErrBadEnvelope errors, want %d", n, len(bad))
	}
	if c.State() != StateConnected {
		t.Errorf("state = %v after bad frames, want connected", c.State())
	}
}

func TestClientReconnectResubscribes(t *testing.T) {
	rs := newRawServer(t, nil)
	var states stateLog
	c := dial(t, rs.url, ClientOptions{OnStateChange: states.add})
	first := rs.accept(t)
	ctx := context.Background()
	var box inbox
	active := []string{"a:1", "b:", "c:x:y"}
	for _, topic := range active {
		c.Subscribe(ctx, topic, box.handle)
	}
	unsub, _ := c.Subscribe(ctx, "gone:1", func(pubsub.Envelope) {})
	unsub()
	for range active {
		readFrame(t, first)
	}

	closeSocket(first, CloseGoingAway, "restart")
	second := rs.accept(t)
	eventually(t, "connected again", func() bool { return c.State() == StateConnected && states.count(StateConnected) == 2 })
	data := pubsub.Envelope{Type: "after", ID: "1"}
	if err := c.Publish(ctx, data); err != nil {
		t.Fatal(err)
	}

	var told []string
	for range active {
		_, f := readFrame(t, second)
		env, err := pubsub.DecodeEnvelope([]byte(f))
		if err != nil || env.Type != pubsub.ControlSubscribe {
			t.Fatalf("frame %s on the new socket, want a subscribe frame", f)
		}
		p, _ := pubsub.DecodePayload[pubsub.ControlPayload](env)
		told = append(told, p.Topic)
	}
	slices.Sort(told)
	if !slices.Equal(told, active) {
		t.Errorf("re-subscribed topics = %v, want %v", told, active)
	}
	if _, f := readFrame(t, second); f != encode(t, data) {
		t.Errorf("frame after the subscribes = %s, want the data frame", f)
	}

	writeText(t, second, `{"type":"a","id":"1","payload":"later"}`)
	if got := box.waitLen(t, 1); got[0].ID != "1" {
		t.Errorf("handler received %+v", got[0])
	}
	want := []State{StateConnected, StateDisconnected, StateConnecting, StateConnected}
	if got := states.all(); !slices.Equal(got[len(got)-4:], want) {
		t.Errorf("states = %v, want to end with %v", got, want)
	}
	if r := c.Stats().Reconnects; r != 1 {
		t.Errorf("Reconnects = %d, want 1", r)
	}
}

// gatedServer accepts the first upgrade and answers later ones with 503 until open is set.
func gatedServer(t *testing.T) (*rawServer, *atomic.Bool) {
	var open atomic.Bool
	rs := newRawServer(t, func(n int) int {
		if n == 1 || open.Load() {
			return 0
		}
		return http.StatusServiceUnavailable
	})
	return rs, &open
}

func TestClientPublishWhileDown(t *testing.T) {
	rs, open := gatedServer(t)
	c := dial(t, rs.url, ClientOptions{})
	first := rs.accept(t)
	closeSocket(first, CloseGoingAway, "")
	eventually(t, "link lost", func() bool { return c.State() != StateConnected })

	err := c.Publish(context.Background(), pubsub.Envelope{Type: "a", ID: "1"})
	if !errors.Is(err, pubsub.ErrNotConnected) {
		t.Errorf("Publish while down = %v, want ErrNotConnected", err)
	}
	open.Store(true)
	rs.accept(t)
	eventually(t, "reconnect", func() bool { return c.State() == StateConnected })
}

func TestClientQueueWhileDown(t *testing.T) {
	rs, open := gatedServer(t)
	c := dial(t, rs.url, ClientOptions{QueueWhileDown: true, SendQueue: 1})
	first := rs.accept(t)
	ctx := context.Background()
	c.Subscribe(ctx, "s:1", func(pubsub.Envelope) {})
	readFrame(t, first)
	closeSocket(first, CloseGoingAway, "")
	eventually(t, "link lost", func() bool { return c.State() != StateConnected })

	queued := pubsub.Envelope{Type: "q", ID: "1"}
	if err := c.Publish(ctx, queued); err != nil {
		t.Fatalf("Publish while down with QueueWhileDown = %v, want nil", err)
	}
	full, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := c.Publish(full, pubsub.Envelope{Type: "q", ID: "2"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Publish into a full queue = %v, want context.DeadlineExceeded", err)
	}

	open.Store(true)
	second := rs.accept(t)
	if _, f := readFrame(t, second); f != subscribeFrame("s:1") {
		t.Errorf("first frame after reconnect = %s, want the subscribe", f)
	}
	if _, f := readFrame(t, second); f != encode(t, queued) {
		t.Errorf("second frame after reconnect = %s, want the queued frame", f)
	}
}

func TestDialRejectedHandshake(t *testing.T) {
	rs := newRawServer(t, func(int) int { return http.StatusUnauthorized })
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	_, err := Dial(ctx, rs.url, fastClient(ClientOptions{}))
	var he *HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Dial = %v, want *HandshakeError{401}", err)
	}
	if n := rs.attemptCount(); n != 1 {
		t.Errorf("server saw %d attempts, want 1", n)
	}
}

func TestClientReconnectRejectedEnds(t *testing.T) {
	rs := newRawServer(t, func(n int) int {
		if n == 1 {
			return 0
		}
		return http.StatusUnauthorized
	})
	var states stateLog
	c := dial(t, rs.url, ClientOptions{OnStateChange: states.add})
	closeSocket(rs.accept(t), CloseGoingAway, "")

	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("client did not end after a 401 on reconnect")
	}
	var he *HandshakeError
	if err := c.Err(); !errors.As(err, &he) || he.StatusCode != http.StatusUnauthorized {
		t.Errorf("Err() = %v, want *HandshakeError{401}", err)
	}
	if c.State() != StateClosed {
		t.Errorf("state = %v, want closed", c.State())
	}
	time.Sleep(50 * time.Millisecond)
	if n := rs.attemptCount(); n != 2 {
		t.Errorf("server saw %d attempts, want 2 (no retry after 401)", n)
	}
	if err := c.Publish(context.Background(), pubsub.Envelope{Type: "a"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Publish after the client ended = %v, want ErrClosed", err)
	}
}

func TestClientTerminalCloseCode(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	closeSocket(rs.accept(t), CloseReplaced, "replaced")
	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("client did not end after close code 4003")
	}
	var ce *ClosedError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != CloseReplaced {
		t.Errorf("Err() = %v, want a *ClosedError with code 4003", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := rs.attemptCount(); n != 1 {
		t.Errorf("server saw %d attempts, want 1 (no reconnect)", n)
	}
}

func TestDialBackoffDelays(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	var mu sync.Mutex
	var delays []time.Duration
	o := ClientOptions{
		MinBackoff:  10 * time.Millisecond,
		MaxBackoff:  40 * time.Millisecond,
		MaxAttempts: 5,
		clock: &clock{after: func(d time.Duration) <-chan time.Time {
			mu.Lock()
			delays = append(delays, d)
			mu.Unlock()
			ch := make(chan time.Time, 1)
			ch <- time.Now()
			return ch
		}},
	}
	_, err = Dial(context.Background(), "ws://"+addr+"/", o)
	if err == nil {
		t.Fatal("Dial to a refusing address succeeded")
	}
	want := []time.Duration{10, 20, 40, 40}
	if len(delays) != len(want) {
		t.Fatalf("recorded %d waits %v, want %d", len(delays), delays, len(want))
	}
	for i, ms := range want {
		d := ms * time.Millisecond
		if delays[i] < d/2 || delays[i] > d {
			t.Errorf("wait %d = %v, want within [%v, %v]", i+1, delays[i], d/2, d)
		}
	}
}

func TestClientReadLimitReconnects(t *testing.T) {
	rs := newRawServer(t, nil)
	dial(t, rs.url, ClientOptions{ReadLimit: 1024})
	first := rs.accept(t)
	big := `{"type":"a","id":"1","payload":"` + strings.Repeat("x", 2048) + `"}`
	writeText(t, first, big)
	if code := readCloseCode(t, first); code != CloseMessageTooBig {
		t.Errorf("close code = %d, want 1009", code)
	}
	rs.accept(t)
}

func TestClientPublishTooLarge(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{MaxFrameBytes: 100})
	peer := rs.accept(t)
	err := c.Publish(context.Background(), pubsub.Envelope{Type: "a", ID: "1", Payload: strings.Repeat("x", 200)})
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("Publish of a large frame = %v, want ErrFrameTooLarge", err)
	}
	small := pubsub.Envelope{Type: "a", ID: "2"}
	c.Publish(context.Background(), small)
	if _, f := readFrame(t, peer); f != encode(t, small) {
		t.Errorf("first frame = %s, want the small one only", f)
	}
}

func TestClientClose(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	peer := rs.accept(t)
	var closed atomic.Bool
	var late atomic.Int32
	c.Subscribe(context.Background(), "a:1", func(pubsub.Envelope) {
		if closed.Load() {
			late.Add(1)
		}
	})
	readFrame(t, peer)
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if peer.WriteMessage(websocket.TextMessage, []byte(`{"type":"a","id":"1"}`)) != nil {
				return
			}
		}
	}()
	defer close(stop)

	if err := c.Close(); err != nil {
		t.Errorf("Close = %v, want nil", err)
	}
	closed.Store(true)
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if code := readCloseCode(t, peer); code != CloseNormal {
		t.Errorf("close code = %d, want 1000", code)
	}
	if err := c.Publish(context.Background(), pubsub.Envelope{Type: "a"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Subscribe(context.Background(), "a:2", func(pubsub.Envelope) {}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	if c.Err() != nil {
		t.Errorf("Err() after Close = %v, want nil", c.Err())
	}
	time.Sleep(20 * time.Millisecond)
	if n := late.Load(); n != 0 {
		t.Errorf("handler ran %d times after Close returned", n)
	}
	leakcheck.Check(t, "ws.(*Client)")
}

func TestWrapDoesNotReconnect(t *testing.T) {
	rs := newRawServer(t, nil)
	conn, _, err := websocket.DefaultDialer.Dial(rs.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var states stateLog
	c := Wrap(conn, ClientOptions{OnStateChange: states.add})
	defer c.Close()
	peer := rs.accept(t)
	closeSocket(peer, CloseGoingAway, "")

	select {
	case <-c.Done():
	case <-time.After(waitTimeout):
		t.Fatal("wrapped client did not end after its socket closed")
	}
	if c.Err() == nil {
		t.Error("Err() = nil, want the lost link")
	}
	if c.State() != StateClosed {
		t.Errorf("state = %v, want closed", c.State())
	}
	if states.count(StateConnecting) != 0 {
		t.Error("wrapped client tried to reconnect")
	}
	if err := c.Publish(context.Background(), pubsub.Envelope{Type: "a"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Publish after the end = %v, want ErrClosed", err)
	}
}

func TestPubSubOverClientHasNoTypeWide(t *testing.T) {
	rs := newRawServer(t, nil)
	c := dial(t, rs.url, ClientOptions{})
	ps := pubsub.New(pubsub.WithTransport(c))
	defer ps.Close()
	if _, err := ps.SubscribeType(context.Background(), "a"); !errors.Is(err, pubsub.ErrUnsupported) {
		t.Errorf("SubscribeType over a client = %v, want ErrUnsupported", err)
	}
}

func TestPubSubEndsWithWrappedClient(t *testing.T) {
	rs := newRawServer(t, nil)
	conn, _, err := websocket.DefaultDialer.Dial(rs.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Wrap(conn, ClientOptions{})
	defer c.Close()
	peer := rs.accept(t)
	ps := pubsub.New(pubsub.WithTransport(c))
	defer ps.Close()
	sub, err := ps.Subscribe(context.Background(), "a", "1")
	if err != nil {
		t.Fatal(err)
	}
	closeSocket(peer, CloseGoingAway, "")
	select {
	case <-sub.Done():
	case <-time.After(waitTimeout):
		t.Fatal("subscription did not end with the wrapped client")
	}
	if err := sub.Err(); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Err() = %v, want an error wrapping ErrClosed", err)
	}
}

func TestHeaderFuncPerAttempt(t *testing.T) {
	var auth atomic.Value
	rs := newRawServer(t, nil)
	var mu sync.Mutex
	calls := 0
	var errs errorSink
	o := ClientOptions{
		OnError: errs.add,
		HeaderFunc: func(context.Context) (http.Header, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			if calls == 1 {
				return nil, errors.New("key file unreadable")
			}
			h := http.Header{}
			h.Set("Authorization", "Bearer k")
			return h, nil
		},
	}
	// No request has reached the server yet, so its handler can still be replaced.
	rs.ts.Config.Handler = recordAuth(rs.ts.Config.Handler, &auth)
	dial(t, rs.url, o)
	rs.accept(t)

	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("HeaderFunc called %d times, want 2 (one failed attempt, one success)", calls)
	}
	if got := errs.all(); len(got) != 1 {
		t.Errorf("OnError got %v, want the one HeaderFunc error", got)
	}
	if got, _ := auth.Load().(string); got != "Bearer k" {
		t.Errorf("server saw Authorization %q, want Bearer k", got)
	}
}

// recordAuth stores the Authorization header of each request in v before calling next.
func recordAuth(next http.Handler, v *atomic.Value) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.Store(r.Header.Get("Authorization"))
		next.ServeHTTP(w, r)
	})
}

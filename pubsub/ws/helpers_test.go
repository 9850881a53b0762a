package ws

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
)

const waitTimeout = 5 * time.Second

func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") }

// rawServer is a plain gorilla endpoint that hands every upgraded connection to the test, so
// that tests see the exact frames a Client writes. reject, when it returns a status other
// than 0, answers the upgrade request with that status instead.
type rawServer struct {
	ts       *httptest.Server
	url      string
	conns    chan *websocket.Conn
	mu       sync.Mutex
	attempts int
	reject   func(attempt int) int
}

func newRawServer(t *testing.T, reject func(attempt int) int) *rawServer {
	t.Helper()
	rs := &rawServer{conns: make(chan *websocket.Conn, 16), reject: reject}
	up := &websocket.Upgrader{}
	rs.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs.mu.Lock()
		rs.attempts++
		n := rs.attempts
		rs.mu.Unlock()
		if rs.reject != nil {
			if status := rs.reject(n); status != 0 {
				http.Error(w, http.StatusText(status), status)
				return
			}
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		rs.conns <- conn
	}))
	rs.url = wsURL(rs.ts)
	t.Cleanup(func() {
		rs.ts.Close()
		for {
			select {
			case c := <-rs.conns:
				c.Close()
			default:
				return
			}
		}
	})
	return rs
}

func (rs *rawServer) attemptCount() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.attempts
}

// accept returns the next upgraded connection; the test closes it.
func (rs *rawServer) accept(t *testing.T) *websocket.Conn {
	t.Helper()
	select {
	case c := <-rs.conns:
		t.Cleanup(func() { c.Close() })
		return c
	case <-time.After(waitTimeout):
		t.Fatal("no connection reached the raw server")
		return nil
	}
}

// readFrame reads one message with a failure deadline.
func readFrame(t *testing.T, c *websocket.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	mt, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return mt, string(data)
}

// readCloseCode reads until the peer's close frame and returns its code.
func readCloseCode(t *testing.T, c *websocket.Conn) int {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(waitTimeout))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		t.Fatalf("connection ended without a close frame: %v", err)
		return 0
	}
}

func encode(t *testing.T, env pubsub.Envelope) string {
	t.Helper()
	b, err := pubsub.EncodeEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func subscribeFrame(topic string) string {
	return `{"type":"__subscribe","id":"","payload":{"topic":"` + topic + `"}}`
}

func unsubscribeFrame(topic string) string {
	return `{"type":"__unsubscribe","id":"","payload":{"topic":"` + topic + `"}}`
}

func writeText(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("writing %s: %v", s, err)
	}
}

// fastClient returns client options with short backoff for tests.
func fastClient(o ClientOptions) ClientOptions {
	if o.MinBackoff == 0 {
		o.MinBackoff = 5 * time.Millisecond
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 20 * time.Millisecond
	}
	return o
}

func dial(t *testing.T, url string, o ClientOptions) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, err := Dial(ctx, url, fastClient(o))
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// hubServer is a Server behind an httptest server.
type hubServer struct {
	*Server
	ts  *httptest.Server
	url string
}

func newHubServer(t *testing.T, o ServerOptions) *hubServer {
	t.Helper()
	s := NewServer(o)
	ts := httptest.NewServer(s.Handler(nil, nil))
	t.Cleanup(func() {
		s.Close()
		ts.Close()
	})
	return &hubServer{Server: s, ts: ts, url: wsURL(ts)}
}

// rawDial connects a plain gorilla client, shaped like a TypeScript peer.
func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dialing %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// eventually polls cond until it holds or the wait times out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// inbox collects envelopes delivered to a handler.
type inbox struct {
	mu   sync.Mutex
	envs []pubsub.Envelope
}

func (b *inbox) handle(env pubsub.Envelope) {
	b.mu.Lock()
	b.envs = append(b.envs, env)
	b.mu.Unlock()
}

func (b *inbox) all() []pubsub.Envelope {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]pubsub.Envelope(nil), b.envs...)
}

func (b *inbox) waitLen(t *testing.T, n int) []pubsub.Envelope {
	t.Helper()
	eventually(t, "delivered envelopes", func() bool { return len(b.all()) >= n })
	return b.all()
}

// errorSink collects errors passed to OnError.
type errorSink struct {
	mu   sync.Mutex
	errs []error
}

func (e *errorSink) add(err error) {
	e.mu.Lock()
	e.errs = append(e.errs, err)
	e.mu.Unlock()
}

func (e *errorSink) all() []error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]error(nil), e.errs...)
}

func (e *errorSink) count(target error) int {
	n := 0
	for _, err := range e.all() {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}

// stateLog records OnStateChange calls.
type stateLog struct {
	mu     sync.Mutex
	states []State
	causes []error
}

func (l *stateLog) add(s State, err error) {
	l.mu.Lock()
	l.states = append(l.states, s)
	l.causes = append(l.causes, err)
	l.mu.Unlock()
}

func (l *stateLog) all() []State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]State(nil), l.states...)
}

func (l *stateLog) count(s State) int {
	n := 0
	for _, x := range l.all() {
		if x == s {
			n++
		}
	}
	return n
}

func newHTTPTest(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

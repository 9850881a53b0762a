package ws

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/internal/cow"
)

// SlowConsumerPolicy is the action the server takes on a connection that is over its send
// budget.
type SlowConsumerPolicy int

// Slow-consumer policies.
const (
	// SlowDisconnect calls OnBackpressure and removes the connection with
	// SlowConsumerCloseCode. It is the default.
	SlowDisconnect SlowConsumerPolicy = iota
	// SlowDropNewest discards the new frame and counts it.
	SlowDropNewest
	// SlowDropOldest evicts queued frames from the front until the connection is within
	// budget, then queues the new frame.
	SlowDropOldest
)

// BadFramePolicy is the action the server takes on an inbound frame that does not decode or
// has a reserved type other than the two control frames.
type BadFramePolicy int

// Bad-frame policies.
const (
	BadFrameIgnore BadFramePolicy = iota // skip, count and report; the default
	BadFrameClose                        // remove the connection with ProtocolErrorCloseCode
)

// DenyAction is the action the server takes when an authorization hook or the topic cap
// denies a frame.
type DenyAction int

// Deny actions.
const (
	DenyIgnore DenyAction = iota // skip, count and report a *DeniedError; the default
	DenyClose                    // remove the connection with DenyCloseCode
)

// ServerOptions configures a Server. Zero values take the documented defaults.
type ServerOptions struct {
	MaxQueuedFrames        int                // frames queued per connection; 1024
	MaxQueuedBytes         int                // bytes queued or being written per connection; 1 MiB
	SlowConsumer           SlowConsumerPolicy // action on a connection over budget
	SlowConsumerCloseCode  int                // 1013 Try Again Later
	ReadLimit              int64              // largest inbound message in bytes; 4 MiB
	WriteTimeout           time.Duration      // bound of every write; 10 s
	PingInterval           time.Duration      // 30 s
	PongWait               time.Duration      // silence allowed before removal; 75 s
	HeartbeatCloseCode     int                // 4009
	MaxTopicsPerConn       int                // 1000
	MaxTopicLen            int                // bytes; 1024
	BadFrames              BadFramePolicy     // action on a malformed or reserved frame
	ProtocolErrorCloseCode int                // 4000
	Deny                   DenyAction         // action on a denied frame
	DenyCloseCode          int                // 1008
	Binary                 bool               // send binary frames; keep text for TypeScript peers

	// AuthorizeSubscribe decides whether c may subscribe to topic; nil allows every topic.
	AuthorizeSubscribe func(c *Conn, topic string) bool
	// AuthorizePublish decides whether the data frame env from c reaches local handlers;
	// nil allows every event type.
	AuthorizePublish func(c *Conn, env pubsub.Envelope) bool
	// OnConnect runs in Accept before any inbound frame of c is processed.
	OnConnect func(c *Conn)
	// OnDisconnect runs exactly once per connection, after its goroutines have exited.
	OnDisconnect func(c *Conn, err error)
	// OnBackpressure observes a connection found over budget, with its queued bytes, just
	// before the slow-consumer policy applies. It runs on the publisher's goroutine.
	OnBackpressure func(c *Conn, queuedBytes int)
	// OnTopic reports a topic that gained its first subscribed connection (active) or lost
	// its last one. Calls are delivered in the order the changes happened.
	OnTopic func(topic string, active bool)
	// OnError receives errors no caller gets back: bad frames, denials, handler panics,
	// failed accepts in Handler.
	OnError func(error)
	// Logger receives connects and disconnects at Info and errors at Warn; nil means
	// discard.
	Logger *slog.Logger
}

func (o ServerOptions) withDefaults() ServerOptions {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&o.MaxQueuedFrames, 1024)
	setInt(&o.MaxQueuedBytes, 1<<20)
	setInt(&o.SlowConsumerCloseCode, CloseTryAgainLater)
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 20
	}
	setDur(&o.WriteTimeout, 10*time.Second)
	setDur(&o.PingInterval, 30*time.Second)
	setDur(&o.PongWait, 75*time.Second)
	setInt(&o.HeartbeatCloseCode, CloseHeartbeatTimeout)
	setInt(&o.MaxTopicsPerConn, 1000)
	setInt(&o.MaxTopicLen, 1024)
	setInt(&o.ProtocolErrorCloseCode, CloseProtocolError)
	setInt(&o.DenyCloseCode, ClosePolicyViolation)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ConnInfo describes a connection to Accept.
type ConnInfo struct {
	ID       string // connection id; "" means a new UUID
	Identity any    // whatever the HTTP authentication step resolved
}

// ConnHandler receives inbound data frames together with the connection that sent them.
type ConnHandler func(c *Conn, env pubsub.Envelope)

// ServerStats contains the counters of a Server.
type ServerStats struct {
	Conns           int    // registered connections
	Topics          int    // topics with at least one subscribed connection
	Sent            uint64 // frames written to connections
	Received        uint64 // inbound data frames delivered to local handlers
	BadFrames       uint64 // inbound frames handled as bad frames
	Denied          uint64 // subscribes and publishes denied
	Dropped         uint64 // frames discarded by the drop policies
	SlowDisconnects uint64 // connections removed as slow consumers
}

// Server is the WebSocket server transport of the hub. It implements pubsub.Transport,
// pubsub.TypeSubscriber and pubsub.Ender.
//
// Connections subscribe with __subscribe control frames; Publish sends an envelope to the
// connections subscribed to its topic, encoding it once. Inbound data frames go to local
// handlers (Subscribe, SubscribeConn, SubscribeType) and are never forwarded to other
// connections. Every connection has one reader and one writer goroutine and a bounded send
// queue. A connection over budget is handled by the slow-consumer policy, so it never blocks
// a publisher.
//
// Lock order: mu before hookMu. A Conn's qmu is never held together with either.
type Server struct {
	opts    ServerOptions
	logger  *slog.Logger
	msgType int

	mu     sync.RWMutex
	closed bool
	conns  map[string]*Conn
	// subs maps a topic to an immutable slice of subscribed connections, replaced on every
	// change.
	subs map[string][]*Conn
	// local handler tables, immutable slices replaced on every change
	exact map[string][]*localEntry
	types map[string][]*localEntry

	// hookMu guards the ordered queue of OnTopic calls.
	hookMu      sync.Mutex
	topicEvents []topicEvent
	hookRunning bool

	wg   sync.WaitGroup // connection goroutines
	done chan struct{}

	sent, received, badFrames, denied, dropped, slowDisconnects atomic.Uint64
	// encodes counts envelope encodings in Publish; tests read it.
	encodes atomic.Uint64
}

type localEntry struct {
	h  pubsub.Handler
	ch ConnHandler
}

type topicEvent struct {
	topic  string
	active bool
}

// NewServer returns a server with no connections.
func NewServer(o ServerOptions) *Server {
	o = o.withDefaults()
	s := &Server{
		opts:    o,
		logger:  o.Logger,
		msgType: websocket.TextMessage,
		conns:   make(map[string]*Conn),
		subs:    make(map[string][]*Conn),
		exact:   make(map[string][]*localEntry),
		types:   make(map[string][]*localEntry),
		done:    make(chan struct{}),
	}
	if o.Binary {
		s.msgType = websocket.BinaryMessage
	}
	return s
}

// Accept registers an upgraded connection and starts serving it. The server owns conn from
// now on and closes it. OnConnect runs before any inbound frame is processed. After Close,
// Accept closes conn with 1001 and returns pubsub.ErrClosed; a ConnInfo.ID already in use
// closes conn with 1008 and returns ErrConnIDInUse.
func (s *Server) Accept(conn *websocket.Conn, info ConnInfo) (*Conn, error) {
	if info.ID == "" {
		info.ID = uuid.NewString()
	}
	c := newConn(s, conn, info)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		closeSocket(conn, CloseGoingAway, "server shutting down")
		return nil, pubsub.ErrClosed
	}
	if _, taken := s.conns[info.ID]; taken {
		s.mu.Unlock()
		closeSocket(conn, ClosePolicyViolation, "connection id in use")
		return nil, fmt.Errorf("accepting %q: %w", info.ID, ErrConnIDInUse)
	}
	s.conns[info.ID] = c
	s.wg.Add(2)
	s.mu.Unlock()

	conn.SetReadLimit(s.opts.ReadLimit)
	conn.SetReadDeadline(time.Now().Add(s.opts.PongWait))
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(s.opts.PongWait))
	})
	s.logger.Info("websocket connection accepted", "conn", info.ID, "remote", conn.RemoteAddr().String())
	if s.opts.OnConnect != nil {
		s.opts.OnConnect(c)
	}
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// closeSocket sends a close frame within one second (best effort) and closes conn.
func closeSocket(conn *websocket.Conn, code int, reason string) {
	msg := websocket.FormatCloseMessage(code, truncateReason(reason))
	_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	conn.Close()
}

// Handler returns an http.Handler that authenticates the request with auth, upgrades it
// with up and calls Accept. An auth error gets a 401 Unauthorized response before any
// upgrade. nil
// up means a zero websocket.Upgrader; nil auth accepts every request with a new id.
func (s *Server) Handler(up *websocket.Upgrader, auth func(*http.Request) (ConnInfo, error)) http.Handler {
	if up == nil {
		up = &websocket.Upgrader{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var info ConnInfo
		if auth != nil {
			var err error
			if info, err = auth(r); err != nil {
				s.logger.Info("websocket upgrade rejected", "remote", r.RemoteAddr, "err", err)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			// The upgrader has already written an HTTP error response.
			s.report(fmt.Errorf("upgrading %s: %w", r.RemoteAddr, err))
			return
		}
		if _, err := s.Accept(conn, info); err != nil {
			s.report(err)
		}
	})
}

// Publish sends env to every connection subscribed to env.Topic(). The envelope is encoded
// once and shared by every receiver. Publish never blocks on a connection and returns nil
// even when some connections were slow; those outcomes go to hooks and counters. It returns
// an error only for local failures: pubsub.ErrClosed, an empty or reserved type, or an
// encoding error.
func (s *Server) Publish(_ context.Context, env pubsub.Envelope) error {
	if err := pubsub.ValidateType(env.Type); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return pubsub.ErrClosed
	}
	targets := s.subs[env.Topic()]
	s.mu.RUnlock()
	if len(targets) == 0 {
		return nil
	}

	data, err := pubsub.EncodeEnvelope(env)
	if err != nil {
		return err
	}
	s.encodes.Add(1)
	pm, err := websocket.NewPreparedMessage(s.msgType, data)
	if err != nil {
		return fmt.Errorf("preparing frame for %q: %w", env.Topic(), err)
	}
	f := &outFrame{pm: pm, size: len(data)}
	for _, c := range targets {
		c.enqueue(f)
	}
	return nil
}

// Subscribe adds a local handler for inbound data frames of topic. The server's own
// Publish never reaches it.
func (s *Server) Subscribe(_ context.Context, topic string, h pubsub.Handler) (func(), error) {
	if err := pubsub.ValidateTopic(topic); err != nil {
		return nil, err
	}
	return s.addLocal(s.exact, topic, &localEntry{h: h})
}

// SubscribeConn is like Subscribe, and h also receives the connection that sent the frame.
func (s *Server) SubscribeConn(_ context.Context, topic string, h ConnHandler) (func(), error) {
	if err := pubsub.ValidateTopic(topic); err != nil {
		return nil, err
	}
	return s.addLocal(s.exact, topic, &localEntry{ch: h})
}

// SubscribeType adds a local handler for every inbound data frame of eventType.
func (s *Server) SubscribeType(_ context.Context, eventType string, h pubsub.Handler) (func(), error) {
	if err := pubsub.ValidateType(eventType); err != nil {
		return nil, err
	}
	return s.addLocal(s.types, eventType, &localEntry{h: h})
}

func (s *Server) addLocal(table map[string][]*localEntry, key string, e *localEntry) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, pubsub.ErrClosed
	}
	cow.Add(table, key, e)

	var once sync.Once
	return func() { once.Do(func() { s.removeLocal(table, key, e) }) }, nil
}

func (s *Server) removeLocal(table map[string][]*localEntry, key string, e *localEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	cow.Remove(table, key, e)
}

// Conns returns the registered connections.
func (s *Server) Conns() []*Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Conn returns the registered connection with the given id.
func (s *Server) Conn(id string) (*Conn, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.conns[id]
	return c, ok
}

// Subscribers returns the number of connections subscribed to topic.
func (s *Server) Subscribers(topic string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.subs[topic])
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() ServerStats {
	s.mu.RLock()
	conns, topics := len(s.conns), len(s.subs)
	s.mu.RUnlock()
	return ServerStats{
		Conns:           conns,
		Topics:          topics,
		Sent:            s.sent.Load(),
		Received:        s.received.Load(),
		BadFrames:       s.badFrames.Load(),
		Denied:          s.denied.Load(),
		Dropped:         s.dropped.Load(),
		SlowDisconnects: s.slowDisconnects.Load(),
	}
}

// Close rejects new connections, removes every connection with 1001, waits for all
// connection goroutines and clears the local handlers. Later calls return pubsub.ErrClosed.
// Close is idempotent and must not be called from a handler or hook of the server.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	conns := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	for _, c := range conns {
		c.remove(CloseGoingAway, "server shutting down", fmt.Errorf("server shutting down: %w", pubsub.ErrClosed))
	}
	s.wg.Wait()

	s.mu.Lock()
	clear(s.exact)
	clear(s.types)
	s.mu.Unlock()
	close(s.done)
	return nil
}

// Done returns a channel closed when Close has finished; a server never ends on its own.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err returns nil: a server ends only through Close.
func (s *Server) Err() error { return nil }

func (s *Server) report(err error) {
	s.logger.Warn("websocket server error", "err", err)
	if s.opts.OnError != nil {
		s.opts.OnError(err)
	}
}

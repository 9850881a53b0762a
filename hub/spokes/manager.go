package spokes

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/catalog"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/ws"
)

// Close codes the hub sends on /ws besides those of pubsub/ws.
const (
	CloseNormal       = 1000
	CloseGoingAway    = 1001
	ClosePolicy       = 1008
	CloseSlowConsumer = 1013
	CloseProtocol     = 4000
	CloseReplaced     = 4003
	CloseRemoved      = 4004
	CloseHeartbeat    = 4009
)

// Reasons of SPOKE_DISCONNECTED and SPOKE_UNAVAILABLE details.
const (
	reasonDisconnected = "disconnected"
	reasonReplaced     = "replaced"
	reasonShutdown     = "shutdown"
	reasonNoProvider   = "no-provider"
	reasonBusy         = "busy"
)

// Options configures a Manager. Limits have the hub's defaults when zero.
type Options struct {
	Logger *slog.Logger

	// Registry receives the forwarding entries of spoke operations.
	Registry *operations.Registry
	// Catalog receives their listing entries.
	Catalog *catalog.Catalog
	// Invoker runs calls that peers make.
	Invoker operations.Invoker
	// Store persists spokes and definitions.
	Store Store
	// Events carries lifecycle events (spoke.*, operation.*); optional.
	Events *pubsub.PubSub
	// OnForward, when set, receives the spoke that serves a request (the
	// call graph records it).
	OnForward func(requestID, spokeID string)

	InstanceID string

	// AllowedOrigins are the browser origins that may open /ws. A request
	// with any other Origin header is refused with 403; requests without
	// one (programs, not browsers) are not checked.
	AllowedOrigins []string

	PingInterval           time.Duration // 30 s
	PongTimeout            time.Duration // 75 s
	WriteTimeout           time.Duration // 10 s
	HeartbeatWriteInterval time.Duration // 30 s
	MaxMessageBytes        int64         // 4 MiB
	SendQueueFrames        int           // 1024
	SendQueueBytes         int           // 1 MiB
	MaxTopicsPerConn       int           // 1000
	MaxInboundCalls        int           // 128
	MaxConnsPerKey         int           // 64
	MaxConns               int           // 10,000
	DefaultMaxInFlight     int           // 64
	DefaultTimeout         time.Duration // 60 s
	MaxTimeout             time.Duration // 15 min
	// StreamBuffer bounds the items buffered per forwarded subscription
	// (256); a subscription whose caller falls further behind is aborted.
	StreamBuffer int

	Now func() time.Time
}

func (o *Options) setDefaults() {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PingInterval, 30*time.Second)
	def(&o.PongTimeout, 75*time.Second)
	def(&o.WriteTimeout, 10*time.Second)
	def(&o.HeartbeatWriteInterval, 30*time.Second)
	def(&o.DefaultTimeout, 60*time.Second)
	def(&o.MaxTimeout, 15*time.Minute)
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 4 << 20
	}
	defInt(&o.SendQueueFrames, 1024)
	defInt(&o.SendQueueBytes, 1<<20)
	defInt(&o.MaxTopicsPerConn, 1000)
	defInt(&o.MaxInboundCalls, 128)
	defInt(&o.MaxConnsPerKey, 64)
	defInt(&o.MaxConns, 10_000)
	defInt(&o.DefaultMaxInFlight, 64)
	defInt(&o.StreamBuffer, 256)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Stats counts what the manager saw.
type Stats struct {
	Conns          int
	Spokes         int
	FramesDropped  uint64 // responses for requests not forwarded to the sender
	UnknownFrames  uint64 // event types the hub does not handle
	InboundCalls   uint64
	ForwardedCalls uint64
}

// Manager owns the /ws endpoint: connections, registrations, forwarding and
// disconnect handling.
type Manager struct {
	opts Options
	log  *slog.Logger
	srv  *ws.Server
	up   *websocket.Upgrader

	ctx    context.Context // lifetime of inbound calls
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// regMu serialises registrations, so alias decisions and the rows
	// they write agree. Lock order: regMu, then the store's transaction,
	// then mu, then conn.mu.
	regMu sync.Mutex

	mu       sync.Mutex
	conns    map[string]*conn        // by connection id
	perKey   map[string]int          // admitted connections per API key id
	admitted int                     // admitted connections in all
	live     map[string]*conn        // spoke id -> its registered connection
	spokes   map[string]*spokeInfo   // spoke id -> the hub's record of it
	aliases  map[string]*alias       // plain id -> alias
	inbound  map[string]*conn        // request id of a peer's call -> its connection
	remapped map[string]*remapTarget // remapped id -> target
	closing  bool

	framesDropped  atomic.Uint64
	unknownFrames  atomic.Uint64
	inboundCalls   atomic.Uint64
	forwardedCalls atomic.Uint64
}

// spokeInfo is the hub's knowledge of one spoke row, kept while the hub
// runs even when the spoke is away.
type spokeInfo struct {
	id          string
	ownerID     string
	name        string
	spokeType   string
	visibility  string
	maxInFlight int
	projectID   string
	// ops maps the spoke's original ids to their remapped ids, for the
	// operations it has active registrations for.
	ops map[string]string
	// aliasOf maps original ids to the alias ids the spoke serves.
	aliasOf map[string]string
}

// remapTarget is the spoke operation behind a remapped id.
type remapTarget struct {
	spokeID    string
	originalID string
	spec       operations.OperationSpec
	// active is false while the spoke has no active registration for it.
	active bool
}

// New returns a manager. It registers nothing until Start.
func New(o Options) *Manager {
	o.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		opts:     o,
		log:      o.Logger,
		ctx:      ctx,
		cancel:   cancel,
		conns:    make(map[string]*conn),
		perKey:   make(map[string]int),
		live:     make(map[string]*conn),
		spokes:   make(map[string]*spokeInfo),
		aliases:  make(map[string]*alias),
		inbound:  make(map[string]*conn),
		remapped: make(map[string]*remapTarget),
	}
	m.up = &websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		Subprotocols:    []string{auth.SubprotocolV1},
		// serveHTTP checks the origin before upgrading, so it can respond
		// with an ErrorBody.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	m.srv = ws.NewServer(ws.ServerOptions{
		MaxQueuedFrames:        o.SendQueueFrames,
		MaxQueuedBytes:         o.SendQueueBytes,
		SlowConsumer:           ws.SlowDisconnect,
		SlowConsumerCloseCode:  CloseSlowConsumer,
		ReadLimit:              o.MaxMessageBytes,
		WriteTimeout:           o.WriteTimeout,
		PingInterval:           o.PingInterval,
		PongWait:               o.PongTimeout,
		HeartbeatCloseCode:     CloseHeartbeat,
		MaxTopicsPerConn:       o.MaxTopicsPerConn,
		BadFrames:              ws.BadFrameClose,
		ProtocolErrorCloseCode: CloseProtocol,
		AuthorizeSubscribe:     m.authorizeSubscribe,
		AuthorizePublish:       m.authorizePublish,
		OnConnect:              m.onConnect,
		OnDisconnect:           m.onDisconnect,
		OnError: func(err error) {
			m.log.Debug("websocket connection error", "error", err)
		},
		Logger: o.Logger,
	})
	return m
}

// Start subscribes the frame handlers and loads the stored definitions so
// their ids exist, unavailable, until their spokes return.
func (m *Manager) Start(ctx context.Context) error {
	for _, t := range []string{
		operations.EventCallRequested, operations.EventCallResponded, operations.EventCallError,
		operations.EventCallCompleted, operations.EventCallAborted,
	} {
		if _, err := m.srv.SubscribeConn(ctx, pubsub.TopicOf(t, ""), m.onFrame); err != nil {
			return err
		}
	}
	stored, err := m.opts.Store.LoadDefinitions(ctx)
	if err != nil {
		return err
	}
	for _, s := range stored {
		m.restore(s)
	}
	return nil
}

// Handler serves GET /ws. The request must already carry an authenticated
// principal (auth.PrincipalFrom); without one it responds with 401.
func (m *Manager) Handler() http.Handler {
	return http.HandlerFunc(m.serveHTTP)
}

func (m *Manager) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		writeHTTPError(w, http.StatusBadRequest, "BAD_REQUEST", "GET /ws needs a WebSocket upgrade request")
		return
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok {
		writeHTTPError(w, http.StatusUnauthorized, operations.CodeUnauthenticated, "invalid API key")
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !slices.Contains(m.opts.AllowedOrigins, origin) {
		m.log.Debug("refusing a websocket upgrade from a foreign origin", "origin", origin, "keyId", p.KeyID)
		writeHTTPError(w, http.StatusForbidden, operations.CodeAccessDenied,
			"origin "+origin+" may not open /ws; list it in server.corsOrigins")
		return
	}
	if status, code, msg := m.admit(p.KeyID); status != 0 {
		writeHTTPError(w, status, code, msg)
		return
	}
	// The Upgrader selects alk.v1 when the client offers it and no
	// subprotocol otherwise.
	wsConn, err := m.up.Upgrade(w, r, nil)
	if err != nil {
		m.release(p.KeyID)
		m.log.Debug("websocket upgrade failed", "keyId", p.KeyID, "error", err)
		return
	}
	if _, err := m.srv.Accept(wsConn, ws.ConnInfo{Identity: p}); err != nil {
		m.release(p.KeyID)
		m.log.Debug("accepting websocket connection", "keyId", p.KeyID, "error", err)
	}
}

// admit reserves a connection slot for the key, or returns the HTTP
// status, code and message to refuse with.
func (m *Manager) admit(keyID string) (int, string, string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closing:
		return http.StatusServiceUnavailable, "UNAVAILABLE", "hub is stopping"
	case m.admitted >= m.opts.MaxConns:
		return http.StatusServiceUnavailable, "UNAVAILABLE", "too many connections on this hub instance"
	case m.perKey[keyID] >= m.opts.MaxConnsPerKey:
		return http.StatusTooManyRequests, operations.CodeRateLimited, "too many connections for this API key"
	}
	m.perKey[keyID]++
	m.admitted++
	return 0, "", ""
}

func (m *Manager) release(keyID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.admitted--
	if m.perKey[keyID]--; m.perKey[keyID] <= 0 {
		delete(m.perKey, keyID)
	}
}

// Stats returns counters and gauges.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	s := Stats{Conns: len(m.conns), Spokes: len(m.live)}
	m.mu.Unlock()
	s.FramesDropped = m.framesDropped.Load()
	s.UnknownFrames = m.unknownFrames.Load()
	s.InboundCalls = m.inboundCalls.Load()
	s.ForwardedCalls = m.forwardedCalls.Load()
	return s
}

// ConnectedSpokes returns the number of registered live connections.
func (m *Manager) ConnectedSpokes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.live)
}

// CloseKey closes every connection authenticated with the key, with 1008;
// the hub calls it when a key is revoked, disabled or expires.
func (m *Manager) CloseKey(keyID string) {
	for _, c := range m.connsWhere(func(c *conn) bool { return c.principal.KeyID == keyID }) {
		_ = c.ws.Close(ClosePolicy, "API key no longer valid")
	}
}

// Shutdown closes every connection with 1001: calls forwarded to them fail
// with SPOKE_DISCONNECTED (reason shutdown) and calls they made are
// aborted. It waits for inbound call goroutines until ctx ends.
func (m *Manager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	m.closing = true
	for _, c := range m.conns {
		c.setReason(reasonShutdown)
	}
	m.mu.Unlock()

	err := m.srv.Close()
	m.cancel()
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	return err
}

func (m *Manager) connsWhere(keep func(*conn) bool) []*conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*conn
	for _, c := range m.conns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func writeHTTPError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(errorBodyJSON(code, message))
}

package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/internal/cow"
)

// State is the link state of a Client.
type State int32

// Client states.
const (
	StateConnecting   State = iota // dialing, or waiting to dial again
	StateConnected                 // a link is up
	StateDisconnected              // the link was lost; a managed client reconnects next
	StateClosed                    // Close was called, or the client ended on its own
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// ClientOptions configures a Client. Zero values take the documented defaults.
type ClientOptions struct {
	// Header is sent with every handshake.
	Header http.Header
	// HeaderFunc builds the handshake header per attempt and wins over Header. An error
	// counts as a failed attempt and goes to OnError.
	HeaderFunc func(ctx context.Context) (http.Header, error)
	// Dialer dials the server; nil means a copy of websocket.DefaultDialer with a 10 s
	// handshake timeout.
	Dialer *websocket.Dialer
	// MinBackoff is the first reconnect wait (default 1 s); the wait doubles per attempt up
	// to MaxBackoff (default 60 s), with jitter to [d/2, d].
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// MaxAttempts bounds the attempts per outage; 0 means unlimited.
	MaxAttempts int
	// NoReconnectCodes are the close codes after which a managed client stops instead of
	// reconnecting. nil means 1008, 4000, 4003 and 4004; an empty non-nil slice means none.
	NoReconnectCodes []int
	// SendQueue is the capacity of the data frame queue (default 256). Publish waits for
	// room while it is full.
	SendQueue int
	// QueueWhileDown keeps Publish queueing while the link is down; the frames are written
	// after reconnect. False makes Publish return pubsub.ErrNotConnected while down.
	QueueWhileDown bool
	// ReadLimit is the largest inbound message in bytes (default 4 MiB); a larger one
	// closes the link with 1009.
	ReadLimit int64
	// MaxFrameBytes is the largest outbound encoded envelope in bytes (default 4 MiB).
	MaxFrameBytes int
	// PingInterval is the time between pings (default 30 s).
	PingInterval time.Duration
	// PongWait is how long the link may stay silent, without a pong or a frame, before it
	// counts as lost (default 75 s).
	PongWait time.Duration
	// WriteTimeout bounds every write (default 10 s).
	WriteTimeout time.Duration
	// Binary sends binary frames instead of text frames.
	Binary bool
	// OnStateChange receives every state change with its cause. It runs on the client's
	// manager goroutine and must not call Close.
	OnStateChange func(State, error)
	// OnError receives errors no caller gets back: bad inbound frames, failed attempts,
	// handler panics, frames lost with a link.
	OnError func(error)
	// Logger receives state changes at Info and errors at Warn; nil means discard.
	Logger *slog.Logger

	// clock replaces the backoff jitter and timer in tests.
	clock *clock
}

func (o ClientOptions) withDefaults() ClientOptions {
	if o.Dialer == nil {
		d := *websocket.DefaultDialer
		d.HandshakeTimeout = 10 * time.Second
		o.Dialer = &d
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 60 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.NoReconnectCodes == nil {
		o.NoReconnectCodes = []int{ClosePolicyViolation, CloseProtocolError, CloseReplaced, CloseRemoved}
	}
	if o.SendQueue <= 0 {
		o.SendQueue = 256
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 20
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 4 << 20
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.PongWait <= 0 {
		o.PongWait = 75 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// ClientStats contains the counters of a Client.
type ClientStats struct {
	Sent           uint64 // data frames written
	Received       uint64 // inbound frames delivered to handlers
	BadFrames      uint64 // inbound frames that did not decode
	ControlIgnored uint64 // inbound frames with a reserved type
	Reconnects     uint64 // successful reconnects after a lost link
	LostFrames     uint64 // queued data frames discarded with a lost link
}

// Client is the WebSocket client transport of a spoke. It implements pubsub.Transport and
// pubsub.Ender, but not pubsub.TypeSubscriber: the wire has no frame for type-wide
// subscriptions.
//
// The first handler of a topic makes the client send __subscribe for it and the removal of
// the last sends __unsubscribe. The control state is reconciled, not queued: before each
// data frame the writer sends one control frame per topic whose subscription differs from
// what was announced to the server, so a Subscribe made before a Publish is on the wire
// first.
//
// Handlers run on the link's reader goroutine and must not call Close; Close waits for that
// goroutine.
//
// Lock order: mu (state and link) and subMu (handlers and pending control changes) are never
// held together.
type Client struct {
	opts    ClientOptions
	url     string
	managed bool
	clock   clock
	logger  *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	queue  chan []byte // encoded data frames
	// carry is a frame taken from queue whose link failed before it was written. Only the
	// writer goroutines use it, and they run one link after another.
	carry []byte
	wake  chan struct{}
	wg    sync.WaitGroup // the manager goroutine

	state atomic.Int32
	mu    sync.Mutex
	link  *link // current link; guarded by mu
	// endErr is the reason the client ended; guarded by mu and set once with done closed.
	endErr error
	ended  bool
	done   chan struct{}

	subMu sync.RWMutex
	// handlers maps a topic to an immutable handler slice replaced on every change.
	handlers map[string][]*clientEntry
	// dirty holds the topics whose subscription changed since the writer last looked.
	dirty    map[string]struct{}
	hasDirty atomic.Bool

	sent, received, badFrames, controlIgnored, reconnects, lostFrames atomic.Uint64
}

type clientEntry struct{ h pubsub.Handler }

func newClient(url string, o ClientOptions, managed bool) *Client {
	o = o.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{
		opts:     o,
		url:      url,
		managed:  managed,
		clock:    o.clock.withDefaults(),
		logger:   o.Logger,
		ctx:      ctx,
		cancel:   cancel,
		queue:    make(chan []byte, o.SendQueue),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		handlers: make(map[string][]*clientEntry),
		dirty:    make(map[string]struct{}),
	}
}

// Dial connects to url and returns a managed client that reconnects with backoff and
// re-subscribes after a lost link. Dial returns once connected. It retries until ctx ends or
// MaxAttempts is reached. A handshake rejected with a non-retryable status (400-499 except
// 408 and 429) returns a *HandshakeError at once.
func Dial(ctx context.Context, url string, o ClientOptions) (*Client, error) {
	c := newClient(url, o, true)
	c.setState(StateConnecting, nil)
	conn, err := c.connect(ctx, true)
	if err != nil {
		c.cancel()
		return nil, err
	}
	// Publish may be called as soon as Dial returns; the manager reports the state change.
	c.state.Store(int32(StateConnected))
	c.wg.Add(1)
	go c.run(conn)
	return c, nil
}

// Wrap returns an unmanaged client over an open connection. It never reconnects: when the
// link is lost the client ends on its own (Done is closed, Err returns the cause). The client owns
// conn and closes it.
func Wrap(conn *websocket.Conn, o ClientOptions) *Client {
	c := newClient("", o, false)
	c.state.Store(int32(StateConnected))
	c.wg.Add(1)
	go c.run(conn)
	return c
}

// Publish encodes env and queues it for the writer. nil means queued, not delivered. It
// returns pubsub.ErrClosed after Close, the pubsub type errors for an empty or reserved type,
// ErrFrameTooLarge above MaxFrameBytes, pubsub.ErrNotConnected while the link is down
// (unless QueueWhileDown), and ctx.Err() when ctx ends while the queue is full.
func (c *Client) Publish(ctx context.Context, env pubsub.Envelope) error {
	if err := c.closedErr(); err != nil {
		return err
	}
	if err := pubsub.ValidateType(env.Type); err != nil {
		return err
	}
	data, err := pubsub.EncodeEnvelope(env)
	if err != nil {
		return err
	}
	if len(data) > c.opts.MaxFrameBytes {
		return fmt.Errorf("publishing %q: %w (%d bytes, limit %d)",
			env.Topic(), ErrFrameTooLarge, len(data), c.opts.MaxFrameBytes)
	}
	if !c.opts.QueueWhileDown && c.State() != StateConnected {
		return pubsub.ErrNotConnected
	}
	select {
	case c.queue <- data:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.ctx.Done():
		return pubsub.ErrClosed
	}
}

// Subscribe adds h for topic. The first handler of a topic makes the writer send
// __subscribe; Subscribe itself never waits on the network. The returned func removes h,
// sends __unsubscribe with the last handler, is idempotent and a no-op after Close.
func (c *Client) Subscribe(_ context.Context, topic string, h pubsub.Handler) (func(), error) {
	if err := pubsub.ValidateTopic(topic); err != nil {
		return nil, err
	}
	if err := c.closedErr(); err != nil {
		return nil, err
	}
	e := &clientEntry{h: h}
	c.subMu.Lock()
	if cow.Add(c.handlers, topic, e) {
		c.markDirty(topic)
	}
	c.subMu.Unlock()
	c.poke()

	var once sync.Once
	return func() { once.Do(func() { c.unsubscribe(topic, e) }) }, nil
}

func (c *Client) unsubscribe(topic string, e *clientEntry) {
	if c.closedErr() != nil {
		return
	}
	c.subMu.Lock()
	if cow.Remove(c.handlers, topic, e) {
		c.markDirty(topic)
	}
	c.subMu.Unlock()
	c.poke()
}

// markDirty records a changed topic; the caller holds subMu.
func (c *Client) markDirty(topic string) {
	c.dirty[topic] = struct{}{}
	c.hasDirty.Store(true)
}

func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// State returns the current link state.
func (c *Client) State() State { return State(c.state.Load()) }

// Stats returns a snapshot of the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Sent:           c.sent.Load(),
		Received:       c.received.Load(),
		BadFrames:      c.badFrames.Load(),
		ControlIgnored: c.controlIgnored.Load(),
		Reconnects:     c.reconnects.Load(),
		LostFrames:     c.lostFrames.Load(),
	}
}

// Done returns a channel closed once the client has ended, by Close or on its own.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns nil after Close and otherwise why the client ended on its own (a terminal
// close code, a non-retryable handshake, exhausted attempts, or a lost unmanaged link).
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endErr
}

// Close sends close 1000 (best effort within WriteTimeout), closes the socket, stops
// reconnecting and waits for the client's goroutines. Afterwards Publish and Subscribe
// return pubsub.ErrClosed and no handler runs. Close is idempotent and must not be called
// from a handler or hook of the client.
func (c *Client) Close() error {
	c.cancel()
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l != nil {
		l.closeNormally(c.opts.WriteTimeout)
	}
	c.wg.Wait()
	c.end(nil)
	return nil
}

// closedErr returns the error of calls after the end, or nil while the client runs.
func (c *Client) closedErr() error {
	if c.ctx.Err() == nil {
		select {
		case <-c.done:
		default:
			return nil
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endErr != nil {
		return fmt.Errorf("%w: %w", pubsub.ErrClosed, c.endErr)
	}
	return pubsub.ErrClosed
}

// end records why the client ended and closes done; only the first call counts.
func (c *Client) end(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return
	}
	c.ended = true
	c.endErr = cause
	close(c.done)
}

func (c *Client) setState(s State, cause error) {
	c.state.Store(int32(s))
	c.notifyState(s, cause)
}

// notifyState logs a state change and calls OnStateChange.
func (c *Client) notifyState(s State, cause error) {
	if cause != nil {
		c.logger.Info("websocket client state", "state", s.String(), "url", c.url, "err", cause)
	} else {
		c.logger.Info("websocket client state", "state", s.String(), "url", c.url)
	}
	if c.opts.OnStateChange != nil {
		c.opts.OnStateChange(s, cause)
	}
}

func (c *Client) report(err error) {
	c.logger.Warn("websocket client error", "url", c.url, "err", err)
	if c.opts.OnError != nil {
		c.opts.OnError(err)
	}
}

// run is the manager goroutine: it serves one link after another until the client ends.
func (c *Client) run(conn *websocket.Conn) {
	defer c.wg.Done()
	for {
		cause := c.serve(conn)
		if c.ctx.Err() != nil {
			c.finish(nil)
			return
		}
		c.setState(StateDisconnected, cause)
		c.dropQueued()

		if !c.managed {
			c.finish(fmt.Errorf("unmanaged link lost: %w", cause))
			return
		}
		var ce *ClosedError
		if errors.As(cause, &ce) && slices.Contains(c.opts.NoReconnectCodes, ce.Code) {
			c.finish(fmt.Errorf("server closed the link with code %d, not reconnecting: %w", ce.Code, cause))
			return
		}
		c.setState(StateConnecting, nil)
		next, err := c.connect(c.ctx, false)
		if err != nil {
			if c.ctx.Err() != nil {
				c.finish(nil)
			} else {
				c.finish(err)
			}
			return
		}
		c.reconnects.Add(1)
		conn = next
	}
}

// finish ends the client from the manager goroutine. The state reads Closed before done is
// closed, and OnStateChange runs last.
func (c *Client) finish(cause error) {
	if cause != nil {
		c.report(cause)
	}
	c.state.Store(int32(StateClosed))
	c.end(cause)
	c.notifyState(StateClosed, cause)
}

// dropQueued discards the data frames of a lost link unless QueueWhileDown keeps them.
func (c *Client) dropQueued() {
	if c.opts.QueueWhileDown {
		return
	}
	var n uint64
	if c.carry != nil {
		c.carry = nil
		n++
	}
	for {
		select {
		case <-c.queue:
			n++
			continue
		default:
		}
		break
	}
	if n > 0 {
		c.lostFrames.Add(n)
		c.report(fmt.Errorf("%d queued frames lost with the link: %w", n, pubsub.ErrNotConnected))
	}
}

// connect dials until it succeeds, ctx ends, MaxAttempts is reached or a handshake is
// rejected for good. The first attempt of Dial runs at once; every other attempt n waits
// backoff(n) first, counting from the first retry.
func (c *Client) connect(ctx context.Context, initial bool) (*websocket.Conn, error) {
	var lastErr error
	for attempt := 1; ; attempt++ {
		if c.opts.MaxAttempts > 0 && attempt > c.opts.MaxAttempts {
			return nil, fmt.Errorf("dialing %s: gave up after %d attempts: %w", c.url, c.opts.MaxAttempts, lastErr)
		}
		wait := attempt
		if initial {
			wait = attempt - 1
		}
		if wait > 0 {
			d := backoff(wait, c.opts.MinBackoff, c.opts.MaxBackoff, c.clock.jitter)
			select {
			case <-c.clock.after(d):
			case <-ctx.Done():
				return nil, fmt.Errorf("dialing %s: %w", c.url, errors.Join(ctx.Err(), lastErr))
			case <-c.ctx.Done():
				return nil, pubsub.ErrClosed
			}
		}

		conn, err := c.dialOnce(ctx)
		if err == nil {
			return conn, nil
		}
		lastErr = err
		var he *HandshakeError
		if errors.As(err, &he) && !he.Retryable() {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dialing %s: %w", c.url, errors.Join(ctx.Err(), lastErr))
		}
		c.report(err)
	}
}

func (c *Client) dialOnce(ctx context.Context) (*websocket.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()

	header := c.opts.Header
	if c.opts.HeaderFunc != nil {
		h, err := c.opts.HeaderFunc(ctx)
		if err != nil {
			return nil, fmt.Errorf("building handshake header for %s: %w", c.url, err)
		}
		header = h
	}
	conn, resp, err := c.opts.Dialer.DialContext(ctx, c.url, header)
	if err != nil {
		if errors.Is(err, websocket.ErrBadHandshake) && resp != nil {
			return nil, fmt.Errorf("dialing %s: %w", c.url, &HandshakeError{StatusCode: resp.StatusCode})
		}
		return nil, fmt.Errorf("dialing %s: %w", c.url, err)
	}
	return conn, nil
}

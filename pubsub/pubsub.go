package pubsub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Option configures a PubSub.
type Option func(*config)

type config struct {
	transport    Transport
	buffer       int
	overflow     OverflowPolicy
	blockTimeout time.Duration
	onError      func(error)
	logger       *slog.Logger
}

// WithTransport makes the PubSub use t instead of a new in-memory transport. The PubSub never
// closes t, so several PubSub values can share it.
func WithTransport(t Transport) Option { return func(c *config) { c.transport = t } }

// WithBuffer sets the default subscription buffer in envelopes; n < 1 means DefaultBuffer.
func WithBuffer(n int) Option { return func(c *config) { c.buffer = n } }

// WithOverflow sets the default overflow policy of subscriptions (default OverflowFail).
func WithOverflow(p OverflowPolicy) Option { return func(c *config) { c.overflow = p } }

// WithBlockTimeout sets how long OverflowBlock waits for room; d <= 0 means
// DefaultBlockTimeout.
func WithBlockTimeout(d time.Duration) Option { return func(c *config) { c.blockTimeout = d } }

// WithErrorHandler sets the function that receives errors no caller gets back: subscriptions
// ended by an overflow, typed payloads that do not decode, and the errors of an in-memory
// transport created by New. It runs on the goroutine that hit the error and must not block.
func WithErrorHandler(fn func(error)) Option { return func(c *config) { c.onError = fn } }

// WithLogger sets the logger; nil means discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// SubOption configures one subscription, overriding the PubSub's defaults.
type SubOption func(*subConfig)

type subConfig struct {
	buffer       int
	overflow     OverflowPolicy
	overflowSet  bool
	blockTimeout time.Duration
}

// WithSubBuffer sets the subscription's buffer in envelopes; n < 1 keeps the PubSub default.
func WithSubBuffer(n int) SubOption { return func(c *subConfig) { c.buffer = n } }

// WithSubOverflow sets the subscription's overflow policy.
func WithSubOverflow(p OverflowPolicy) SubOption {
	return func(c *subConfig) { c.overflow, c.overflowSet = p, true }
}

// WithSubBlockTimeout sets the subscription's OverflowBlock wait; d <= 0 keeps the PubSub
// default.
func WithSubBlockTimeout(d time.Duration) SubOption {
	return func(c *subConfig) { c.blockTimeout = d }
}

// PubSub publishes envelopes on a Transport and turns subscriptions into bounded streams.
//
// A PubSub is safe for concurrent use. Close ends every live subscription. When the
// transport implements Ender and ends on its own, the PubSub ends its subscriptions the same
// way and later calls return ErrClosed. One watcher goroutine per PubSub waits for the
// transport's end, and Close stops it.
type PubSub struct {
	transport Transport
	owned     bool
	cfg       config
	logger    *slog.Logger

	ended atomic.Bool
	mu    sync.Mutex
	// reason is the error returned by calls after the end; guarded by mu.
	reason error
	// subs holds the live subscriptions' streams; guarded by mu.
	subs map[*Stream[Envelope]]struct{}

	closeOnce sync.Once
	stopWatch chan struct{}
	watchDone chan struct{}
}

// New returns a PubSub. Without WithTransport it creates an in-memory transport whose errors
// go to the error handler, and closes it in Close.
func New(opts ...Option) *PubSub {
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.buffer < 1 {
		cfg.buffer = DefaultBuffer
	}
	if cfg.blockTimeout <= 0 {
		cfg.blockTimeout = DefaultBlockTimeout
	}
	p := &PubSub{
		cfg:       cfg,
		logger:    cfg.logger,
		subs:      make(map[*Stream[Envelope]]struct{}),
		stopWatch: make(chan struct{}),
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	p.transport = cfg.transport
	if p.transport == nil {
		p.transport = NewMemoryTransport(MemoryOptions{OnError: p.reportError})
		p.owned = true
	}
	if ender, ok := p.transport.(Ender); ok {
		p.watchDone = make(chan struct{})
		go p.watch(ender)
	}
	return p
}

// watch ends the PubSub when its transport ends on its own.
func (p *PubSub) watch(ender Ender) {
	defer close(p.watchDone)
	select {
	case <-ender.Done():
	case <-p.stopWatch:
		return
	}
	reason := ErrClosed
	if cause := ender.Err(); cause != nil {
		reason = fmt.Errorf("%w: transport ended: %w", ErrClosed, cause)
		p.logger.Warn("pubsub transport ended", "err", cause)
	}
	p.end(reason)
}

// end records reason as the error of later calls and stops every live subscription with it.
func (p *PubSub) end(reason error) {
	p.mu.Lock()
	if p.reason == nil {
		p.reason = reason
		p.ended.Store(true)
	}
	reason = p.reason
	streams := make([]*Stream[Envelope], 0, len(p.subs))
	for s := range p.subs {
		streams = append(streams, s)
	}
	p.mu.Unlock()

	for _, s := range streams {
		s.Stop(reason)
	}
}

func (p *PubSub) endErr() error {
	if !p.ended.Load() {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reason
}

func (p *PubSub) reportError(err error) {
	p.logger.Warn("pubsub error", "err", err)
	if p.cfg.onError != nil {
		p.cfg.onError(err)
	}
}

// Transport returns the transport the PubSub publishes on.
func (p *PubSub) Transport() Transport { return p.transport }

// Publish publishes Envelope{eventType, id, payload} on topic TopicOf(eventType, id). It
// returns ErrClosed after Close, ErrEmptyType or ErrReservedType for an invalid type, ctx.Err()
// when ctx is done, and the transport's error wrapped with the topic. Publishing to a topic
// without subscribers is not an error.
func (p *PubSub) Publish(ctx context.Context, eventType, id string, payload any) error {
	return p.PublishEnvelope(ctx, Envelope{Type: eventType, ID: id, Payload: payload})
}

// PublishEnvelope publishes env with the rules of Publish.
func (p *PubSub) PublishEnvelope(ctx context.Context, env Envelope) error {
	if err := p.endErr(); err != nil {
		return err
	}
	if err := ValidateType(env.Type); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := p.transport.Publish(ctx, env); err != nil {
		return fmt.Errorf("publishing on %q: %w", env.Topic(), err)
	}
	return nil
}

// Subscribe returns a subscription to the events of topic TopicOf(eventType, id). An empty id
// matches only events published with id "". The subscription ends when ctx ends, when the
// consumer closes it, on an overflow under OverflowFail or OverflowBlock, and when the PubSub
// closes.
func (p *PubSub) Subscribe(ctx context.Context, eventType, id string,
	opts ...SubOption) (*Subscription, error) {
	if err := ValidateType(eventType); err != nil {
		return nil, err
	}
	topic := TopicOf(eventType, id)
	return p.subscribe(ctx, topic, opts, func(h Handler) ([]func(), error) {
		unsub, err := p.transport.Subscribe(ctx, topic, h)
		if err != nil {
			return nil, fmt.Errorf("subscribing to %q: %w", topic, err)
		}
		return []func(){unsub}, nil
	})
}

// SubscribeType returns a subscription to every event whose type is eventType, whatever its
// id. It returns ErrUnsupported when the transport does not implement TypeSubscriber.
func (p *PubSub) SubscribeType(ctx context.Context, eventType string,
	opts ...SubOption) (*Subscription, error) {
	if err := ValidateType(eventType); err != nil {
		return nil, err
	}
	ts, ok := p.transport.(TypeSubscriber)
	if !ok {
		return nil, fmt.Errorf("subscribing to type %q: %w", eventType, ErrUnsupported)
	}
	return p.subscribe(ctx, eventType, opts, func(h Handler) ([]func(), error) {
		unsub, err := ts.SubscribeType(ctx, eventType, h)
		if err != nil {
			return nil, fmt.Errorf("subscribing to type %q: %w", eventType, err)
		}
		return []func(){unsub}, nil
	})
}

// SubscribeTopics returns one subscription fed by several topics, each built with TopicOf.
// Envelopes of all topics arrive in one sequence in delivery order, so events published one
// after another on different topics are read in publish order. At least one topic is
// required; a topic listed twice is subscribed once. Topic returns the first topic.
func (p *PubSub) SubscribeTopics(ctx context.Context, topics []string,
	opts ...SubOption) (*Subscription, error) {
	if len(topics) == 0 {
		return nil, fmt.Errorf("subscribing to no topics: %w", ErrEmptyType)
	}
	unique := make([]string, 0, len(topics))
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		if err := ValidateTopic(t); err != nil {
			return nil, fmt.Errorf("subscribing to %q: %w", t, err)
		}
		if !seen[t] {
			seen[t] = true
			unique = append(unique, t)
		}
	}
	return p.subscribe(ctx, topics[0], opts, func(h Handler) ([]func(), error) {
		unsubs := make([]func(), 0, len(unique))
		for _, t := range unique {
			unsub, err := p.transport.Subscribe(ctx, t, h)
			if err != nil {
				for _, u := range unsubs {
					u()
				}
				return nil, fmt.Errorf("subscribing to %q: %w", t, err)
			}
			unsubs = append(unsubs, unsub)
		}
		return unsubs, nil
	})
}

// subscribe creates the stream of a subscription labelled label and registers its handler
// through register, which returns the funcs that remove it again.
func (p *PubSub) subscribe(ctx context.Context, label string, opts []SubOption,
	register func(Handler) ([]func(), error)) (*Subscription, error) {
	if err := p.endErr(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	so := p.streamOptions(opts)
	stream := NewStream[Envelope](ctx, so)
	p.mu.Lock()
	if p.reason != nil {
		reason := p.reason
		p.mu.Unlock()
		stream.Close()
		return nil, reason
	}
	p.subs[stream] = struct{}{}
	p.mu.Unlock()

	handler := func(env Envelope) {
		if err := stream.Push(env); errors.Is(err, ErrSlowConsumer) {
			p.reportError(fmt.Errorf("subscription %q (buffer %d, %s): %w",
				label, so.Buffer, so.Overflow, ErrSlowConsumer))
		}
	}
	unsubs, err := register(handler)
	if err != nil {
		p.forget(stream)
		stream.Close()
		return nil, err
	}
	stream.OnStop(func(error) {
		for _, u := range unsubs {
			u()
		}
		p.forget(stream)
	})
	return &Subscription{stream: stream, topic: label}, nil
}

func (p *PubSub) forget(s *Stream[Envelope]) {
	p.mu.Lock()
	delete(p.subs, s)
	p.mu.Unlock()
}

func (p *PubSub) streamOptions(opts []SubOption) StreamOptions {
	var sc subConfig
	for _, o := range opts {
		o(&sc)
	}
	so := StreamOptions{Buffer: p.cfg.buffer, Overflow: p.cfg.overflow, BlockTimeout: p.cfg.blockTimeout}
	if sc.buffer >= 1 {
		so.Buffer = sc.buffer
	}
	if sc.overflowSet {
		so.Overflow = sc.overflow
	}
	if sc.blockTimeout > 0 {
		so.BlockTimeout = sc.blockTimeout
	}
	return so
}

// Close ends every live subscription with ErrClosed (buffered envelopes stay readable),
// stops the watcher goroutine and closes the transport if New created it. A transport given
// with WithTransport stays open. Close is idempotent.
func (p *PubSub) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.stopWatch)
		if p.watchDone != nil {
			<-p.watchDone
		}
		p.end(ErrClosed)
		if p.owned {
			err = p.transport.Close()
		}
	})
	return err
}

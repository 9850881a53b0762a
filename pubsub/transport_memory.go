package pubsub

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/alkdev/alkhub/pubsub/internal/cow"
)

// MemoryOptions configures a MemoryTransport. The zero value passes payloads by reference and
// discards errors.
type MemoryOptions struct {
	// JSONRoundTrip encodes every publish once and gives each handler a freshly decoded
	// envelope whose payload is a json.RawMessage, as a remote transport would. It exists to
	// catch payloads that cannot be serialised in tests.
	JSONRoundTrip bool
	// OnError receives handler panics (*HandlerPanicError) and decode errors of the JSON
	// round trip. It runs on the publisher's goroutine.
	OnError func(error)
}

// MemoryStats contains the counters of a MemoryTransport.
type MemoryStats struct {
	Published     uint64 // envelopes accepted by Publish
	Delivered     uint64 // handler calls
	HandlerPanics uint64 // handler calls that panicked
}

// MemoryTransport delivers envelopes between goroutines of one process. Publish calls every
// handler of the topic synchronously, in subscription order, on the publisher's goroutine,
// then the type-wide handlers of the event type, and returns after the last one. Concurrent
// publishers call the same handler concurrently.
//
// Close waits for deliveries in progress, so a handler must not call Close of the transport
// that delivers to it.
type MemoryTransport struct {
	opts MemoryOptions

	mu     sync.RWMutex
	closed bool
	// topics and types map a topic or event type to an immutable handler slice that is
	// replaced on every change; guarded by mu.
	topics map[string][]*memEntry
	types  map[string][]*memEntry
	// inflight counts publishes in progress. Add happens under mu (read-locked) while
	// closed is false, so Close waits for every delivery that started before it.
	inflight sync.WaitGroup
	done     chan struct{}

	published atomic.Uint64
	delivered atomic.Uint64
	panics    atomic.Uint64
}

type memEntry struct {
	h   Handler
	key string // topic, or event type for a type-wide handler
}

// NewMemoryTransport returns an open in-memory transport. It implements Transport,
// TypeSubscriber and Ender.
func NewMemoryTransport(o MemoryOptions) *MemoryTransport {
	return &MemoryTransport{
		opts:   o,
		topics: make(map[string][]*memEntry),
		types:  make(map[string][]*memEntry),
		done:   make(chan struct{}),
	}
}

// Publish delivers env to the handlers of env.Topic() and the type-wide handlers of env.Type
// before it returns. It returns ErrClosed after Close, ErrEmptyType or ErrReservedType for an
// invalid type and, with JSONRoundTrip, the encoding error of a payload that cannot be
// serialised (nothing is delivered then).
func (m *MemoryTransport) Publish(_ context.Context, env Envelope) error {
	if err := ValidateType(env.Type); err != nil {
		return err
	}

	var encoded []byte
	if m.opts.JSONRoundTrip {
		var err error
		if encoded, err = EncodeEnvelope(env); err != nil {
			return err
		}
	}

	// Build the topic in a stack buffer so that looking up an existing topic allocates
	// nothing.
	var buf [128]byte
	key := append(buf[:0], env.Type...)
	key = append(key, ':')
	key = append(key, env.ID...)

	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrClosed
	}
	exact := m.topics[string(key)]
	var wide []*memEntry
	if len(m.types) > 0 {
		wide = m.types[env.Type]
	}
	m.inflight.Add(1)
	m.mu.RUnlock()
	defer m.inflight.Done()

	m.published.Add(1)
	for _, e := range exact {
		m.deliver(e, env, encoded)
	}
	for _, e := range wide {
		m.deliver(e, env, encoded)
	}
	return nil
}

func (m *MemoryTransport) deliver(e *memEntry, env Envelope, encoded []byte) {
	if encoded != nil {
		var err error
		if env, err = DecodeEnvelope(encoded); err != nil {
			m.report(fmt.Errorf("decoding round-trip envelope on %q: %w", e.key, err))
			return
		}
	}
	m.delivered.Add(1)
	if perr := CallHandler(e.h, e.key, env); perr != nil {
		m.panics.Add(1)
		m.report(perr)
	}
}

func (m *MemoryTransport) report(err error) {
	if m.opts.OnError != nil {
		m.opts.OnError(err)
	}
}

// Subscribe adds h for topic. The returned func removes it; it is idempotent and a no-op
// after Close.
func (m *MemoryTransport) Subscribe(_ context.Context, topic string, h Handler) (func(), error) {
	if err := ValidateTopic(topic); err != nil {
		return nil, err
	}
	return m.add(m.topics, topic, h)
}

// SubscribeType adds h for every event whose type is eventType, with the rules of Subscribe.
func (m *MemoryTransport) SubscribeType(_ context.Context, eventType string, h Handler) (func(), error) {
	if err := ValidateType(eventType); err != nil {
		return nil, err
	}
	return m.add(m.types, eventType, h)
}

func (m *MemoryTransport) add(table map[string][]*memEntry, key string, h Handler) (func(), error) {
	e := &memEntry{h: h, key: key}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	cow.Add(table, key, e)

	var once sync.Once
	return func() { once.Do(func() { m.remove(table, key, e) }) }, nil
}

func (m *MemoryTransport) remove(table map[string][]*memEntry, key string, e *memEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	cow.Remove(table, key, e)
}

// Handlers returns the number of handlers of topic, for diagnostics and tests.
func (m *MemoryTransport) Handlers(topic string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.topics[topic])
}

// TypeHandlers returns the number of type-wide handlers of eventType.
func (m *MemoryTransport) TypeHandlers(eventType string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.types[eventType])
}

// Stats returns a snapshot of the transport's counters.
func (m *MemoryTransport) Stats() MemoryStats {
	return MemoryStats{
		Published:     m.published.Load(),
		Delivered:     m.delivered.Load(),
		HandlerPanics: m.panics.Load(),
	}
}

// Close drops every handler, waits for publishes in progress and makes later calls return
// ErrClosed. It is idempotent.
func (m *MemoryTransport) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	clear(m.topics)
	clear(m.types)
	m.mu.Unlock()

	m.inflight.Wait()
	close(m.done)
	return nil
}

// Done returns a channel closed by Close; an in-memory transport never ends on its own.
func (m *MemoryTransport) Done() <-chan struct{} { return m.done }

// Err returns nil: an in-memory transport ends only through Close.
func (m *MemoryTransport) Err() error { return nil }

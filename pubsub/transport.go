package pubsub

import (
	"context"
	"time"
)

// Names and defaults shared by every transport.
const (
	// ReservedPrefix starts every event type reserved for transport control.
	ReservedPrefix = "__"
	// ControlSubscribe is the type of the control frame that subscribes a WebSocket
	// connection to the events of payload.topic.
	ControlSubscribe = "__subscribe"
	// ControlUnsubscribe is the type of the control frame that cancels a ControlSubscribe.
	ControlUnsubscribe = "__unsubscribe"
	// DefaultBuffer is the buffer size of a subscription, in events.
	DefaultBuffer = 1024
	// DefaultBlockTimeout is how long OverflowBlock waits for room before it fails.
	DefaultBlockTimeout = time.Second
)

// Handler receives the envelopes of one subscription. It must return quickly and never
// block, because it runs on the delivering goroutine of the transport (the publisher for the
// in-memory transport, a read loop for network transports).
type Handler func(Envelope)

// Transport moves envelopes between publishers and handlers.
//
// Publish rejects empty and reserved types and derives the topic from the envelope. Subscribe
// rejects empty and reserved topics. Handlers are counted per topic: the underlying
// subscription is acquired with the first handler and released with the last, and every
// Subscribe call adds its own entry even for the same func value. Handlers run outside the
// transport's locks and may call Publish, Subscribe or an unsubscribe func of the same
// transport. A panicking handler is recovered and reported to the transport's error hook as a
// *HandlerPanicError. After Close, Publish and Subscribe return ErrClosed.
type Transport interface {
	// Publish sends env on env.Topic(). A nil error means the link accepted the envelope,
	// not that anybody received it.
	Publish(ctx context.Context, env Envelope) error
	// Subscribe adds h for topic and returns the func that removes it again. The func is
	// idempotent, never blocks on the network, and becomes a no-op after Close.
	Subscribe(ctx context.Context, topic string, h Handler) (unsubscribe func(), err error)
	// Close releases subscriptions and goroutines. It is idempotent.
	Close() error
}

// TypeSubscriber is implemented by transports that deliver every event of one type, whatever
// its id.
type TypeSubscriber interface {
	// SubscribeType adds h for every event whose Type equals eventType and returns the func
	// that removes it again, with the same rules as Transport.Subscribe.
	SubscribeType(ctx context.Context, eventType string, h Handler) (unsubscribe func(), err error)
}

// Ender is implemented by transports that can end on their own, such as a WebSocket client
// that stopped reconnecting.
type Ender interface {
	// Done is closed once the transport has ended, by Close or by itself.
	Done() <-chan struct{}
	// Err returns nil after Close, otherwise the reason the transport ended.
	Err() error
}

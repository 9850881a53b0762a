package pubsub

import (
	"errors"
	"fmt"
	"runtime/debug"
)

// Sentinel errors of the package. Callers test them with errors.Is; most are returned wrapped
// with the step that failed.
var (
	// ErrReservedType is returned when an event type or topic starts with ReservedPrefix.
	ErrReservedType = errors.New(`pubsub: event type uses reserved "__" prefix`)
	// ErrEmptyType is returned when an event type or topic is empty.
	ErrEmptyType = errors.New("pubsub: empty event type")
	// ErrClosed is returned by every call after Close, and is the end reason of subscriptions
	// that a PubSub ended because it was closed.
	ErrClosed = errors.New("pubsub: closed")
	// ErrSlowConsumer ends a stream whose buffer overflowed under OverflowFail or
	// OverflowBlock; the WebSocket server uses it for connections that fell behind.
	ErrSlowConsumer = errors.New("pubsub: subscriber buffer overflow")
	// ErrDropped is returned by Stream.Push when the pushed value was discarded by policy.
	ErrDropped = errors.New("pubsub: event dropped")
	// ErrClosedByConsumer is the end reason passed to stop hooks when the consumer closed
	// the stream. Stream.Err reports it as nil.
	ErrClosedByConsumer = errors.New("pubsub: closed by consumer")
	// ErrNotConnected is returned by a WebSocket client's Publish while its link is down.
	ErrNotConnected = errors.New("pubsub: transport not connected")
	// ErrUnsupported is returned by PubSub.SubscribeType when the transport has no
	// type-wide subscriptions.
	ErrUnsupported = errors.New("pubsub: not supported by transport")
	// ErrBadEnvelope wraps every DecodeEnvelope failure.
	ErrBadEnvelope = errors.New("pubsub: malformed envelope")
	// ErrBadPayload wraps every DecodePayload failure.
	ErrBadPayload = errors.New("pubsub: payload does not decode")
	// ErrTopicMismatch reports an envelope whose topic differs from the channel it arrived on.
	ErrTopicMismatch = errors.New("pubsub: envelope does not match its channel")
)

// HandlerPanicError reports a Handler that panicked. Transports recover the panic, send this
// error to their error hook and go on with the remaining handlers.
type HandlerPanicError struct {
	Topic string // topic of the delivery, or the event type for a type-wide handler
	Value any    // value passed to panic
	Stack []byte // stack of the panicking goroutine
}

// Error implements error.
func (e *HandlerPanicError) Error() string {
	return fmt.Sprintf("pubsub: handler for topic %q panicked: %v", e.Topic, e.Value)
}

// CallHandler calls h with env and recovers a panic. It returns nil when h returned normally
// and a *HandlerPanicError naming topic when it panicked. Transports use it for every handler
// call.
func CallHandler(h Handler, topic string, env Envelope) (perr *HandlerPanicError) {
	defer func() {
		if v := recover(); v != nil {
			perr = &HandlerPanicError{Topic: topic, Value: v, Stack: debug.Stack()}
		}
	}()
	h(env)
	return nil
}

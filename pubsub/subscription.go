package pubsub

import (
	"context"
	"iter"
)

// Subscription is a bounded stream of the envelopes of one or more topics, created by
// PubSub.Subscribe, SubscribeType or SubscribeTopics. It has a single consumer: ranging it
// from two goroutines is not supported. When it ends for any reason its transport handlers
// are removed, so later events are not buffered anywhere.
type Subscription struct {
	stream *Stream[Envelope]
	topic  string
}

// Topic returns the subscribed topic ("type:id"), the event type for SubscribeType, or the
// first topic for SubscribeTopics.
func (s *Subscription) Topic() string { return s.topic }

// C returns the channel of envelopes; it is closed when the subscription ends.
func (s *Subscription) C() <-chan Envelope { return s.stream.C() }

// Next returns the next envelope with the rules of Stream.Next.
func (s *Subscription) Next(ctx context.Context) (Envelope, error) { return s.stream.Next(ctx) }

// All returns the envelopes as a sequence; leaving the loop early closes the subscription.
func (s *Subscription) All() iter.Seq[Envelope] { return s.stream.All() }

// All2 is like All and ends with (Envelope{}, err) when Err returns non-nil.
func (s *Subscription) All2() iter.Seq2[Envelope, error] { return s.stream.All2() }

// Done returns a channel closed when the subscription's end reason is recorded.
func (s *Subscription) Done() <-chan struct{} { return s.stream.Done() }

// Err returns why the subscription ended: nil while open or after Close, ErrSlowConsumer
// after an overflow, ctx.Err() after its context ended, an error wrapping ErrClosed after the
// PubSub or its transport closed.
func (s *Subscription) Err() error { return s.stream.Err() }

// Dropped returns how many envelopes the drop policies discarded.
func (s *Subscription) Dropped() uint64 { return s.stream.Dropped() }

// Close ends the subscription, discards its buffer and removes its transport handlers. It is
// idempotent and always returns nil.
func (s *Subscription) Close() error {
	s.stream.Close()
	return nil
}

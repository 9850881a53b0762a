package pubsub

import (
	"context"
	"iter"
	"sync/atomic"
)

// EventType binds an event type name to the Go type of its payload, for example
// EventType[CallResponded]("call.responded").
type EventType[T any] string

// Publish publishes payload as an event of type et with the given id.
func (et EventType[T]) Publish(ctx context.Context, p *PubSub, id string, payload T) error {
	return p.Publish(ctx, string(et), id, payload)
}

// Subscribe returns a typed subscription to the events of type et with the given id.
func (et EventType[T]) Subscribe(ctx context.Context, p *PubSub, id string,
	opts ...SubOption) (*TypedSubscription[T], error) {
	sub, err := p.Subscribe(ctx, string(et), id, opts...)
	if err != nil {
		return nil, err
	}
	return &TypedSubscription[T]{sub: sub, report: p.reportError}, nil
}

// SubscribeType returns a typed subscription to every event of type et, whatever its id.
func (et EventType[T]) SubscribeType(ctx context.Context, p *PubSub,
	opts ...SubOption) (*TypedSubscription[T], error) {
	sub, err := p.SubscribeType(ctx, string(et), opts...)
	if err != nil {
		return nil, err
	}
	return &TypedSubscription[T]{sub: sub, report: p.reportError}, nil
}

// TypedEnvelope is an envelope whose payload has been decoded into T.
type TypedEnvelope[T any] struct {
	Type    string
	ID      string
	Payload T
}

// TypedSubscription decodes the payloads of a Subscription into T with DecodePayload. An
// envelope whose payload does not decode is skipped, counted in DecodeErrors and reported to
// the PubSub's error handler; the subscription goes on.
type TypedSubscription[T any] struct {
	sub          *Subscription
	report       func(error)
	decodeErrors atomic.Uint64
}

func (s *TypedSubscription[T]) decode(env Envelope) (TypedEnvelope[T], bool) {
	v, err := DecodePayload[T](env)
	if err != nil {
		s.decodeErrors.Add(1)
		s.report(err)
		return TypedEnvelope[T]{}, false
	}
	return TypedEnvelope[T]{Type: env.Type, ID: env.ID, Payload: v}, true
}

// All returns the decoded envelopes as a sequence; leaving the loop early closes the
// subscription.
func (s *TypedSubscription[T]) All() iter.Seq[TypedEnvelope[T]] {
	return func(yield func(TypedEnvelope[T]) bool) {
		for env := range s.sub.All() {
			te, ok := s.decode(env)
			if ok && !yield(te) {
				return
			}
		}
	}
}

// Next returns the next envelope whose payload decodes, with the end rules of Stream.Next.
func (s *TypedSubscription[T]) Next(ctx context.Context) (TypedEnvelope[T], error) {
	for {
		env, err := s.sub.Next(ctx)
		if err != nil {
			return TypedEnvelope[T]{}, err
		}
		if te, ok := s.decode(env); ok {
			return te, nil
		}
	}
}

// Untyped returns the underlying subscription.
func (s *TypedSubscription[T]) Untyped() *Subscription { return s.sub }

// DecodeErrors returns how many envelopes were skipped because their payload did not decode.
func (s *TypedSubscription[T]) DecodeErrors() uint64 { return s.decodeErrors.Load() }

// Done returns a channel closed when the subscription's end reason is recorded.
func (s *TypedSubscription[T]) Done() <-chan struct{} { return s.sub.Done() }

// Err returns why the subscription ended, as Subscription.Err.
func (s *TypedSubscription[T]) Err() error { return s.sub.Err() }

// Close ends the subscription; it is idempotent and always returns nil.
func (s *TypedSubscription[T]) Close() error { return s.sub.Close() }

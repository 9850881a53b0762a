package pubsub

import (
	"context"
	"errors"
	"io"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// OverflowPolicy is the action a full stream buffer takes on a new value.
type OverflowPolicy int

// Overflow policies.
const (
	// OverflowFail ends the stream with ErrSlowConsumer; values already buffered stay
	// readable. It is the default.
	OverflowFail OverflowPolicy = iota
	// OverflowDropNewest discards the new value and counts it in Dropped.
	OverflowDropNewest
	// OverflowDropOldest evicts the oldest buffered value, enqueues the new one and counts
	// the eviction in Dropped.
	OverflowDropOldest
	// OverflowBlock makes the producer wait up to the block timeout for room, then behaves
	// as OverflowFail. The wait stalls the delivering goroutine of the transport.
	OverflowBlock
)

// String returns the policy's Go name.
func (p OverflowPolicy) String() string {
	switch p {
	case OverflowFail:
		return "OverflowFail"
	case OverflowDropNewest:
		return "OverflowDropNewest"
	case OverflowDropOldest:
		return "OverflowDropOldest"
	case OverflowBlock:
		return "OverflowBlock"
	}
	return "OverflowPolicy(?)"
}

// StreamOptions configures a Stream. The zero value means DefaultBuffer, OverflowFail and
// DefaultBlockTimeout.
type StreamOptions struct {
	Buffer       int            // capacity in values; < 1 means DefaultBuffer
	Overflow     OverflowPolicy // action of a full buffer on a new value
	BlockTimeout time.Duration  // wait of OverflowBlock; <= 0 means DefaultBlockTimeout
}

// Stream is a bounded single-consumer stream of values fed by any number of producers.
//
// A stream records exactly one end reason, the first that happens: Stop(nil) gives nil,
// Stop(err) gives err, an overflow under OverflowFail or OverflowBlock gives ErrSlowConsumer,
// the end of the stream's context gives ctx.Err(), and the consumer's Close gives
// ErrClosedByConsumer. After a producer end (Stop, overflow) the buffered values stay readable
// before C is closed. After a consumer end (Close, context done) the buffer is discarded and C
// is closed at once.
//
// Lock order: mu is never held while sendMu is taken, and sendMu is never held while mu is
// taken. Producers hold sendMu for reading while they send on the channel; the goroutine that
// ends the stream closes done first (so blocked producers leave), then takes sendMu for
// writing and closes the channel.
type Stream[T any] struct {
	ch           chan T
	overflow     OverflowPolicy
	blockTimeout time.Duration
	dropped      atomic.Uint64

	sendMu sync.RWMutex
	// closing is set before the channel is closed, so producers holding sendMu for reading
	// can test it without a select on done.
	closing atomic.Bool

	mu      sync.Mutex
	ended   bool
	reason  error
	hooks   []func(error)
	stopCtx func() bool
	done    chan struct{}
}

// NewStream returns an open stream. When ctx ends, the stream ends with ctx.Err() as a
// consumer end; the wiring uses context.AfterFunc, so no goroutine waits per stream.
func NewStream[T any](ctx context.Context, o StreamOptions) *Stream[T] {
	if o.Buffer < 1 {
		o.Buffer = DefaultBuffer
	}
	if o.BlockTimeout <= 0 {
		o.BlockTimeout = DefaultBlockTimeout
	}
	s := &Stream[T]{
		ch:           make(chan T, o.Buffer),
		overflow:     o.Overflow,
		blockTimeout: o.BlockTimeout,
		done:         make(chan struct{}),
	}
	if ctx != nil && ctx.Done() != nil {
		s.mu.Lock()
		s.stopCtx = context.AfterFunc(ctx, func() { s.end(ctx.Err(), true) })
		s.mu.Unlock()
	}
	return s
}

// Push adds v to the stream and is safe from many goroutines. It returns nil when v was
// enqueued, also when OverflowDropOldest evicted an older value for it. It returns ErrDropped
// when OverflowDropNewest discarded v, ErrSlowConsumer when v did not fit and this push ended
// the stream, and ErrClosed when the stream had already ended.
func (s *Stream[T]) Push(v T) error {
	s.sendMu.RLock()
	if s.closing.Load() {
		s.sendMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.ch <- v:
		s.sendMu.RUnlock()
		return nil
	default:
	}

	switch s.overflow {
	case OverflowDropNewest:
		s.sendMu.RUnlock()
		s.dropped.Add(1)
		return ErrDropped
	case OverflowDropOldest:
		defer s.sendMu.RUnlock()
		for {
			select {
			case s.ch <- v:
				return nil
			default:
			}
			select {
			case <-s.ch:
				s.dropped.Add(1)
			default:
			}
		}
	case OverflowBlock:
		timer := time.NewTimer(s.blockTimeout)
		select {
		case s.ch <- v:
			timer.Stop()
			s.sendMu.RUnlock()
			return nil
		case <-s.done:
			timer.Stop()
			s.sendMu.RUnlock()
			return ErrClosed
		case <-timer.C:
		}
	}
	s.sendMu.RUnlock()
	if !s.end(ErrSlowConsumer, false) {
		return ErrClosed
	}
	return ErrSlowConsumer
}

// Stop ends the stream as its producer: no more values are accepted, buffered values stay
// readable, then C is closed. err becomes the end reason unless the stream had already
// ended. Stop is idempotent.
func (s *Stream[T]) Stop(err error) { s.end(err, false) }

// Close ends the stream as its consumer: the buffer is discarded, C is closed and the stop
// hooks receive ErrClosedByConsumer unless the stream had already ended. Close is idempotent.
func (s *Stream[T]) Close() { s.end(ErrClosedByConsumer, true) }

// OnStop registers fn to run once with the end reason. Hooks run in registration order,
// outside the stream's locks, on the goroutine that ended the stream. A hook registered after
// the end runs at once on the calling goroutine.
func (s *Stream[T]) OnStop(fn func(reason error)) {
	s.mu.Lock()
	if s.ended {
		reason := s.reason
		s.mu.Unlock()
		fn(reason)
		return
	}
	s.hooks = append(s.hooks, fn)
	s.mu.Unlock()
}

// end records reason unless the stream already ended and reports whether it did. discard
// empties the buffer (a consumer end).
func (s *Stream[T]) end(reason error, discard bool) bool {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return false
	}
	s.ended = true
	s.reason = reason
	hooks := s.hooks
	s.hooks = nil
	stopCtx := s.stopCtx
	close(s.done)
	s.mu.Unlock()

	if stopCtx != nil {
		stopCtx()
	}
	s.closing.Store(true)
	s.sendMu.Lock()
	close(s.ch)
	s.sendMu.Unlock()
	if discard {
		for range s.ch {
		}
	}
	for _, fn := range hooks {
		fn(reason)
	}
	return true
}

// C returns the channel of values. It is closed after the end: at once after a consumer end,
// after the buffered values after a producer end.
func (s *Stream[T]) C() <-chan T { return s.ch }

// Next returns the next value. At the end it returns io.EOF for a clean end (Stop(nil) or the
// consumer's Close) and Err() otherwise. When ctx ends first it returns ctx.Err() and the
// stream stays open.
func (s *Stream[T]) Next(ctx context.Context) (T, error) {
	select {
	case v, ok := <-s.ch:
		if ok {
			return v, nil
		}
		var zero T
		if err := s.Err(); err != nil {
			return zero, err
		}
		return zero, io.EOF
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// All returns a sequence of the stream's values that ends with the stream. Leaving the loop
// early closes the stream.
func (s *Stream[T]) All() iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range s.ch {
			if !yield(v) {
				s.Close()
				return
			}
		}
	}
}

// All2 is like All but yields (value, nil) pairs and, when the stream ended with a non-nil
// Err, a final (zero, err) pair.
func (s *Stream[T]) All2() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for v := range s.ch {
			if !yield(v, nil) {
				s.Close()
				return
			}
		}
		if err := s.Err(); err != nil {
			var zero T
			yield(zero, err)
		}
	}
}

// Done returns a channel closed as soon as the end reason is recorded; buffered values may
// still be readable from C.
func (s *Stream[T]) Done() <-chan struct{} { return s.done }

// Err returns the end reason, or nil while the stream is open or when the consumer closed it.
func (s *Stream[T]) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if errors.Is(s.reason, ErrClosedByConsumer) {
		return nil
	}
	return s.reason
}

// Dropped returns how many values the drop policies discarded.
func (s *Stream[T]) Dropped() uint64 { return s.dropped.Load() }

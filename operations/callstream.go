package operations

import (
	"context"
	"fmt"
	"io"
	"iter"
	"sync"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// CallStream is the caller's end of a remote subscription. Items arrive in
// publish order and at most the map's stream buffer of them wait
// undelivered. A CallStream has one consumer.
type CallStream struct {
	m      *PendingRequestMap
	id     string
	buffer int
	idle   time.Duration
	items  *pubsub.Stream[*ResponseEnvelope]

	mu       sync.Mutex
	err      error       // end reason reported by Err; nil for a normal end
	timer    *time.Timer // idle timer; nil without idle timeout
	stopCtx  func() bool // detaches the subscribe ctx
	finished bool
}

func newCallStream(m *PendingRequestMap, id string, buffer int, idle time.Duration) *CallStream {
	return &CallStream{
		m: m, id: id, buffer: buffer, idle: idle,
		items: pubsub.NewStream[*ResponseEnvelope](context.Background(),
			pubsub.StreamOptions{Buffer: buffer}),
	}
}

// start ties the stream to ctx and starts the idle timer.
func (s *CallStream) start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	if s.idle > 0 {
		s.timer = time.AfterFunc(s.idle, s.idleExpired)
	}
	s.stopCtx = context.AfterFunc(ctx, func() {
		s.finish(MapError(ctx.Err(), nil), true, true)
	})
}

func (s *CallStream) idleExpired() {
	ms := s.idle.Milliseconds()
	s.finish(NewCallError(CodeTimeout,
		fmt.Sprintf("Subscription %s timed out (idle after %dms)", s.id, ms),
		map[string]any{"idleTimeout": ms}), true, false)
}

// push buffers one item from the dispatch goroutine, the only producer. A
// full buffer ends this stream with ABORTED and publishes call.aborted.
func (s *CallStream) push(env *ResponseEnvelope) {
	s.mu.Lock()
	if s.timer != nil {
		s.timer.Reset(s.idle)
	}
	s.mu.Unlock()

	if len(s.items.C()) >= s.buffer {
		if s.finishAsync(NewCallError(CodeAborted,
			fmt.Sprintf("Subscription %s overflowed its buffer of %d items", s.id, s.buffer),
			map[string]any{"bufferSize": s.buffer})) {
			s.m.publishAbortedAsync(s.id)
		}
		return
	}
	_ = s.items.Push(env)
}

// finishAsync ends the stream without publishing (the caller publishes).
func (s *CallStream) finishAsync(err error) bool {
	return s.finish(err, false, false)
}

// finish removes the stream from its map and ends it with err (nil: normal
// end), once. publish sends call.aborted; discard drops buffered items.
// It reports whether this call ended the stream.
func (s *CallStream) finish(err error, publish, discard bool) bool {
	if !s.m.removeStream(s.id, s) {
		return false
	}
	if publish {
		s.m.publishAborted(s.id)
	}
	s.end(err, discard)
	return true
}

// end stops timers and the item stream. Buffered items stay readable unless
// discard is set.
func (s *CallStream) end(err error, discard bool) {
	s.mu.Lock()
	s.finished = true
	s.err = err
	if s.timer != nil {
		s.timer.Stop()
	}
	stopCtx := s.stopCtx
	s.mu.Unlock()
	if stopCtx != nil {
		stopCtx()
	}
	s.items.Stop(err)
	if discard {
		for range s.items.C() {
		}
	}
}

// RequestID returns the stream's request id.
func (s *CallStream) RequestID() string { return s.id }

// Next returns the next item. At the end it returns io.EOF for a normal end
// (call.completed, call.aborted, Abort or Close) and the end error otherwise,
// after the items that were already buffered. When ctx ends first, Next
// returns ctx.Err() and the stream stays live.
func (s *CallStream) Next(ctx context.Context) (*ResponseEnvelope, error) {
	return s.items.Next(ctx)
}

// All returns the items as a sequence that ends with (nil, err) when the
// stream ends with an error. Leaving the loop early closes the stream.
func (s *CallStream) All() iter.Seq2[*ResponseEnvelope, error] {
	return func(yield func(*ResponseEnvelope, error) bool) {
		for {
			env, err := s.Next(context.Background())
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(env, nil) {
				s.Close()
				return
			}
		}
	}
}

// Close ends the stream, discards buffered items and publishes call.aborted
// when the stream was still live. It is idempotent and returns nil.
func (s *CallStream) Close() error {
	s.finish(nil, true, true)
	return nil
}

// Done is closed once the stream has ended; buffered items may still be
// readable.
func (s *CallStream) Done() <-chan struct{} { return s.items.Done() }

// Err returns why the stream ended: nil while live or after a normal end.
func (s *CallStream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

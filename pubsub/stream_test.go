package pubsub

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"
)

// recordHooks registers a stop hook that records every reason it receives.
func recordHooks[T any](s *Stream[T]) func() []error {
	var mu sync.Mutex
	var reasons []error
	s.OnStop(func(r error) {
		mu.Lock()
		reasons = append(reasons, r)
		mu.Unlock()
	})
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), reasons...)
	}
}

func TestStreamStopNilDrainsThenEnds(t *testing.T) {
	s := NewStream[int](context.Background(), StreamOptions{Buffer: 8})
	hooks := recordHooks(s)
	for i := 1; i <= 3; i++ {
		if err := s.Push(i); err != nil {
			t.Fatalf("Push(%d): %v", i, err)
		}
	}
	s.Stop(nil)

	var got []int
	for v := range s.All() {
		got = append(got, v)
	}
	if len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Errorf("read %v, want [1 2 3]", got)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
	if r := hooks(); len(r) != 1 || r[0] != nil {
		t.Errorf("stop hook reasons = %v, want one nil", r)
	}
	if _, err := s.Next(context.Background()); err != io.EOF {
		t.Errorf("Next after clean end = %v, want io.EOF", err)
	}
}

func TestStreamStopErrorEndsAll2WithError(t *testing.T) {
	boom := errors.New("boom")
	s := NewStream[int](context.Background(), StreamOptions{Buffer: 8})
	s.Push(1)
	s.Push(2)
	s.Stop(boom)

	var vals []int
	var lastErr error
	for v, err := range s.All2() {
		if err != nil {
			lastErr = err
			continue
		}
		vals = append(vals, v)
	}
	if len(vals) != 2 {
		t.Errorf("read %v, want 2 values", vals)
	}
	if lastErr != boom {
		t.Errorf("All2 final error = %v, want boom", lastErr)
	}
	if _, err := s.Next(context.Background()); err != boom {
		t.Errorf("Next after end = %v, want boom", err)
	}
}

func TestStreamConsumerCloseDiscardsBuffer(t *testing.T) {
	s := NewStream[int](context.Background(), StreamOptions{Buffer: 8})
	hooks := recordHooks(s)
	s.Push(1)
	s.Push(2)
	s.Close()

	if _, ok := <-s.C(); ok {
		t.Error("C() yielded a value after consumer Close, want closed and empty")
	}
	if r := hooks(); len(r) != 1 || r[0] != ErrClosedByConsumer {
		t.Errorf("stop hook reasons = %v, want [ErrClosedByConsumer]", r)
	}
	if err := s.Err(); err != nil {
		t.Errorf("Err() = %v, want nil after consumer Close", err)
	}
	if err := s.Push(3); err != ErrClosed {
		t.Errorf("Push after Close = %v, want ErrClosed", err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done() not closed after Close")
	}
}

func TestStreamFirstEndReasonWins(t *testing.T) {
	first := errors.New("first")
	s := NewStream[int](context.Background(), StreamOptions{})
	hooks := recordHooks(s)
	s.Stop(first)
	s.Close()
	s.Stop(errors.New("second"))
	s.Close()

	if r := hooks(); len(r) != 1 || r[0] != first {
		t.Errorf("stop hook reasons = %v, want [first]", r)
	}
	if err := s.Err(); err != first {
		t.Errorf("Err() = %v, want first", err)
	}
	var late error
	ran := false
	s.OnStop(func(r error) { ran, late = true, r })
	if !ran || late != first {
		t.Errorf("hook added after end: ran=%v reason=%v, want it run at once with first", ran, late)
	}
}

func TestStreamHooksRunInRegistrationOrder(t *testing.T) {
	s := NewStream[int](context.Background(), StreamOptions{})
	var order []int
	for i := range 3 {
		s.OnStop(func(error) { order = append(order, i) })
	}
	s.Stop(nil)
	if len(order) != 3 || order[0] != 0 || order[1] != 1 || order[2] != 2 {
		t.Errorf("hook order = %v, want [0 1 2]", order)
	}
}

func TestStreamContextCancelEndsAsConsumer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := NewStream[int](ctx, StreamOptions{Buffer: 4})
	reasons := make(chan error, 1)
	s.OnStop(func(r error) { reasons <- r })
	s.Push(1)
	cancel()

	select {
	case r := <-reasons:
		if r != context.Canceled {
			t.Errorf("stop hook reason = %v, want context.Canceled", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stream did not end after its context was cancelled")
	}
	if _, ok := <-s.C(); ok {
		t.Error("buffer not discarded after context cancel")
	}
	if err := s.Err(); err != context.Canceled {
		t.Errorf("Err() = %v, want context.Canceled", err)
	}
}

func TestStreamNextOwnContextKeepsStreamOpen(t *testing.T) {
	s := NewStream[int](context.Background(), StreamOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); err != context.DeadlineExceeded {
		t.Errorf("Next with expiring ctx = %v, want context.DeadlineExceeded", err)
	}
	if err := s.Push(7); err != nil {
		t.Fatalf("Push after Next timeout: %v", err)
	}
	v, err := s.Next(context.Background())
	if err != nil || v != 7 {
		t.Errorf("Next = %d, %v; want 7, nil", v, err)
	}
}

func TestStreamConcurrentPushes(t *testing.T) {
	s := NewStream[int](context.Background(), StreamOptions{Buffer: 8000})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if err := s.Push(g*1000 + i); err != nil {
					t.Errorf("Push: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	s.Stop(nil)
	seen := make(map[int]bool)
	for v := range s.All() {
		seen[v] = true
	}
	if len(seen) != 8000 {
		t.Errorf("received %d distinct values, want 8000", len(seen))
	}
}

func TestStreamOverflowPolicies(t *testing.T) {
	t.Run("fail ends with slow consumer", func(t *testing.T) {
		s := NewStream[int](context.Background(), StreamOptions{Buffer: 2})
		s.Push(1)
		s.Push(2)
		if err := s.Push(3); err != ErrSlowConsumer {
			t.Errorf("overflowing Push = %v, want ErrSlowConsumer", err)
		}
		if err := s.Push(4); err != ErrClosed {
			t.Errorf("Push after overflow = %v, want ErrClosed", err)
		}
		got := drainStream(s)
		if len(got) != 2 {
			t.Errorf("read %v after overflow, want the 2 buffered values", got)
		}
		if err := s.Err(); err != ErrSlowConsumer {
			t.Errorf("Err() = %v, want ErrSlowConsumer", err)
		}
	})
	t.Run("drop newest", func(t *testing.T) {
		s := NewStream[int](context.Background(), StreamOptions{Buffer: 2, Overflow: OverflowDropNewest})
		s.Push(1)
		s.Push(2)
		if err := s.Push(3); err != ErrDropped {
			t.Errorf("Push into full buffer = %v, want ErrDropped", err)
		}
		s.Stop(nil)
		if got := drainStream(s); len(got) != 2 || got[1] != 2 {
			t.Errorf("read %v, want [1 2]", got)
		}
		if d := s.Dropped(); d != 1 {
			t.Errorf("Dropped() = %d, want 1", d)
		}
	})
	t.Run("drop oldest", func(t *testing.T) {
		s := NewStream[int](context.Background(), StreamOptions{Buffer: 2, Overflow: OverflowDropOldest})
		for i := 1; i <= 4; i++ {
			if err := s.Push(i); err != nil {
				t.Errorf("Push(%d) = %v, want nil", i, err)
			}
		}
		s.Stop(nil)
		if got := drainStream(s); len(got) != 2 || got[0] != 3 || got[1] != 4 {
			t.Errorf("read %v, want [3 4]", got)
		}
		if d := s.Dropped(); d != 2 {
			t.Errorf("Dropped() = %d, want 2", d)
		}
	})
	t.Run("block leaves on close", func(t *testing.T) {
		s := NewStream[int](context.Background(), StreamOptions{
			Buffer: 1, Overflow: OverflowBlock, BlockTimeout: time.Minute,
		})
		s.Push(1)
		result := make(chan error, 1)
		go func() { result <- s.Push(2) }()
		time.Sleep(10 * time.Millisecond)
		s.Close()
		select {
		case err := <-result:
			if err != ErrClosed {
				t.Errorf("blocked Push after Close = %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("blocked Push did not return after Close")
		}
	})
}

// drainStream drains a stream that has already ended.
func drainStream[T any](s *Stream[T]) []T {
	var out []T
	for v := range s.C() {
		out = append(out, v)
	}
	return out
}

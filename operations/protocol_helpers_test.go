package operations

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// newBus returns an in-memory bus closed at the end of the test.
func newBus(t testing.TB) *pubsub.PubSub {
	t.Helper()
	ps := pubsub.New()
	t.Cleanup(func() { _ = ps.Close() })
	return ps
}

func newPending(t testing.TB, ps *pubsub.PubSub, opts ...PendingOption) *PendingRequestMap {
	t.Helper()
	m, err := NewPendingRequestMap(ps, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// startServer runs Serve until the end of the test and returns once the
// server is subscribed.
func startServer(t testing.TB, ps *pubsub.PubSub, r *Registry, opts ...ServerOption) *Server {
	t.Helper()
	s := NewServer(ps, r, opts...)
	before := handlerCount(ps, EventCallRequested)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	waitFor(t, "server subscription", func() bool { return handlerCount(ps, EventCallRequested) > before })
	return s
}

func handlerCount(ps *pubsub.PubSub, eventType string) int {
	return ps.Transport().(*pubsub.MemoryTransport).Handlers(pubsub.TopicOf(eventType, ""))
}

// waitFor polls cond for up to five seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// recorder collects the decoded payloads of one call event type.
type recorder[T any] struct {
	mu    sync.Mutex
	items []T
}

func record[T any](t testing.TB, ps *pubsub.PubSub, eventType string) *recorder[T] {
	t.Helper()
	sub, err := ps.Subscribe(context.Background(), eventType, "", pubsub.WithSubBuffer(1<<16))
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder[T]{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for env := range sub.C() {
			p, err := pubsub.DecodePayload[T](env)
			if err != nil {
				t.Errorf("decoding %s: %v", eventType, err)
				continue
			}
			r.mu.Lock()
			r.items = append(r.items, p)
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		sub.Close()
		<-done
	})
	return r
}

func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.items...)
}

// requestRef is the request id every call event payload carries.
type requestRef struct {
	RequestID string `json:"requestId"`
}

// tap counts the events of one type per request id.
type tap struct{ *recorder[requestRef] }

func newTap(t testing.TB, ps *pubsub.PubSub, eventType string) tap {
	t.Helper()
	return tap{record[requestRef](t, ps, eventType)}
}

func (tp tap) count(id string) int {
	n := 0
	for _, r := range tp.all() {
		if r.RequestID == id {
			n++
		}
	}
	return n
}

func (tp tap) total() int { return len(tp.all()) }

func newCapture(t testing.TB, ps *pubsub.PubSub) *recorder[CallRequested] {
	t.Helper()
	return record[CallRequested](t, ps, EventCallRequested)
}

// drain reads a stream to its end and returns the items and the end error
// (nil for io.EOF).
func drain(t testing.TB, s *CallStream) ([]*ResponseEnvelope, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []*ResponseEnvelope
	for {
		env, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, env)
	}
}

// callResultAsync runs Call in a goroutine and returns its result channel.
func callAsync(m *PendingRequestMap, ctx context.Context, opID string, o CallOptions) <-chan callResult {
	ch := make(chan callResult, 1)
	go func() {
		env, err := m.Call(ctx, opID, map[string]any{}, o)
		ch <- callResult{env: env, err: err}
	}()
	return ch
}

func receive(t testing.TB, ch <-chan callResult) callResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("call did not return")
		return callResult{}
	}
}

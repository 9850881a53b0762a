package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryHandlerRunsBeforePublishReturns(t *testing.T) {
	m := NewMemoryTransport(MemoryOptions{})
	defer m.Close()
	var ran atomic.Bool
	m.Subscribe(context.Background(), "a:1", func(Envelope) { ran.Store(true) })
	if err := m.Publish(context.Background(), Envelope{Type: "a", ID: "1"}); err != nil {
		t.Fatal(err)
	}
	if !ran.Load() {
		t.Error("handler had not run when Publish returned")
	}
}

func TestMemoryHandlerPanicIsReported(t *testing.T) {
	var reported []error
	m := NewMemoryTransport(MemoryOptions{OnError: func(err error) { reported = append(reported, err) }})
	defer m.Close()
	ctx := context.Background()
	var calls int
	m.Subscribe(ctx, "a:1", func(Envelope) { calls++ })
	m.Subscribe(ctx, "a:1", func(Envelope) { panic("boom") })
	m.Subscribe(ctx, "a:1", func(Envelope) { calls++ })

	if err := m.Publish(ctx, Envelope{Type: "a", ID: "1"}); err != nil {
		t.Errorf("Publish = %v, want nil", err)
	}
	if calls != 2 {
		t.Errorf("other handlers ran %d times, want 2", calls)
	}
	var perr *HandlerPanicError
	if len(reported) != 1 || !errors.As(reported[0], &perr) {
		t.Fatalf("OnError got %v, want one *HandlerPanicError", reported)
	}
	if perr.Topic != "a:1" || perr.Value != "boom" || len(perr.Stack) == 0 {
		t.Errorf("panic error = {%q %v %d stack bytes}, want topic a:1, value boom and a stack",
			perr.Topic, perr.Value, len(perr.Stack))
	}
	if s := m.Stats(); s.HandlerPanics != 1 || s.Delivered != 3 || s.Published != 1 {
		t.Errorf("Stats() = %+v, want 1 published, 3 delivered, 1 panic", s)
	}
}

func TestMemoryJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryTransport(MemoryOptions{JSONRoundTrip: true})
	defer m.Close()
	var got []Envelope
	m.Subscribe(ctx, "a:1", func(env Envelope) { got = append(got, env) })
	m.Subscribe(ctx, "a:1", func(env Envelope) { got = append(got, env) })

	if err := m.Publish(ctx, Envelope{Type: "a", ID: "1", Payload: point{X: 1, S: "<&>"}}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("handlers received %d envelopes, want 2", len(got))
	}
	raw, ok := got[0].Payload.(json.RawMessage)
	if !ok || string(raw) != `{"x":1,"s":"<&>"}` {
		t.Errorf("payload = %#v, want json.RawMessage of the JSON encoding", got[0].Payload)
	}
	if &got[0].Payload.(json.RawMessage)[0] == &got[1].Payload.(json.RawMessage)[0] {
		t.Error("two handlers share one decoded payload, want a private decoding each")
	}

	got = nil
	err := m.Publish(ctx, Envelope{Type: "a", ID: "1", Payload: make(chan int)})
	if err == nil {
		t.Error("Publish of a channel payload returned nil, want an encoding error")
	}
	if len(got) != 0 {
		t.Errorf("handlers received %d envelopes of an unencodable payload, want 0", len(got))
	}
}

func TestMemoryPassesPayloadByReference(t *testing.T) {
	m := NewMemoryTransport(MemoryOptions{})
	defer m.Close()
	var got any
	m.Subscribe(context.Background(), "a:1", func(env Envelope) { got = env.Payload })
	p := &point{X: 1}
	m.Publish(context.Background(), Envelope{Type: "a", ID: "1", Payload: p})
	if got != p {
		t.Errorf("handler payload = %p, want the published pointer %p", got, p)
	}
}

func TestMemoryManyPublishersKeepOrder(t *testing.T) {
	const publishers, events, subscribers = 8, 10_000, 4
	ctx := context.Background()
	p := newPubSub(t)
	subs := make([]*Subscription, subscribers)
	for i := range subs {
		var err error
		subs[i], err = p.Subscribe(ctx, "a", "", WithSubBuffer(publishers*events))
		if err != nil {
			t.Fatal(err)
		}
	}
	type item struct{ pub, seq int }
	var wg sync.WaitGroup
	for pub := range publishers {
		wg.Go(func() {
			for seq := range events {
				if err := p.Publish(ctx, "a", "", item{pub, seq}); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i, s := range subs {
		got := pending(s)
		if len(got) != publishers*events {
			t.Errorf("subscriber %d received %d events, want %d", i, len(got), publishers*events)
			continue
		}
		last := make([]int, publishers)
		for j := range last {
			last[j] = -1
		}
		for _, env := range got {
			it := env.Payload.(item)
			if it.seq != last[it.pub]+1 {
				t.Errorf("subscriber %d: publisher %d event %d after %d", i, it.pub, it.seq, last[it.pub])
				break
			}
			last[it.pub] = it.seq
		}
	}
}

func TestMemoryReentrantHandler(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryTransport(MemoryOptions{})
	defer m.Close()
	var unsub func()
	var inner atomic.Int32
	unsub, _ = m.Subscribe(ctx, "a:1", func(Envelope) {
		m.Publish(ctx, Envelope{Type: "b", ID: "1"})
		u, _ := m.Subscribe(ctx, "c:1", func(Envelope) {})
		u()
		unsub()
	})
	m.Subscribe(ctx, "b:1", func(Envelope) { inner.Add(1) })
	done := make(chan struct{})
	go func() {
		m.Publish(ctx, Envelope{Type: "a", ID: "1"})
		m.Publish(ctx, Envelope{Type: "a", ID: "1"})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("re-entrant handler deadlocked")
	}
	if n := inner.Load(); n != 1 {
		t.Errorf("nested publish delivered %d times, want 1 (the handler removed itself)", n)
	}
	if n := m.Handlers("a:1"); n != 0 {
		t.Errorf("Handlers(a:1) = %d, want 0", n)
	}
}

func TestMemoryLifecycle(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryTransport(MemoryOptions{})
	unsub, _ := m.Subscribe(ctx, "a:1", func(Envelope) {})
	unsubType, _ := m.SubscribeType(ctx, "a", func(Envelope) {})

	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if err := m.Publish(ctx, Envelope{Type: "a"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := m.Subscribe(ctx, "a:1", func(Envelope) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	if _, err := m.SubscribeType(ctx, "a", func(Envelope) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("SubscribeType after Close = %v, want ErrClosed", err)
	}
	unsub()
	unsubType()
	select {
	case <-m.Done():
	default:
		t.Error("Done() not closed after Close")
	}
	if err := m.Err(); err != nil {
		t.Errorf("Err() = %v, want nil", err)
	}
}

func TestMemoryCloseWaitsForDeliveries(t *testing.T) {
	ctx := context.Background()
	m := NewMemoryTransport(MemoryOptions{})
	var running atomic.Bool
	entered := make(chan struct{})
	m.Subscribe(ctx, "a:1", func(Envelope) {
		running.Store(true)
		close(entered)
		time.Sleep(20 * time.Millisecond)
		running.Store(false)
	})
	go m.Publish(ctx, Envelope{Type: "a", ID: "1"})
	<-entered
	m.Close()
	if running.Load() {
		t.Error("a handler was still running when Close returned")
	}
}

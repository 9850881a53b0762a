package pubsub

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub/internal/leakcheck"
)

// recordingTransport is a MemoryTransport that records every envelope handed to Publish.
type recordingTransport struct {
	*MemoryTransport
	mu        sync.Mutex
	published []Envelope
}

func (r *recordingTransport) Publish(ctx context.Context, env Envelope) error {
	r.mu.Lock()
	r.published = append(r.published, env)
	r.mu.Unlock()
	return r.MemoryTransport.Publish(ctx, env)
}

func (r *recordingTransport) calls() []Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Envelope(nil), r.published...)
}

// errorLog collects the errors passed to a PubSub error handler.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

func newPubSub(t *testing.T, opts ...Option) *PubSub {
	t.Helper()
	p := New(opts...)
	t.Cleanup(func() { p.Close() })
	return p
}

func memOf(t *testing.T, p *PubSub) *MemoryTransport {
	t.Helper()
	m, ok := p.Transport().(*MemoryTransport)
	if !ok {
		t.Fatalf("Transport() is %T, want *MemoryTransport", p.Transport())
	}
	return m
}

// next reads one envelope with a generous failure deadline.
func next(t *testing.T, s *Subscription) Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	env, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next on %q: %v", s.Topic(), err)
	}
	return env
}

// pending returns the envelopes buffered in s without waiting.
func pending(s *Subscription) []Envelope {
	var out []Envelope
	for {
		select {
		case env, ok := <-s.C():
			if !ok {
				return out
			}
			out = append(out, env)
		default:
			return out
		}
	}
}

func TestNewUsesMemoryTransport(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	memOf(t, p)
	sub, err := p.Subscribe(ctx, "a", "1")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(ctx, "a", "1", 5); err != nil {
		t.Fatal(err)
	}
	if env := next(t, sub); env.Payload != 5 {
		t.Errorf("payload = %v, want 5", env.Payload)
	}
}

func TestPublishHandsEnvelopeToTransport(t *testing.T) {
	rt := &recordingTransport{MemoryTransport: NewMemoryTransport(MemoryOptions{})}
	defer rt.Close()
	p := newPubSub(t, WithTransport(rt))
	x := &point{X: 1}
	if err := p.Publish(context.Background(), "a", "1", x); err != nil {
		t.Fatal(err)
	}
	calls := rt.calls()
	if len(calls) != 1 {
		t.Fatalf("transport Publish called %d times, want 1", len(calls))
	}
	if calls[0].Type != "a" || calls[0].ID != "1" || calls[0].Payload != x {
		t.Errorf("transport got %+v, want {a 1 %p}", calls[0], x)
	}
	if calls[0].Topic() != "a:1" {
		t.Errorf("topic = %q, want a:1", calls[0].Topic())
	}
}

func TestPublishRejectsInvalidTypes(t *testing.T) {
	ctx := context.Background()
	rt := &recordingTransport{MemoryTransport: NewMemoryTransport(MemoryOptions{})}
	defer rt.Close()
	p := newPubSub(t, WithTransport(rt))

	if err := p.Publish(ctx, "__x", "1", nil); !errors.Is(err, ErrReservedType) {
		t.Errorf("Publish(__x) = %v, want ErrReservedType", err)
	}
	if err := p.Publish(ctx, "", "1", nil); !errors.Is(err, ErrEmptyType) {
		t.Errorf("Publish(\"\") = %v, want ErrEmptyType", err)
	}
	if n := len(rt.calls()); n != 0 {
		t.Errorf("transport Publish called %d times, want 0", n)
	}
	if _, err := p.Subscribe(ctx, "__x", "1"); !errors.Is(err, ErrReservedType) {
		t.Errorf("Subscribe(__x) = %v, want ErrReservedType", err)
	}
	if _, err := p.Subscribe(ctx, "", "1"); !errors.Is(err, ErrEmptyType) {
		t.Errorf("Subscribe(\"\") = %v, want ErrEmptyType", err)
	}
	if _, err := p.SubscribeType(ctx, "__x"); !errors.Is(err, ErrReservedType) {
		t.Errorf("SubscribeType(__x) = %v, want ErrReservedType", err)
	}
	if _, err := p.SubscribeTopics(ctx, []string{"a:", "__x:1"}); !errors.Is(err, ErrReservedType) {
		t.Errorf("SubscribeTopics with __x:1 = %v, want ErrReservedType", err)
	}
	if _, err := p.SubscribeTopics(ctx, nil); !errors.Is(err, ErrEmptyType) {
		t.Errorf("SubscribeTopics(nil) = %v, want ErrEmptyType", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Publish(cancelled, "a", "1", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestSubscribeReceivesOnlyItsTopic(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	sub, _ := p.Subscribe(ctx, "a", "1")
	empty, _ := p.Subscribe(ctx, "a", "")
	other, _ := p.Subscribe(ctx, "a", "x")

	payload := &point{X: 9}
	p.Publish(ctx, "a", "2", 1)
	p.Publish(ctx, "b", "1", 2)
	p.Publish(ctx, "a", "", 3)
	p.Publish(ctx, "a", "1", payload)

	got := pending(sub)
	if len(got) != 1 {
		t.Fatalf("a:1 received %d envelopes, want 1: %v", len(got), got)
	}
	if got[0].Type != "a" || got[0].ID != "1" || got[0].Payload != payload {
		t.Errorf("a:1 received %+v, want {a 1 %p}", got[0], payload)
	}
	if got := pending(empty); len(got) != 1 || got[0].Payload != 3 {
		t.Errorf("a: received %v, want only the id \"\" event", got)
	}
	if got := pending(other); len(got) != 0 {
		t.Errorf("a:x received %v, want nothing", got)
	}
}

func TestTwoSubscribersEachReceiveOnce(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	s1, _ := p.Subscribe(ctx, "a", "1")
	s2, _ := p.Subscribe(ctx, "a", "1")
	p.Publish(ctx, "a", "1", 1)
	p.Publish(ctx, "a", "1", 2)
	for i, s := range []*Subscription{s1, s2} {
		if got := pending(s); len(got) != 2 || got[0].Payload != 1 || got[1].Payload != 2 {
			t.Errorf("subscriber %d received %v, want payloads 1 and 2", i, got)
		}
	}
}

func TestBreakingOutOfAllRemovesHandler(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	mem := memOf(t, p)
	sub, _ := p.Subscribe(ctx, "a", "1")
	if n := mem.Handlers("a:1"); n != 1 {
		t.Fatalf("Handlers(a:1) = %d after Subscribe, want 1", n)
	}
	p.Publish(ctx, "a", "1", 1)
	p.Publish(ctx, "a", "1", 2)
	for range sub.All() {
		break
	}
	if n := mem.Handlers("a:1"); n != 0 {
		t.Errorf("Handlers(a:1) = %d after leaving the loop, want 0", n)
	}
	delivered := mem.Stats().Delivered
	p.Publish(ctx, "a", "1", 3)
	if d := mem.Stats().Delivered; d != delivered {
		t.Errorf("a publish after leaving the loop was delivered (%d handler calls, want %d)", d, delivered)
	}
	if got := pending(sub); len(got) != 0 {
		t.Errorf("closed subscription still buffers %v", got)
	}
}

func TestOverflowFailEndsSubscription(t *testing.T) {
	ctx := context.Background()
	var log errorLog
	p := newPubSub(t, WithErrorHandler(log.add))
	mem := memOf(t, p)
	sub, _ := p.Subscribe(ctx, "a", "1", WithSubBuffer(4))
	for i := 1; i <= 5; i++ {
		if err := p.Publish(ctx, "a", "1", i); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	var got []any
	for env := range sub.All() {
		got = append(got, env.Payload)
	}
	if len(got) != 4 || got[0] != 1 || got[3] != 4 {
		t.Errorf("read %v, want [1 2 3 4]", got)
	}
	if err := sub.Err(); err != ErrSlowConsumer {
		t.Errorf("Err() = %v, want ErrSlowConsumer", err)
	}
	if n := mem.Handlers("a:1"); n != 0 {
		t.Errorf("Handlers(a:1) = %d after overflow, want 0", n)
	}
	errs := log.all()
	if len(errs) != 1 || !errors.Is(errs[0], ErrSlowConsumer) {
		t.Errorf("error handler got %v, want one ErrSlowConsumer", errs)
	}
}

func TestOverflowDropPolicies(t *testing.T) {
	tests := []struct {
		name   string
		policy OverflowPolicy
		want   []any
	}{
		{"drop newest", OverflowDropNewest, []any{1, 2, 3, 4}},
		{"drop oldest", OverflowDropOldest, []any{3, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			p := newPubSub(t, WithBuffer(4), WithOverflow(tt.policy))
			sub, _ := p.Subscribe(ctx, "a", "1")
			for i := 1; i <= 6; i++ {
				p.Publish(ctx, "a", "1", i)
			}
			got := pending(sub)
			if len(got) != len(tt.want) {
				t.Fatalf("read %d envelopes, want %d", len(got), len(tt.want))
			}
			for i, env := range got {
				if env.Payload != tt.want[i] {
					t.Errorf("envelope %d payload = %v, want %v", i, env.Payload, tt.want[i])
				}
			}
			if d := sub.Dropped(); d != 2 {
				t.Errorf("Dropped() = %d, want 2", d)
			}
			select {
			case <-sub.Done():
				t.Errorf("subscription ended (%v), want it open", sub.Err())
			default:
			}
		})
	}
}

func TestOverflowBlockWaitsForReader(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t, WithOverflow(OverflowBlock))
	sub, _ := p.Subscribe(ctx, "a", "1", WithSubBuffer(1), WithSubBlockTimeout(5*time.Second))
	p.Publish(ctx, "a", "1", 1)

	published := make(chan error, 1)
	go func() { published <- p.Publish(ctx, "a", "1", 2) }()
	select {
	case err := <-published:
		t.Fatalf("Publish into a full Block buffer returned %v at once, want it to wait", err)
	case <-time.After(20 * time.Millisecond):
	}
	if env := next(t, sub); env.Payload != 1 {
		t.Errorf("first payload = %v, want 1", env.Payload)
	}
	if err := <-published; err != nil {
		t.Errorf("blocked Publish = %v, want nil", err)
	}
	if env := next(t, sub); env.Payload != 2 {
		t.Errorf("second payload = %v, want 2", env.Payload)
	}
}

func TestOverflowBlockFailsAfterTimeout(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	sub, _ := p.Subscribe(ctx, "a", "1", WithSubBuffer(1),
		WithSubOverflow(OverflowBlock), WithSubBlockTimeout(20*time.Millisecond))
	p.Publish(ctx, "a", "1", 1)
	p.Publish(ctx, "a", "1", 2)
	if err := sub.Err(); err != ErrSlowConsumer {
		t.Errorf("Err() after block timeout = %v, want ErrSlowConsumer", err)
	}
	if got := pending(sub); len(got) != 1 {
		t.Errorf("read %v, want the one buffered envelope", got)
	}
}

func TestCancellingContextEndsSubscription(t *testing.T) {
	p := newPubSub(t)
	mem := memOf(t, p)
	ctx, cancel := context.WithCancel(context.Background())
	sub, _ := p.Subscribe(ctx, "a", "1")
	cancel()
	for range sub.All() {
		t.Error("received an envelope after cancel")
	}
	if err := sub.Err(); err != context.Canceled {
		t.Errorf("Err() = %v, want context.Canceled", err)
	}
	if n := mem.Handlers("a:1"); n != 0 {
		t.Errorf("Handlers(a:1) = %d after cancel, want 0", n)
	}
}

func TestCloseEndsSubscriptionsAfterBuffer(t *testing.T) {
	ctx := context.Background()
	t.Run("default transport closed", func(t *testing.T) {
		p := New()
		sub, _ := p.Subscribe(ctx, "a", "1")
		p.Publish(ctx, "a", "1", 1)
		if err := p.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		var got []Envelope
		for env := range sub.All() {
			got = append(got, env)
		}
		if len(got) != 1 {
			t.Errorf("read %d envelopes after Close, want the 1 buffered", len(got))
		}
		if err := sub.Err(); !errors.Is(err, ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed", err)
		}
		if err := p.Publish(ctx, "a", "1", 2); !errors.Is(err, ErrClosed) {
			t.Errorf("Publish after Close = %v, want ErrClosed", err)
		}
		if _, err := p.Subscribe(ctx, "a", "1"); !errors.Is(err, ErrClosed) {
			t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
		}
		if err := p.Transport().Publish(ctx, Envelope{Type: "a"}); !errors.Is(err, ErrClosed) {
			t.Errorf("own transport Publish after Close = %v, want ErrClosed", err)
		}
	})
	t.Run("given transport stays open", func(t *testing.T) {
		mem := NewMemoryTransport(MemoryOptions{})
		defer mem.Close()
		p := New(WithTransport(mem))
		sub, _ := p.Subscribe(ctx, "a", "1")
		p.Close()
		if err := sub.Err(); !errors.Is(err, ErrClosed) {
			t.Errorf("Err() = %v, want ErrClosed", err)
		}
		if n := mem.Handlers("a:1"); n != 0 {
			t.Errorf("Handlers(a:1) = %d after PubSub.Close, want 0", n)
		}
		if err := mem.Publish(ctx, Envelope{Type: "a"}); err != nil {
			t.Errorf("shared transport Publish after PubSub.Close = %v, want nil", err)
		}
	})
}

func TestPubSubEndsWhenTransportEnds(t *testing.T) {
	ctx := context.Background()
	mem := NewMemoryTransport(MemoryOptions{})
	p := newPubSub(t, WithTransport(mem))
	sub, _ := p.Subscribe(ctx, "a", "1")
	mem.Close()
	select {
	case <-sub.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("subscription did not end after its transport closed")
	}
	if err := sub.Err(); !errors.Is(err, ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", err)
	}
	if err := p.Publish(ctx, "a", "1", nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after the transport ended = %v, want ErrClosed", err)
	}
}

func TestPubSubCloseStopsWatcher(t *testing.T) {
	for range 5 {
		p := New()
		p.Subscribe(context.Background(), "a", "1")
		p.Close()
		p.Close()
	}
	leakcheck.Check(t, "pubsub.(*PubSub).watch")
}

type foo struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

func TestTypedEventRoundTrip(t *testing.T) {
	for _, roundTrip := range []bool{false, true} {
		name := "memory"
		if roundTrip {
			name = "memory-json"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var log errorLog
			mem := NewMemoryTransport(MemoryOptions{JSONRoundTrip: roundTrip})
			defer mem.Close()
			p := newPubSub(t, WithTransport(mem), WithErrorHandler(log.add))
			fooEvent := EventType[foo]("foo")

			sub, err := fooEvent.Subscribe(ctx, p, "1")
			if err != nil {
				t.Fatal(err)
			}
			in := foo{Name: "x", N: 3}
			if err := fooEvent.Publish(ctx, p, "1", in); err != nil {
				t.Fatal(err)
			}
			p.Publish(ctx, "foo", "1", "not an object")
			fooEvent.Publish(ctx, p, "1", foo{Name: "y"})

			got, err := sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := TypedEnvelope[foo]{Type: "foo", ID: "1", Payload: in}
			if got != want {
				t.Errorf("first typed envelope = %+v, want %+v", got, want)
			}
			got, err = sub.Next(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got.Payload.Name != "y" {
				t.Errorf("after a bad payload got %+v, want name y", got)
			}
			if n := sub.DecodeErrors(); n != 1 {
				t.Errorf("DecodeErrors() = %d, want 1", n)
			}
			errs := log.all()
			if len(errs) != 1 || !errors.Is(errs[0], ErrBadPayload) {
				t.Errorf("error handler got %v, want one ErrBadPayload", errs)
			}
		})
	}
}

func TestTypedSubscriptionAllAndType(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	fooEvent := EventType[foo]("foo")
	sub, err := fooEvent.SubscribeType(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	fooEvent.Publish(ctx, p, "1", foo{N: 1})
	fooEvent.Publish(ctx, p, "2", foo{N: 2})
	var ids []string
	for te := range sub.All() {
		ids = append(ids, te.ID)
		if len(ids) == 2 {
			break
		}
	}
	if len(ids) != 2 || ids[0] != "1" || ids[1] != "2" {
		t.Errorf("ids = %v, want [1 2]", ids)
	}
	if sub.Untyped().Topic() != "foo" {
		t.Errorf("Topic() = %q, want foo", sub.Untyped().Topic())
	}
	select {
	case <-sub.Done():
	default:
		t.Error("breaking out of All did not end the typed subscription")
	}
}

func TestSubscribeTopicsKeepsPublishOrder(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	mem := memOf(t, p)
	sub, err := p.SubscribeTopics(ctx, []string{"a:", "b:", "a:"})
	if err != nil {
		t.Fatal(err)
	}
	if sub.Topic() != "a:" {
		t.Errorf("Topic() = %q, want a:", sub.Topic())
	}
	for i := range 100 {
		typ := "a"
		if i%2 == 1 {
			typ = "b"
		}
		p.Publish(ctx, typ, "", i)
	}
	got := pending(sub)
	if len(got) != 100 {
		t.Fatalf("read %d envelopes, want 100", len(got))
	}
	for i, env := range got {
		if env.Payload != i {
			t.Fatalf("envelope %d has payload %v, want %d", i, env.Payload, i)
		}
	}
	sub.Close()
	if n := mem.Handlers("a:") + mem.Handlers("b:"); n != 0 {
		t.Errorf("handlers of a: and b: = %d after Close, want 0", n)
	}
}

func TestSubscribeTypeOnMemory(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	sub, err := p.SubscribeType(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	p.Publish(ctx, "a", "1", 1)
	p.Publish(ctx, "a", "", 2)
	p.Publish(ctx, "a", "x:y", 3)
	p.Publish(ctx, "ab", "1", 4)
	p.Publish(ctx, "a:x", "y", 5)
	got := pending(sub)
	if len(got) != 3 {
		t.Fatalf("type-wide subscription received %d envelopes, want 3: %v", len(got), got)
	}
	for i, env := range got {
		if env.Payload != i+1 {
			t.Errorf("envelope %d payload = %v, want %d", i, env.Payload, i+1)
		}
	}
}

// topicOnly is a transport without type-wide subscriptions.
type topicOnly struct{ Transport }

func TestSubscribeTypeUnsupported(t *testing.T) {
	mem := NewMemoryTransport(MemoryOptions{})
	defer mem.Close()
	p := newPubSub(t, WithTransport(topicOnly{mem}))
	if _, err := p.SubscribeType(context.Background(), "a"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("SubscribeType = %v, want ErrUnsupported", err)
	}
}

func TestRawPayloadOverJSONRoundTrip(t *testing.T) {
	ctx := context.Background()
	mem := NewMemoryTransport(MemoryOptions{JSONRoundTrip: true})
	defer mem.Close()
	p := newPubSub(t, WithTransport(mem))
	sub, _ := p.Subscribe(ctx, "a", "1")
	p.Publish(ctx, "a", "1", map[string]int{"n": 1})
	env := next(t, sub)
	raw, ok := env.Payload.(json.RawMessage)
	if !ok || string(raw) != `{"n":1}` {
		t.Errorf("payload = %#v, want json.RawMessage {\"n\":1}", env.Payload)
	}
}

package pubsubtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/internal/leakcheck"
)

// concurrency: 8 publishers while 8 goroutines subscribe and unsubscribe other topics; every
// persistent handler receives every event exactly once.
func (s *suite) concurrency(t *testing.T) {
	const publishers, events, churners = 8, 500, 8
	p := s.pair(t)

	type key struct{ pub, seq int }
	var overlaps, inflight atomic.Int32
	recs := []*recorder{newRecorder(), newRecorder()}
	for _, r := range recs {
		subscribe(t, p, "load:1", func(env pubsub.Envelope) {
			if inflight.Add(1) > 1 {
				overlaps.Add(1)
			}
			r.handle(env)
			inflight.Add(-1)
		})
	}

	stop := make(chan struct{})
	var churn sync.WaitGroup
	stopChurn := sync.OnceFunc(func() {
		close(stop)
		churn.Wait()
	})
	defer stopChurn()
	for g := range churners {
		churn.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				topic := fmt.Sprintf("churn%d:%d", g, i%4)
				unsub, err := p.Sub.Subscribe(context.Background(), topic, func(pubsub.Envelope) {})
				if err != nil {
					t.Errorf("Subscribe %s: %v", topic, err)
					return
				}
				unsub()
			}
		})
	}

	var pubs sync.WaitGroup
	for pub := range publishers {
		pubs.Go(func() {
			for seq := range events {
				env := pubsub.Envelope{Type: "load", ID: "1", Payload: fmt.Sprintf("%d/%d", pub, seq)}
				if err := p.Pub.Publish(context.Background(), env); err != nil {
					t.Errorf("Publish: %v", err)
					return
				}
			}
		})
	}
	pubs.Wait()
	marker := publishMarker(t, p.Pub, "load", "1")
	for i, r := range recs {
		got := r.untilMarker(t, marker)
		seen := make(map[string]int, len(got))
		for _, env := range got {
			v, _ := pubsub.DecodePayload[string](env)
			seen[v]++
		}
		if len(got) != publishers*events || len(seen) != publishers*events {
			t.Errorf("handler %d received %d envelopes (%d distinct), want %d each once",
				i, len(got), len(seen), publishers*events)
		}
	}
	stopChurn()
	if n := overlaps.Load(); !s.feat.ConcurrentHandlers && n > 0 {
		t.Errorf("%d handler calls overlapped on a transport with one delivery goroutine", n)
	}
}

// reentrancy: a handler that publishes, subscribes and unsubscribes itself on its own
// transport does not deadlock.
func (s *suite) reentrancy(t *testing.T) {
	p := s.pair(t)
	ctx := ctxTimeout(t)
	done := make(chan error, 1)
	var once sync.Once
	var unsub func()
	var unsubMu sync.Mutex
	h := func(pubsub.Envelope) {
		once.Do(func() {
			err := p.Sub.Publish(ctx, pubsub.Envelope{Type: "reentrant", ID: "out"})
			if errors.Is(err, pubsub.ErrNotConnected) {
				err = nil
			}
			if err == nil {
				var u func()
				u, err = p.Sub.Subscribe(ctx, "reentrant:other", func(pubsub.Envelope) {})
				if err == nil {
					u()
				}
			}
			unsubMu.Lock()
			unsub()
			unsubMu.Unlock()
			done <- err
		})
	}

	unsubMu.Lock()
	unsub = subscribe(t, p, "reentrant:1", h)
	unsubMu.Unlock()

	mustPublish(t, p.Pub, pubsub.Envelope{Type: "reentrant", ID: "1"})
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("calls from inside the handler: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("handler calling its own transport did not finish: deadlock")
	}
}

// handlerPanic: a panicking handler stops neither the other handler nor the transport.
func (s *suite) handlerPanic(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "panic:1", func(pubsub.Envelope) { panic("pubsubtest: deliberate panic") })
	subscribe(t, p, "panic:1", rec.handle)
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "panic", ID: "1", Payload: 1})
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "panic", ID: "1", Payload: 2})
	if got := rec.untilMarker(t, publishMarker(t, p.Pub, "panic", "1")); len(got) != 2 {
		t.Errorf("the other handler received %d envelopes, want 2", len(got))
	}
}

// typeWide: SubscribeType receives every id of its type and nothing of other types.
func (s *suite) typeWide(t *testing.T) {
	p := s.pair(t)
	ctx := ctxTimeout(t)
	ts, ok := p.Sub.(pubsub.TypeSubscriber)
	if !s.feat.TypeWide {
		ps := pubsub.New(pubsub.WithTransport(p.Sub))
		defer ps.Close()
		if _, err := ps.SubscribeType(ctx, "a"); !errors.Is(err, pubsub.ErrUnsupported) {
			t.Errorf("PubSub.SubscribeType = %v, want ErrUnsupported", err)
		}
		return
	}
	if !ok {
		t.Fatalf("%T declares TypeWide but does not implement pubsub.TypeSubscriber", p.Sub)
	}
	rec := newRecorder()
	unsub, err := ts.SubscribeType(ctx, "a", rec.handle)
	if err != nil {
		t.Fatalf("SubscribeType: %v", err)
	}
	defer unsub()
	settle(t, p, "a", true)

	for _, env := range []pubsub.Envelope{
		{Type: "a", ID: "1", Payload: 1},
		{Type: "ab", ID: "1", Payload: -1},
		{Type: "a", ID: "", Payload: 2},
		{Type: "a:x", ID: "y", Payload: -2},
		{Type: "a", ID: "x:y", Payload: 3},
	} {
		mustPublish(t, p.Pub, env)
	}
	got := rec.untilMarker(t, publishMarker(t, p.Pub, "a", "end"))
	if len(got) != 3 {
		t.Fatalf("type-wide handler received %d envelopes, want 3", len(got))
	}
	for i, env := range got {
		if v, err := pubsub.DecodePayload[int](env); err != nil || v != i+1 {
			t.Errorf("envelope %d = %s:%s payload %v, want payload %d", i, env.Type, env.ID, env.Payload, i+1)
		}
	}
	if _, err := ts.SubscribeType(ctx, "__a", rec.handle); !errors.Is(err, pubsub.ErrReservedType) {
		t.Errorf("SubscribeType(__a) = %v, want ErrReservedType", err)
	}
}

// reconnect: a handler registered before a dropped link receives publishes after the link is
// back, with no new Subscribe call.
func (s *suite) reconnect(t *testing.T) {
	if !s.feat.Reconnect {
		t.Skip("the transport does not reconnect (Features.Reconnect is false)")
	}
	p := s.pair(t)
	if p.Drop == nil || p.Up == nil {
		t.Fatal("Features.Reconnect is set but Pair.Drop or Pair.Up is nil")
	}
	rec := newRecorder()
	subscribe(t, p, "re:1", rec.handle)
	losses := 0
	if p.LinkLosses != nil {
		losses = p.LinkLosses()
	}

	p.Drop()
	if err := p.Up(ctxTimeout(t)); err != nil {
		t.Fatalf("Up: %v", err)
	}
	settle(t, p, "re:1", true)
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "re", ID: "1", Payload: 1})
	got := rec.waitUntil(t, "a publish after reconnect", func(e []pubsub.Envelope) bool { return len(e) >= 1 })
	if v, err := pubsub.DecodePayload[int](got[0]); err != nil || v != 1 {
		t.Errorf("payload after reconnect = %v, want 1", got[0].Payload)
	}
	if p.LinkLosses != nil && p.LinkLosses() <= losses {
		t.Errorf("LinkLosses() = %d after Drop, want more than %d", p.LinkLosses(), losses)
	}
}

// close: Close is idempotent, later calls fail with ErrClosed, unsubscribe funcs are no-ops,
// no handler runs after Close returned and no goroutine remains.
func (s *suite) close(t *testing.T) {
	p := s.pair(t)
	marker := leakMarker(p.Sub)
	var closed atomic.Bool
	var late atomic.Int32
	unsub := subscribe(t, p, "c:1", func(pubsub.Envelope) {
		if closed.Load() {
			late.Add(1)
		}
	})

	stop := make(chan struct{})
	var pubs sync.WaitGroup
	pubs.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if p.Pub.Publish(context.Background(), pubsub.Envelope{Type: "c", ID: "1"}) != nil {
				time.Sleep(time.Millisecond)
			}
		}
	})
	time.Sleep(20 * time.Millisecond)

	for i := range 2 {
		if err := p.Sub.Close(); err != nil {
			t.Errorf("Sub.Close call %d = %v, want nil", i+1, err)
		}
	}
	closed.Store(true)
	time.Sleep(quietPeriod)
	close(stop)
	pubs.Wait()
	if n := late.Load(); n != 0 {
		t.Errorf("handler ran %d times after Close returned", n)
	}

	ctx := ctxTimeout(t)
	for i := range 2 {
		if err := p.Pub.Close(); err != nil {
			t.Errorf("Pub.Close call %d = %v, want nil", i+1, err)
		}
	}
	if err := p.Pub.Publish(ctx, pubsub.Envelope{Type: "c", ID: "1"}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := p.Sub.Subscribe(ctx, "c:2", func(pubsub.Envelope) {}); !errors.Is(err, pubsub.ErrClosed) {
		t.Errorf("Subscribe after Close = %v, want ErrClosed", err)
	}
	if ts, ok := p.Sub.(pubsub.TypeSubscriber); ok {
		if _, err := ts.SubscribeType(ctx, "c", func(pubsub.Envelope) {}); !errors.Is(err, pubsub.ErrClosed) {
			t.Errorf("SubscribeType after Close = %v, want ErrClosed", err)
		}
	}
	unsub()
	unsub()

	if p.Close != nil {
		p.Close()
	}
	leakcheck.Check(t, marker)
}

// pubSubOverPair: a PubSub subscribing over Sub and one publishing over Pub deliver exactly
// once per subscriber, isolate topics, and remove the handler when the loop is left.
func (s *suite) pubSubOverPair(t *testing.T) {
	p := s.pair(t)
	ctx := ctxTimeout(t)
	psSub := pubsub.New(pubsub.WithTransport(p.Sub))
	defer psSub.Close()
	psPub := pubsub.New(pubsub.WithTransport(p.Pub))
	defer psPub.Close()

	first, err := psSub.Subscribe(ctx, "ps", "1")
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	second, err := psSub.Subscribe(ctx, "ps", "1")
	if err != nil {
		t.Fatalf("second Subscribe: %v", err)
	}
	settle(t, p, "ps:1", true)

	publish := func(typ, id string, payload any) {
		t.Helper()
		if err := psPub.Publish(ctx, typ, id, payload); err != nil {
			t.Fatalf("Publish %s:%s: %v", typ, id, err)
		}
	}
	publish("ps", "2", "other id")
	publish("qs", "1", "other type")
	publish("ps", "1", sample{N: 4, S: "p"})
	publish("ps", "1", "last")

	for i, sub := range []*Subscription{first, second} {
		env, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("subscription %d Next: %v", i, err)
		}
		if env.Type != "ps" || env.ID != "1" {
			t.Errorf("subscription %d got %s:%s, want ps:1", i, env.Type, env.ID)
		}
		if v, err := pubsub.DecodePayload[sample](env); err != nil || v != (sample{N: 4, S: "p"}) {
			t.Errorf("subscription %d payload = %v (%v), want {4 p}", i, env.Payload, err)
		}
		env, err = sub.Next(ctx)
		if err != nil {
			t.Fatalf("subscription %d second Next: %v", i, err)
		}
		if v, _ := pubsub.DecodePayload[string](env); v != "last" {
			t.Errorf("subscription %d second payload = %v, want last", i, env.Payload)
		}
	}

	publish("ps", "1", "to leave the loop")
	for range first.All() {
		break
	}
	second.Close()
	settle(t, p, "ps:1", false)
	select {
	case <-first.Done():
	default:
		t.Error("leaving the loop did not end the subscription")
	}

	watch, err := psSub.Subscribe(ctx, "watch", "1")
	if err != nil {
		t.Fatalf("Subscribe watch: %v", err)
	}
	settle(t, p, "watch:1", true)
	publish("ps", "1", "after close")
	publish("watch", "1", "marker")
	if _, err := watch.Next(ctx); err != nil {
		t.Fatalf("watch Next: %v", err)
	}
	if env, ok := <-first.C(); ok {
		t.Errorf("closed subscription buffered %v", env)
	}
}

// Subscription is pubsub.Subscription, named here to keep the checks short.
type Subscription = pubsub.Subscription

// ender: after Close, an Ender's Done is closed and Err is nil.
func (s *suite) ender(t *testing.T) {
	p := s.pair(t)
	for _, tr := range []pubsub.Transport{p.Sub, p.Pub} {
		e, ok := tr.(pubsub.Ender)
		if !ok {
			continue
		}
		tr.Close()
		select {
		case <-e.Done():
		case <-time.After(waitTimeout):
			t.Fatalf("%T: Done not closed after Close", tr)
		}
		if err := e.Err(); err != nil {
			t.Errorf("%T: Err() after Close = %v, want nil", tr, err)
		}
	}
}

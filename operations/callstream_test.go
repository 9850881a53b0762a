package operations

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func subscribeRemote(t *testing.T, m *PendingRequestMap, o SubscribeOptions) *CallStream {
	t.Helper()
	s, err := m.Subscribe(context.Background(), "test.stream", map[string]any{}, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func respondN(t *testing.T, m *PendingRequestMap, id string, n int) {
	t.Helper()
	for i := range n {
		if err := m.Respond(context.Background(), id, LocalEnvelope(i, "test.stream")); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCallStreamItemsInOrder(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	respondN(t, m, "req-1", 3)
	_ = m.Complete(context.Background(), "req-1")
	items, err := drain(t, s)
	if err != nil || len(items) != 3 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	for i, env := range items {
		assertJSON(t, env.Data, fmt.Sprint(i))
	}
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestCallStreamEarlyStopAborts(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	s := subscribeRemote(t, m, SubscribeOptions{})
	respondN(t, m, "req-1", 2)
	for range s.All() {
		break
	}
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestCallStreamError(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	_ = m.EmitError(context.Background(), "req-1", "CUSTOM_ERROR", "bad", nil)
	_, err := drain(t, s)
	assertCode(t, err, "CUSTOM_ERROR")
}

func TestCallStreamAbortedOnBus(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	_ = ps.Publish(context.Background(), EventCallAborted, "", CallAborted{RequestID: "req-1"})
	if _, err := drain(t, s); err != nil {
		t.Errorf("err = %v, want normal end", err)
	}
}

func TestCallStreamIdleTimeout(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	s := subscribeRemote(t, m, SubscribeOptions{IdleTimeout: 80 * time.Millisecond})
	_, err := drain(t, s)
	ce := assertCode(t, err, CodeTimeout)
	if ce.Message != "Subscription req-1 timed out (idle after 80ms)" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"idleTimeout":80}`)
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
}

func TestCallStreamIdleTimerResets(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{IdleTimeout: 150 * time.Millisecond})
	go func() {
		for i := range 3 {
			time.Sleep(50 * time.Millisecond)
			_ = m.Respond(context.Background(), "req-1", LocalEnvelope(i, "test.stream"))
		}
		_ = m.Complete(context.Background(), "req-1")
	}()
	items, err := drain(t, s)
	if err != nil || len(items) != 3 {
		t.Errorf("%d items, %v", len(items), err)
	}
}

func TestCallStreamAbort(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	if m.PendingCount() != 1 {
		t.Errorf("live stream count = %d", m.PendingCount())
	}
	if !m.Abort("req-1") {
		t.Error("Abort returned false")
	}
	if _, err := drain(t, s); err != nil {
		t.Errorf("err = %v", err)
	}
	if m.PendingCount() != 0 {
		t.Errorf("count after abort = %d", m.PendingCount())
	}
}

func TestCallStreamLateFirstItem(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	time.AfterFunc(50*time.Millisecond, func() {
		_ = m.Respond(context.Background(), "req-1", LocalEnvelope("late", "test.stream"))
		_ = m.Complete(context.Background(), "req-1")
	})
	items, err := drain(t, s)
	if err != nil || len(items) != 1 {
		t.Errorf("%d items, %v", len(items), err)
	}
}

func TestCallStreamOrderingUnderLoad(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	for round := 1; round <= 200; round++ {
		s := subscribeRemote(t, m, SubscribeOptions{})
		id := fmt.Sprintf("req-%d", round)
		done := make(chan []*ResponseEnvelope)
		go func() {
			items, err := drain(t, s)
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
			done <- items
		}()
		for i := range 100 {
			_ = ps.Publish(context.Background(), EventCallResponded, "",
				CallResponded{RequestID: id, Output: LocalEnvelope(i, "test.stream")})
		}
		_ = ps.Publish(context.Background(), EventCallCompleted, "", CallCompleted{RequestID: id})
		if items := <-done; len(items) != 100 {
			t.Fatalf("round %d: %d items, want 100", round, len(items))
		}
	}
}

func TestCallStreamOverflow(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()), WithStreamBuffer(4))
	aborted := newTap(t, ps, EventCallAborted)
	s := subscribeRemote(t, m, SubscribeOptions{})
	respondN(t, m, "req-1", 10)
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })

	items, err := drain(t, s)
	if len(items) != 4 {
		t.Errorf("%d buffered items delivered, want 4", len(items))
	}
	ce := assertCode(t, err, CodeAborted)
	if ce.Message != "Subscription req-1 overflowed its buffer of 4 items" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"bufferSize":4}`)

	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	_ = m.Respond(context.Background(), "req-2", LocalEnvelope("ok", "test.op"))
	if r := receive(t, ch); r.err != nil {
		t.Errorf("concurrent call failed: %v", r.err)
	}
}

func TestCallStreamIdleAfterBufferedItems(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{IdleTimeout: 50 * time.Millisecond})
	respondN(t, m, "req-1", 2)
	<-s.Done()
	items, err := drain(t, s)
	if len(items) != 2 {
		t.Errorf("%d items", len(items))
	}
	assertCode(t, err, CodeTimeout)
}

func TestCallStreamPublishesEagerly(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	capture := newCapture(t, ps)
	subscribeRemote(t, m, SubscribeOptions{IdleTimeout: 1500 * time.Millisecond})
	waitFor(t, "call.requested", func() bool { return len(capture.all()) == 1 })
	req := capture.all()[0]
	if req.IdleTimeout != 1500 || req.Deadline != 0 || req.OperationID != "test.stream" {
		t.Errorf("request = %+v", req)
	}
}

func TestCallStreamContextEnds(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := m.Subscribe(ctx, "test.stream", nil, SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	respondN(t, m, "req-1", 1)
	cancel()
	_, err = drain(t, s)
	assertCode(t, err, CodeAborted)
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
}

func TestCallStreamNextContext(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	s := subscribeRemote(t, m, SubscribeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.Next(ctx); err != context.DeadlineExceeded {
		t.Errorf("Next err = %v", err)
	}
	respondN(t, m, "req-1", 1)
	if env, err := s.Next(context.Background()); err != nil || env == nil {
		t.Errorf("stream not live after Next timeout: %v", err)
	}
	_ = s.Close()
}

func TestCallStreamCompleteAfterItem(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	completed := newTap(t, ps, EventCallCompleted)
	s := subscribeRemote(t, m, SubscribeOptions{})
	respondN(t, m, "req-1", 1)
	_ = m.Complete(context.Background(), "req-1")
	items, err := drain(t, s)
	if err != nil || len(items) != 1 {
		t.Errorf("%d items, %v", len(items), err)
	}
	waitFor(t, "call.completed", func() bool { return completed.count("req-1") == 1 })
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

package callgraph

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/storage"
)

// recordingSink keeps every snapshot the tap enqueues.
type recordingSink struct {
	mu     sync.Mutex
	writes []storage.CallNodeWrite
}

func (s *recordingSink) Enqueue(n storage.CallNodeWrite) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, n)
	return true
}

// last returns the latest snapshot of a request, waiting for count
// snapshots of it to arrive.
func (s *recordingSink) last(t *testing.T, requestID string, count int) storage.CallNodeWrite {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		var got []storage.CallNodeWrite
		for _, w := range s.writes {
			if w.RequestID == requestID {
				got = append(got, w)
			}
		}
		s.mu.Unlock()
		if len(got) >= count {
			return got[len(got)-1]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d snapshots of %s", count, requestID)
	return storage.CallNodeWrite{}
}

func newTap(t *testing.T, specs map[string]operations.OperationSpec) (*pubsub.PubSub, *recordingSink) {
	t.Helper()
	bus := pubsub.New()
	sink := &recordingSink{}
	tap := New(Options{
		Bus:  bus,
		Sink: sink,
		LookupSpec: func(id string) (operations.OperationSpec, bool) {
			s, ok := specs[id]
			return s, ok
		},
	})
	if err := tap.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		tap.Close()
		_ = bus.Close()
	})
	return bus, sink
}

func publish(t *testing.T, bus *pubsub.PubSub, eventType string, payload any) {
	t.Helper()
	if err := bus.Publish(context.Background(), eventType, "", payload); err != nil {
		t.Fatal(err)
	}
}

func TestTapRecordsUnaryCall(t *testing.T) {
	bus, sink := newTap(t, map[string]operations.OperationSpec{"math.add": {Type: operations.TypeQuery}})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{
		RequestID: "r1", OperationID: "math.add", Input: json.RawMessage(`{"a":1}`),
		Identity: &operations.Identity{ID: "acct", Scopes: []string{}},
		Metadata: map[string]any{"sessionId": "s1"},
	})
	pending := sink.last(t, "r1", 1)
	if pending.Status != storage.CallPending || pending.OperationRef != "math.add" || pending.RootRequestID != "r1" {
		t.Errorf("pending snapshot = %+v", pending)
	}
	if pending.CallerAccountID != "acct" || pending.SessionID != "s1" {
		t.Errorf("caller %q session %q, want acct and s1", pending.CallerAccountID, pending.SessionID)
	}
	if pending.Input == nil || string(pending.Input.V) != `{"a":1}` {
		t.Errorf("input = %v", pending.Input)
	}

	publish(t, bus, operations.EventCallResponded, operations.CallResponded{
		RequestID: "r1", Output: operations.LocalEnvelope(map[string]any{"sum": 1}, "math.add"),
	})
	done := sink.last(t, "r1", 2)
	if done.Status != storage.CallCompleted || done.CompletedAt == nil || done.ResponseCount != 1 {
		t.Errorf("completed snapshot = %+v", done)
	}

	// A terminal node never changes status.
	publish(t, bus, operations.EventCallAborted, operations.CallAborted{RequestID: "r1"})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{RequestID: "r2", OperationID: "math.add"})
	sink.last(t, "r2", 1)
	if got := sink.last(t, "r1", 2); got.Status != storage.CallCompleted {
		t.Errorf("status after a late call.aborted = %s, want completed", got.Status)
	}
}

func TestTapCountsStreamItems(t *testing.T) {
	bus, sink := newTap(t, map[string]operations.OperationSpec{"clock.ticks": {Type: operations.TypeSubscription}})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{RequestID: "s", OperationID: "clock.ticks"})
	for i := range 3 {
		publish(t, bus, operations.EventCallResponded, operations.CallResponded{
			RequestID: "s", Output: operations.LocalEnvelope(i, "clock.ticks"),
		})
	}
	mid := sink.last(t, "s", 4)
	if mid.Status != storage.CallPending || mid.ResponseCount != 3 {
		t.Errorf("after three items: status %s, count %d; want pending, 3", mid.Status, mid.ResponseCount)
	}
	publish(t, bus, operations.EventCallCompleted, operations.CallCompleted{RequestID: "s"})
	if end := sink.last(t, "s", 5); end.Status != storage.CallCompleted {
		t.Errorf("after call.completed: %s", end.Status)
	}
}

func TestTapRecordsErrorsAndParents(t *testing.T) {
	bus, sink := newTap(t, map[string]operations.OperationSpec{})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{RequestID: "root", OperationID: "hub.call"})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{
		RequestID: "child", OperationID: "x.y", ParentRequestID: "root",
	})
	publish(t, bus, operations.EventCallError, operations.CallErrorEvent{
		RequestID: "child", Code: "OPERATION_NOT_FOUND", Message: "Operation not found: x.y",
	})
	child := sink.last(t, "child", 2)
	if child.Status != storage.CallFailed || child.ParentRequestID != "root" || child.RootRequestID != "root" {
		t.Errorf("child = %+v", child)
	}
	var e map[string]any
	if child.Error == nil || json.Unmarshal(child.Error.V, &e) != nil || e["code"] != "OPERATION_NOT_FOUND" {
		t.Errorf("error document = %v", child.Error)
	}
}

func TestTapRedactsSensitiveInput(t *testing.T) {
	bus, sink := newTap(t, map[string]operations.OperationSpec{
		"keys.set": {Type: operations.TypeMutation, Tags: []string{"sensitive"}},
	})
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{
		RequestID: "k", OperationID: "keys.set", Input: json.RawMessage(`{"secret":"x"}`),
	})
	got := sink.last(t, "k", 1)
	if got.Input != nil {
		t.Errorf("sensitive input stored: %s", got.Input.V)
	}
	if got.Metadata["inputRedacted"] != true {
		t.Errorf("metadata = %v, want inputRedacted", got.Metadata)
	}
}

func TestTapSetSpokeBeforeRequest(t *testing.T) {
	bus := pubsub.New()
	defer bus.Close()
	sink := &recordingSink{}
	tap := New(Options{Bus: bus, Sink: sink, LookupSpec: func(string) (operations.OperationSpec, bool) {
		return operations.OperationSpec{}, false
	}})
	if err := tap.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer tap.Close()

	tap.SetSpoke("r", "spoke-1")
	publish(t, bus, operations.EventCallRequested, operations.CallRequested{RequestID: "r", OperationID: "a.b"})
	if got := sink.last(t, "r", 1); got.SpokeID != "spoke-1" || got.OperationRef != "a.b" {
		t.Errorf("snapshot = %+v, want spoke-1 and a.b", got)
	}
}

func TestTapBoundsMemory(t *testing.T) {
	bus := pubsub.New()
	defer bus.Close()
	sink := &recordingSink{}
	tap := New(Options{Bus: bus, Sink: sink, MaxFinished: 3, MaxPayloadBytes: 16,
		LookupSpec: func(string) (operations.OperationSpec, bool) { return operations.OperationSpec{}, false }})
	if err := tap.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer tap.Close()

	big := json.RawMessage(`{"text":"` + strings.Repeat("x", 100) + `"}`)
	for i := range 5 {
		id := fmt.Sprintf("r%d", i)
		publish(t, bus, operations.EventCallRequested, operations.CallRequested{RequestID: id, OperationID: "a.b", Input: big})
		publish(t, bus, operations.EventCallAborted, operations.CallAborted{RequestID: id})
	}
	first := sink.last(t, "r0", 1)
	if first.Input == nil || !strings.Contains(string(first.Input.V), `"_truncated":true`) {
		t.Errorf("stored input = %v, want a truncation marker", first.Input)
	}
	sink.last(t, "r4", 2)

	if _, ok := tap.Node("r0"); ok {
		t.Error("the oldest finished node is still in memory beyond MaxFinished")
	}
	n, ok := tap.Node("r4")
	if !ok {
		t.Fatal("the newest finished node is gone")
	}
	if n.Input != nil || n.Output != nil {
		t.Error("a finished node keeps its payloads in memory")
	}
}

func TestTapSyncWaitsForEarlierEvents(t *testing.T) {
	bus, sink := newTap(t, map[string]operations.OperationSpec{})
	tap := New(Options{Bus: bus, Sink: sink, LookupSpec: func(string) (operations.OperationSpec, bool) {
		return operations.OperationSpec{}, false
	}})
	if err := tap.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer tap.Close()

	for i := range 200 {
		publish(t, bus, operations.EventCallRequested, operations.CallRequested{
			RequestID: fmt.Sprintf("s%d", i), OperationID: "a.b",
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tap.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := tap.Node("s199"); !ok {
		t.Error("Sync returned before the tap handled an earlier event")
	}
	if _, ok := tap.Node(syncMarker + "1"); ok {
		t.Error("the sync marker became a call-graph node")
	}
}

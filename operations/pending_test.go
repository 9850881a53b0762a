package operations

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// sequentialIDs returns a generator of "req-1", "req-2", …
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("req-%d", n.Add(1)) }
}

func TestPendingCountEmptyAndClosed(t *testing.T) {
	m := newPending(t, newBus(t))
	if m.PendingCount() != 0 {
		t.Errorf("new map count = %d", m.PendingCount())
	}
	_ = m.Close()
	if m.PendingCount() != 0 {
		t.Errorf("closed map count = %d", m.PendingCount())
	}
}

func TestPendingCallResolvedByRespond(t *testing.T) {
	tests := []struct {
		name string
		env  *ResponseEnvelope
		want string
	}{
		{"local", LocalEnvelope(map[string]any{"result": "world"}, "test.op"), `{"result":"world"}`},
		{"http", HTTPEnvelope(map[string]any{"status": "ok"}, HTTPMeta{StatusCode: 200}), `{"status":"ok"}`},
		{"mcp", MCPEnvelope("m", MCPMeta{}), `"m"`},
		{"number", LocalEnvelope(42, "test.op"), `42`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := newBus(t)
			m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
			ch := callAsync(m, context.Background(), "test.op", CallOptions{})
			waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
			if err := m.Respond(context.Background(), "req-1", tc.env); err != nil {
				t.Fatal(err)
			}
			r := receive(t, ch)
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.env.Meta.Source() != tc.env.Meta.Source() {
				t.Errorf("source = %s", r.env.Meta.Source())
			}
			if tc.name == "http" && r.env.Meta.(*HTTPMeta).StatusCode != 200 {
				t.Error("status code lost")
			}
			assertJSON(t, r.env.Data, tc.want)
			if m.PendingCount() != 0 {
				t.Errorf("count after response = %d", m.PendingCount())
			}
		})
	}
}

func TestPendingRespondRejectsNonEnvelope(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps)
	responded := newTap(t, ps, EventCallResponded)
	for name, env := range map[string]*ResponseEnvelope{"nil": nil, "nil meta": {Data: 1}} {
		err := m.Respond(context.Background(), "x", env)
		if !errors.Is(err, ErrNotEnvelope) || !strings.Contains(err.Error(), "requires a ResponseEnvelope") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if responded.total() != 0 {
		t.Error("something was published")
	}
}

func TestPendingEmitErrorFailsCall(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	_ = m.EmitError(context.Background(), "req-1", "CUSTOM_ERROR", "Something went wrong", nil)
	ce := assertCode(t, receive(t, ch).err, "CUSTOM_ERROR")
	if ce.Message != "Something went wrong" {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestPendingAbortCall(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	if !m.Abort("req-1") {
		t.Error("Abort returned false")
	}
	ce := assertCode(t, receive(t, ch).err, CodeAborted)
	if ce.Message != "Request req-1 was aborted" {
		t.Errorf("message = %q", ce.Message)
	}
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
	if m.Abort("req-1") {
		t.Error("second Abort returned true")
	}
}

func TestPendingDeadline(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	deadline := time.Now().Add(50 * time.Millisecond)
	_, err := m.Call(context.Background(), "test.op", nil, CallOptions{Deadline: deadline})
	ce := assertCode(t, err, CodeTimeout)
	if ce.Message != "Request req-1 timed out" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, fmt.Sprintf(`{"deadline":%d}`, deadline.UnixMilli()))
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestPendingDeadlineInPast(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	requests := newTap(t, ps, EventCallRequested)
	_, err := m.Call(context.Background(), "test.op", nil, CallOptions{Deadline: time.Now().Add(-time.Second)})
	ce := assertCode(t, err, CodeTimeout)
	if ce.Message != "Request req-1 timed out" {
		t.Errorf("message = %q", ce.Message)
	}
	if requests.total() != 0 {
		t.Error("call.requested was published")
	}
}

func TestPendingCountsCalls(t *testing.T) {
	m := newPending(t, newBus(t), WithIDGenerator(sequentialIDs()))
	a := callAsync(m, context.Background(), "test.op", CallOptions{})
	b := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "two pending calls", func() bool { return m.PendingCount() == 2 })
	_ = m.Respond(context.Background(), "req-1", LocalEnvelope(1, "test.op"))
	_ = m.Respond(context.Background(), "req-2", LocalEnvelope(2, "test.op"))
	receive(t, a)
	receive(t, b)
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestPendingContextCancelled(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	aborted := newTap(t, ps, EventCallAborted)
	ctx, cancel := context.WithCancel(context.Background())
	ch := callAsync(m, ctx, "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	cancel()
	err := receive(t, ch).err
	assertCode(t, err, CodeAborted)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v does not wrap context.Canceled", err)
	}
	waitFor(t, "call.aborted", func() bool { return aborted.count("req-1") == 1 })
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestPendingContextDeadline(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	capture := newCapture(t, ps)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	ctxDeadline, _ := ctx.Deadline()
	_, err := m.Call(ctx, "test.op", nil, CallOptions{})
	assertCode(t, err, CodeTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v does not wrap DeadlineExceeded", err)
	}
	reqs := capture.all()
	if len(reqs) != 1 || reqs[0].Deadline != ctxDeadline.UnixMilli() {
		t.Errorf("published deadline %v, want %d", reqs, ctxDeadline.UnixMilli())
	}
}

func TestPendingCallerRequestID(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps)
	capture := newCapture(t, ps)
	ch := callAsync(m, context.Background(), "test.op", CallOptions{RequestID: "r-1"})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	_, err := m.Call(context.Background(), "test.op", nil, CallOptions{RequestID: "r-1"})
	assertCode(t, err, CodeConflict)
	_ = m.Respond(context.Background(), "r-1", LocalEnvelope(nil, "test.op"))
	receive(t, ch)
	reqs := capture.all()
	if len(reqs) != 1 || reqs[0].RequestID != "r-1" {
		t.Errorf("published requests = %+v", reqs)
	}
}

func TestPendingCloseFailsCalls(t *testing.T) {
	ps := newBus(t)
	baseline := runtime.NumGoroutine()
	m, err := NewPendingRequestMap(ps, WithIDGenerator(sequentialIDs()))
	if err != nil {
		t.Fatal(err)
	}
	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	_ = m.Close()
	err = receive(t, ch).err
	assertCode(t, err, CodeAborted)
	if !errors.Is(err, ErrClosed) {
		t.Errorf("err %v does not wrap ErrClosed", err)
	}
	waitFor(t, "goroutines back to baseline", func() bool { return runtime.NumGoroutine() <= baseline })
}

func TestPendingInvalidOutput(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	payload := map[string]any{"requestId": "req-1", "output": map[string]any{"data": 1}}
	if err := ps.Publish(context.Background(), EventCallResponded, "", payload); err != nil {
		t.Fatal(err)
	}
	ce := assertCode(t, receive(t, ch).err, CodeExecution)
	if ce.Message != "Invalid response for request req-1: output is not a ResponseEnvelope" {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestPendingCompleteOnCall(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps, WithIDGenerator(sequentialIDs()))
	ch := callAsync(m, context.Background(), "test.op", CallOptions{})
	waitFor(t, "pending call", func() bool { return m.PendingCount() == 1 })
	_ = m.Complete(context.Background(), "req-1")
	ce := assertCode(t, receive(t, ch).err, CodeAborted)
	if ce.Message != "Request req-1 completed without response" {
		t.Errorf("message = %q", ce.Message)
	}
	if m.PendingCount() != 0 {
		t.Errorf("count = %d", m.PendingCount())
	}
}

func TestPendingCompleteUnknownID(t *testing.T) {
	ps := newBus(t)
	m := newPending(t, ps)
	completed := newTap(t, ps, EventCallCompleted)
	if err := m.Complete(context.Background(), "nonexistent-id"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call.completed", func() bool { return completed.count("nonexistent-id") == 1 })
}

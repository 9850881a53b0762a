package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// serverFixture is a registry served on a bus, with a caller on that bus.
type serverFixture struct {
	ps     *pubsub.PubSub
	r      *Registry
	m      *PendingRequestMap
	server *Server
}

func newServerFixture(t *testing.T, ops []Operation, opts ...ServerOption) *serverFixture {
	t.Helper()
	ps := newBus(t)
	r := NewRegistry()
	mustRegister(t, r, ops...)
	f := &serverFixture{ps: ps, r: r}
	f.server = startServer(t, ps, r, opts...)
	f.m = newPending(t, ps, WithIDGenerator(sequentialIDs()))
	return f
}

func (f *serverFixture) call(t *testing.T, opID string, input any, o CallOptions) (*ResponseEnvelope, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return f.m.Call(ctx, opID, input, o)
}

func unaryOp(id string, h Handler) Operation {
	ns, name, _ := SplitID(id)
	return Operation{
		Spec: OperationSpec{Namespace: ns, Name: name, Type: TypeQuery,
			InputSchema: json.RawMessage(`{}`), OutputSchema: json.RawMessage(`{}`)},
		Handler: h,
	}
}

func returning(v any, err error) Handler {
	return func(context.Context, json.RawMessage, *OperationContext) (any, error) { return v, err }
}

func TestServerCallResults(t *testing.T) {
	echo := unaryOp("test.echo", func(_ context.Context, in json.RawMessage, _ *OperationContext) (any, error) {
		return in, nil
	})
	f := newServerFixture(t, []Operation{
		echo,
		unaryOp("test.voidOp", returning(nil, nil)),
		unaryOp("test.mcp", returning(MCPEnvelope(map[string]any{"structured": true}, MCPMeta{}), nil)),
		unaryOp("test.http", returning(HTTPEnvelope(map[string]any{"items": []int{1, 2, 3}},
			HTTPMeta{StatusCode: 200}), nil)),
	})

	env, err := f.call(t, "test.echo", map[string]any{"value": "hello"}, CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := localMeta(t, env)
	if m.OperationID != "test.echo" || m.Timestamp == 0 {
		t.Errorf("meta = %+v", m)
	}
	assertJSON(t, env.Data, `{"value":"hello"}`)

	env, err = f.call(t, "test.voidOp", nil, CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	if !strings.Contains(string(b), `"data":null`) || localMeta(t, env).OperationID != "test.voidOp" {
		t.Errorf("void result = %s", b)
	}

	env, err = f.call(t, "test.mcp", nil, CallOptions{})
	if err != nil || env.Meta.Source() != "mcp" {
		t.Fatalf("mcp: %v %v", env, err)
	}
	assertJSON(t, env.Data, `{"structured":true}`)

	env, err = f.call(t, "test.http", nil, CallOptions{})
	if err != nil || env.Meta.(*HTTPMeta).StatusCode != 200 {
		t.Fatalf("http: %v %v", env, err)
	}
	assertJSON(t, env.Data, `{"items":[1,2,3]}`)
}

func TestServerCallErrors(t *testing.T) {
	notFound := unaryOp("test.notFound", returning(nil, errors.New("NOT_FOUND: item 42")))
	notFound.Spec.ErrorSchemas = []ErrorDefinition{{Code: "NOT_FOUND"}}
	f := newServerFixture(t, []Operation{
		unaryOp("test.fails", returning(nil, errors.New("handler failed"))),
		unaryOp("test.custom", returning(nil, NewCallError("CUSTOM_CODE", "custom error message", nil))),
		{Spec: unaryOp("test.noHandler", nil).Spec},
		notFound,
	})

	_, err := f.call(t, "test.fails", nil, CallOptions{})
	ce := assertCode(t, err, CodeExecution)
	if ce.Message != "handler failed" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"message":"handler failed"}`)

	_, err = f.call(t, "test.custom", nil, CallOptions{})
	ce = assertCode(t, err, "CUSTOM_CODE")
	if ce.Message != "custom error message" {
		t.Errorf("message = %q", ce.Message)
	}

	_, err = f.call(t, "unknown.op", nil, CallOptions{})
	ce = assertCode(t, err, CodeOperationNotFound)
	assertJSON(t, ce.Details, `{"operationId":"unknown.op"}`)

	_, err = f.call(t, "test.noHandler", nil, CallOptions{})
	assertCode(t, err, CodeOperationNotFound)

	_, err = f.call(t, "test.notFound", nil, CallOptions{})
	ce = assertCode(t, err, "NOT_FOUND")
	if ce.Message != "NOT_FOUND: item 42" {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestServerResourceAccess(t *testing.T) {
	guarded := unaryOp("test.guarded", returning(map[string]any{"ok": true}, nil))
	guarded.Spec.AccessControl = AccessControl{ResourceType: "project", ResourceAction: "read"}
	open := unaryOp("test.open", returning(map[string]any{"ok": true}, nil))
	f := newServerFixture(t, []Operation{guarded, open})

	for name, resources := range map[string]map[string][]string{
		"absent": nil, "empty": {}, "other type": {"document:abc": {"read"}},
		"other action": {"project:abc": {"write"}},
	} {
		_, err := f.call(t, "test.guarded", nil, CallOptions{Identity: &Identity{ID: "u", Resources: resources}})
		if CodeOf(err) != CodeAccessDenied {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	env, err := f.call(t, "test.guarded", nil, CallOptions{
		Identity: &Identity{ID: "u", Resources: map[string][]string{"project:abc": {"read"}}}})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, env.Data, `{"ok":true}`)
	if _, err := f.call(t, "test.open", nil, CallOptions{Identity: &Identity{ID: "u"}}); err != nil {
		t.Errorf("open op: %v", err)
	}
	_, err = f.call(t, "test.guarded", nil, CallOptions{Identity: &Identity{ID: "u",
		Scopes: []string{"some:scope"}, Resources: map[string][]string{"project:xyz": {"read", "write"}}}})
	if err != nil {
		t.Errorf("scoped identity: %v", err)
	}
}

func TestServerOutputCast(t *testing.T) {
	withDefault := unaryOp("test.cast", returning(map[string]any{"name": "test"}, nil))
	withDefault.Spec.OutputSchema = json.RawMessage(
		`{"type":"object","properties":{"name":{"type":"string"},"count":{"type":"number"}},"required":["name","count"]}`)
	open := unaryOp("test.open", returning(map[string]any{"a": 1, "extra": "kept"}, nil))
	f := newServerFixture(t, []Operation{withDefault, open})
	env, err := f.call(t, "test.cast", nil, CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, env.Data, `{"name":"test","count":0}`)
	env, err = f.call(t, "test.open", nil, CallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, env.Data, `{"a":1,"extra":"kept"}`)
}

func TestServerStreams(t *testing.T) {
	admin := streamOp("x")
	admin.Spec.Name = "admin"
	admin.Spec.AccessControl.RequiredScopes = []string{"admin"}
	f := newServerFixture(t, []Operation{streamOp("event1", "event2"), admin})
	completed := newTap(t, f.ps, EventCallCompleted)

	s, err := f.m.Subscribe(context.Background(), "test.stream", map[string]any{}, SubscribeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	items, err := drain(t, s)
	if err != nil || len(items) != 2 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	assertJSON(t, items[0].Data, `"event1"`)
	assertJSON(t, items[1].Data, `"event2"`)
	if localMeta(t, items[0]).OperationID != "test.stream" {
		t.Error("items are not local envelopes of test.stream")
	}
	waitFor(t, "call.completed", func() bool { return completed.count(s.RequestID()) == 1 })
	if f.m.PendingCount() != 0 {
		t.Errorf("count = %d", f.m.PendingCount())
	}

	s, _ = f.m.Subscribe(context.Background(), "test.admin", map[string]any{},
		SubscribeOptions{Identity: &Identity{ID: "u", Scopes: []string{"read"}}})
	_, err = drain(t, s)
	assertCode(t, err, CodeAccessDenied)
}

func TestServerAnswerCounts(t *testing.T) {
	f := newServerFixture(t, []Operation{testOp(), streamOp(1, 2, 3)})
	responded := newTap(t, f.ps, EventCallResponded)
	completed := newTap(t, f.ps, EventCallCompleted)

	if _, err := f.call(t, "test.testOp", map[string]any{"value": "v"}, CallOptions{RequestID: "q-1"}); err != nil {
		t.Fatal(err)
	}
	s, _ := f.m.Subscribe(context.Background(), "test.stream", map[string]any{}, SubscribeOptions{RequestID: "s-1"})
	if _, err := drain(t, s); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "stream answers", func() bool {
		return completed.count("s-1") == 1 && responded.count("s-1") == 3 && responded.count("q-1") == 1
	})
	if n := completed.count("q-1"); n != 0 {
		t.Errorf("query: %d call.completed", n)
	}
	time.Sleep(10 * time.Millisecond)
	if n := responded.count("q-1") + responded.count("s-1"); n != 4 {
		t.Errorf("%d call.responded in total, want 4", n)
	}
}

// blockingStream yields one item, then waits for ctx; it reports its
// cleanup on cleaned.
func blockingStream(cleaned chan<- struct{}) Operation {
	op := streamOp()
	op.Spec.Name = "blocking"
	op.Stream = func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			defer close(cleaned)
			if !yield("first", nil) {
				return
			}
			<-ctx.Done()
			yield("after abort", nil)
		}, nil
	}
	return op
}

func TestServerAbortStopsStream(t *testing.T) {
	cleaned := make(chan struct{})
	f := newServerFixture(t, []Operation{blockingStream(cleaned)})
	responded := newTap(t, f.ps, EventCallResponded)
	completed := newTap(t, f.ps, EventCallCompleted)
	s, _ := f.m.Subscribe(context.Background(), "test.blocking", map[string]any{}, SubscribeOptions{RequestID: "s-1"})
	if _, err := s.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = f.ps.Publish(context.Background(), EventCallAborted, "", CallAborted{RequestID: "s-1"})
	select {
	case <-cleaned:
	case <-time.After(time.Second):
		t.Fatal("stream cleanup did not run")
	}
	waitFor(t, "server idle", func() bool { return f.server.InFlight() == 0 })
	waitFor(t, "first item", func() bool { return responded.count("s-1") >= 1 })
	time.Sleep(20 * time.Millisecond)
	if n := responded.count("s-1"); n != 1 {
		t.Errorf("%d call.responded, want 1", n)
	}
	if completed.count("s-1") != 0 {
		t.Error("call.completed after abort")
	}
}

func TestServerAbortCancelsHandler(t *testing.T) {
	started := make(chan struct{})
	ctxErr := make(chan error, 1)
	op := unaryOp("test.wait", func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (any, error) {
		close(started)
		<-ctx.Done()
		ctxErr <- ctx.Err()
		return "late", nil
	})
	f := newServerFixture(t, []Operation{op})
	responded := newTap(t, f.ps, EventCallResponded)
	errs := newTap(t, f.ps, EventCallError)
	ch := callAsync(f.m, context.Background(), "test.wait", CallOptions{RequestID: "w-1"})
	<-started
	f.m.Abort("w-1")
	if err := <-ctxErr; err != context.Canceled {
		t.Errorf("handler ctx err = %v", err)
	}
	receive(t, ch)
	waitFor(t, "server idle", func() bool { return f.server.InFlight() == 0 })
	time.Sleep(20 * time.Millisecond)
	if responded.count("w-1")+errs.count("w-1") != 0 {
		t.Error("an answer was published after the abort")
	}
}

func TestServerWireDeadline(t *testing.T) {
	type seen struct {
		deadline time.Time
		err      error
	}
	got := make(chan seen, 1)
	op := unaryOp("test.wait", func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (any, error) {
		d, _ := ctx.Deadline()
		<-ctx.Done()
		got <- seen{d, ctx.Err()}
		return nil, ctx.Err()
	})
	f := newServerFixture(t, []Operation{op})
	deadline := time.Now().Add(50 * time.Millisecond)
	_, err := f.m.Call(context.Background(), "test.wait", nil, CallOptions{Deadline: deadline})
	assertCode(t, err, CodeTimeout)
	s := <-got
	if diff := s.deadline.Sub(deadline); diff > time.Millisecond || diff < -time.Millisecond {
		t.Errorf("handler deadline off by %v", diff)
	}
	if s.err != context.DeadlineExceeded {
		t.Errorf("handler ctx err = %v", s.err)
	}
}

func TestServerPastDeadline(t *testing.T) {
	var ran atomic.Bool
	f := newServerFixture(t, []Operation{unaryOp("test.x", func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		ran.Store(true)
		return nil, nil
	})})
	errs := record[CallErrorEvent](t, f.ps, EventCallError)
	req := CallRequested{RequestID: "late-1", OperationID: "test.x", Input: json.RawMessage(`{}`),
		Deadline: time.Now().Add(-time.Second).UnixMilli()}
	_ = f.ps.Publish(context.Background(), EventCallRequested, "", req)
	if p := waitError(t, errs, "late-1"); p.Code != CodeTimeout {
		t.Errorf("call.error = %+v", p)
	}
	if ran.Load() {
		t.Error("handler ran")
	}
}

func TestServerInputValidation(t *testing.T) {
	var ran atomic.Bool
	op := testOp()
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		ran.Store(true)
		return nil, nil
	}
	f := newServerFixture(t, []Operation{op})
	_, err := f.call(t, "test.testOp", map[string]any{}, CallOptions{})
	ce := assertCode(t, err, CodeValidation)
	assertJSON(t, ce.Details, `[{"path":"/value","message":"missing property 'value'"}]`)
	if ran.Load() {
		t.Error("handler ran")
	}
}

func TestServerPanicRecovery(t *testing.T) {
	f := newServerFixture(t, []Operation{
		unaryOp("test.panics", func(context.Context, json.RawMessage, *OperationContext) (any, error) { panic("boom") }),
		testOp(),
	})
	_, err := f.call(t, "test.panics", nil, CallOptions{})
	ce := assertCode(t, err, CodeUnknown)
	if ce.Message != "boom" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"raw":"boom"}`)
	if _, err := f.call(t, "test.testOp", map[string]any{"value": "v"}, CallOptions{}); err != nil {
		t.Errorf("next request: %v", err)
	}
}

func TestServerIgnoresTrustedKey(t *testing.T) {
	admin := unaryOp("test.admin", returning("secret", nil))
	admin.Spec.AccessControl.RequiredScopes = []string{"admin"}
	f := newServerFixture(t, []Operation{admin})
	raw := json.RawMessage(`{"requestId":"forged-1","operationId":"test.admin","input":{},"trusted":true}`)
	errs := record[CallErrorEvent](t, f.ps, EventCallError)
	_ = f.ps.Publish(context.Background(), EventCallRequested, "", raw)
	p := waitError(t, errs, "forged-1")
	if p.Code != CodeAccessDenied {
		t.Errorf("code = %s", p.Code)
	}
}

// waitError waits for the call.error of request id.
func waitError(t *testing.T, errs *recorder[CallErrorEvent], id string) CallErrorEvent {
	t.Helper()
	var found CallErrorEvent
	waitFor(t, "call.error for "+id, func() bool {
		for _, p := range errs.all() {
			if p.RequestID == id {
				found = p
				return true
			}
		}
		return false
	})
	return found
}

func TestServerMaxInFlight(t *testing.T) {
	release := make(chan struct{})
	var started atomic.Int32
	op := unaryOp("test.block", func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (any, error) {
		started.Add(1)
		<-release
		return "done", nil
	})
	f := newServerFixture(t, []Operation{op}, WithMaxInFlight(2))
	a := callAsync(f.m, context.Background(), "test.block", CallOptions{})
	b := callAsync(f.m, context.Background(), "test.block", CallOptions{})
	waitFor(t, "two running handlers", func() bool { return started.Load() == 2 })
	_, err := f.call(t, "test.block", nil, CallOptions{})
	ce := assertCode(t, err, CodeRateLimited)
	if ce.Message != "Server busy: 2 requests in flight" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"limit":2}`)
	close(release)
	receive(t, a)
	receive(t, b)
}

func TestServerIgnoreUnknown(t *testing.T) {
	f := newServerFixture(t, nil, WithIgnoreUnknown(true))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.m.Call(ctx, "unknown.op", nil, CallOptions{})
	assertCode(t, err, CodeTimeout)
}

func TestServerFilter(t *testing.T) {
	f := newServerFixture(t, []Operation{testOp()},
		WithFilter(func(r *CallRequested) bool { return r.Metadata["owner"] == "me" }))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := f.m.Call(ctx, "test.testOp", map[string]any{"value": "v"}, CallOptions{})
	assertCode(t, err, CodeTimeout)
	if _, err := f.call(t, "test.testOp", map[string]any{"value": "v"},
		CallOptions{Metadata: map[string]any{"owner": "me"}}); err != nil {
		t.Errorf("kept request: %v", err)
	}
}

func TestServerAbortBeforeRequest(t *testing.T) {
	var ran atomic.Bool
	f := newServerFixture(t, []Operation{unaryOp("test.x", func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		ran.Store(true)
		return nil, nil
	})})
	_ = f.ps.Publish(context.Background(), EventCallAborted, "", CallAborted{RequestID: "early-1"})
	_ = f.ps.Publish(context.Background(), EventCallRequested, "",
		CallRequested{RequestID: "early-1", OperationID: "test.x", Input: json.RawMessage(`{}`)})
	// A request published after both is served, so the first was processed.
	if _, err := f.call(t, "test.x", nil, CallOptions{}); err != nil {
		t.Fatal(err)
	}
	ran.Store(false)
	time.Sleep(10 * time.Millisecond)
	if ran.Load() {
		t.Error("aborted request ran")
	}
}

func TestServerDuplicateRequest(t *testing.T) {
	var runs atomic.Int32
	release := make(chan struct{})
	f := newServerFixture(t, []Operation{unaryOp("test.x", func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		runs.Add(1)
		<-release
		return nil, nil
	})})
	req := CallRequested{RequestID: "dup-1", OperationID: "test.x", Input: json.RawMessage(`{}`)}
	_ = f.ps.Publish(context.Background(), EventCallRequested, "", req)
	_ = f.ps.Publish(context.Background(), EventCallRequested, "", req)
	waitFor(t, "handler start", func() bool { return runs.Load() >= 1 })
	time.Sleep(20 * time.Millisecond)
	close(release)
	waitFor(t, "server idle", func() bool { return f.server.InFlight() == 0 })
	if n := runs.Load(); n != 1 {
		t.Errorf("handler ran %d times", n)
	}
}

func TestServerShutdownAborts(t *testing.T) {
	handlerCtx := make(chan context.Context, 1)
	op := unaryOp("test.slow", func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (any, error) {
		handlerCtx <- ctx
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
		return "late", nil
	})
	f := newServerFixture(t, []Operation{op})
	ch := callAsync(f.m, context.Background(), "test.slow", CallOptions{RequestID: "slow-1"})
	hctx := <-handlerCtx
	grace, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := f.server.Shutdown(grace); err != context.DeadlineExceeded {
		t.Errorf("Shutdown = %v", err)
	}
	if hctx.Err() == nil {
		t.Error("handler ctx not cancelled")
	}
	ce := assertCode(t, receive(t, ch).err, CodeAborted)
	if ce.Message != "Request slow-1 was aborted: server shutting down" {
		t.Errorf("message = %q", ce.Message)
	}
	if f.server.InFlight() != 0 {
		t.Errorf("InFlight = %d", f.server.InFlight())
	}
}

func TestServerWithEnv(t *testing.T) {
	var innerParent string
	inner := unaryOp("test.inner", func(_ context.Context, _ json.RawMessage, oc *OperationContext) (any, error) {
		innerParent = oc.ParentRequestID
		return nil, nil
	})
	outer := unaryOp("test.outer", func(ctx context.Context, _ json.RawMessage, oc *OperationContext) (any, error) {
		if oc.Env == nil {
			return nil, errors.New("no env")
		}
		_, err := oc.Env.Call(ctx, "test.inner", nil)
		return nil, err
	})
	f := newServerFixture(t, []Operation{inner, outer}, WithEnv())
	if _, err := f.call(t, "test.outer", nil, CallOptions{RequestID: "outer-1"}); err != nil {
		t.Fatal(err)
	}
	if innerParent != "outer-1" {
		t.Errorf("nested ParentRequestID = %q", innerParent)
	}
}

func TestServerDropsRequestWithoutID(t *testing.T) {
	ps := newBus(t)
	logger, logs := newTestLogger()
	r := NewRegistry()
	mustRegister(t, r, testOp())
	startServer(t, ps, r, WithServerLogger(logger))
	errs := newTap(t, ps, EventCallError)
	responded := newTap(t, ps, EventCallResponded)
	_ = ps.Publish(context.Background(), EventCallRequested, "",
		map[string]any{"operationId": "test.testOp", "input": map[string]any{"value": "v"}})
	waitFor(t, "warning", func() bool { return logs.count("level=WARN") == 1 })
	if errs.total()+responded.total() != 0 {
		t.Error("something was published")
	}
}

func TestServerMetadataReachesHandler(t *testing.T) {
	var got map[string]any
	f := newServerFixture(t, []Operation{unaryOp("test.meta", func(_ context.Context, _ json.RawMessage, oc *OperationContext) (any, error) {
		got = oc.Metadata
		return nil, nil
	})})
	if _, err := f.call(t, "test.meta", nil, CallOptions{Metadata: map[string]any{"trace": "t1"}}); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, got, `{"trace":"t1"}`)
}

func TestServerNoLeaks(t *testing.T) {
	if testing.Short() {
		t.Skip("long soak")
	}
	ps := newBus(t)
	r := NewRegistry()
	mustRegister(t, r, testOp(), cleanupStream(new(atomic.Int32)), streamOp(1, 2, 3))
	r.Unregister("test.stream")
	mustRegister(t, r, func() Operation { op := streamOp(1, 2, 3); op.Spec.Name = "finite"; return op }())
	baseline := runtime.NumGoroutine()
	server := NewServer(ps, r)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.Serve(ctx)
	}()
	waitFor(t, "server subscription", func() bool { return handlerCount(ps, EventCallRequested) > 0 })
	m, err := NewPendingRequestMap(ps)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10000 / 8 {
				if _, err := m.Call(context.Background(), "test.testOp", map[string]any{"value": "v"}, CallOptions{}); err != nil {
					t.Errorf("call %d/%d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i := range 1000 {
		s, err := m.Subscribe(context.Background(), "test.finite", map[string]any{}, SubscribeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := s.Next(context.Background()); err != nil {
				t.Fatal(err)
			}
			_ = s.Close()
			continue
		}
		if _, err := drain(t, s); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "requests settled", func() bool { return m.PendingCount() == 0 && server.InFlight() == 0 })
	_ = m.Close()
	cancel()
	<-served
	waitFor(t, fmt.Sprintf("goroutines back to %d", baseline), func() bool {
		return runtime.NumGoroutine() <= baseline+2
	})
}

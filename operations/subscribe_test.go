package operations

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"sync/atomic"
	"testing"
	"time"
)

func collect(t *testing.T, seq iter.Seq2[*ResponseEnvelope, error]) ([]*ResponseEnvelope, error) {
	t.Helper()
	var out []*ResponseEnvelope
	for env, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, env)
	}
	return out, nil
}

func subscribeItems(t *testing.T, items ...any) []*ResponseEnvelope {
	t.Helper()
	r := NewRegistry()
	mustRegister(t, r, streamOp(items...))
	seq, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := collect(t, seq)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func localMeta(t *testing.T, env *ResponseEnvelope) *LocalMeta {
	t.Helper()
	m, ok := env.Meta.(*LocalMeta)
	if !ok {
		t.Fatalf("meta %#v is not local", env.Meta)
	}
	return m
}

func TestSubscribeWrapsItems(t *testing.T) {
	out := subscribeItems(t, "event1", "event2", map[string]any{"count": 1}, nil)
	if len(out) != 4 {
		t.Fatalf("%d items", len(out))
	}
	for i, want := range []string{`"event1"`, `"event2"`, `{"count":1}`, `null`} {
		m := localMeta(t, out[i])
		if m.OperationID != "test.stream" || m.Timestamp == 0 {
			t.Errorf("item %d meta = %+v", i, m)
		}
		assertJSON(t, out[i].Data, want)
	}
	for i := 1; i < len(out); i++ {
		if localMeta(t, out[i]).Timestamp < localMeta(t, out[i-1]).Timestamp {
			t.Error("timestamps decrease")
		}
	}
}

func TestSubscribeEnvelopesPassThrough(t *testing.T) {
	httpEnv := HTTPEnvelope("h", HTTPMeta{StatusCode: 200})
	mcpEnv := MCPEnvelope("m", MCPMeta{})
	other := LocalEnvelope(map[string]any{"custom": true}, "other.op")
	out := subscribeItems(t, "raw-value", httpEnv, mcpEnv, other, 42)
	if out[1] != httpEnv || out[2] != mcpEnv || out[3] != other {
		t.Error("envelopes were not passed through as the same pointers")
	}
	if localMeta(t, out[3]).OperationID != "other.op" {
		t.Error("other.op envelope rewrapped")
	}
	if localMeta(t, out[0]).OperationID != "test.stream" || localMeta(t, out[4]).OperationID != "test.stream" {
		t.Error("plain items not wrapped as local")
	}
}

func TestSubscribeEmpty(t *testing.T) {
	if out := subscribeItems(t); len(out) != 0 {
		t.Errorf("%d items", len(out))
	}
}

func TestSubscribePull(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, streamOp("only"))
	seq, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	next, stop := iter.Pull2(seq)
	defer stop()
	env, err, ok := next()
	if !ok || err != nil || env == nil {
		t.Fatalf("first pull: %v %v %v", env, err, ok)
	}
	if _, _, ok := next(); ok {
		t.Error("second pull is not done")
	}
}

func TestSubscribeLookupErrors(t *testing.T) {
	r := NewRegistry()
	_, err := r.Subscribe(context.Background(), "unknown.op", nil, nil)
	assertCode(t, err, CodeOperationNotFound)

	mustRegister(t, r, Operation{Spec: streamOp().Spec})
	_, err = r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	assertCode(t, err, CodeOperationNotFound)

	mustRegister(t, r, testOp())
	_, err = r.Subscribe(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	assertCode(t, err, CodeExecution)
	if !errors.Is(err, ErrWrongOperationType) {
		t.Error("query subscribe does not wrap ErrWrongOperationType")
	}
}

// cleanupStream yields from an unbounded counter until stopped and counts
// the runs of its deferred cleanup.
func cleanupStream(cleaned *atomic.Int32) Operation {
	op := streamOp()
	op.Stream = func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			defer cleaned.Add(1)
			for i := 0; ; i++ {
				if !yield(i, nil) {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Millisecond):
				}
			}
		}, nil
	}
	return op
}

func TestSubscribeBreakRunsCleanup(t *testing.T) {
	var cleaned atomic.Int32
	r := NewRegistry()
	mustRegister(t, r, cleanupStream(&cleaned))
	seq, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range seq {
		break
	}
	if cleaned.Load() != 1 {
		t.Errorf("cleanup ran %d times", cleaned.Load())
	}
}

func TestSubscribeAccess(t *testing.T) {
	r := NewRegistry()
	admin := streamOp("x")
	admin.Spec.AccessControl.RequiredScopes = []string{"admin"}
	mustRegister(t, r, admin)
	_, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	assertCode(t, err, CodeAccessDenied)

	seq, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, &OperationContext{trusted: true})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := collect(t, seq); len(out) != 1 {
		t.Errorf("trusted got %d items", len(out))
	}

	read := streamOp("x")
	read.Spec.AccessControl.RequiredScopes = []string{"read"}
	mustRegister(t, r, read)
	seq, err = r.Subscribe(context.Background(), "test.stream", map[string]any{}, withIdentity([]string{"read"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := collect(t, seq); len(out) != 1 {
		t.Errorf("reader got %d items", len(out))
	}
}

func TestSubscribeHandlerFailures(t *testing.T) {
	tests := []struct {
		name   string
		stream StreamHandler
		code   string
	}{
		{"nil stream", func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
			return nil, nil
		}, CodeExecution},
		{"error before streaming", func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
			return nil, NewCallError("CUSTOM", "nope", nil)
		}, "CUSTOM"},
		{"panic before streaming", func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
			panic("boom")
		}, CodeUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry()
			op := streamOp()
			op.Stream = tc.stream
			mustRegister(t, r, op)
			_, err := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
			ce := assertCode(t, err, tc.code)
			if tc.name == "nil stream" && ce.Message != `Subscription handler for "test.stream" returned no stream` {
				t.Errorf("message = %q", ce.Message)
			}
		})
	}
}

func TestSubscribeItemError(t *testing.T) {
	r := NewRegistry()
	op := streamOp()
	op.Stream = func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			if !yield("one", nil) {
				return
			}
			yield(nil, errors.New("broke"))
		}, nil
	}
	mustRegister(t, r, op)
	seq, _ := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	out, err := collect(t, seq)
	if len(out) != 1 {
		t.Errorf("%d items before the error", len(out))
	}
	assertCode(t, err, CodeExecution)
}

func TestSubscribePanicInSequence(t *testing.T) {
	r := NewRegistry()
	op := streamOp()
	op.Stream = func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			yield("one", nil)
			panic("mid-stream")
		}, nil
	}
	mustRegister(t, r, op)
	seq, _ := r.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	out, err := collect(t, seq)
	if len(out) != 1 {
		t.Errorf("%d items", len(out))
	}
	assertCode(t, err, CodeUnknown)
}

func TestSubscribeContextCancelled(t *testing.T) {
	var cleaned atomic.Int32
	r := NewRegistry()
	op := streamOp()
	op.Stream = func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			defer cleaned.Add(1)
			<-ctx.Done()
		}, nil
	}
	mustRegister(t, r, op)
	ctx, cancel := context.WithCancel(context.Background())
	seq, err := r.Subscribe(ctx, "test.stream", map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(10*time.Millisecond, cancel)
	_, err = collect(t, seq)
	assertCode(t, err, CodeAborted)
	if cleaned.Load() != 1 {
		t.Error("cleanup did not run")
	}
}

func TestSubscribeItemValidation(t *testing.T) {
	strict := NewRegistry(WithOutputMode(OutputStrict))
	op := streamOp("ok", 5, "never")
	op.Spec.OutputSchema = json.RawMessage(`{"type":"string"}`)
	mustRegister(t, strict, op)
	seq, _ := strict.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	out, err := collect(t, seq)
	if len(out) != 1 {
		t.Errorf("strict: %d items", len(out))
	}
	assertCode(t, err, CodeExecution)

	logger, logs := newTestLogger()
	warn := NewRegistry(WithLogger(logger))
	op = streamOp(1, 2, 3)
	op.Spec.OutputSchema = json.RawMessage(`{"type":"string"}`)
	mustRegister(t, warn, op)
	seq, _ = warn.Subscribe(context.Background(), "test.stream", map[string]any{}, nil)
	out, err = collect(t, seq)
	if err != nil || len(out) != 3 {
		t.Errorf("warn: %d items, %v", len(out), err)
	}
	assertJSON(t, out[0].Data, `1`) // items are not Cast
	if n := logs.count("level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1 per stream", n)
	}
}

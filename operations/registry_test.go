package operations

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRegistryGetAfterRegister(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp())
	op, ok := r.Get("test.testOp")
	if !ok {
		t.Fatal("Get: not found")
	}
	if diff := cmp.Diff(testOpSpec(), op.Spec); diff != "" {
		t.Errorf("spec differs (-want +got):\n%s", diff)
	}
	if op.Handler == nil {
		t.Error("Handler is nil")
	}
	byName, ok := r.GetByName("test", "testOp")
	if !ok || byName.Spec.ID() != "test.testOp" {
		t.Errorf("GetByName = %v, %v", byName.Spec.ID(), ok)
	}
	if _, ok := r.Get("nonexistent.op"); ok {
		t.Error("Get(nonexistent.op) found something")
	}
	spec, ok := r.GetSpec("test.testOp")
	if !ok || spec.Name != "testOp" {
		t.Errorf("GetSpec = %v, %v", spec.Name, ok)
	}
}

func secondOp() Operation {
	op := testOp()
	op.Spec.Name = "second"
	return op
}

func TestRegistryListOrder(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp(), secondOp())
	list := r.List()
	if len(list) != 2 || list[0].ID() != "test.testOp" || list[1].ID() != "test.second" {
		t.Errorf("List order wrong: %d entries", len(list))
	}
	if len(r.Specs()) != 2 {
		t.Errorf("Specs() has %d entries", len(r.Specs()))
	}

	// Re-registering keeps the position and replaces the entry.
	replaced := testOp()
	replaced.Spec.Description = "replaced"
	mustRegister(t, r, replaced)
	specs := r.Specs()
	if specs[0].Description != "replaced" || specs[1].ID() != "test.second" {
		t.Errorf("replace moved or lost the entry: %+v", specs)
	}
}

func TestRegistryRegisterAll(t *testing.T) {
	r := NewRegistry()
	if err := r.RegisterAll(testOp(), secondOp()); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 2 {
		t.Errorf("Len = %d", r.Len())
	}
}

func TestRegistryRegisterAllAtomic(t *testing.T) {
	r := NewRegistry()
	bad := secondOp()
	bad.Spec.InputSchema = json.RawMessage(`{"type":5}`)
	err := r.RegisterAll(testOp(), bad)
	if err == nil || !strings.Contains(err.Error(), "test.second") {
		t.Errorf("err = %v", err)
	}
	if r.Len() != 0 {
		t.Errorf("Len = %d after failed RegisterAll", r.Len())
	}
	if n := len(r.cache.entries); n != 0 {
		t.Errorf("%d schema cache entries leaked", n)
	}
}

func TestRegistryExecuteLocalEnvelope(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp())
	before := time.Now().UnixMilli()
	env, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "hello"}, nil)
	after := time.Now().UnixMilli()
	if err != nil {
		t.Fatal(err)
	}
	m, ok := env.Meta.(*LocalMeta)
	if !ok || m.OperationID != "test.testOp" {
		t.Fatalf("meta = %#v", env.Meta)
	}
	if m.Timestamp < before || m.Timestamp > after {
		t.Errorf("timestamp %d outside [%d, %d]", m.Timestamp, before, after)
	}
	assertJSON(t, env.Data, `{"result":"processed: hello"}`)
}

func TestRegistryExecuteEnvelopePassThrough(t *testing.T) {
	r := NewRegistry()
	prebuilt := LocalEnvelope(map[string]any{"custom": "data"}, "custom.op")
	op := testOp()
	op.Spec.OutputSchema = nil
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		return prebuilt, nil
	}
	mustRegister(t, r, op)
	env, err := r.Execute(context.Background(), "test.testOp", json.RawMessage(`{"value":"x"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if env != prebuilt {
		t.Error("envelope is not the handler's pointer")
	}
}

func opReturning(output string, result any) Operation {
	op := testOp()
	op.Spec.OutputSchema = json.RawMessage(output)
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		return result, nil
	}
	return op
}

func TestRegistryOutputCast(t *testing.T) {
	tests := []struct {
		name, output string
		result       any
		want         string
	}{
		{"default filled",
			`{"type":"object","properties":{"result":{"type":"string"},"count":{"type":"number"}},"required":["result","count"]}`,
			map[string]any{"result": "ok"}, `{"result":"ok","count":0}`},
		{"unknown keeps everything", `{}`, map[string]any{"anything": "goes", "extra": 42}, `{"anything":"goes","extra":42}`},
		{"missing result created", testOpOutputSchema, map[string]any{"unexpected": "field"},
			`{"unexpected":"field","result":""}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logger, logs := newTestLogger()
			r := NewRegistry(WithLogger(logger))
			mustRegister(t, r, opReturning(tc.output, tc.result))
			env, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertJSON(t, env.Data, tc.want)
			if tc.name == "missing result created" && logs.count("level=WARN") != 1 {
				t.Errorf("want one warning, logs:\n%s", logs)
			}
		})
	}
}

func TestRegistryOutputWarningRateLimited(t *testing.T) {
	logger, logs := newTestLogger()
	r := NewRegistry(WithLogger(logger))
	mustRegister(t, r, opReturning(testOpOutputSchema, map[string]any{"unexpected": "field"}))
	for range 5 {
		if _, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := logs.count("level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
}

func TestRegistryInputValidation(t *testing.T) {
	r := NewRegistry()
	called := false
	op := testOp()
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		called = true
		return nil, nil
	}
	mustRegister(t, r, op)
	_, err := r.Execute(context.Background(), "test.testOp", map[string]any{"wrong": "field"}, nil)
	ce := assertCode(t, err, CodeValidation)
	want := "Validation failed for test.testOp input:\n  - /value: missing property 'value'"
	if ce.Message != want {
		t.Errorf("message = %q, want %q", ce.Message, want)
	}
	assertJSON(t, ce.Details, `[{"path":"/value","message":"missing property 'value'"}]`)
	if called {
		t.Error("handler ran on invalid input")
	}

	_, err = r.Execute(context.Background(), "test.testOp", json.RawMessage(`{"value":`), nil)
	ce = assertCode(t, err, CodeValidation)
	if !strings.Contains(ce.Message, "/: invalid JSON") && !strings.Contains(ce.Message, ": invalid JSON") {
		t.Errorf("invalid JSON message = %q", ce.Message)
	}
}

func TestRegistryExecuteNotFound(t *testing.T) {
	r := NewRegistry()
	_, err := r.Execute(context.Background(), "unknown.op", nil, nil)
	ce := assertCode(t, err, CodeOperationNotFound)
	if ce.Message != "Operation not found: unknown.op" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"operationId":"unknown.op"}`)

	mustRegister(t, r, Operation{Spec: testOpSpec()})
	_, err = r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	ce = assertCode(t, err, CodeOperationNotFound)
	if ce.Message != "No handler registered for operation: test.testOp" {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestRegistrySpecThenHandler(t *testing.T) {
	r := NewRegistry()
	if err := r.RegisterSpec(testOpSpec()); err != nil {
		t.Fatal(err)
	}
	if op, _ := r.Get("test.testOp"); op.Handler != nil {
		t.Error("handler present after RegisterSpec")
	}
	if err := r.RegisterHandler("test.testOp", testOpHandler); err != nil {
		t.Fatal(err)
	}
	if op, _ := r.Get("test.testOp"); op.Handler == nil {
		t.Error("handler missing after RegisterHandler")
	}
	env, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, env.Data, `{"result":"processed: x"}`)

	// A new spec of the same kind keeps the handler.
	spec := testOpSpec()
	spec.Description = "v2"
	if err := r.RegisterSpec(spec); err != nil {
		t.Fatal(err)
	}
	if op, _ := r.Get("test.testOp"); op.Handler == nil || op.Spec.Description != "v2" {
		t.Error("RegisterSpec lost the handler or the new spec")
	}
	// A new spec of another kind fails and keeps the old entry.
	spec.Type = TypeSubscription
	if err := r.RegisterSpec(spec); !errors.Is(err, ErrHandlerKind) {
		t.Errorf("kind change: err = %v", err)
	}
	if s, _ := r.GetSpec("test.testOp"); s.Type != TypeQuery {
		t.Errorf("type changed to %s", s.Type)
	}
}

func TestRegistryHandlerForUnknownOperation(t *testing.T) {
	err := NewRegistry().RegisterHandler("unknown.op", testOpHandler)
	if !errors.Is(err, ErrUnknownOperation) {
		t.Errorf("err = %v", err)
	}
	if err == nil || !strings.Contains(err.Error(), "cannot register handler for unknown operation") {
		t.Errorf("message = %v", err)
	}
}

func TestRegistryOperationWithoutHandler(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, Operation{Spec: testOpSpec()})
	op, ok := r.Get("test.testOp")
	if !ok || op.Handler != nil || op.Stream != nil {
		t.Errorf("Get = %v, handler set %v", ok, op.Handler != nil)
	}
}

func TestRegistryRejectsBadNames(t *testing.T) {
	for _, tc := range []struct{ ns, name string }{
		{"test", "bad name"}, {"a..b", "x"}, {"", "x"}, {"test", ""}, {"test", "a.b"},
	} {
		op := testOp()
		op.Spec.Namespace, op.Spec.Name = tc.ns, tc.name
		r := NewRegistry()
		if err := r.Register(op); err == nil {
			t.Errorf("%q/%q registered", tc.ns, tc.name)
		}
		if r.Len() != 0 {
			t.Errorf("%q/%q stored", tc.ns, tc.name)
		}
	}
	op := testOp()
	op.Spec.Namespace = "dev.abc-123.fs"
	if err := NewRegistry().Register(op); err != nil {
		t.Errorf("multi-segment namespace: %v", err)
	}
}

func TestRegistryRejectsBadSchemas(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"does not compile", `{"type":5}`, "compiling test.testOp inputSchema"},
		{"number", `42`, "inputSchema of test.testOp must be a JSON object or boolean"},
		{"string", `"string"`, "inputSchema of test.testOp must be a JSON object or boolean"},
		{"array", `[]`, "inputSchema of test.testOp must be a JSON object or boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRegistry()
			op := testOp()
			op.Spec.InputSchema = json.RawMessage(tc.input)
			err := r.Register(op)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
			if r.Len() != 0 {
				t.Error("operation stored")
			}
		})
	}
}

func TestRegistryRejectsBadErrorSchemas(t *testing.T) {
	for name, defs := range map[string][]ErrorDefinition{
		"empty code": {{Code: ""}},
		"duplicate":  {{Code: "A"}, {Code: "A"}},
	} {
		op := testOp()
		op.Spec.ErrorSchemas = defs
		if err := NewRegistry().Register(op); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestRegistryUnregister(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp())
	if !r.Unregister("test.testOp") {
		t.Fatal("Unregister returned false")
	}
	if _, ok := r.Get("test.testOp"); ok {
		t.Error("still found")
	}
	_, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	assertCode(t, err, CodeOperationNotFound)
	if r.Unregister("test.testOp") {
		t.Error("second Unregister returned true")
	}
	if n := len(r.cache.entries); n != 0 {
		t.Errorf("%d compiled schemas kept after Unregister", n)
	}
}

func TestRegistryExecuteSubscription(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, streamOp("a"))
	_, err := r.Execute(context.Background(), "test.stream", map[string]any{}, nil)
	assertCode(t, err, CodeExecution)
	if !errors.Is(err, ErrWrongOperationType) {
		t.Errorf("err %v does not wrap ErrWrongOperationType", err)
	}
}

func TestRegistryHandlerErrors(t *testing.T) {
	r := NewRegistry()
	op := testOp()
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		return nil, errors.New("boom")
	}
	mustRegister(t, r, op)
	_, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	ce := assertCode(t, err, CodeExecution)
	if ce.Message != "boom" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"message":"boom"}`)

	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		panic("boom")
	}
	mustRegister(t, r, op)
	_, err = r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	ce = assertCode(t, err, CodeUnknown)
	assertJSON(t, ce.Details, `{"raw":"boom"}`)
}

func TestRegistryOutputStrict(t *testing.T) {
	r := NewRegistry(WithOutputMode(OutputStrict))
	mustRegister(t, r, opReturning(testOpOutputSchema, map[string]any{"result": 5}))
	env, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	if err != nil {
		t.Fatalf("castable output failed: %v", err)
	}
	assertJSON(t, env.Data, `{"result":""}`)

	mustRegister(t, r, opReturning(`{"type":"string","minLength":3}`, "a"))
	_, err = r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	ce := assertCode(t, err, CodeExecution)
	if !strings.HasPrefix(ce.Message, "Output validation failed for") {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestRegistryOutputOff(t *testing.T) {
	r := NewRegistry(WithOutputMode(OutputOff))
	mustRegister(t, r, opReturning(testOpOutputSchema, map[string]any{"unexpected": 1}))
	env, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, env.Data, `{"unexpected":1}`)
}

func TestRegistryCompilesOnce(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp())
	before := r.cache.compiles.Load()
	for range 1000 {
		if _, err := r.Execute(context.Background(), "test.testOp", json.RawMessage(`{"value":"v"}`), nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.cache.compiles.Load() - before; n != 0 {
		t.Errorf("1000 Execute calls compiled %d schemas", n)
	}

	shared := NewRegistry()
	for i := range 100 {
		op := testOp()
		op.Spec.OutputSchema = nil
		op.Spec.Name = "op" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		mustRegister(t, shared, op)
	}
	if n := shared.cache.compiles.Load(); n != 1 {
		t.Errorf("100 identical input schemas compiled %d times", n)
	}
}

func TestRegistryContextDone(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Execute(ctx, "test.testOp", map[string]any{"value": "x"}, nil)
	assertCode(t, err, CodeAborted)
}

func TestRegistrySpecIsCopied(t *testing.T) {
	r := NewRegistry()
	op := testOp()
	op.Spec.Tags = []string{"a"}
	mustRegister(t, r, op)
	op.Spec.Tags[0] = "changed"
	op.Spec.InputSchema[0] = ' '
	spec, _ := r.GetSpec("test.testOp")
	if spec.Tags[0] != "a" || spec.InputSchema[0] != '{' {
		t.Error("registered spec shares memory with the caller's")
	}
}

func TestRegistryEmptyVersion(t *testing.T) {
	r := NewRegistry()
	op := testOp()
	op.Spec.Version = ""
	mustRegister(t, r, op)
	if s, _ := r.GetSpec("test.testOp"); s.Version != "1.0.0" {
		t.Errorf("version = %q", s.Version)
	}
}

func TestHandlerKindChecks(t *testing.T) {
	streamSpec := streamOp().Spec
	noop := func(context.Context, json.RawMessage, *OperationContext) (any, error) { return nil, nil }
	stream := streamOp().Stream

	t.Run("subscription with unary handler", func(t *testing.T) {
		r := NewRegistry()
		if err := r.RegisterSpec(streamSpec); err != nil {
			t.Fatal(err)
		}
		err := r.RegisterHandler("test.stream", noop)
		if !errors.Is(err, ErrHandlerKind) {
			t.Fatalf("err = %v", err)
		}
		if err.Error() != `handler for subscription operation "test.stream" must be a StreamHandler` {
			t.Errorf("message = %q", err)
		}
	})
	t.Run("register subscription with Handler", func(t *testing.T) {
		r := NewRegistry()
		err := r.Register(Operation{Spec: streamSpec, Handler: noop})
		if !errors.Is(err, ErrHandlerKind) || r.Len() != 0 {
			t.Errorf("err = %v, len %d", err, r.Len())
		}
	})
	t.Run("subscription with stream handler", func(t *testing.T) {
		r := NewRegistry()
		_ = r.RegisterSpec(streamSpec)
		if err := r.RegisterStream("test.stream", stream); err != nil {
			t.Error(err)
		}
	})
	t.Run("query with stream handler", func(t *testing.T) {
		r := NewRegistry()
		_ = r.RegisterSpec(testOpSpec())
		err := r.RegisterStream("test.testOp", stream)
		if !errors.Is(err, ErrHandlerKind) || !strings.Contains(err.Error(), "must be a Handler, not a StreamHandler") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("register subscription with Stream", func(t *testing.T) {
		if err := NewRegistry().Register(Operation{Spec: streamSpec, Stream: stream}); err != nil {
			t.Error(err)
		}
	})
	t.Run("query with Handler", func(t *testing.T) {
		if err := NewRegistry().Register(testOp()); err != nil {
			t.Error(err)
		}
	})
	t.Run("both set", func(t *testing.T) {
		err := NewRegistry().Register(Operation{Spec: testOpSpec(), Handler: noop, Stream: stream})
		if !errors.Is(err, ErrHandlerKind) {
			t.Errorf("err = %v", err)
		}
	})
}

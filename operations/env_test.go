package operations

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
)

// echoOp returns ns.name whose handler returns {"result": value}.
func echoOp(ns, name string) Operation {
	op := testOp()
	op.Spec.Namespace, op.Spec.Name = ns, name
	op.Handler = func(_ context.Context, input json.RawMessage, _ *OperationContext) (any, error) {
		var in struct{ Value string }
		_ = json.Unmarshal(input, &in)
		return map[string]any{"result": in.Value}, nil
	}
	return op
}

func TestEnvFuncCalls(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, echoOp("test", "readFile"), echoOp("test", "writeFile"))
	env := BuildEnv(r, nil)
	read, ok := env.Func("test", "readFile")
	if !ok {
		t.Fatal("readFile missing")
	}
	if _, ok := env.Func("test", "writeFile"); !ok {
		t.Error("writeFile missing")
	}
	res, err := read(context.Background(), map[string]any{"value": "test"})
	if err != nil {
		t.Fatal(err)
	}
	m := localMeta(t, res)
	if m.OperationID != "test.readFile" || m.Timestamp == 0 {
		t.Errorf("meta = %+v", m)
	}
	assertJSON(t, res.Data, `{"result":"test"}`)
}

func TestEnvReturnsHandlerEnvelope(t *testing.T) {
	r := NewRegistry()
	op := opReturning(`{}`, HTTPEnvelope(map[string]any{"items": []int{1, 2, 3}}, HTTPMeta{StatusCode: 200}))
	mustRegister(t, r, op)
	res, err := BuildEnv(r, nil).Call(context.Background(), "test.testOp", map[string]any{"value": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Meta.Source() != "http" {
		t.Errorf("source = %s", res.Meta.Source())
	}
	assertJSON(t, res.Data, `{"items":[1,2,3]}`)
}

func TestEnvHidesSubscriptions(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, streamOp("s1"), echoOp("test", "q"))
	env := BuildEnv(r, nil)
	if names := env.Names("test"); !slices.Equal(names, []string{"q"}) {
		t.Errorf("Names = %v", names)
	}
	if env.Has("test.stream") || !env.Has("test.q") {
		t.Error("Has is wrong")
	}
	_, err := env.Call(context.Background(), "test.stream", map[string]any{})
	assertCode(t, err, CodeOperationNotFound)
	seq, err := env.Subscribe(context.Background(), "test.stream", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := collect(t, seq); len(out) != 1 {
		t.Errorf("Env.Subscribe gave %d items", len(out))
	}
}

func TestEnvAllowedNamespaces(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, echoOp("test", "a"), echoOp("other", "x"))
	env := BuildEnv(r, nil, WithAllowedNamespaces("test"))
	if ns := env.Namespaces(); !slices.Equal(ns, []string{"test"}) {
		t.Errorf("Namespaces = %v", ns)
	}
	_, err := env.Call(context.Background(), "other.x", map[string]any{"value": "v"})
	ce := assertCode(t, err, CodeOperationNotFound)
	if ce.Message != "Operation not found: other.x" {
		t.Errorf("message = %q", ce.Message)
	}
}

func TestEnvChildContext(t *testing.T) {
	r := NewRegistry()
	var seen *OperationContext
	op := echoOp("test", "inner")
	op.Spec.AccessControl.RequiredScopes = []string{"admin"}
	op.Handler = func(_ context.Context, _ json.RawMessage, oc *OperationContext) (any, error) {
		seen = oc
		return map[string]any{"result": "ok"}, nil
	}
	mustRegister(t, r, op)
	base := &OperationContext{
		RequestID: "outer-123",
		Identity:  &Identity{ID: "user1", Scopes: []string{"read"}},
		Metadata:  map[string]any{"k": "v"},
	}
	env := BuildEnv(r, base)
	if _, err := env.Call(context.Background(), "test.inner", map[string]any{"value": "x"}); err != nil {
		t.Fatalf("nested call denied: %v", err)
	}
	if !seen.Trusted() {
		t.Error("nested context is not trusted")
	}
	if seen.ParentRequestID != "outer-123" {
		t.Errorf("ParentRequestID = %q", seen.ParentRequestID)
	}
	if seen.RequestID == "" || seen.RequestID == "outer-123" {
		t.Errorf("RequestID = %q", seen.RequestID)
	}
	if seen.Identity != base.Identity {
		t.Error("identity differs")
	}
	if seen.Metadata["k"] != "v" {
		t.Errorf("metadata = %v", seen.Metadata)
	}
	if seen.Env != env {
		t.Error("nested context does not carry the env")
	}
}

func TestEnvNamespaces(t *testing.T) {
	if ns := BuildEnv(NewRegistry(), nil).Namespaces(); len(ns) != 0 {
		t.Errorf("empty registry: %v", ns)
	}
	r := NewRegistry()
	mustRegister(t, r, echoOp("test", "a"), echoOp("other", "b"))
	env := BuildEnv(r, nil)
	if ns := env.Namespaces(); !slices.Equal(ns, []string{"test", "other"}) {
		t.Errorf("Namespaces = %v", ns)
	}
	_, okA := env.Func("test", "a")
	_, okB := env.Func("other", "b")
	if !okA || !okB {
		t.Error("functions missing")
	}
}

func TestEnvOutputCast(t *testing.T) {
	r := NewRegistry()
	out := `{"type":"object","properties":{"name":{"type":"string"},"count":{"type":"number","default":0}},"required":["name","count"]}`
	mustRegister(t, r, opReturning(out, map[string]any{"name": "test"}))
	res, err := BuildEnv(r, nil).Call(context.Background(), "test.testOp", map[string]any{"value": "x"})
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, res.Data, `{"name":"test","count":0}`)
}

func TestEnvIsLiveView(t *testing.T) {
	r := NewRegistry()
	env := BuildEnv(r, nil)
	mustRegister(t, r, echoOp("late", "op"))
	if _, err := env.Call(context.Background(), "late.op", map[string]any{"value": "v"}); err != nil {
		t.Errorf("late op: %v", err)
	}
}

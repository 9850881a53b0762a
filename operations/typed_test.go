package operations

import (
	"context"
	"encoding/json"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
)

type echoIn struct {
	Value string `json:"value"`
}

type echoOut struct {
	Result string `json:"result"`
	Count  int    `json:"count,omitempty"`
}

type treeNode struct {
	Name     string     `json:"name"`
	Children []treeNode `json:"children,omitempty"`
}

type flatOuter struct {
	Inner  echoIn   `json:"inner"`
	Inners []echoIn `json:"inners,omitempty"`
}

func typedEcho() Operation {
	return Query(SpecInfo{Namespace: "typed", Name: "echo"},
		func(_ context.Context, in echoIn, _ *OperationContext) (echoOut, error) {
			return echoOut{Result: "processed: " + in.Value}, nil
		})
}

func TestTypedQueryRegisters(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, typedEcho())
	spec, _ := r.GetSpec("typed.echo")
	if string(spec.InputSchema) != string(SchemaOf[echoIn]()) {
		t.Errorf("input schema %s", spec.InputSchema)
	}
	if string(spec.OutputSchema) != string(SchemaOf[echoOut]()) {
		t.Errorf("output schema %s", spec.OutputSchema)
	}
	if spec.Version != "1.0.0" || spec.Type != TypeQuery {
		t.Errorf("version %q type %q", spec.Version, spec.Type)
	}
}

func TestTypedQueryInputForms(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, typedEcho())
	fromStruct, err := r.Execute(context.Background(), "typed.echo", echoIn{Value: "v"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromRaw, err := r.Execute(context.Background(), "typed.echo", json.RawMessage(`{"value":"v"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	assertJSON(t, fromStruct.Data, `{"result":"processed: v"}`)
	assertJSON(t, fromRaw.Data, `{"result":"processed: v"}`)
}

func TestTypedQueryUndecodableInput(t *testing.T) {
	r := NewRegistry()
	op := Query(SpecInfo{Namespace: "typed", Name: "loose"},
		func(_ context.Context, in int, _ *OperationContext) (int, error) { return in, nil })
	op.Spec.InputSchema = nil // Unknown: anything validates
	mustRegister(t, r, op)
	_, err := r.Execute(context.Background(), "typed.loose", "not a number", nil)
	ce := assertCode(t, err, CodeValidation)
	var details []ValueError
	details, _ = ce.Details.([]ValueError)
	if len(details) != 1 || details[0].Path != "" {
		t.Errorf("details = %v", ce.Details)
	}
}

func TestTypedSubscription(t *testing.T) {
	var cleaned atomic.Int32
	r := NewRegistry()
	op := Subscription(SpecInfo{Namespace: "typed", Name: "count"},
		func(_ context.Context, in echoIn, _ *OperationContext) (iter.Seq2[echoOut, error], error) {
			return func(yield func(echoOut, error) bool) {
				defer cleaned.Add(1)
				for i := 1; ; i++ {
					if !yield(echoOut{Result: in.Value, Count: i}, nil) {
						return
					}
				}
			}, nil
		})
	mustRegister(t, r, op)
	seq, err := r.Subscribe(context.Background(), "typed.count", echoIn{Value: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []*ResponseEnvelope
	for env, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, env)
		if len(got) == 2 {
			break
		}
	}
	if localMeta(t, got[1]).OperationID != "typed.count" {
		t.Error("item not wrapped as local")
	}
	assertJSON(t, got[1].Data, `{"result":"x","count":2}`)
	if cleaned.Load() != 1 {
		t.Error("cleanup did not run on break")
	}
}

func TestTypedVoidOutput(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, Mutation(SpecInfo{Namespace: "typed", Name: "void"},
		func(context.Context, echoIn, *OperationContext) (Void, error) { return Void{}, nil }))
	spec, _ := r.GetSpec("typed.void")
	if string(spec.OutputSchema) != `{"type":"null"}` {
		t.Errorf("output schema %s", spec.OutputSchema)
	}
	env, err := r.Execute(context.Background(), "typed.void", echoIn{Value: "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	if !strings.Contains(string(b), `"data":null`) {
		t.Errorf("JSON = %s", b)
	}
}

func TestSchemaOfRecursiveType(t *testing.T) {
	raw := SchemaOf[treeNode]()
	if !strings.Contains(string(raw), `"$defs"`) {
		t.Errorf("recursive schema lost $defs: %s", raw)
	}
	s := mustCompile(t, string(raw))
	instance := `{"name":"a","children":[{"name":"b","children":[{"name":"c"}]}]}`
	if errs := CollectErrors(s, json.RawMessage(instance)); errs != nil {
		t.Errorf("3-level tree rejected: %v", errs)
	}
	if CollectErrors(s, json.RawMessage(`{"name":"a","children":[{"children":[]}]}`)) == nil {
		t.Error("child without name accepted")
	}
}

func TestSchemaOfFlatStruct(t *testing.T) {
	raw := SchemaOf[flatOuter]()
	if strings.Contains(string(raw), "$defs") || strings.Contains(string(raw), "$ref") {
		t.Errorf("flat schema not inlined: %s", raw)
	}
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	assertJSON(t, doc["required"], `["inner"]`)
	s := mustCompile(t, string(raw))
	if CollectErrors(s, json.RawMessage(`{"inner":{}}`)) == nil {
		t.Error("inner without value accepted")
	}
	if errs := CollectErrors(s, json.RawMessage(`{"inner":{"value":"v"},"extra":1}`)); errs != nil {
		t.Errorf("open object rejected: %v", errs)
	}
}

func TestSchemaOfUnknownTypes(t *testing.T) {
	for name, raw := range map[string]json.RawMessage{
		"any": SchemaOf[any](), "raw": SchemaOf[json.RawMessage](),
	} {
		if !mustCompile(t, string(raw)).Unknown() {
			t.Errorf("%s gives %s", name, raw)
		}
	}
}

func TestRawAndReflectedSchemasRegister(t *testing.T) {
	r := NewRegistry()
	mustRegister(t, r, testOp(), typedEcho())
}

func TestTypedReflectionFailure(t *testing.T) {
	op := Query(SpecInfo{Namespace: "typed", Name: "bad"},
		func(context.Context, chan int, *OperationContext) (int, error) { return 0, nil })
	r := NewRegistry()
	err := r.Register(op)
	if err == nil || !strings.Contains(err.Error(), "reflecting JSON Schema of chan int") {
		t.Errorf("err = %v", err)
	}
	if r.Len() != 0 {
		t.Error("operation stored")
	}
}

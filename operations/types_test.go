package operations

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const specExample = `{"namespace":"task","name":"create","version":"1.0.0","type":"mutation","title":"Create task",
 "description":"Create a task","tags":["task"],
 "inputSchema":{"type":"object","properties":{"title":{"type":"string","minLength":1}},"required":["title"]},
 "outputSchema":{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]},
 "errorSchemas":[{"code":"NOT_FOUND","description":"project missing","schema":{},"httpStatus":404}],
 "accessControl":{"requiredScopes":["task:write"]},"_meta":{"owner":"tasks"}}`

func TestOperationSpecJSONRoundTrip(t *testing.T) {
	var spec OperationSpec
	if err := json.Unmarshal([]byte(specExample), &spec); err != nil {
		t.Fatal(err)
	}
	if spec.ID() != "task.create" || spec.Type != TypeMutation || spec.ErrorSchemas[0].HTTPStatus != 404 {
		t.Errorf("decoded %+v", spec)
	}
	assertJSON(t, spec, specExample)
}

func TestOperationSpecDefaultsWritten(t *testing.T) {
	spec := OperationSpec{Namespace: "a", Name: "b", Version: "1", Type: TypeQuery,
		ErrorSchemas: []ErrorDefinition{{Code: "X"}}}
	assertJSON(t, spec, `{"namespace":"a","name":"b","version":"1","type":"query","description":"",
		"inputSchema":{},"outputSchema":{},"errorSchemas":[{"code":"X","description":"","schema":{}}],
		"accessControl":{"requiredScopes":[]}}`)
	assertJSON(t, Identity{ID: "u"}, `{"id":"u","scopes":[]}`)
}

func TestAccessControlIgnoresCustomAuth(t *testing.T) {
	var ac AccessControl
	if err := json.Unmarshal([]byte(`{"requiredScopes":["a"],"customAuth":"fn"}`), &ac); err != nil {
		t.Fatal(err)
	}
	assertJSON(t, ac, `{"requiredScopes":["a"]}`)
}

func TestSplitID(t *testing.T) {
	tests := []struct {
		id, ns, name string
		ok           bool
	}{
		{"task.create", "task", "create", true},
		{"dev.abc-1.fs.read", "dev.abc-1.fs", "read", true},
		{"nodot", "", "", false},
		{"a..b", "", "", false},
		{"a.b c", "", "", false},
		{".x", "", "", false},
	}
	for _, tc := range tests {
		ns, name, ok := SplitID(tc.id)
		if ok != tc.ok || ns != tc.ns || name != tc.name {
			t.Errorf("SplitID(%q) = %q, %q, %v", tc.id, ns, name, ok)
		}
	}
}

func TestOperationTypeValid(t *testing.T) {
	for _, typ := range []OperationType{TypeQuery, TypeMutation, TypeSubscription} {
		if !typ.Valid() {
			t.Errorf("%s not valid", typ)
		}
	}
	if OperationType("stream").Valid() {
		t.Error("stream is valid")
	}
}

func TestCallRequestedDecoding(t *testing.T) {
	raw := `{"requestId":"r","operationId":"a.b","input":{"x":1},"deadline":1767225600000.9,
		"idleTimeout":1500,"identity":{"id":"u","scopes":["s"]},"metadata":{"k":"v"},"trusted":true}`
	var req CallRequested
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		t.Fatal(err)
	}
	want := CallRequested{
		RequestID: "r", OperationID: "a.b", Input: json.RawMessage(`{"x":1}`),
		Deadline: 1767225600000, IdleTimeout: 1500,
		Identity: &Identity{ID: "u", Scopes: []string{"s"}}, Metadata: map[string]any{"k": "v"},
	}
	if diff := cmp.Diff(want, req); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`{"requestId":"r","deadline":"soon"}`), &req); err == nil {
		t.Error("string deadline accepted")
	}
}

func TestCallEventPayloadsMatchSchemas(t *testing.T) {
	payloads := map[string]struct {
		schema json.RawMessage
		value  any
	}{
		"requested": {CallRequestedSchema, CallRequested{RequestID: "r", OperationID: "a.b",
			Input: json.RawMessage(`{}`), Deadline: 5, Identity: &Identity{ID: "u"}}},
		"responded": {CallRespondedSchema, CallResponded{RequestID: "r", Output: LocalEnvelope(nil, "a.b")}},
		"completed": {CallCompletedSchema, CallCompleted{RequestID: "r"}},
		"aborted":   {CallAbortedSchema, CallAborted{RequestID: "r"}},
		"error":     {CallErrorSchema, CallErrorEvent{RequestID: "r", Code: "X", Message: "m"}},
	}
	for name, p := range payloads {
		s := mustCompile(t, string(p.schema))
		if errs := CollectErrors(s, p.value); errs != nil {
			t.Errorf("%s payload rejected by its schema: %v", name, errs)
		}
	}
}

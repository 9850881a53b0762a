package operations

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestLocalEnvelopeFields(t *testing.T) {
	for _, data := range []any{"str", nil, map[string]any{"a": 1}} {
		before := time.Now().UnixMilli()
		env := LocalEnvelope(data, "test.op")
		after := time.Now().UnixMilli()
		m, ok := env.Meta.(*LocalMeta)
		if !ok || env.Meta.Source() != "local" {
			t.Fatalf("meta %#v is not local", env.Meta)
		}
		if m.OperationID != "test.op" {
			t.Errorf("operationId = %q", m.OperationID)
		}
		if m.Timestamp < before || m.Timestamp > after {
			t.Errorf("timestamp %d outside [%d, %d]", m.Timestamp, before, after)
		}
		assertJSON(t, env.Data, mustJSON(t, data))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHTTPEnvelopeMetaJSON(t *testing.T) {
	env := HTTPEnvelope(map[string]any{"ok": true}, HTTPMeta{
		StatusCode: 200, Headers: map[string]string{"content-type": "application/json"},
		ContentType: "application/json",
	})
	b, err := json.Marshal(env.Meta)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"source":"http","statusCode":200,"headers":{"content-type":"application/json"},"contentType":"application/json"}`
	if string(b) != want {
		t.Errorf("meta JSON = %s\nwant %s", b, want)
	}
	notFound := HTTPEnvelope("missing", HTTPMeta{StatusCode: 404, ContentType: "text/plain"})
	assertJSON(t, notFound, `{"data":"missing","meta":{"source":"http","statusCode":404,"headers":{},"contentType":"text/plain"}}`)
}

func TestMCPEnvelopeMetaJSON(t *testing.T) {
	structured := map[string]any{"x": 1.0}
	content := []MCPContentBlock{{Type: "text", Text: "hi"}}
	env := MCPEnvelope(structured, MCPMeta{Content: content, StructuredContent: structured})
	assertJSON(t, env.Meta, `{"source":"mcp","isError":false,"content":[{"type":"text","text":"hi"}],"structuredContent":{"x":1}}`)
	if env.Data.(map[string]any)["x"] != structured["x"] {
		t.Error("structuredContent used as data is not the same value")
	}

	withMeta := MCPEnvelope(nil, MCPMeta{IsError: true, Meta: map[string]any{"k": "v"}})
	assertJSON(t, withMeta.Meta, `{"source":"mcp","isError":true,"content":[],"_meta":{"k":"v"}}`)

	minimal, _ := json.Marshal(MCPEnvelope(nil, MCPMeta{}).Meta)
	var m map[string]any
	_ = json.Unmarshal(minimal, &m)
	if _, ok := m["structuredContent"]; ok {
		t.Error("minimal meta has structuredContent")
	}
	if _, ok := m["_meta"]; ok {
		t.Error("minimal meta has _meta")
	}
}

func roundTripGeneric(t *testing.T, v any) any {
	t.Helper()
	return toJSONValue(t, v)
}

func TestDetectEnvelopeAccepts(t *testing.T) {
	envs := []*ResponseEnvelope{
		LocalEnvelope(map[string]any{"a": 1}, "x.y"),
		HTTPEnvelope("body", HTTPMeta{StatusCode: 200}),
		MCPEnvelope(nil, MCPMeta{Content: []MCPContentBlock{{Type: "text", Text: "t"}}}),
		MCPEnvelope(nil, MCPMeta{IsError: true}),
	}
	for _, env := range envs {
		got, ok := DetectEnvelope(roundTripGeneric(t, env))
		if !ok {
			t.Errorf("%s envelope not detected", env.Meta.Source())
			continue
		}
		if got.Meta.Source() != env.Meta.Source() {
			t.Errorf("source %s, want %s", got.Meta.Source(), env.Meta.Source())
		}
	}
	nullData := map[string]any{"data": nil, "meta": map[string]any{
		"source": "local", "operationId": "a.b", "timestamp": 1.0}}
	if _, ok := DetectEnvelope(nullData); !ok {
		t.Error("null data not detected")
	}
}

func TestDetectEnvelopeRejects(t *testing.T) {
	local := func(m map[string]any) map[string]any { return map[string]any{"data": 1, "meta": m} }
	cases := map[string]any{
		"nil":                  nil,
		"empty object":         map[string]any{},
		"data only":            map[string]any{"data": 1},
		"meta only":            map[string]any{"meta": map[string]any{"source": "local", "operationId": "a", "timestamp": 1.0}},
		"unknown source":       local(map[string]any{"source": "websocket"}),
		"string":               "str",
		"number":               42.0,
		"null meta":            map[string]any{"data": 1, "meta": nil},
		"array":                []any{},
		"number meta":          map[string]any{"data": 1, "meta": 5.0},
		"local no operationId": local(map[string]any{"source": "local", "timestamp": 1.0}),
		"local bad operationId": local(map[string]any{"source": "local", "operationId": 1.0,
			"timestamp": 1.0}),
		"local no timestamp": local(map[string]any{"source": "local", "operationId": "a"}),
		"local string timestamp": local(map[string]any{"source": "local", "operationId": "a",
			"timestamp": "1"}),
		"http no statusCode":     local(map[string]any{"source": "http"}),
		"http string statusCode": local(map[string]any{"source": "http", "statusCode": "200"}),
		"mcp no isError":         local(map[string]any{"source": "mcp", "content": []any{}}),
		"mcp string isError":     local(map[string]any{"source": "mcp", "isError": "no", "content": []any{}}),
		"mcp no content":         local(map[string]any{"source": "mcp", "isError": false}),
		"mcp object content":     local(map[string]any{"source": "mcp", "isError": false, "content": map[string]any{}}),
	}
	for name, v := range cases {
		if _, ok := DetectEnvelope(v); ok {
			t.Errorf("%s: detected as envelope", name)
		}
	}
}

func TestUnwrapAllSources(t *testing.T) {
	envs := []*ResponseEnvelope{
		LocalEnvelope("x", "a.b"),
		HTTPEnvelope("x", HTTPMeta{StatusCode: 200}),
		MCPEnvelope("x", MCPMeta{}),
	}
	for _, env := range envs {
		got, err := Unwrap[string](env)
		if err != nil || got != "x" {
			t.Errorf("%s: Unwrap = %q, %v", env.Meta.Source(), got, err)
		}
	}
	if v, err := Unwrap[any](LocalEnvelope(nil, "a.b")); err != nil || v != nil {
		t.Errorf("nil data: %v, %v", v, err)
	}

	var decoded ResponseEnvelope
	if err := json.Unmarshal([]byte(`{"data":{"n":3},"meta":{"source":"local","operationId":"a.b","timestamp":1}}`), &decoded); err != nil {
		t.Fatal(err)
	}
	type payload struct{ N int }
	p, err := Unwrap[payload](&decoded)
	if err != nil || p.N != 3 {
		t.Errorf("Unwrap raw = %+v, %v", p, err)
	}
}

func TestResponseSourcesOrder(t *testing.T) {
	if !slices.Equal(ResponseSources, []string{"local", "http", "mcp"}) {
		t.Errorf("ResponseSources = %v", ResponseSources)
	}
}

func TestEnvelopeDataAlwaysWritten(t *testing.T) {
	b, err := json.Marshal(LocalEnvelope(nil, "a.b"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	if string(m["data"]) != "null" {
		t.Errorf("data = %s in %s", m["data"], b)
	}
}

func TestEnvelopeRawDataByteForByte(t *testing.T) {
	in := `{"data":{"z":1,"a":[true,null,1.50]},"meta":{"source":"http","statusCode":201,"headers":{},"contentType":"application/json"}}`
	var env ResponseEnvelope
	if err := json.Unmarshal([]byte(in), &env); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.Data.(json.RawMessage); !ok {
		t.Fatalf("decoded data is %T, want json.RawMessage", env.Data)
	}
	out, err := env.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("re-encoded\n%s\nwant\n%s", out, in)
	}
}

func TestEnvelopeDecodeFailures(t *testing.T) {
	for name, in := range map[string]string{
		"missing meta":   `{"data":1}`,
		"null meta":      `{"data":1,"meta":null}`,
		"unknown source": `{"data":1,"meta":{"source":"grpc"}}`,
	} {
		var env ResponseEnvelope
		err := json.Unmarshal([]byte(in), &env)
		if !errors.Is(err, ErrNotEnvelope) {
			t.Errorf("%s: err = %v, want ErrNotEnvelope", name, err)
		}
	}
}

func TestHeartbeatEnvelope(t *testing.T) {
	hb := HeartbeatEnvelope("a.b")
	if !IsHeartbeat(hb) {
		t.Error("heartbeat not recognised")
	}
	var decoded ResponseEnvelope
	b, _ := json.Marshal(hb)
	if err := json.Unmarshal(b, &decoded); err != nil || !IsHeartbeat(&decoded) {
		t.Errorf("heartbeat after round trip not recognised (%v)", err)
	}
	if IsHeartbeat(LocalEnvelope(map[string]any{"x": 1}, "a.b")) {
		t.Error("plain item recognised as heartbeat")
	}
}

func compileExported(t *testing.T, raw json.RawMessage, name string) *Schema {
	t.Helper()
	s, err := CompileSchema(raw, name)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	return s
}

func TestResponseEnvelopeSchema(t *testing.T) {
	s := compileExported(t, ResponseEnvelopeSchema, "ResponseEnvelopeSchema")
	for _, env := range []*ResponseEnvelope{
		LocalEnvelope(map[string]any{"a": 1}, "x.y"),
		HTTPEnvelope("b", HTTPMeta{StatusCode: 200}),
		MCPEnvelope(nil, MCPMeta{IsError: true, Content: []MCPContentBlock{{Type: "text"}}}),
	} {
		if errs := CollectErrors(s, roundTripGeneric(t, env)); errs != nil {
			t.Errorf("%s envelope rejected: %v", env.Meta.Source(), errs)
		}
	}
	for name, doc := range map[string]string{
		"missing data":      `{"meta":{"source":"local","operationId":"a","timestamp":1}}`,
		"missing meta":      `{"data":1}`,
		"grpc source":       `{"data":1,"meta":{"source":"grpc"}}`,
		"local only source": `{"data":1,"meta":{"source":"local"}}`,
	} {
		if CollectErrors(s, json.RawMessage(doc)) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestResponseMetaSchema(t *testing.T) {
	s := compileExported(t, ResponseMetaSchema, "ResponseMetaSchema")
	for name, doc := range map[string]string{
		"local": `{"source":"local","operationId":"a","timestamp":1}`,
		"http":  `{"source":"http","statusCode":200,"headers":{},"contentType":"text/plain"}`,
		"mcp":   `{"source":"mcp","isError":false,"content":[]}`,
		"mcp optional": `{"source":"mcp","isError":false,"content":[{"type":"text","text":"x"}],` +
			`"structuredContent":{"a":1},"_meta":{"b":2}}`,
	} {
		if errs := CollectErrors(s, json.RawMessage(doc)); errs != nil {
			t.Errorf("%s rejected: %v", name, errs)
		}
	}
	for name, doc := range map[string]string{
		"unknown source":     `{"source":"ws"}`,
		"local no opId":      `{"source":"local","timestamp":1}`,
		"http no statusCode": `{"source":"http","headers":{},"contentType":""}`,
		"mcp no content":     `{"source":"mcp","isError":false}`,
		"mcp string isError": `{"source":"mcp","isError":"false","content":[]}`,
	} {
		if CollectErrors(s, json.RawMessage(doc)) == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestMCPContentBlockSchema(t *testing.T) {
	s := compileExported(t, MCPContentBlockSchema, "MCPContentBlockSchema")
	valid := map[string]string{
		"text":              `{"type":"text","text":"hi"}`,
		"text annotated":    `{"type":"text","text":"hi","annotations":{"audience":["user"],"priority":1}}`,
		"image":             `{"type":"image","data":"aGk=","mimeType":"image/png"}`,
		"audio":             `{"type":"audio","data":"aGk=","mimeType":"audio/wav"}`,
		"resource":          `{"type":"resource","resource":{"uri":"file:///a","text":"x"}}`,
		"resource_link":     `{"type":"resource_link","uri":"u","name":"n","description":"d","mimeType":"m"}`,
		"resource_link min": `{"type":"resource_link","uri":"u","name":"n"}`,
	}
	for name, doc := range valid {
		if errs := CollectErrors(s, json.RawMessage(doc)); errs != nil {
			t.Errorf("%s rejected: %v", name, errs)
		}
	}
	for name, doc := range map[string]string{
		"video":        `{"type":"video","data":"x"}`,
		"text no text": `{"type":"text"}`,
	} {
		if CollectErrors(s, json.RawMessage(doc)) == nil {
			t.Errorf("%s accepted", name)
		}
	}
	// Blocks written by MCPContentBlock.MarshalJSON match the schema.
	for _, b := range []MCPContentBlock{
		{Type: "text"}, {Type: "image", Data: "x", MimeType: "image/png"},
		{Type: "resource", Resource: &MCPResource{URI: "u", Blob: "Yg=="}},
		{Type: "resource_link", URI: "u", Name: "n"},
	} {
		if errs := CollectErrors(s, b); errs != nil {
			t.Errorf("marshalled %s block rejected: %v", b.Type, errs)
		}
	}
}

func TestPayloadSchemasCompile(t *testing.T) {
	for name, raw := range map[string]json.RawMessage{
		"OperationSpecSchema": OperationSpecSchema, "CallRequestedSchema": CallRequestedSchema,
		"CallRespondedSchema": CallRespondedSchema, "CallCompletedSchema": CallCompletedSchema,
		"CallAbortedSchema": CallAbortedSchema, "CallErrorSchema": CallErrorSchema,
	} {
		compileExported(t, raw, name)
	}
	spec := compileExported(t, OperationSpecSchema, "OperationSpecSchema")
	if errs := CollectErrors(spec, testOpSpec()); errs != nil {
		t.Errorf("testOp spec rejected: %v", errs)
	}
	bad := testOpSpec()
	bad.Name = "bad name"
	if CollectErrors(spec, bad) == nil {
		t.Error("spec with a bad name accepted")
	}
}

func TestLocalEnvelopeEscapedOperationID(t *testing.T) {
	env := LocalEnvelope("x", `odd "id" <&>`)
	b, err := env.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back ResponseEnvelope
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	if got := back.Meta.(*LocalMeta).OperationID; got != `odd "id" <&>` {
		t.Errorf("operationId = %q", got)
	}
}

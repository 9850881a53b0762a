package operations

import (
	"encoding/json"
	"strings"
	"testing"
)

func mustCompile(t *testing.T, raw string) *Schema {
	t.Helper()
	s, err := CompileSchema(json.RawMessage(raw), "test schema")
	if err != nil {
		t.Fatalf("CompileSchema(%s): %v", raw, err)
	}
	return s
}

func TestFormatValueErrors(t *testing.T) {
	if got := FormatValueErrors([]ValueError{{"/foo", "Expected string"}}); got != "  - /foo: Expected string" {
		t.Errorf("got %q", got)
	}
	got := FormatValueErrorsIndent([]ValueError{{"/bar", "Expected number"}}, "  * ")
	if got != "  * /bar: Expected number" {
		t.Errorf("indent: got %q", got)
	}
	two := FormatValueErrors([]ValueError{{"/a", "x"}, {"/b", "y"}})
	if two != "  - /a: x\n  - /b: y" {
		t.Errorf("two: got %q", two)
	}
}

func TestCheckSchema(t *testing.T) {
	if err := CheckSchema(json.RawMessage(testOpInputSchema), "myOp inputSchema"); err != nil {
		t.Errorf("real schema: %v", err)
	}
	if err := CheckSchema(json.RawMessage(`{}`), "myOp inputSchema"); err != nil {
		t.Errorf("{}: %v", err)
	}
	err := CheckSchema(json.RawMessage(`{"type":5}`), "myOp inputSchema")
	if err == nil || !strings.Contains(err.Error(), "not a valid JSON Schema for myOp inputSchema") {
		t.Errorf("bad schema: %v", err)
	}
}

func TestValidateValueMessages(t *testing.T) {
	s := mustCompile(t, `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)
	if err := ValidateValue(s, map[string]any{"name": "test"}, ""); err != nil {
		t.Errorf("valid: %v", err)
	}
	err := ValidateValue(s, map[string]any{"name": 123}, "")
	if err == nil || !strings.HasPrefix(err.Error(), "Validation failed:\n") {
		t.Errorf("no context: %v", err)
	}
	err = ValidateValue(s, map[string]any{"name": 123}, "myOp")
	if err == nil || !strings.HasPrefix(err.Error(), "Validation failed for myOp:\n") {
		t.Errorf("context: %v", err)
	}
	ce := assertCode(t, err, CodeValidation)
	assertJSON(t, ce.Details, `[{"path":"/name","message":"got number, want string"}]`)
}

func TestCollectErrorsResults(t *testing.T) {
	s := mustCompile(t, `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`)
	if errs := CollectErrors(s, map[string]any{"name": "x"}); errs != nil {
		t.Errorf("valid: %v", errs)
	}
	assertJSON(t, CollectErrors(s, json.RawMessage(`{"name":123}`)),
		`[{"path":"/name","message":"got number, want string"}]`)
}

func TestCollectErrorsMissingProperties(t *testing.T) {
	s := mustCompile(t, `{"type":"object","required":["b","a"]}`)
	assertJSON(t, CollectErrors(s, map[string]any{}),
		`[{"path":"/a","message":"missing property 'a'"},{"path":"/b","message":"missing property 'b'"}]`)
}

func TestCollectErrorsInvalidJSON(t *testing.T) {
	s := mustCompile(t, `{"type":"object"}`)
	errs := CollectErrors(s, json.RawMessage(`{"a":`))
	if len(errs) != 1 || errs[0].Path != "" || !strings.HasPrefix(errs[0].Message, "invalid JSON: ") {
		t.Errorf("got %v", errs)
	}
}

func TestSchemaKeywords(t *testing.T) {
	tests := []struct {
		name, schema string
		valid        []string
		invalid      []string
	}{
		{"object required", `{"type":"object","required":["name"]}`,
			[]string{`{"name":"a"}`, `{"name":"a","age":1}`}, []string{`{}`}},
		{"string", `{"type":"string"}`, []string{`"hello"`}, []string{`1`}},
		{"number", `{"type":"number"}`, []string{`42`}, []string{`"x"`}},
		{"integer", `{"type":"integer"}`, []string{`1`}, []string{`1.5`}},
		{"boolean", `{"type":"boolean"}`, []string{`true`}, []string{`0`}},
		{"null", `{"type":"null"}`, []string{`null`}, []string{`0`}},
		{"enum", `{"enum":["a","b","c"]}`, []string{`"a"`}, []string{`"d"`}},
		{"array", `{"type":"array","items":{"type":"string"}}`, []string{`["a","b"]`}, []string{`[1]`}},
		{"prefixItems", `{"type":"array","prefixItems":[{"type":"string"},{"type":"number"}]}`,
			[]string{`["a",1]`}, []string{`[1,"a"]`}},
		{"allOf", `{"allOf":[{"type":"object","required":["name"]},{"type":"object","required":["age"]}]}`,
			[]string{`{"name":"a","age":1}`}, []string{`{"name":"a"}`}},
		{"anyOf", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, []string{`"a"`, `1`}, []string{`true`}},
		{"oneOf", `{"oneOf":[{"type":"string"},{"type":"number"}]}`, []string{`"a"`, `1`}, []string{`true`}},
		{"oneOf exclusive", `{"oneOf":[{"type":"number"},{"type":"integer"}]}`, []string{`1.5`}, []string{`1`}},
		{"object const", `{"const":{"a":1}}`, []string{`{"a":1}`}, []string{`{"a":2}`}},
		{"primitive const", `{"const":"x"}`, []string{`"x"`}, []string{`"y"`}},
		{"local ref", `{"$defs":{"n":{"type":"number"}},"$ref":"#/$defs/n"}`, []string{`1`}, []string{`"a"`}},
		{"empty", `{}`, []string{`1`, `"a"`, `null`, `{"x":[1]}`}, nil},
		{"format is an annotation", `{"type":"string","format":"email"}`, []string{`"not an email"`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.schema)
			for _, v := range tc.valid {
				if errs := CollectErrors(s, json.RawMessage(v)); errs != nil {
					t.Errorf("%s rejected: %v", v, errs)
				}
			}
			for _, v := range tc.invalid {
				if CollectErrors(s, json.RawMessage(v)) == nil {
					t.Errorf("%s accepted", v)
				}
			}
		})
	}
}

func TestSchemaRemoteRefRejected(t *testing.T) {
	_, err := CompileSchema(json.RawMessage(`{"$ref":"https://example.com/x.json"}`), "remote")
	if err == nil {
		t.Fatal("remote $ref compiled")
	}
	_, err = CompileSchema(json.RawMessage(`{"$ref":"file:///etc/passwd"}`), "file")
	if err == nil {
		t.Fatal("file $ref compiled")
	}
}

func TestSchemaUnknownDetection(t *testing.T) {
	for _, raw := range []string{`{}`, `true`, `{"description":"x"}`, `{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"t"}`} {
		if !mustCompile(t, raw).Unknown() {
			t.Errorf("%s is not Unknown", raw)
		}
	}
	for _, raw := range []string{`false`, `{"type":"object"}`} {
		if mustCompile(t, raw).Unknown() {
			t.Errorf("%s is Unknown", raw)
		}
	}
	s, err := CompileSchema(nil, "empty")
	if err != nil || !s.Unknown() {
		t.Errorf("empty bytes: %v, unknown=%v", err, s.Unknown())
	}
	if string(s.Raw()) != "{}" {
		t.Errorf("empty Raw() = %s", s.Raw())
	}
}

func TestCastRules(t *testing.T) {
	tests := []struct {
		name, schema, in, want string
	}{
		{"valid unchanged", `{"type":"object","properties":{"a":{"type":"string"}}}`, `{"a":"x","b":1}`, `{"a":"x","b":1}`},
		{"extra keys kept", `{"type":"object","properties":{"name":{"type":"string"},"count":{"type":"number"}},"required":["name","count"]}`,
			`{"name":"a","count":1,"extra":true}`, `{"name":"a","count":1,"extra":true}`},
		{"missing required created", `{"type":"object","properties":{"result":{"type":"string"},"count":{"type":"number"}},"required":["result","count"]}`,
			`{"result":"ok"}`, `{"result":"ok","count":0}`},
		{"default used", `{"type":"object","properties":{"n":{"type":"number","default":7}},"required":["n"]}`, `{}`, `{"n":7}`},
		{"wrong type replaced", `{"type":"object","properties":{"result":{"type":"string"}},"required":["result"]}`,
			`{"result":5}`, `{"result":""}`},
		{"enum first member", `{"enum":["a","b"]}`, `"z"`, `"a"`},
		{"const", `{"const":"c"}`, `"z"`, `"c"`},
		{"array items", `{"type":"array","items":{"type":"string"}}`, `["a",1]`, `["a",""]`},
		{"not an array", `{"type":"array"}`, `5`, `[]`},
		{"anyOf first member", `{"anyOf":[{"type":"string"},{"type":"number"}]}`, `true`, `""`},
		{"type list", `{"type":["integer","null"]}`, `"x"`, `0`},
		{"nested object created", `{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"boolean"}},"required":["x"]}},"required":["o"]}`,
			`{}`, `{"o":{"x":false}}`},
		{"ref followed", `{"$defs":{"s":{"type":"string"}},"type":"object","properties":{"a":{"$ref":"#/$defs/s"}},"required":["a"]}`,
			`{}`, `{"a":""}`},
		{"right type kept despite constraint", `{"type":"object","properties":{"s":{"type":"string","minLength":3},"n":{"type":"number"}},"required":["n"]}`,
			`{"s":"a"}`, `{"s":"a","n":0}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := mustCompile(t, tc.schema)
			var in any
			_ = json.Unmarshal([]byte(tc.in), &in)
			assertJSON(t, Cast(s, in), tc.want)
		})
	}
}

func TestCastUnknownReturnsInput(t *testing.T) {
	in := map[string]any{"a": 1}
	out := Cast(mustCompile(t, `{}`), in)
	if m, ok := out.(map[string]any); !ok || len(m) != 1 {
		t.Errorf("Cast changed the input: %v", out)
	}
}

func TestCompileSchemaRejectsSelfReference(t *testing.T) {
	for _, doc := range []string{`{"$ref":"#"}`, `{"allOf":[{"$ref":"#"}]}`} {
		if _, err := CompileSchema(json.RawMessage(doc), "probe"); err == nil {
			t.Errorf("CompileSchema(%s) succeeded, want a $ref cycle error", doc)
		}
	}
	if _, err := CompileSchema(json.RawMessage(`{"type":"object","properties":{"child":{"$ref":"#"}}}`), "tree"); err != nil {
		t.Errorf("a recursive tree schema was refused: %v", err)
	}
}

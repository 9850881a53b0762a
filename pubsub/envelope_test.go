package pubsub

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestEncodeEnvelopeExactBytes(t *testing.T) {
	tests := []struct {
		name string
		env  Envelope
		want string
	}{
		{
			name: "raw payload",
			env:  Envelope{Type: "call.responded", ID: "uuid-123", Payload: json.RawMessage(`{"output":42}`)},
			want: `{"type":"call.responded","id":"uuid-123","payload":{"output":42}}`,
		},
		{
			name: "nil payload and empty id",
			env:  Envelope{Type: "a"},
			want: `{"type":"a","id":"","payload":null}`,
		},
		{
			name: "html characters unescaped",
			env:  Envelope{Type: "a", ID: "<&>", Payload: "<&>"},
			want: `{"type":"a","id":"<&>","payload":"<&>"}`,
		},
		{
			name: "struct payload",
			env:  Envelope{Type: "a", ID: "1", Payload: struct{ N int }{7}},
			want: `{"type":"a","id":"1","payload":{"N":7}}`,
		},
		{
			name: "string escapes",
			env:  Envelope{Type: "q\"\\\n\t\x01", ID: "\u2028ü🚀", Payload: nil},
			want: `{"type":"q\"\\\n\t\u0001","id":"\u2028ü🚀","payload":null}`,
		},
		{
			name: "invalid utf-8 in id",
			env:  Envelope{Type: "a", ID: "x\xffy"},
			want: `{"type":"a","id":"x\ufffdy","payload":null}`,
		},
		{
			name: "subscribe control frame",
			env:  ControlFrame(ControlSubscribe, "call.responded:uuid-1"),
			want: `{"type":"__subscribe","id":"","payload":{"topic":"call.responded:uuid-1"}}`,
		},
		{
			name: "unsubscribe control frame",
			env:  ControlFrame(ControlUnsubscribe, "a:"),
			want: `{"type":"__unsubscribe","id":"","payload":{"topic":"a:"}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeEnvelope(tt.env)
			if err != nil {
				t.Fatalf("EncodeEnvelope: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("EncodeEnvelope = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEncodeEnvelopeStringsMatchEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "<&>", "\x00\x1f\x7f", "\u2029", "a\xc3", "\"\\/"} {
		got := appendJSONString(nil, s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var back1, back2 string
		if err := json.Unmarshal(got, &back1); err != nil {
			t.Fatalf("appendJSONString(%q) = %s is not valid JSON: %v", s, got, err)
		}
		if err := json.Unmarshal(want, &back2); err != nil {
			t.Fatal(err)
		}
		if back1 != back2 {
			t.Errorf("appendJSONString(%q) decodes to %q, encoding/json gives %q", s, back1, back2)
		}
	}
}

func TestEncodeEnvelopeRejectsBadPayload(t *testing.T) {
	if _, err := EncodeEnvelope(Envelope{Type: "a", Payload: make(chan int)}); err == nil {
		t.Error("EncodeEnvelope with a channel payload returned nil error")
	}
	if _, err := EncodeEnvelope(Envelope{Type: "a", Payload: json.RawMessage(`{`)}); err == nil {
		t.Error("EncodeEnvelope with invalid raw JSON returned nil error")
	}
}

func TestDecodeEnvelopeAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Envelope
	}{
		{"missing payload", `{"type":"a","id":"1"}`, Envelope{Type: "a", ID: "1"}},
		{"null payload", `{"type":"a","id":"","payload":null}`, Envelope{Type: "a"}},
		{"extra fields", `{"x":[1,{"y":2}],"type":"a","id":"1","ts":5}`, Envelope{Type: "a", ID: "1"}},
		{"raw payload kept verbatim", `{"type":"a","id":"1","payload": { "n" : 1 }}`,
			Envelope{Type: "a", ID: "1", Payload: json.RawMessage(`{ "n" : 1 }`)}},
		{"escaped key", `{"\u0074ype":"a","id":"1"}`, Envelope{Type: "a", ID: "1"}},
		{"whitespace around", " \n{\"type\":\"a\",\"id\":\"\"}\n ", Envelope{Type: "a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEnvelope([]byte(tt.in))
			if err != nil {
				t.Fatalf("DecodeEnvelope: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeEnvelope = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeEnvelopeRejects(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty input", ``},
		{"array", `[1,2]`},
		{"string", `"a"`},
		{"null", `null`},
		{"invalid json", `{"type":"a",`},
		{"trailing data", `{"type":"a","id":"1"}x`},
		{"second object", `{"type":"a","id":"1"}{}`},
		{"missing type", `{"id":"1"}`},
		{"empty type", `{"type":"","id":"1"}`},
		{"numeric type", `{"type":5,"id":"1"}`},
		{"null type", `{"type":null,"id":"1"}`},
		{"missing id", `{"type":"a"}`},
		{"numeric id", `{"type":"a","id":1}`},
		{"null id", `{"type":"a","id":null}`},
		{"type key wrong case", `{"Type":"a","id":"1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeEnvelope([]byte(tt.in))
			if !errors.Is(err, ErrBadEnvelope) {
				t.Errorf("DecodeEnvelope(%q) error = %v, want ErrBadEnvelope", tt.in, err)
			}
		})
	}
}

func TestDecodeEnvelopeCopiesPayload(t *testing.T) {
	buf := []byte(`{"type":"a","id":"1","payload":{"n":1}}`)
	env, err := DecodeEnvelope(buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = ' '
	}
	if got := string(env.Payload.(json.RawMessage)); got != `{"n":1}` {
		t.Errorf("payload after reusing the input buffer = %q, want {\"n\":1}", got)
	}
}

func TestTopicOf(t *testing.T) {
	tests := []struct{ typ, id, want string }{
		{"call.responded", "", "call.responded:"},
		{"a:b", "c", "a:b:c"},
		{"a", "b:c", "a:b:c"},
		{"call.responded", "uuid-123", "call.responded:uuid-123"},
	}
	for _, tt := range tests {
		if got := TopicOf(tt.typ, tt.id); got != tt.want {
			t.Errorf("TopicOf(%q, %q) = %q, want %q", tt.typ, tt.id, got, tt.want)
		}
		if got := (Envelope{Type: tt.typ, ID: tt.id}).Topic(); got != tt.want {
			t.Errorf("Envelope{%q, %q}.Topic() = %q, want %q", tt.typ, tt.id, got, tt.want)
		}
	}
}

type point struct {
	X int    `json:"x"`
	S string `json:"s"`
}

func TestDecodePayload(t *testing.T) {
	p := &point{X: 1}
	if got, err := DecodePayload[*point](Envelope{Type: "a", Payload: p}); err != nil || got != p {
		t.Errorf("same type: got %v, %v; want the identical pointer", got, err)
	}
	if got, err := DecodePayload[point](Envelope{Type: "a"}); err != nil || got != (point{}) {
		t.Errorf("nil payload: got %v, %v; want zero value", got, err)
	}
	raw := Envelope{Type: "a", Payload: json.RawMessage(`{"x":2,"s":"y"}`)}
	if got, err := DecodePayload[point](raw); err != nil || got != (point{2, "y"}) {
		t.Errorf("raw payload: got %v, %v", got, err)
	}
	if got, err := DecodePayload[point](Envelope{Type: "a", Payload: []byte(`null`)}); err != nil || got != (point{}) {
		t.Errorf("bytes null: got %v, %v", got, err)
	}
	m := Envelope{Type: "a", Payload: map[string]any{"x": 3, "s": "z"}}
	if got, err := DecodePayload[point](m); err != nil || got != (point{3, "z"}) {
		t.Errorf("map payload: got %v, %v", got, err)
	}
	_, err := DecodePayload[point](Envelope{Type: "weird", Payload: json.RawMessage(`[1]`)})
	if !errors.Is(err, ErrBadPayload) {
		t.Errorf("array into struct: error = %v, want ErrBadPayload", err)
	}
	if err != nil && !strings.Contains(err.Error(), `"weird"`) {
		t.Errorf("error %q does not name the envelope type", err)
	}
	_, err = DecodePayload[point](Envelope{Type: "a", Payload: make(chan int)})
	if !errors.Is(err, ErrBadPayload) {
		t.Errorf("channel payload: error = %v, want ErrBadPayload", err)
	}
}

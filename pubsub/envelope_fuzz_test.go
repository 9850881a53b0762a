package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// decodeReference decodes an envelope with encoding/json's token stream. It is slower than
// DecodeEnvelope but obviously follows the decoding rules, so the fuzz target compares both.
func decodeReference(data []byte) (Envelope, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return Envelope{}, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Envelope{}, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return Envelope{}, err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Envelope{}, err
		}
		fields[keyTok.(string)] = raw
	}
	if _, err := dec.Token(); err != nil {
		return Envelope{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Envelope{}, errors.New("trailing data")
	}
	str := func(name string) (string, bool) {
		raw, ok := fields[name]
		if !ok || len(raw) == 0 || raw[0] != '"' {
			return "", false
		}
		var s string
		return s, json.Unmarshal(raw, &s) == nil
	}
	var env Envelope
	var ok bool
	if env.Type, ok = str("type"); !ok || env.Type == "" {
		return Envelope{}, errors.New("bad type")
	}
	if env.ID, ok = str("id"); !ok {
		return Envelope{}, errors.New("bad id")
	}
	if raw := fields["payload"]; len(raw) > 0 && string(raw) != "null" {
		env.Payload = raw
	}
	return env, nil
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"type":"call.responded","id":"uuid-123","payload":{"output":42}}`,
		`{"type":"a","id":""}`,
		`{"type":"a","id":"","payload":null}`,
		`{"type":"__subscribe","id":"","payload":{"topic":"a:"}}`,
		`{"type":"a","id":"x:y","payload":[1,"ünï 🚀",{"<&>":null}],"extra":true}`,
		`{"type":"a\u2028","id":"\ud800","payload": 1e400 }`,
		`[1]`, `{"type":5}`, `{"type":"a","id":"1"} {}`, `{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := DecodeEnvelope(data)
		ref, refErr := decodeReference(data)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("DecodeEnvelope error %v, reference decoder error %v, for %q", err, refErr, data)
		}
		if err != nil {
			if !errors.Is(err, ErrBadEnvelope) {
				t.Fatalf("error %v does not wrap ErrBadEnvelope", err)
			}
			return
		}
		if !reflect.DeepEqual(env, ref) {
			t.Fatalf("DecodeEnvelope = %#v, reference decoder = %#v, for %q", env, ref, data)
		}
		if env.Type == "" {
			t.Fatalf("accepted an envelope with an empty type from %q", data)
		}
		encoded, err := EncodeEnvelope(env)
		if err != nil {
			t.Fatalf("re-encoding %#v decoded from %q: %v", env, data, err)
		}
		again, err := DecodeEnvelope(encoded)
		if err != nil {
			t.Fatalf("decoding the re-encoding %q of %q: %v", encoded, data, err)
		}
		if again.Type != env.Type || again.ID != env.ID {
			t.Fatalf("type/id changed from %q/%q to %q/%q", env.Type, env.ID, again.Type, again.ID)
		}
		first, _ := env.Payload.(json.RawMessage)
		second, _ := again.Payload.(json.RawMessage)
		if !bytes.Equal(first, second) {
			t.Fatalf("payload changed from %q to %q", first, second)
		}
	})
}

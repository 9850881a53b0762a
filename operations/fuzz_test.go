package operations

import (
	"encoding/json"
	"testing"
)

// FuzzResponseEnvelopeDecode checks that decoding never panics and that a
// decoded envelope encodes again and decodes to the same meta source.
func FuzzResponseEnvelopeDecode(f *testing.F) {
	f.Add([]byte(`{"data":{"a":1},"meta":{"source":"local","operationId":"a.b","timestamp":1}}`))
	f.Add([]byte(`{"data":null,"meta":{"source":"http","statusCode":200,"headers":{},"contentType":""}}`))
	f.Add([]byte(`{"data":[],"meta":{"source":"mcp","isError":true,"content":[{"type":"text","text":"x"}]}}`))
	f.Add([]byte(`{"data":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var env ResponseEnvelope
		if err := json.Unmarshal(data, &env); err != nil {
			return
		}
		out, err := env.MarshalJSON()
		if err != nil {
			return // for example a content block of an unknown type
		}
		var back ResponseEnvelope
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-encoded envelope %s does not decode: %v", out, err)
		}
		if back.Meta.Source() != env.Meta.Source() {
			t.Fatalf("source changed from %s to %s", env.Meta.Source(), back.Meta.Source())
		}
	})
}

// FuzzCallRequestedDecode checks that decoding call.requested never panics
// and that a decoded payload survives a round trip.
func FuzzCallRequestedDecode(f *testing.F) {
	f.Add([]byte(`{"requestId":"r","operationId":"a.b","input":{},"deadline":1.5,"idleTimeout":3}`))
	f.Add([]byte(`{"requestId":"r","identity":{"id":"u","scopes":["a"],"resources":{"p:1":["read"]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var req CallRequested
		if err := json.Unmarshal(data, &req); err != nil {
			return
		}
		out, err := json.Marshal(req)
		if err != nil {
			return // input that is not valid JSON on its own
		}
		var back CallRequested
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-encoded payload %s does not decode: %v", out, err)
		}
		if back.RequestID != req.RequestID || back.Deadline != req.Deadline {
			t.Fatalf("round trip changed %+v into %+v", req, back)
		}
	})
}

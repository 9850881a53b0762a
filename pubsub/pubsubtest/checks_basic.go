package pubsubtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

type sample struct {
	N int    `json:"n"`
	S string `json:"s"`
}

// roundTrip: one publish reaches the handler of its topic exactly once, intact.
func (s *suite) roundTrip(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "a:1", rec.handle)

	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "1", Payload: sample{N: 1, S: "x"}})
	got := rec.untilMarker(t, publishMarker(t, p.Pub, "a", "1"))
	if len(got) != 1 {
		t.Fatalf("handler received %d envelopes, want 1", len(got))
	}
	if got[0].Type != "a" || got[0].ID != "1" {
		t.Errorf("envelope type/id = %q/%q, want a/1", got[0].Type, got[0].ID)
	}
	payload, err := pubsub.DecodePayload[sample](got[0])
	if err != nil {
		t.Fatalf("DecodePayload: %v", err)
	}
	if payload != (sample{N: 1, S: "x"}) {
		t.Errorf("payload = %+v, want {N:1 S:x}", payload)
	}
}

// isolation: a handler of a:1 receives nothing published on a:2 or b:1.
func (s *suite) isolation(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "a:1", rec.handle)

	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "2", Payload: 1})
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "b", ID: "1", Payload: 2})
	if got := rec.untilMarker(t, publishMarker(t, p.Pub, "a", "1")); len(got) != 0 {
		t.Errorf("a:1 handler received %v, want nothing", got)
	}
}

// emptyID: an empty id is the topic "a:", not a wildcard.
func (s *suite) emptyID(t *testing.T) {
	p := s.pair(t)
	empty, other := newRecorder(), newRecorder()
	subscribe(t, p, "a:", empty.handle)
	subscribe(t, p, "a:x", other.handle)

	env := pubsub.Envelope{Type: "a", ID: "", Payload: 1}
	if env.Topic() != "a:" {
		t.Errorf("topic of (a, \"\") = %q, want a:", env.Topic())
	}
	mustPublish(t, p.Pub, env)
	if got := empty.untilMarker(t, publishMarker(t, p.Pub, "a", "")); len(got) != 1 {
		t.Errorf("a: handler received %d envelopes, want 1", len(got))
	}
	if got := other.untilMarker(t, publishMarker(t, p.Pub, "a", "x")); len(got) != 0 {
		t.Errorf("a:x handler received %v, want nothing", got)
	}
}

// severalHandlers: every handler of a topic receives every event exactly once.
func (s *suite) severalHandlers(t *testing.T) {
	p := s.pair(t)
	recs := []*recorder{newRecorder(), newRecorder(), newRecorder()}
	for _, r := range recs {
		subscribe(t, p, "a:1", r.handle)
	}
	for i := range 3 {
		mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "1", Payload: i})
	}
	marker := publishMarker(t, p.Pub, "a", "1")
	for i, r := range recs {
		if got := r.untilMarker(t, marker); len(got) != 3 {
			t.Errorf("handler %d received %d envelopes, want 3", i, len(got))
		}
	}
}

// unsubscribe: a removed handler receives nothing more, the other handler of the topic keeps
// receiving, and removing twice is a no-op.
func (s *suite) unsubscribe(t *testing.T) {
	p := s.pair(t)
	removed, kept, watch := newRecorder(), newRecorder(), newRecorder()
	unsubRemoved := subscribe(t, p, "a:1", removed.handle)
	unsubKept := subscribe(t, p, "a:1", kept.handle)
	subscribe(t, p, "b:1", watch.handle)

	unsubRemoved()
	unsubRemoved()
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "1", Payload: 1})
	marker := publishMarker(t, p.Pub, "a", "1")
	if got := kept.untilMarker(t, marker); len(got) != 1 {
		t.Errorf("remaining handler received %d envelopes, want 1", len(got))
	}
	if got := removed.snapshot(); len(got) != 0 {
		t.Errorf("removed handler received %v, want nothing", got)
	}

	unsubKept()
	settle(t, p, "a:1", false)
	before := len(kept.snapshot())
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "1", Payload: 2})
	watch.untilMarker(t, publishMarker(t, p.Pub, "b", "1"))
	if got := kept.snapshot(); len(got) != before {
		t.Errorf("handler received %d envelopes after its unsubscribe, want none", len(got)-before)
	}
	unsubKept()
}

// order: events published by one goroutine arrive in publish order.
func (s *suite) order(t *testing.T) {
	const n = 1000
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "a:1", rec.handle)
	for i := range n {
		mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "1", Payload: i})
	}
	got := rec.waitUntil(t, "1000 events", func(e []pubsub.Envelope) bool { return len(e) >= n })
	for i, env := range got {
		v, err := pubsub.DecodePayload[int](env)
		if err != nil || v != i {
			t.Fatalf("event %d has payload %v (%v), want %d", i, env.Payload, err, i)
		}
	}
}

// fidelity: payloads and ids round-trip unchanged.
func (s *suite) fidelity(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	const id = "x:y:z"
	subscribe(t, p, pubsub.TopicOf("a", id), rec.handle)

	payloads := []any{
		map[string]any{"nested": map[string]any{"list": []any{1, "two", map[string]any{"three": 3}}}},
		[]any{1, 2, []any{3, []any{4}}},
		"ünï 🚀",
		"<&>",
		int64(1) << 53,
		-(int64(1) << 53),
		nil,
		&sample{N: 7, S: "ptr"},
	}
	for _, pl := range payloads {
		mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: id, Payload: pl})
	}
	got := rec.untilMarker(t, publishMarker(t, p.Pub, "a", id))
	if len(got) != len(payloads) {
		t.Fatalf("received %d envelopes, want %d", len(got), len(payloads))
	}
	for i, env := range got {
		if env.ID != id {
			t.Errorf("envelope %d id = %q, want %q", i, env.ID, id)
		}
		if !s.feat.Serialized {
			if !sameValue(env.Payload, payloads[i]) {
				t.Errorf("envelope %d payload = %#v, want the identical value %#v", i, env.Payload, payloads[i])
			}
			continue
		}
		if payloads[i] == nil {
			if env.Payload != nil {
				t.Errorf("envelope %d payload = %#v, want nil for JSON null", i, env.Payload)
			}
			continue
		}
		raw, ok := env.Payload.(json.RawMessage)
		if !ok {
			t.Errorf("envelope %d payload is %T, want json.RawMessage", i, env.Payload)
			continue
		}
		if !jsonEqual(t, raw, payloads[i]) {
			t.Errorf("envelope %d payload = %s, want the JSON of %#v", i, raw, payloads[i])
		}
	}
}

// sameValue compares pointers by identity and other values deeply.
func sameValue(got, want any) bool {
	if reflect.TypeOf(want) != nil && reflect.TypeOf(want).Kind() == reflect.Pointer {
		return got == want
	}
	return reflect.DeepEqual(got, want)
}

// jsonEqual reports whether raw decodes to the same JSON value as want encodes to, keeping
// numbers exact.
func jsonEqual(t *testing.T, raw json.RawMessage, want any) bool {
	t.Helper()
	wantJSON, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("encoding expected payload: %v", err)
	}
	decode := func(b []byte) any {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("decoding %s: %v", b, err)
		}
		return v
	}
	return reflect.DeepEqual(decode(raw), decode(wantJSON))
}

// collision: ("a:b", "c") and ("a", "b:c") share the topic a:b:c and keep their own type and
// id.
func (s *suite) collision(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "a:b:c", rec.handle)
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a:b", ID: "c", Payload: 1})
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "a", ID: "b:c", Payload: 2})
	got := rec.untilMarker(t, publishMarker(t, p.Pub, "a", "b:c"))
	if len(got) != 2 {
		t.Fatalf("a:b:c handler received %d envelopes, want 2", len(got))
	}
	if got[0].Type != "a:b" || got[0].ID != "c" {
		t.Errorf("first envelope = %q/%q, want a:b/c", got[0].Type, got[0].ID)
	}
	if got[1].Type != "a" || got[1].ID != "b:c" {
		t.Errorf("second envelope = %q/%q, want a/b:c", got[1].Type, got[1].ID)
	}
}

// reserved: reserved and empty types are rejected on publish and subscribe.
func (s *suite) reserved(t *testing.T) {
	p := s.pair(t)
	ctx := ctxTimeout(t)
	if err := p.Pub.Publish(ctx, pubsub.Envelope{Type: "__x", ID: "1"}); !errors.Is(err, pubsub.ErrReservedType) {
		t.Errorf("Publish(__x) = %v, want ErrReservedType", err)
	}
	if err := p.Pub.Publish(ctx, pubsub.Envelope{Type: "", ID: "1"}); !errors.Is(err, pubsub.ErrEmptyType) {
		t.Errorf("Publish(\"\") = %v, want ErrEmptyType", err)
	}
	noop := func(pubsub.Envelope) {}
	if _, err := p.Sub.Subscribe(ctx, "__x:1", noop); !errors.Is(err, pubsub.ErrReservedType) {
		t.Errorf("Subscribe(__x:1) = %v, want ErrReservedType", err)
	}
	if _, err := p.Sub.Subscribe(ctx, "", noop); !errors.Is(err, pubsub.ErrEmptyType) {
		t.Errorf("Subscribe(\"\") = %v, want ErrEmptyType", err)
	}
}

// selfDelivery: a handler on Pub receives Pub's own publish only when the transport delivers
// to itself.
func (s *suite) selfDelivery(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	unsub, err := p.Pub.Subscribe(ctxTimeout(t), "self:1", rec.handle)
	if err != nil {
		t.Fatalf("Subscribe on Pub: %v", err)
	}
	defer unsub()

	if s.feat.SelfDelivery {
		got := rec.untilMarker(t, publishMarker(t, p.Pub, "self", "1"))
		if len(got) != 0 {
			t.Errorf("received %d envelopes before the marker, want 0", len(got))
		}
		return
	}
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "self", ID: "1", Payload: 1})
	time.Sleep(quietPeriod)
	if got := rec.snapshot(); len(got) != 0 {
		t.Errorf("Pub's handler received its own publish %v, want nothing", got)
	}
}

// largePayload: a payload of MaxPayload bytes arrives intact.
func (s *suite) largePayload(t *testing.T) {
	p := s.pair(t)
	rec := newRecorder()
	subscribe(t, p, "big:1", rec.handle)
	// A JSON string of MaxPayload bytes, quotes included.
	big := strings.Repeat("x", s.feat.MaxPayload-2)
	mustPublish(t, p.Pub, pubsub.Envelope{Type: "big", ID: "1", Payload: big})
	got := rec.waitUntil(t, "the large payload", func(e []pubsub.Envelope) bool { return len(e) >= 1 })
	v, err := pubsub.DecodePayload[string](got[0])
	if err != nil {
		t.Fatalf("DecodePayload: %v", err)
	}
	if v != big {
		t.Errorf("payload of %d bytes arrived as %d bytes", len(big), len(v))
	}
}

package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/config"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/storage"
)

func TestWebSocketUpgradeWithoutValidKeyIs401(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	for name, header := range map[string]http.Header{
		"missing":   {},
		"malformed": {"Authorization": {"Bearer not-a-key"}},
		"unknown":   {"Authorization": {"Bearer alk_" + strings.Repeat("A", 43)}},
		"query":     {"X-Ignored": {"x"}},
	} {
		t.Run(name, func(t *testing.T) {
			url := th.WSURL
			if name == "query" {
				url += "?access_token=alk_" + strings.Repeat("B", 43)
			}
			conn, res, err := websocket.DefaultDialer.Dial(url, header)
			if err == nil {
				conn.Close()
				t.Fatal("the upgrade succeeded")
			}
			if !errors.Is(err, websocket.ErrBadHandshake) || res == nil {
				t.Fatalf("dial error %v, want a refused handshake", err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", res.StatusCode)
			}
			body, _ := io.ReadAll(res.Body)
			if code := (response{Body: body}).errorCode(); code != operations.CodeUnauthenticated {
				t.Errorf("error code = %q (%s), want UNAUTHENTICATED", code, body)
			}
		})
	}
}

func TestWebSocketForeignOriginIs403(t *testing.T) {
	setup := newSetup(t, sqliteEngine)
	setup.tweak = func(cfg *config.Config) { cfg.Server.CORSOrigins = []string{"http://app.example"} }
	th := setup.start(t)
	bearer := "Bearer " + th.AdminKey

	for _, tc := range []struct {
		origin string
		status int
	}{
		{"", http.StatusSwitchingProtocols},
		{"http://app.example", http.StatusSwitchingProtocols},
		{"http://evil.example", http.StatusForbidden},
		{"http://app.example.evil.example", http.StatusForbidden},
	} {
		header := http.Header{"Authorization": {bearer}}
		if tc.origin != "" {
			header.Set("Origin", tc.origin)
		}
		conn, res, err := websocket.DefaultDialer.Dial(th.WSURL, header)
		if conn != nil {
			conn.Close()
		}
		if res == nil {
			t.Fatalf("origin %q: %v", tc.origin, err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("origin %q: status %d, want %d", tc.origin, res.StatusCode, tc.status)
		}
	}

	// Without configured origins, no browser origin may open a socket.
	closed := newTestHub(t, sqliteEngine)
	_, res, err := websocket.DefaultDialer.Dial(closed.WSURL,
		http.Header{"Authorization": {"Bearer " + closed.AdminKey}, "Origin": {"http://app.example"}})
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Errorf("a browser origin without corsOrigins: %v, want 403", err)
	}
}

func TestWebSocketListCallAnswersOnce(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	const id = "5b0c1f5e-2f0e-4c83-9d61-0d8a1c4b7e21"
	p.sendRaw(`{"type":"call.requested","id":"","payload":{"requestId":"` + id + `","operationId":"hub.list","input":{}}}`)

	f := p.read()
	if f.Type != operations.EventCallResponded || f.requestID() != id {
		t.Fatalf("first frame = %s for %q, want call.responded for %s", f.Type, f.requestID(), id)
	}
	if f.ID != "" {
		t.Errorf("frame id = %q, want empty", f.ID)
	}
	out, _ := f.Payload["output"].(map[string]any)
	if _, ok := out["data"]; !ok {
		t.Errorf("output has no data: %v", out)
	}
	meta, _ := out["meta"].(map[string]any)
	if meta["source"] != "local" {
		t.Errorf("meta.source = %v, want local", meta["source"])
	}

	// The response to a second call arrives, and nothing more for the first.
	second := p.request("hub.heartbeat", map[string]any{}, nil)
	_, skipped := p.answerTo(second)
	for _, s := range skipped {
		if s.requestID() == id {
			t.Errorf("a second frame for %s: %s", id, s.Type)
		}
	}
	if extra, err := p.readWithin(300 * time.Millisecond); err == nil {
		t.Errorf("unexpected frame after both answers: %s for %s", extra.Type, extra.requestID())
	}
}

func TestWebSocketMalformedFrameCloses4000(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	for name, text := range map[string]string{
		"not JSON":      `hello`,
		"array":         `[{"type":"call.requested","id":""}]`,
		"string":        `"call.requested"`,
		"type number":   `{"type":1,"id":"","payload":{}}`,
		"id number":     `{"type":"call.requested","id":7,"payload":{}}`,
		"id null":       `{"type":"call.requested","id":null,"payload":{}}`,
		"missing type":  `{"id":"","payload":{}}`,
		"missing id":    `{"type":"call.requested","payload":{}}`,
		"trailing data": `{"type":"call.requested","id":""} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := dialPeer(t, th, th.AdminKey)
			p.sendRaw(text)
			if code := p.closeCode(); code != 4000 {
				t.Errorf("close code = %d, want 4000", code)
			}
		})
	}
}

func TestWebSocketReservedTypeCloses4000(t *testing.T) {
	th := newTestHub(t, sqliteEngine)

	p := dialPeer(t, th, th.AdminKey)
	p.sendRaw(`{"type":"__publish","id":"","payload":{"topic":"call.requested:"}}`)
	if code := p.closeCode(); code != 4000 {
		t.Errorf("close code after __publish = %d, want 4000", code)
	}

	ok := dialPeer(t, th, th.AdminKey)
	ok.sendRaw(`{"type":"__subscribe","id":"","payload":{"topic":"call.requested:"}}`)
	ok.sendRaw(`{"type":"__unsubscribe","id":"","payload":{"topic":"call.requested:"}}`)
	if f := ok.call("hub.heartbeat", map[string]any{}); f.Type != operations.EventCallResponded {
		t.Errorf("after __subscribe and __unsubscribe, a call answered %s %v", f.Type, f.Payload)
	}
}

func TestSpokeNonEnvelopeOutputIsExecutionError(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "raw"}, opSpec("fs", "read", "query", `{"type":"object"}`))
		readID := reg.Operations["fs.read"]

		for name, output := range map[string]any{
			"plain object":     map[string]any{"text": "raw"},
			"string":           "raw",
			"no meta":          map[string]any{"data": 1},
			"unknown source":   map[string]any{"data": 1, "meta": map[string]any{"source": "ftp"}},
			"local without ts": map[string]any{"data": 1, "meta": map[string]any{"source": "local", "operationId": "fs.read"}},
		} {
			done := make(chan response, 1)
			go func() { done <- th.call(readID, map[string]any{}) }()
			req := p.read()
			p.send(operations.EventCallResponded, map[string]any{"requestId": req.requestID(), "output": output})
			res := receive(t, done, "the answer to "+name)
			if res.Status != http.StatusInternalServerError || res.errorCode() != operations.CodeExecution {
				t.Errorf("%s: %d %s, want 500 EXECUTION_ERROR", name, res.Status, res.Body)
			}
		}

		// The spoke stays connected and serves the next call.
		done := make(chan response, 1)
		go func() { done <- th.call(readID, map[string]any{}) }()
		req := p.read()
		p.respond(req.requestID(), "fs.read", map[string]any{"text": "ok"})
		if res := receive(t, done, "the valid answer"); res.Status != http.StatusOK {
			t.Errorf("after invalid answers, a valid one gives %d %s", res.Status, res.Body)
		}
	})
}

func TestUnknownOperationIsNotFound(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	const id = "no.such"

	res := th.call(id, map[string]any{})
	if res.Status != http.StatusNotFound {
		t.Errorf("REST status = %d, want 404", res.Status)
	}
	b := res.errorBody(t)
	if b.Error.Code != operations.CodeOperationNotFound {
		t.Errorf("REST code = %q, want OPERATION_NOT_FOUND", b.Error.Code)
	}
	var details map[string]any
	_ = json.Unmarshal(b.Error.Details, &details)
	if details["operationId"] != id {
		t.Errorf("REST details = %s, want operationId %s", b.Error.Details, id)
	}

	p := dialPeer(t, th, th.AdminKey)
	f := p.call(id, map[string]any{})
	if f.Type != operations.EventCallError || f.Payload["code"] != operations.CodeOperationNotFound {
		t.Fatalf("WebSocket answer = %s %v, want call.error OPERATION_NOT_FOUND", f.Type, f.Payload)
	}
	wsDetails, _ := f.Payload["details"].(map[string]any)
	if wsDetails["operationId"] != id {
		t.Errorf("WebSocket details = %v, want operationId %s", f.Payload["details"], id)
	}
}

// checkValueErrors checks that details is a non-empty [{path, message}]
// and that one entry has the path.
func checkValueErrors(t *testing.T, details json.RawMessage, path string) {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(details, &list); err != nil || len(list) == 0 {
		t.Errorf("details = %s, want a non-empty [{path, message}] list", details)
		return
	}
	found := false
	for _, e := range list {
		p, okPath := e["path"].(string)
		_, okMsg := e["message"].(string)
		if !okPath || !okMsg {
			t.Errorf("details entry %v lacks a string path or message", e)
		}
		found = found || p == path
	}
	if !found {
		t.Errorf("details = %s, want an entry for %q", details, path)
	}
}

func TestInvalidInputSkipsHandler(t *testing.T) {
	th, probes := newProbeHub(t, sqliteEngine)
	for _, tc := range []struct {
		name  string
		input any
		path  string
	}{
		{"wrong type", map[string]any{"n": "two"}, "/n"},
		{"below minimum", map[string]any{"n": 0}, "/n"},
		{"missing field", map[string]any{}, "/n"},
		{"unknown field", map[string]any{"n": 1, "m": 2}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := th.call("probe.strict", tc.input)
			if res.Status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400: %s", res.Status, res.Body)
			}
			b := res.errorBody(t)
			if b.Error.Code != operations.CodeValidation {
				t.Errorf("code = %q, want VALIDATION_ERROR", b.Error.Code)
			}
			checkValueErrors(t, b.Error.Details, tc.path)
		})
	}

	p := dialPeer(t, th, th.AdminKey)
	f := p.call("probe.strict", map[string]any{"n": -1})
	if f.Type != operations.EventCallError || f.Payload["code"] != operations.CodeValidation {
		t.Errorf("WebSocket answer = %s %v, want call.error VALIDATION_ERROR", f.Type, f.Payload)
	}
	if runs := probes.strictRuns.Load(); runs != 0 {
		t.Errorf("the handler ran %d times on invalid input", runs)
	}
	if res := th.call("probe.strict", map[string]any{"n": 1}); res.Status != http.StatusOK {
		t.Fatalf("valid input: %d %s", res.Status, res.Body)
	}
	if runs := probes.strictRuns.Load(); runs != 1 {
		t.Errorf("after one valid call the handler ran %d times, want 1", runs)
	}
}

func TestSpokeInvalidInputIsNotForwarded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "strict"}, opSpec("fs", "read", "query",
			`{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`))

		res := th.call(reg.Operations["fs.read"], map[string]any{"path": 3})
		if res.Status != http.StatusBadRequest || res.errorCode() != operations.CodeValidation {
			t.Fatalf("invalid input: %d %s, want 400 VALIDATION_ERROR", res.Status, res.Body)
		}
		checkValueErrors(t, res.errorBody(t).Error.Details, "/path")

		// The next frame the spoke receives is the valid call, not the invalid one.
		done := make(chan response, 1)
		go func() { done <- th.call(reg.Operations["fs.read"], map[string]any{"path": "/etc/hosts"}) }()
		req := p.read()
		if in, _ := req.Payload["input"].(map[string]any); in["path"] != "/etc/hosts" {
			t.Errorf("the spoke received input %v, want the valid call's", req.Payload["input"])
		}
		p.respond(req.requestID(), "fs.read", "x")
		receive(t, done, "the valid call")
	})
}

func TestRequiredScopesAllNeeded(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	partial, _ := th.newKey(storage.AccessUser, auth.ScopeOpsCall, "a")
	full, _ := th.newKey(storage.AccessUser, auth.ScopeOpsCall, "a", "b", "c")

	res := th.callWith(partial, "probe.scoped", map[string]any{})
	if res.Status != http.StatusForbidden || res.errorCode() != operations.CodeAccessDenied {
		t.Errorf("scopes [a]: %d %s, want 403 ACCESS_DENIED", res.Status, res.Body)
	}
	if res := th.callWith(full, "probe.scoped", map[string]any{}); res.Status != http.StatusOK {
		t.Errorf("scopes [a b c]: %d %s, want 200", res.Status, res.Body)
	}

	denied := dialPeer(t, th, partial).call("probe.scoped", map[string]any{})
	if denied.Type != operations.EventCallError || denied.Payload["code"] != operations.CodeAccessDenied {
		t.Errorf("WebSocket with scopes [a]: %s %v, want call.error ACCESS_DENIED", denied.Type, denied.Payload)
	}
	if f := dialPeer(t, th, full).call("probe.scoped", map[string]any{}); f.Type != operations.EventCallResponded {
		t.Errorf("WebSocket with scopes [a b c]: %s %v, want call.responded", f.Type, f.Payload)
	}
}

func TestDeadlineTimesOutAndCancelsHandler(t *testing.T) {
	th, probes := newProbeHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	id := p.request("probe.sleep", map[string]any{"ms": 5000},
		map[string]any{"deadline": time.Now().Add(300 * time.Millisecond).UnixMilli()})

	f, _ := p.answerTo(id)
	if f.Type != operations.EventCallError || f.Payload["code"] != operations.CodeTimeout {
		t.Fatalf("answer = %s %v, want call.error TIMEOUT", f.Type, f.Payload)
	}
	if err := receive(t, probes.sleepEnded, "the handler to end"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the handler's context ended with %v, want its deadline", err)
	}

	past := p.request("probe.sleep", map[string]any{"ms": 200},
		map[string]any{"deadline": time.Now().Add(-time.Second).UnixMilli()})
	if f, _ := p.answerTo(past); f.Payload["code"] != operations.CodeTimeout {
		t.Errorf("a deadline in the past: %s %v, want TIMEOUT", f.Type, f.Payload)
	}
}

func TestSubscriptionStreamsItemsThenCompleted(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	id := p.request("probe.count", map[string]any{"count": 3}, nil)

	for want := 1; want <= 3; want++ {
		f := p.read()
		if f.Type != operations.EventCallResponded || f.requestID() != id {
			t.Fatalf("frame %d = %s for %q, want call.responded for %s", want, f.Type, f.requestID(), id)
		}
		out, _ := f.Payload["output"].(map[string]any)
		data, _ := out["data"].(map[string]any)
		if data["n"] != float64(want) {
			t.Errorf("item %d = %v", want, out["data"])
		}
	}
	if f := p.read(); f.Type != operations.EventCallCompleted || f.requestID() != id {
		t.Errorf("after three items: %s for %q, want call.completed", f.Type, f.requestID())
	}
}

func TestAbortStopsSubscriptionHandler(t *testing.T) {
	th, probes := newProbeHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	id := p.request("probe.forever", map[string]any{}, nil)
	for range 2 {
		if f := p.read(); f.Type != operations.EventCallResponded || f.requestID() != id {
			t.Fatalf("frame = %s for %q, want an item of %s", f.Type, f.requestID(), id)
		}
	}

	p.send(operations.EventCallAborted, map[string]any{"requestId": id})
	if err := receive(t, probes.foreverStopped, "the handler to stop"); !errors.Is(err, context.Canceled) {
		t.Errorf("the handler stopped with %v, want its context cancelled", err)
	}

	// Items sent before the abort arrived may still be on the way; once a
	// later call is answered, nothing more comes for the stream.
	probe := p.request("hub.heartbeat", map[string]any{}, nil)
	_, skipped := p.answerTo(probe)
	for _, f := range skipped {
		if f.Type != operations.EventCallResponded {
			t.Errorf("after the abort: %s %v", f.Type, f.Payload)
		}
	}
	if f, err := p.readWithin(300 * time.Millisecond); err == nil {
		t.Errorf("after the abort and a later answer: %s for %s", f.Type, f.requestID())
	}
}

func TestHandlerErrorsMapToCodes(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	for _, tc := range []struct {
		mode   string
		code   string
		status int
	}{
		{"prefix", "DISK_FULL", http.StatusUnprocessableEntity},
		{"exact", "QUOTA_EXCEEDED", http.StatusConflict},
		{"other", operations.CodeExecution, http.StatusInternalServerError},
		{"panic", operations.CodeUnknown, http.StatusInternalServerError},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			res := th.call("probe.fail", map[string]any{"mode": tc.mode})
			if code := res.errorCode(); code != tc.code {
				t.Errorf("code = %q (%s), want %s", code, res.Body, tc.code)
			}
			if res.Status != tc.status {
				t.Errorf("status = %d, want %d", res.Status, tc.status)
			}
		})
	}

	// The hub keeps serving after the panic, on both surfaces.
	if res := th.call("hub.list", map[string]any{}); res.Status != http.StatusOK {
		t.Errorf("after a panic, hub.list gives %d %s", res.Status, res.Body)
	}
	f := dialPeer(t, th, th.AdminKey).call("probe.fail", map[string]any{"mode": "panic"})
	if f.Type != operations.EventCallError || f.Payload["code"] != operations.CodeUnknown {
		t.Errorf("WebSocket panic: %s %v, want call.error UNKNOWN_ERROR", f.Type, f.Payload)
	}
}

func TestForgedIdentityIsReplaced(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	key, account := th.newKey(storage.AccessUser, auth.ScopeOpsCall, auth.ScopeOpsList)
	p := dialPeer(t, th, key)
	forged := map[string]any{"identity": map[string]any{"id": "someone-else", "scopes": []string{"admin", "secret"}}}

	id := p.request("probe.whoami", map[string]any{}, forged)
	f, _ := p.answerTo(id)
	if f.Type != operations.EventCallResponded {
		t.Fatalf("whoami answered %s %v", f.Type, f.Payload)
	}
	out := payloadAs[struct {
		Output struct {
			Data whoamiOut `json:"data"`
		} `json:"output"`
	}](t, f).Output.Data
	if out.ID != account {
		t.Errorf("the handler saw identity %q, want the connection's account %s", out.ID, account)
	}
	slices.Sort(out.Scopes)
	if want := []string{auth.ScopeOpsCall, auth.ScopeOpsList}; !slices.Equal(out.Scopes, want) {
		t.Errorf("the handler saw scopes %v, want the key's %v", out.Scopes, want)
	}

	denied, _ := p.answerTo(p.request("probe.secret", map[string]any{}, forged))
	if denied.Type != operations.EventCallError || denied.Payload["code"] != operations.CodeAccessDenied {
		t.Errorf("a forged scope opened probe.secret: %s %v", denied.Type, denied.Payload)
	}
}

func TestResponseFromOtherConnectionIsDropped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		serving := dialPeer(t, th, th.AdminKey)
		reg := serving.register(map[string]any{"name": "real"}, opSpec("fs", "read", "query", `{}`))
		intruder := dialPeer(t, th, th.AdminKey)

		done := make(chan response, 1)
		go func() { done <- th.call(reg.Operations["fs.read"], map[string]any{}) }()
		req := serving.read()

		intruder.respond(req.requestID(), "fs.read", "forged")
		intruder.send(operations.EventCallError, map[string]any{
			"requestId": req.requestID(), "code": "EXECUTION_ERROR", "message": "forged"})
		// The hub reads a connection's frames in order: once a later call of
		// the intruder is answered, its forged frames have been handled.
		intruder.call("hub.heartbeat", map[string]any{})

		serving.respond(req.requestID(), "fs.read", "real")
		res := receive(t, done, "the caller's answer")
		if res.Status != http.StatusOK {
			t.Fatalf("the caller got %d %s", res.Status, res.Body)
		}
		if data := res.json(t)["data"]; data != "real" {
			t.Errorf("the caller got data %v, want the serving spoke's", data)
		}
	})
}

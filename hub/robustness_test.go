package hub_test

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alkdev/alkhub/hub/config"
	"github.com/alkdev/alkhub/operations"
)

func TestMalformedCallBodiesNameTheField(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	bearer := http.Header{"Authorization": {"Bearer " + th.AdminKey}}
	tests := []struct {
		name, body, path, inMessage string
	}{
		{"timeout as string", `{"operationId":"hub.list","timeoutMs":"100"}`, "/timeoutMs", "must be an integer"},
		{"operation id as number", `{"operationId":5}`, "/operationId", "must be a string"},
		{"metadata as array", `{"operationId":"hub.list","metadata":[]}`, "/metadata", "must be an object"},
		{"trailing data", `{"operationId":"hub.list"} xxx`, "", "exactly one JSON object"},
		{"unknown field", `{"operationId":"hub.list","extra":1}`, "/extra", "unknown field"},
		{"long operation id", `{"operationId":"` + strings.Repeat("a", 600) + `"}`, "/operationId", "at most 512"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := th.doWith("POST", "/api/call", bearer, tt.body)
			if res.Status != http.StatusBadRequest || res.errorCode() != operations.CodeValidation {
				t.Fatalf("%d %s, want 400 VALIDATION_ERROR", res.Status, res.Body)
			}
			var b struct {
				Error struct {
					Details []operations.ValueError `json:"details"`
				} `json:"error"`
			}
			if err := json.Unmarshal(res.Body, &b); err != nil || len(b.Error.Details) != 1 {
				t.Fatalf("details of %s: %v", res.Body, err)
			}
			if got := b.Error.Details[0]; got.Path != tt.path || !strings.Contains(got.Message, tt.inMessage) {
				t.Errorf("detail = %+v, want path %q and a message with %q", got, tt.path, tt.inMessage)
			}
			if strings.Contains(string(res.Body), "Go struct") {
				t.Errorf("the error leaks Go type names: %s", res.Body)
			}
		})
	}
}

func TestHTTPErrorsForWrongRequests(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	bearer := http.Header{"Authorization": {"Bearer " + th.AdminKey}}

	if res := th.doWith("DELETE", "/api/call", bearer, ""); res.Status != http.StatusMethodNotAllowed ||
		res.errorCode() != "METHOD_NOT_ALLOWED" {
		t.Errorf("DELETE /api/call: %d %s, want 405 METHOD_NOT_ALLOWED", res.Status, res.Body)
	}
	if res := th.doWith("GET", "/api/operations?cursor=garbage", bearer, ""); res.Status != http.StatusBadRequest {
		t.Errorf("garbage cursor: %d %s, want 400", res.Status, res.Body)
	}
	res := th.doWith("GET", "/ws", bearer, "")
	if res.Status != http.StatusBadRequest || res.errorCode() != "BAD_REQUEST" {
		t.Errorf("GET /ws without an upgrade: %d %s, want 400 BAD_REQUEST as JSON", res.Status, res.Body)
	}
}

// silentOperation is a subscription that never yields until its context
// ends.
func silentOperation() operations.Operation {
	return operations.Subscription(operations.SpecInfo{
		Namespace: "quiet", Name: "wait", Description: "never yields",
		AccessControl: operations.AccessControl{RequiredScopes: []string{}},
	}, func(ctx context.Context, _ struct{}, _ *operations.OperationContext) (iter.Seq2[tick, error], error) {
		return func(yield func(tick, error) bool) { <-ctx.Done() }, nil
	})
}

func TestSilentSubscriptionStartsStreamAndHonoursTimeout(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	s := dialSpokeOps(t, th, th.AdminKey, "quiet", silentOperation())
	id := s.Registration().Operations["quiet.wait"]

	body, _ := json.Marshal(map[string]any{"operationId": id, "input": map[string]any{}, "timeoutMs": 3000})
	req, _ := http.NewRequest("POST", th.URL+"/api/subscribe", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+th.AdminKey)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("no response headers for a silent subscription: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 once the stream starts", res.StatusCode)
	}
	var events []sseEvent
	readSSE(res.Body, func(ev sseEvent) { events = append(events, ev) })
	if len(events) != 1 || events[0].name != "error" || !strings.Contains(events[0].data, operations.CodeTimeout) {
		t.Errorf("events = %+v, want one error event with TIMEOUT", events)
	}
}

func TestUnwritableAdminKeyFileCommitsNothing(t *testing.T) {
	setup := newSetup(t, sqliteEngine)
	blocker := filepath.Join(setup.dataDir, "not-a-dir")
	if err := os.WriteFile(blocker, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	setup.tweak = func(c *config.Config) {
		c.Dev = false
		c.Bootstrap.AdminKeyFile = filepath.Join(blocker, "key.txt")
	}
	th := setup.build(t)
	if err := th.Start(context.Background()); err == nil {
		t.Fatal("the hub started although the admin key file cannot be written")
	}
	th.stop()

	keyFile := filepath.Join(setup.dataDir, "keys", "admin.txt")
	setup.tweak = func(c *config.Config) {
		c.Dev = false
		c.Bootstrap.AdminKeyFile = keyFile
	}
	again := setup.build(t)
	if err := again.Start(context.Background()); err != nil {
		t.Fatalf("second start: %v", err)
	}
	b, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatalf("the second start wrote no admin key: %v", err)
	}
	key := strings.TrimSpace(string(b))
	if res := again.do("POST", "/api/call", key, map[string]any{"operationId": "hub.list"}); res.Status != http.StatusOK {
		t.Errorf("the written key does not work: %d %s", res.Status, res.Body)
	}
}

func TestUndecodableCallRequestGetsAnError(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	id := "7b0c4e55-8f3a-4a7e-9a55-0f6a1b2c3d4e"
	p.sendRaw(`{"type":"call.requested","id":"","payload":{"requestId":"` + id +
		`","operationId":"hub.list","input":{},"deadline":"soon"}}`)
	f := p.read()
	if f.Type != operations.EventCallError || f.requestID() != id || f.Payload["code"] != operations.CodeValidation {
		t.Errorf("answer = %s %v, want call.error VALIDATION_ERROR for %s", f.Type, f.Payload, id)
	}
}

func TestReservedNamespaceIgnoresCase(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	spec := func(ns string) map[string]any {
		return map[string]any{"namespace": ns, "name": "list", "version": "1.0.0", "type": "query",
			"description": "", "inputSchema": map[string]any{}, "outputSchema": map[string]any{},
			"accessControl": map[string]any{"requiredScopes": []string{}}}
	}
	id := p.request("hub.register", map[string]any{"name": "sneaky", "spokeType": "compute",
		"operations": []any{spec("Hub"), spec("DEV"), spec("fine")}}, nil)
	f, _ := p.answerTo(id)
	out, _ := f.Payload["output"].(map[string]any)
	data, _ := out["data"].(map[string]any)
	rejected, _ := data["rejected"].([]any)
	if len(rejected) != 2 {
		t.Errorf("rejected = %v, want Hub.list and DEV.list", rejected)
	}
	ops, _ := data["operations"].(map[string]any)
	if _, ok := ops["fine.list"]; !ok || len(ops) != 1 {
		t.Errorf("registered = %v, want only fine.list", ops)
	}
}

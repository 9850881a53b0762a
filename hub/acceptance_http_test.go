package hub_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/storage"
)

// pausingHandler passes log records to next, but blocks the goroutine that
// logs the first record with the message pauseAt until release is closed.
// paused is closed when that happens.
type pausingHandler struct {
	next    slog.Handler
	pauseAt string
	once    *sync.Once
	paused  chan struct{}
	release chan struct{}
}

func newPausingHandler(next slog.Handler, pauseAt string) *pausingHandler {
	return &pausingHandler{next: next, pauseAt: pauseAt, once: &sync.Once{},
		paused: make(chan struct{}), release: make(chan struct{})}
}

func (h *pausingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelInfo || h.next.Enabled(ctx, l)
}

func (h *pausingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.pauseAt {
		h.once.Do(func() {
			close(h.paused)
			<-h.release
		})
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *pausingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	return &c
}

func (h *pausingHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

type healthReport struct {
	Status string `json:"status"`
	Steps  []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"steps"`
}

func (th *testHub) health() (int, healthReport) {
	th.t.Helper()
	res := th.do("GET", "/health", "", nil)
	var r healthReport
	if err := json.Unmarshal(res.Body, &r); err != nil {
		th.t.Fatalf("decoding /health: %v: %s", err, res.Body)
	}
	return res.Status, r
}

func TestRoutesUnavailableDuringMigrations(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		setup := newSetup(t, e)
		pause := newPausingHandler(testLogger(t).Handler(), "migration applied")
		th := setup.build(t, hub.WithLogger(slog.New(pause)))
		started := make(chan error, 1)
		go func() { started <- th.Start(context.Background()) }()
		receive(t, pause.paused, "the first migration")

		status, report := th.health()
		if status != http.StatusServiceUnavailable || report.Status != "starting" {
			t.Errorf("/health during migrations = %d %s, want 503 starting", status, report.Status)
		}
		steps := map[string]string{}
		var names []string
		for _, s := range report.Steps {
			steps[s.Name] = s.Status
			names = append(names, s.Name)
		}
		wantNames := []string{hub.StepBootstrapLogger, hub.StepResolveConfigPath, hub.StepReadMasterKey,
			hub.StepReadConfig, hub.StepDecryptConfig, hub.StepValidateConfig, hub.StepBuildKeyring,
			hub.StepOpenDatabase, hub.StepConnectBus, hub.StepInitServices, hub.StepServe}
		if !slices.Equal(names, wantNames) {
			t.Errorf("steps = %v, want %v", names, wantNames)
		}
		if steps[hub.StepOpenDatabase] != "running" || steps[hub.StepServe] != "pending" {
			t.Errorf("steps during migrations = %v, want open-database running and serve pending", steps)
		}
		if res := th.do("GET", "/health/live", "", nil); res.Status != http.StatusOK {
			t.Errorf("/health/live during migrations = %d", res.Status)
		}

		anyKey := "alk_" + strings.Repeat("A", 43)
		for _, r := range []struct{ method, path string }{
			{"GET", "/api/operations"},
			{"GET", "/api/operations/search?q=list"},
			{"GET", "/api/operations/hub.list"},
			{"POST", "/api/call"},
			{"POST", "/api/subscribe"},
			{"GET", "/ws"},
			{"GET", "/v1/models"},
			{"POST", "/v1/chat/completions"},
			{"POST", "/mcp"},
		} {
			res := th.do(r.method, r.path, anyKey, map[string]any{"operationId": "hub.list"})
			if res.Status != http.StatusServiceUnavailable || res.errorCode() != "UNAVAILABLE" {
				t.Errorf("%s %s during migrations = %d %s, want 503 UNAVAILABLE", r.method, r.path, res.Status, res.Body)
			}
		}

		close(pause.release)
		if err := receive(t, started, "startup to finish"); err != nil {
			t.Fatal(err)
		}
		th.takeAdminKey()
		if _, pending, err := th.Store().MigrationStatus(context.Background()); err != nil || len(pending) > 0 {
			t.Errorf("after startup: pending migrations %v (%v)", pending, err)
		}
		status, report = th.health()
		if status != http.StatusOK || report.Status != "ready" {
			t.Errorf("/health after startup = %d %s, want 200 ready", status, report.Status)
		}
		for _, s := range report.Steps {
			if s.Status != "ok" && s.Status != "skipped" {
				t.Errorf("after startup step %s is %s", s.Name, s.Status)
			}
		}
		if res := th.do("GET", "/api/operations", th.AdminKey, nil); res.Status != http.StatusOK {
			t.Errorf("/api/operations after startup = %d %s", res.Status, res.Body)
		}
	})
}

func TestCallRightAfterStartIsServed(t *testing.T) {
	// A call made the moment the hub is ready must be served, not lost
	// because the call server was not listening yet. The race is narrow,
	// so the test starts many hubs.
	for round := range 100 {
		th := newTestHub(t, sqliteEngine)
		p := dialPeer(t, th, th.AdminKey)
		id := p.request("hub.heartbeat", map[string]any{}, nil)
		f, err := p.readWithin(patience)
		if err != nil {
			t.Fatalf("round %d: the first call %s got no answer: %v", round, id, err)
		}
		if f.requestID() != id || f.Type != operations.EventCallResponded {
			t.Fatalf("round %d: the first call got %s %v", round, f.Type, f.Payload)
		}
		th.stop()
	}
}

func TestHealthStoppingDuringShutdown(t *testing.T) {
	th, probes := newProbeHub(t, sqliteEngine)
	go th.call("probe.block", map[string]any{})
	receive(t, probes.blockRunning, "probe.block to run")

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		defer cancel()
		stopped <- th.Shutdown(ctx)
	}()
	eventually(t, "/health reports stopping", func() bool {
		status, report := th.health()
		return status == http.StatusServiceUnavailable && report.Status == "stopping"
	})
	res := th.do("GET", "/api/operations", th.AdminKey, nil)
	if res.Status != http.StatusServiceUnavailable || res.errorBody(t).Error.Message != "hub is stopping" {
		t.Errorf("/api/operations while stopping = %d %s, want 503 hub is stopping", res.Status, res.Body)
	}
	close(probes.release)
	if err := receive(t, stopped, "shutdown to finish"); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

func TestCallErrorStatusesFollowCodeTable(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	limited, _ := th.newKey(storage.AccessUser, auth.ScopeOpsCall)

	type errorCase struct {
		name string
		key  string
		body any
		// raw, when set, is sent as the body instead of body's JSON.
		raw  string
		code string
		defs []operations.ErrorDefinition
	}
	cases := []errorCase{
		{name: "no key", body: map[string]any{"operationId": "hub.list"}, code: operations.CodeUnauthenticated},
		{name: "unknown operation", key: th.AdminKey, body: map[string]any{"operationId": "no.such"}, code: operations.CodeOperationNotFound},
		{name: "invalid input", key: th.AdminKey, body: map[string]any{"operationId": "probe.strict", "input": map[string]any{"n": "x"}}, code: operations.CodeValidation},
		{name: "missing operationId", key: th.AdminKey, body: map[string]any{"input": map[string]any{}}, code: operations.CodeValidation},
		{name: "malformed body", key: th.AdminKey, raw: `{"operationId":`, code: operations.CodeValidation},
		{name: "unknown body field", key: th.AdminKey, raw: `{"operationId":"hub.list","inputs":{}}`, code: operations.CodeValidation},
		{name: "scope missing", key: limited, body: map[string]any{"operationId": "probe.secret"}, code: operations.CodeAccessDenied},
		{name: "declared with status", key: th.AdminKey, body: map[string]any{"operationId": "probe.fail", "input": map[string]any{"mode": "exact"}},
			code: "QUOTA_EXCEEDED", defs: probeErrors},
		{name: "declared without status", key: th.AdminKey, body: map[string]any{"operationId": "probe.fail", "input": map[string]any{"mode": "prefix"}},
			code: "DISK_FULL", defs: probeErrors},
	}
	for _, code := range []string{
		operations.CodeOperationNotFound, operations.CodeAccessDenied, operations.CodeValidation,
		operations.CodeTimeout, operations.CodeAborted, operations.CodeExecution, operations.CodeUnknown,
		operations.CodeUnauthenticated, operations.CodeSpokeUnavailable, operations.CodeSpokeDisconnected,
		operations.CodeRateLimited, operations.CodeSessionBusy, operations.CodeConflict, "WIDGET_JAMMED",
	} {
		cases = append(cases, errorCase{name: "handler returns " + code, key: th.AdminKey,
			body: map[string]any{"operationId": "probe.code", "input": map[string]any{"code": code}}, code: code})
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var res response
			if tc.raw != "" {
				res = th.doWith("POST", "/api/call", http.Header{"Authorization": {"Bearer " + tc.key}}, tc.raw)
			} else {
				res = th.do("POST", "/api/call", tc.key, tc.body)
			}
			if want := operations.HTTPStatus(tc.code, tc.defs); res.Status != want {
				t.Errorf("status = %d, want %d", res.Status, want)
			}
			b := res.errorBody(t)
			if b.Error.Code != tc.code {
				t.Errorf("code = %q, want %s", b.Error.Code, tc.code)
			}
			if b.Error.Message == "" {
				t.Error("the ErrorBody has no message")
			}
			if id := res.Header.Get("X-Request-Id"); b.Error.RequestID != id || id == "" {
				t.Errorf("error.requestId = %q, X-Request-Id = %q, want the same id", b.Error.RequestID, id)
			}
		})
	}
}

func TestRequestIDIsRootCallNode(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th, _ := newProbeHub(t, e)
		ctx := context.Background()

		req, _ := http.NewRequest("POST", th.URL+"/api/call",
			strings.NewReader(`{"operationId":"hub.call","input":{"operationId":"probe.whoami","input":{}}}`))
		req.Header.Set("Authorization", "Bearer "+th.AdminKey)
		req.Header.Set("X-Request-Id", "client-chosen-id")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Data whoamiOut `json:"data"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("hub.call: %d %v", res.StatusCode, err)
		}
		rootID := res.Header.Get("X-Request-Id")
		if _, err := uuid.Parse(rootID); err != nil {
			t.Fatalf("X-Request-Id = %q, want a UUID the hub generated", rootID)
		}
		if body.Data.ParentRequestID != rootID {
			t.Errorf("the nested call's parent = %q, want %s", body.Data.ParentRequestID, rootID)
		}

		if err := th.FlushCallGraph(ctx); err != nil {
			t.Fatal(err)
		}
		root, err := th.Store().CallGraph().Get(ctx, rootID)
		if err != nil {
			t.Fatalf("no call-graph node for X-Request-Id %s: %v", rootID, err)
		}
		if root.ParentRequestID != nil || root.RootRequestID != rootID || root.OperationRef != "hub.call" {
			t.Errorf("root node = parent %v root %s op %s, want a root for hub.call", root.ParentRequestID, root.RootRequestID, root.OperationRef)
		}
		if root.Status != storage.CallCompleted {
			t.Errorf("root node status = %s, want completed", root.Status)
		}
		child, err := th.Store().CallGraph().Get(ctx, body.Data.RequestID)
		if err != nil {
			t.Fatalf("no node for the nested call %s: %v", body.Data.RequestID, err)
		}
		if child.ParentRequestID == nil || *child.ParentRequestID != rootID || child.RootRequestID != rootID {
			t.Errorf("nested node = parent %v root %s, want %s for both", child.ParentRequestID, child.RootRequestID, rootID)
		}

		subRes := th.do("POST", "/api/subscribe", th.AdminKey, map[string]any{"operationId": "probe.count", "input": map[string]any{"count": 1}})
		subID := subRes.Header.Get("X-Request-Id")
		if err := th.FlushCallGraph(ctx); err != nil {
			t.Fatal(err)
		}
		if node, err := th.Store().CallGraph().Get(ctx, subID); err != nil || node.RootRequestID != subID {
			t.Errorf("subscription node for %s: %+v %v", subID, node, err)
		}
	})
}

// operationIDs decodes the ids of a listing answer's data.
func operationIDs(t *testing.T, f frame) []string {
	t.Helper()
	out := payloadAs[struct {
		Output struct {
			Data struct {
				Operations []struct {
					ID string `json:"id"`
				} `json:"operations"`
			} `json:"data"`
		} `json:"output"`
	}](t, f)
	var ids []string
	for _, o := range out.Output.Data.Operations {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestListingOmitsForbiddenOperations(t *testing.T) {
	th, probes := newProbeHub(t, sqliteEngine)
	close(probes.release) // probe.block returns at once
	caller, _ := th.newKey(storage.AccessUser, auth.ScopeOpsList, auth.ScopeOpsCall)
	listOnly, _ := th.newKey(storage.AccessUser, auth.ScopeOpsList)

	for _, tc := range []struct {
		name string
		key  string
	}{{"list and call", caller}, {"list only", listOnly}} {
		t.Run(tc.name, func(t *testing.T) {
			p := dialPeer(t, th, tc.key)
			listed := operationIDs(t, p.call("hub.list", map[string]any{"limit": 500}))
			found := operationIDs(t, p.call("hub.search", map[string]any{"query": "probe secret register list"}))
			if len(listed) == 0 || len(found) == 0 {
				t.Fatalf("hub.list gave %v and hub.search %v, want some operations", listed, found)
			}
			for _, id := range append(listed, found...) {
				// Calling the operation shows whether it is forbidden. Its
				// input is invalid or harmless, so nothing runs for long.
				requestID := p.request(id, map[string]any{"mode": "other", "count": 0, "ms": 0}, nil)
				f, _ := p.answerTo(requestID)
				p.send(operations.EventCallAborted, map[string]any{"requestId": requestID})
				if f.Type == operations.EventCallError && f.Payload["code"] == operations.CodeAccessDenied {
					t.Errorf("listed %s answers ACCESS_DENIED", id)
				}
			}
			for _, id := range []string{"probe.secret", "hub.register"} {
				if slices.Contains(listed, id) || slices.Contains(found, id) {
					t.Errorf("%s is listed for a key without its scope", id)
				}
			}
		})
	}
}

func TestSchemaHasJSONSchemaObjects(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)
	declared := `{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}`
	reg := p.register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", declared))

	for _, id := range []string{"probe.strict", "hub.list", reg.Operations["fs.read"], "fs.read"} {
		res := th.do("GET", "/api/operations/"+id, th.AdminKey, nil)
		if res.Status != http.StatusOK {
			t.Errorf("schema of %s: %d %s", id, res.Status, res.Body)
			continue
		}
		var view struct {
			ID           string          `json:"id"`
			InputSchema  json.RawMessage `json:"inputSchema"`
			OutputSchema json.RawMessage `json:"outputSchema"`
		}
		if err := json.Unmarshal(res.Body, &view); err != nil {
			t.Fatal(err)
		}
		for name, schema := range map[string]json.RawMessage{"inputSchema": view.InputSchema, "outputSchema": view.OutputSchema} {
			var obj map[string]any
			if err := json.Unmarshal(schema, &obj); err != nil {
				t.Errorf("%s of %s is not a JSON object: %s", name, id, schema)
				continue
			}
			if err := operations.CheckSchema(schema, id+" "+name); err != nil {
				t.Errorf("%s of %s does not compile: %v", name, id, err)
			}
		}
		if id == reg.Operations["fs.read"] {
			var got, want any
			_ = json.Unmarshal(view.InputSchema, &got)
			_ = json.Unmarshal([]byte(declared), &want)
			if !jsonEqual(got, want) {
				t.Errorf("inputSchema of %s = %s, want the registered %s", id, view.InputSchema, declared)
			}
		}
	}

	f := p.call("hub.schema", map[string]any{"operationId": "probe.strict"})
	out := payloadAs[struct {
		Output struct {
			Data struct {
				InputSchema map[string]any `json:"inputSchema"`
			} `json:"data"`
		} `json:"output"`
	}](t, f)
	if out.Output.Data.InputSchema["type"] != "object" {
		t.Errorf("hub.schema over WebSocket: inputSchema = %v", out.Output.Data.InputSchema)
	}
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// feedOperation is a spoke subscription that yields until its consumer or
// its context stops it, and reports the context's error on stopped.
func feedOperation(stopped chan<- error) operations.Operation {
	return operations.Subscription(operations.SpecInfo{Namespace: "feed", Name: "forever", Description: "yields until stopped",
		AccessControl: operations.AccessControl{RequiredScopes: []string{}}},
		func(ctx context.Context, _ struct{}, _ *operations.OperationContext) (iter.Seq2[item, error], error) {
			return func(yield func(item, error) bool) {
				defer func() { stopped <- ctx.Err() }()
				for i := 1; ; i++ {
					if !yield(item{N: i}, nil) {
						return
					}
					select {
					case <-time.After(10 * time.Millisecond):
					case <-ctx.Done():
						return
					}
				}
			}, nil
		})
}

func TestSubscribeStreamsAndDisconnectAborts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th, _ := newProbeHub(t, e)

		events, _ := th.sseStream(t, th.AdminKey, "probe.count", map[string]any{"count": 3})
		var names []string
		for ev := range events {
			names = append(names, ev.name)
		}
		if got := strings.Join(names, ","); got != "data,data,data,done" {
			t.Errorf("events = %s, want three data then done", got)
		}

		stopped := make(chan error, 4)
		s := dialSpokeOps(t, th, th.AdminKey, "feeder", feedOperation(stopped))
		events, stop := th.sseStream(t, th.AdminKey, s.Registration().Operations["feed.forever"], map[string]any{})
		for range 2 {
			if ev := receive(t, events, "an item"); ev.name != "data" {
				t.Fatalf("event = %s %s, want data", ev.name, ev.data)
			}
		}
		stop()
		if err := receive(t, stopped, "the spoke's handler to stop"); !errors.Is(err, context.Canceled) {
			t.Errorf("the spoke's handler stopped with context error %v, want cancelled", err)
		}
	})
}

func TestKeyShownOnceAndNeverStored(t *testing.T) {
	setup := newSetup(t, sqliteEngine)
	var logs bytes.Buffer
	var logMu sync.Mutex
	th := setup.build(t, hub.WithLogger(slog.New(slog.NewJSONHandler(lockedWriter{&logs, &logMu},
		&slog.HandlerOptions{Level: slog.LevelDebug}))))
	if err := th.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	th.takeAdminKey()
	if n := len(th.printedKeys); n != 1 {
		t.Fatalf("the first start printed %d keys, want 1", n)
	}
	key := th.AdminKey

	// Send the key in every accepted form, so the access log records each.
	th.do("GET", "/api/operations", key, nil)
	th.doWith("GET", "/api/operations", http.Header{"X-Api-Key": {key}}, "")
	th.doWith("GET", "/api/operations?access_token="+key, nil, "")
	dialPeerWith(t, th.WSURL+"?access_token="+key, nil).call("hub.heartbeat", map[string]any{})
	dialPeerWith(t, th.WSURL, http.Header{"Sec-WebSocket-Protocol": {"alk.v1, alk.bearer." + key}}).
		call("hub.heartbeat", map[string]any{})

	ctx := context.Background()
	rec, err := th.Store().APIKeys().Authenticate(ctx, auth.HashKey(key))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(key))
	if rec.Key.KeyHash != hex.EncodeToString(sum[:]) {
		t.Errorf("stored hash = %s, want the SHA-256 of the key", rec.Key.KeyHash)
	}
	if rec.Key.Prefix != key[:12] {
		t.Errorf("stored prefix = %s, want %s", rec.Key.Prefix, key[:12])
	}
	th.stop()

	secret := key[12:]
	logMu.Lock()
	if bytes.Contains(logs.Bytes(), []byte(secret)) {
		t.Error("the logs contain the key")
	}
	logMu.Unlock()
	files, _ := filepath.Glob(filepath.Join(setup.dataDir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s contains the key", f)
		}
	}

	restarted := setup.start(t)
	if n := len(restarted.printedKeys); n != 0 {
		t.Errorf("a restart printed %d keys, want none", n)
	}
}

type lockedWriter struct {
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestAPIKeyHeaderWorksLikeBearer(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	key, account := th.newKey(storage.AccessUser, auth.ScopeOpsList, auth.ScopeOpsCall)
	viaHeader := http.Header{"X-Api-Key": {key}}

	bearer := th.do("GET", "/api/operations", key, nil)
	header := th.doWith("GET", "/api/operations", viaHeader, "")
	if header.Status != http.StatusOK || !bytes.Equal(header.Body, bearer.Body) {
		t.Errorf("GET /api/operations with x-api-key = %d %s, want the bearer answer", header.Status, header.Body)
	}
	res := th.doWith("POST", "/api/call", viaHeader, `{"operationId":"probe.whoami","input":{}}`)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), account) {
		t.Errorf("POST /api/call with x-api-key = %d %s, want the key's identity", res.Status, res.Body)
	}
	bad := th.doWith("GET", "/api/operations", http.Header{"X-Api-Key": {"alk_" + strings.Repeat("C", 43)}}, "")
	if bad.Status != http.StatusUnauthorized || bad.errorCode() != operations.CodeUnauthenticated {
		t.Errorf("an unknown x-api-key = %d %s, want 401", bad.Status, bad.Body)
	}

	f := dialPeerWith(t, th.WSURL, viaHeader).call("probe.whoami", map[string]any{})
	if who := payloadAs[struct {
		Output struct {
			Data whoamiOut `json:"data"`
		} `json:"output"`
	}](t, f).Output.Data; who.ID != account {
		t.Errorf("/ws with x-api-key runs as %q, want %s", who.ID, account)
	}
	_, wsRes, err := websocket.DefaultDialer.Dial(th.WSURL, http.Header{"X-Api-Key": {"alk_" + strings.Repeat("C", 43)}})
	if err == nil || wsRes == nil || wsRes.StatusCode != http.StatusUnauthorized {
		t.Errorf("/ws with an unknown x-api-key: %v, want 401", err)
	}

	conn, subRes, err := websocket.DefaultDialer.Dial(th.WSURL,
		http.Header{"Sec-WebSocket-Protocol": {"alk.v1, alk.bearer." + key}})
	if err != nil {
		t.Fatalf("/ws with the bearer subprotocol: %v", err)
	}
	conn.Close()
	if got := subRes.Header.Get("Sec-WebSocket-Protocol"); got != auth.SubprotocolV1 {
		t.Errorf("selected subprotocol = %q, want alk.v1", got)
	}
}

func TestEdgeIdentityReachesSpoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th, _ := newProbeHub(t, e)
		scopes := []string{auth.ScopeOpsList, auth.ScopeOpsCall, auth.ScopeSpokeConnect, "files:read"}
		key, account := th.newKey(storage.AccessUser, scopes...)
		p := dialPeer(t, th, key)
		readID := p.register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", `{}`)).Operations["fs.read"]

		type callRequested struct {
			RequestID       string              `json:"requestId"`
			OperationID     string              `json:"operationId"`
			ParentRequestID string              `json:"parentRequestId"`
			Identity        operations.Identity `json:"identity"`
		}
		serve := func(opID string, input any) (callRequested, response) {
			t.Helper()
			done := make(chan response, 1)
			go func() { done <- th.callWith(key, opID, input) }()
			f := p.read()
			p.respond(f.requestID(), "fs.read", "ok")
			res := receive(t, done, "the call of "+opID)
			if res.Status != http.StatusOK {
				t.Fatalf("calling %s: %d %s", opID, res.Status, res.Body)
			}
			return payloadAs[callRequested](t, f), res
		}
		checkIdentity := func(label string, got operations.Identity) {
			t.Helper()
			gotScopes := slices.Clone(got.Scopes)
			slices.Sort(gotScopes)
			wantScopes := slices.Clone(scopes)
			slices.Sort(wantScopes)
			if got.ID != account || !slices.Equal(gotScopes, wantScopes) {
				t.Errorf("%s: identity %s %v, want %s %v", label, got.ID, gotScopes, account, wantScopes)
			}
		}

		direct, res := serve(readID, map[string]any{})
		checkIdentity("direct call", direct.Identity)
		if direct.RequestID != res.Header.Get("X-Request-Id") || direct.ParentRequestID != "" {
			t.Errorf("direct call: requestId %s parent %q, want X-Request-Id %s and no parent",
				direct.RequestID, direct.ParentRequestID, res.Header.Get("X-Request-Id"))
		}
		if direct.OperationID != "fs.read" {
			t.Errorf("the spoke received operationId %s, want fs.read", direct.OperationID)
		}

		for _, outer := range []string{"probe.nested", "hub.call"} {
			nested, res := serve(outer, map[string]any{"operationId": readID, "input": map[string]any{}})
			checkIdentity(outer, nested.Identity)
			if outerID := res.Header.Get("X-Request-Id"); nested.ParentRequestID != outerID || nested.RequestID == outerID {
				t.Errorf("%s: nested call %s has parent %q, want the outer request %s",
					outer, nested.RequestID, nested.ParentRequestID, outerID)
			}
		}
	})
}

func TestAdminScopeNeedsAdminAccount(t *testing.T) {
	th, _ := newProbeHub(t, sqliteEngine)
	onlyAdmin, _ := th.newKey(storage.AccessUser, auth.ScopeAdmin)
	userAdmin, _ := th.newKey(storage.AccessUser, auth.ScopeAdmin, auth.ScopeOpsList, auth.ScopeOpsCall, auth.ScopeSpokeConnect)
	realAdmin, _ := th.newKey(storage.AccessAdmin, auth.ScopeAdmin)

	for _, r := range []struct{ method, path string }{{"GET", "/api/operations"}, {"POST", "/api/call"}} {
		res := th.do(r.method, r.path, onlyAdmin, map[string]any{"operationId": "probe.whoami"})
		if res.Status != http.StatusForbidden {
			t.Errorf("%s %s with scope admin on a user account = %d, want 403", r.method, r.path, res.Status)
		}
	}

	reg := dialPeer(t, th, th.AdminKey).register(map[string]any{"name": "private"}, opSpec("fs", "read", "query", `{}`))
	hidden := reg.Operations["fs.read"]
	for _, tc := range []struct {
		name    string
		key     string
		allowed bool
	}{{"user account", userAdmin, false}, {"admin account", realAdmin, true}} {
		if res := th.callWith(tc.key, "probe.audit", map[string]any{}); (res.Status == http.StatusOK) != tc.allowed {
			t.Errorf("%s: probe.audit (scope calls:read) answers %d", tc.name, res.Status)
		}
		if got := slices.Contains(th.listIDs(tc.key, ""), hidden); got != tc.allowed {
			t.Errorf("%s: another account's private %s listed = %v", tc.name, hidden, got)
		}
		f := dialPeer(t, th, tc.key).call("hub.register", map[string]any{
			"name": "pub", "spokeType": "client", "visibility": "public", "operations": []any{}})
		if (f.Type == operations.EventCallResponded) != tc.allowed {
			t.Errorf("%s: registering a public spoke answered %s %v", tc.name, f.Type, f.Payload)
		}
	}

	res := th.callWith(userAdmin, "probe.whoami", map[string]any{})
	var who struct {
		Data whoamiOut `json:"data"`
	}
	_ = json.Unmarshal(res.Body, &who)
	for _, s := range who.Data.Scopes {
		if s == auth.ScopeAdmin || s == auth.ScopeCallsRead {
			t.Errorf("a user account's identity carries %s: %v", s, who.Data.Scopes)
		}
	}
}

package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/config"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/storage"
)

// spokeKeyScopes are the scopes of a non-admin spoke owner's key.
var spokeKeyScopes = []string{auth.ScopeOpsList, auth.ScopeOpsCall, auth.ScopeSpokeConnect}

func TestRegisterCreatesRows(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		key, account := th.newKey(storage.AccessUser, spokeKeyScopes...)
		p := dialPeer(t, th, key)
		reg := p.register(map[string]any{"name": "box"},
			opSpec("fs", "read", "query", `{"type":"object"}`),
			opSpec("fs", "watch", "subscription", `{"type":"object"}`))

		row := th.spokeRow(reg.SpokeID)
		if row.Status != storage.SpokeConnected {
			t.Errorf("status = %s, want connected", row.Status)
		}
		if row.ConnectedAt == nil {
			t.Error("connectedAt is not set")
		}
		if row.DisconnectedAt != nil {
			t.Errorf("disconnectedAt = %v, want none", row.DisconnectedAt)
		}
		if row.OwnerID != account || row.Name != "box" || row.SpokeType != storage.SpokeDevEnv {
			t.Errorf("row = owner %s name %s type %s, want %s box dev-env", row.OwnerID, row.Name, row.SpokeType, account)
		}

		ctx := context.Background()
		want := map[string]string{}
		for orig, remapped := range reg.Operations {
			if wantID := "dev." + reg.SpokeID + "." + orig; remapped != wantID {
				t.Errorf("%s remapped to %s, want %s", orig, remapped, wantID)
			}
			want[remapped] = orig
		}
		for orig, alias := range reg.Aliases {
			want[alias] = orig
		}
		if len(want) != 4 {
			t.Fatalf("registration gave %d ids (%v, %v), want two remapped and two aliases", len(want), reg.Operations, reg.Aliases)
		}
		for id := range want {
			def, err := th.Store().Operations().Get(ctx, id)
			if err != nil {
				t.Errorf("definition %s: %v", id, err)
				continue
			}
			if def.Source != storage.SourceSpoke {
				t.Errorf("definition %s has source %s, want spoke", id, def.Source)
			}
		}
		statuses := th.registrationStatuses(reg.SpokeID)
		if len(statuses) != len(want) {
			t.Errorf("registrations = %v, want one per id of %v", statuses, want)
		}
		for id := range want {
			if statuses[id] != storage.RegistrationActive {
				t.Errorf("registration of %s is %q, want active", id, statuses[id])
			}
		}
	})
}

// listIDs returns the ids hub.list (over REST) returns for a key.
func (th *testHub) listIDs(key, query string) []string {
	th.t.Helper()
	return th.operationIDsAt(key, "/api/operations?limit=500"+query)
}

// searchIDs returns the ids hub.search (over REST) finds for a key.
func (th *testHub) searchIDs(key, q string) []string {
	th.t.Helper()
	return th.operationIDsAt(key, "/api/operations/search?limit=100&q="+q)
}

// operationIDsAt GETs a listing route and returns the ids it lists.
func (th *testHub) operationIDsAt(key, path string) []string {
	th.t.Helper()
	res := th.do("GET", path, key, nil)
	if res.Status != http.StatusOK {
		th.t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	var out struct {
		Operations []struct {
			ID string `json:"id"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(res.Body, &out); err != nil {
		th.t.Fatal(err)
	}
	var ids []string
	for _, o := range out.Operations {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestPrivateSpokeHiddenFromOthers(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		ownerKey, _ := th.newKey(storage.AccessUser, spokeKeyScopes...)
		otherKey, _ := th.newKey(storage.AccessUser, spokeKeyScopes...)
		reg := dialPeer(t, th, ownerKey).register(map[string]any{"name": "box"},
			opSpec("fs", "read", "query", `{"type":"object"}`))
		remapped := reg.Operations["fs.read"]
		if want := "dev." + reg.SpokeID + ".fs.read"; remapped != want {
			t.Fatalf("remapped id = %s, want %s", remapped, want)
		}

		for _, tc := range []struct {
			who     string
			key     string
			visible bool
		}{
			{"owner", ownerKey, true},
			{"admin", th.AdminKey, true},
			{"other account", otherKey, false},
		} {
			listed := th.listIDs(tc.key, "")
			if got := slices.Contains(listed, remapped); got != tc.visible {
				t.Errorf("%s: hub.list has %s = %v, want %v", tc.who, remapped, got, tc.visible)
			}
			if got := slices.Contains(listed, "fs.read"); got != tc.visible {
				t.Errorf("%s: hub.list has the alias fs.read = %v, want %v", tc.who, got, tc.visible)
			}
			found := th.searchIDs(tc.key, "read")
			if got := slices.Contains(found, remapped); got != tc.visible {
				t.Errorf("%s: hub.search has %s = %v, want %v", tc.who, remapped, got, tc.visible)
			}
		}

		res := th.callWith(otherKey, remapped, map[string]any{})
		if res.Status != http.StatusForbidden || res.errorCode() != operations.CodeAccessDenied {
			t.Errorf("another account calling %s: %d %s, want 403 ACCESS_DENIED", remapped, res.Status, res.Body)
		}
	})
}

func TestPublicSpokeVisibleToOthers(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	otherKey, _ := th.newKey(storage.AccessUser, spokeKeyScopes...)
	reg := dialPeer(t, th, th.AdminKey).register(map[string]any{"name": "shared", "visibility": "public"},
		opSpec("fs", "read", "query", `{"type":"object"}`))
	if !slices.Contains(th.listIDs(otherKey, ""), reg.Operations["fs.read"]) {
		t.Errorf("another account does not see the public spoke's %s", reg.Operations["fs.read"])
	}

	userKey, _ := th.newKey(storage.AccessUser, spokeKeyScopes...)
	f := dialPeer(t, th, userKey).call("hub.register", map[string]any{
		"name": "mine", "spokeType": "compute", "visibility": "public", "operations": []any{}})
	if f.Type != operations.EventCallError || f.Payload["code"] != operations.CodeAccessDenied {
		t.Errorf("a non-admin registering a public spoke: %s %v, want ACCESS_DENIED", f.Type, f.Payload)
	}
}

func TestRegisterRejectsInvalidSpecs(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	p := dialPeer(t, th, th.AdminKey)

	noAccess := opSpec("fs", "stat", "query", `{}`)
	delete(noAccess, "accessControl")
	badErrorSchema := opSpec("fs", "rm", "mutation", `{}`)
	badErrorSchema["errorSchemas"] = []any{map[string]any{"code": "BUSY", "schema": map[string]any{"type": 12}}}
	badOutput := opSpec("fs", "ls", "query", `{}`)
	badOutput["outputSchema"] = json.RawMessage(`{"$ref":"#/nowhere"}`)

	reg := p.register(map[string]any{"name": "mixed"},
		opSpec("fs", "read", "query", `{"type":"object"}`),
		opSpec("fs", "write", "mutation", `{"type":"nope"}`),
		badOutput,
		badErrorSchema,
		opSpec("hub", "steal", "query", `{}`),
		opSpec("keys", "take", "query", `{}`),
		opSpec("dev", "fake", "query", `{}`),
		opSpec("fs", "9lives", "query", `{}`),
		opSpec("fs", "tail", "stream", `{}`),
		noAccess,
	)

	wantRejected := []string{"dev.fake", "fs.9lives", "fs.ls", "fs.rm", "fs.stat", "fs.tail", "fs.write", "hub.steal", "keys.take"}
	var rejected []string
	for _, r := range reg.Rejected {
		rejected = append(rejected, r.Operation)
		if r.Code != operations.CodeValidation {
			t.Errorf("%s rejected with %s, want VALIDATION_ERROR", r.Operation, r.Code)
		}
		if len(r.Details) == 0 || r.Details[0].Path == "" {
			t.Errorf("%s rejected without a path: %+v", r.Operation, r)
		}
	}
	slices.Sort(rejected)
	if !slices.Equal(rejected, wantRejected) {
		t.Errorf("rejected = %v, want %v", rejected, wantRejected)
	}
	if len(reg.Operations) != 1 || reg.Operations["fs.read"] == "" {
		t.Errorf("registered = %v, want only fs.read", reg.Operations)
	}

	done := make(chan response, 1)
	go func() { done <- th.call(reg.Operations["fs.read"], map[string]any{}) }()
	req := p.read()
	p.respond(req.requestID(), "fs.read", "ok")
	if res := receive(t, done, "the registered operation's answer"); res.Status != http.StatusOK {
		t.Errorf("the accepted operation answers %d %s", res.Status, res.Body)
	}
	for _, id := range []string{"hub.steal", "dev." + reg.SpokeID + ".fs.write"} {
		if res := th.call(id, map[string]any{}); res.Status != http.StatusNotFound {
			t.Errorf("rejected %s answers %d %s, want 404", id, res.Status, res.Body)
		}
	}
}

// closePeer closes a peer's socket with a close frame.
func closePeer(p *peer) {
	_ = p.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	p.conn.Close()
}

// waitDisconnected polls the spoke row until it is disconnected.
func (th *testHub) waitDisconnected(spokeID string) storage.Spoke {
	th.t.Helper()
	var row storage.Spoke
	eventually(th.t, "spoke "+spokeID+" is disconnected", func() bool {
		row = th.spokeRow(spokeID)
		return row.Status == storage.SpokeDisconnected
	})
	return row
}

func TestClosedSpokeIsDisconnected(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", `{}`))
		closePeer(p)

		row := th.waitDisconnected(reg.SpokeID)
		if row.DisconnectedAt == nil {
			t.Error("disconnectedAt is not set")
		}
		for id, status := range th.registrationStatuses(reg.SpokeID) {
			if status != storage.RegistrationInactive {
				t.Errorf("registration of %s is %s, want inactive", id, status)
			}
		}
		for _, id := range []string{reg.Operations["fs.read"], "fs.read"} {
			if _, err := th.Store().Operations().Get(context.Background(), id); err != nil {
				t.Errorf("definition %s is gone: %v", id, err)
			}
		}
		if !slices.Contains(th.listIDs(th.AdminKey, "&includeUnavailable=true"), reg.Operations["fs.read"]) {
			t.Errorf("hub.list with includeUnavailable lacks %s", reg.Operations["fs.read"])
		}
		if slices.Contains(th.listIDs(th.AdminKey, ""), reg.Operations["fs.read"]) {
			t.Errorf("hub.list without includeUnavailable has %s", reg.Operations["fs.read"])
		}
	})
}

// callDetails decodes the details object of an ErrorBody.
func callDetails(t *testing.T, res response) map[string]any {
	t.Helper()
	var d map[string]any
	_ = json.Unmarshal(res.errorBody(t).Error.Details, &d)
	return d
}

func TestPendingCallFailsWhenSpokeCloses(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "box"},
			opSpec("fs", "read", "query", `{}`), opSpec("fs", "watch", "subscription", `{}`))

		done := make(chan response, 1)
		go func() { done <- th.call(reg.Operations["fs.read"], map[string]any{}) }()
		events, _ := th.sseStream(t, th.AdminKey, reg.Operations["fs.watch"], map[string]any{})
		var watchID string
		for range 2 {
			if f := p.read(); f.Payload["operationId"] == "fs.watch" {
				watchID = f.requestID()
			}
		}
		p.respond(watchID, "fs.watch", 1)
		if ev := receive(t, events, "the stream's first item"); ev.name != "data" {
			t.Fatalf("first event = %s %s, want data", ev.name, ev.data)
		}
		p.conn.Close() // no close frame: the socket just ends

		res := receive(t, done, "the pending call to fail")
		if res.Status != http.StatusServiceUnavailable || res.errorCode() != operations.CodeSpokeDisconnected {
			t.Fatalf("pending call: %d %s, want 503 SPOKE_DISCONNECTED", res.Status, res.Body)
		}
		details := callDetails(t, res)
		if details["spokeId"] != reg.SpokeID || details["reason"] != "disconnected" {
			t.Errorf("details = %v, want spokeId %s and reason disconnected", details, reg.SpokeID)
		}

		last := receive(t, events, "the stream to end")
		if last.name != "error" || !strings.Contains(last.data, operations.CodeSpokeDisconnected) {
			t.Errorf("the stream ended with %s %s, want an error event SPOKE_DISCONNECTED", last.name, last.data)
		}

		// The failed call's call-graph node records the failure.
		id := res.Header.Get("X-Request-Id")
		eventually(t, "the call-graph node of "+id+" is failed", func() bool {
			if err := th.FlushCallGraph(context.Background()); err != nil {
				t.Fatal(err)
			}
			node, err := th.Store().CallGraph().Get(context.Background(), id)
			return err == nil && node.Status == storage.CallFailed && node.Error != nil &&
				strings.Contains(string(node.Error.V), operations.CodeSpokeDisconnected)
		})
	})
}

func TestDisconnectedProviderIsUnavailable(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		setup := newSetup(t, e)
		th := setup.start(t)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", `{}`))
		closePeer(p)
		th.waitDisconnected(reg.SpokeID)

		check := func(th *testHub, when string) {
			t.Helper()
			for _, id := range []string{reg.Operations["fs.read"], "fs.read"} {
				res := th.call(id, map[string]any{})
				if res.Status != http.StatusServiceUnavailable || res.errorCode() != operations.CodeSpokeUnavailable {
					t.Errorf("%s, %s answers %d %s, want 503 SPOKE_UNAVAILABLE", when, id, res.Status, res.Body)
					continue
				}
				if d := callDetails(t, res); d["reason"] != "no-provider" || d["operationId"] != id {
					t.Errorf("%s, %s details = %v, want reason no-provider", when, id, d)
				}
			}
		}
		check(th, "after the disconnect")
		th.stop()
		check(setup.start(t), "after a hub restart")
	})
}

func TestReconnectKeepsSpokeID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		firstKey, account := th.newKey(storage.AccessUser, spokeKeyScopes...)
		secondKey := th.addKey(account, spokeKeyScopes...)
		spec := opSpec("fs", "read", "query", `{}`)

		p := dialPeer(t, th, firstKey)
		first := p.register(map[string]any{"name": "box"}, spec)
		firstConnected := *th.spokeRow(first.SpokeID).ConnectedAt
		closePeer(p)
		th.waitDisconnected(first.SpokeID)

		q := dialPeer(t, th, secondKey)
		second := q.register(map[string]any{"name": "box"}, spec)
		if second.SpokeID != first.SpokeID {
			t.Errorf("spoke id after reconnect = %s, want %s", second.SpokeID, first.SpokeID)
		}
		if second.Operations["fs.read"] != first.Operations["fs.read"] {
			t.Errorf("remapped id after reconnect = %s, want %s", second.Operations["fs.read"], first.Operations["fs.read"])
		}
		row := th.spokeRow(second.SpokeID)
		if row.Status != storage.SpokeConnected || row.DisconnectedAt != nil {
			t.Errorf("after reconnect: status %s disconnectedAt %v", row.Status, row.DisconnectedAt)
		}
		if row.ConnectedAt == nil || !row.ConnectedAt.After(firstConnected) {
			t.Errorf("connectedAt = %v, want later than %v", row.ConnectedAt, firstConnected)
		}

		other, _ := th.newKey(storage.AccessUser, spokeKeyScopes...)
		if id := dialPeer(t, th, other).register(map[string]any{"name": "box"}, spec).SpokeID; id == first.SpokeID {
			t.Error("another account's spoke of the same name got the same id")
		}
	})
}

func TestNewerConnectionReplacesSpoke(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		spec := opSpec("fs", "read", "query", `{}`)
		old := dialPeer(t, th, th.AdminKey)
		reg := old.register(map[string]any{"name": "box"}, spec)
		readID := reg.Operations["fs.read"]

		pending := make(chan response, 1)
		go func() { pending <- th.call(readID, map[string]any{}) }()
		old.read()

		newer := dialPeer(t, th, th.AdminKey)
		if again := newer.register(map[string]any{"name": "box"}, spec); again.SpokeID != reg.SpokeID {
			t.Fatalf("the newer connection got spoke %s, want %s", again.SpokeID, reg.SpokeID)
		}
		if code := old.closeCode(); code != 4003 {
			t.Errorf("the older connection closed with %d, want 4003", code)
		}
		res := receive(t, pending, "the call on the replaced connection to fail")
		if res.errorCode() != operations.CodeSpokeDisconnected || callDetails(t, res)["reason"] != "replaced" {
			t.Errorf("call on the replaced connection: %d %s, want SPOKE_DISCONNECTED replaced", res.Status, res.Body)
		}

		done := make(chan response, 1)
		go func() { done <- th.call(readID, map[string]any{}) }()
		req := newer.read()
		newer.respond(req.requestID(), "fs.read", "from the newer connection")
		if res := receive(t, done, "the call through the newer connection"); res.Status != http.StatusOK {
			t.Errorf("call after the replacement: %d %s", res.Status, res.Body)
		}
		if row := th.spokeRow(reg.SpokeID); row.Status != storage.SpokeConnected {
			t.Errorf("after the replacement the row is %s, want connected", row.Status)
		}
	})
}

// napOperation is a spoke mutation that sleeps for the requested
// milliseconds unless its context ends first, and reports the context's
// error on ended.
func napOperation(ended chan<- error) operations.Operation {
	return operations.Mutation(operations.SpecInfo{Namespace: "clock", Name: "nap", Description: "sleeps",
		AccessControl: operations.AccessControl{RequiredScopes: []string{}}},
		func(ctx context.Context, in sleepIn, _ *operations.OperationContext) (operations.Void, error) {
			select {
			case <-time.After(time.Duration(in.Ms) * time.Millisecond):
				ended <- nil
				return operations.Void{}, nil
			case <-ctx.Done():
				ended <- ctx.Err()
				return operations.Void{}, ctx.Err()
			}
		})
}

func TestSpokeCallDeadlineCancelsHandler(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		ended := make(chan error, 1)
		s := dialSpokeOps(t, th, th.AdminKey, "napper", napOperation(ended))

		res := th.do("POST", "/api/call", th.AdminKey, map[string]any{
			"operationId": s.Registration().Operations["clock.nap"], "input": map[string]any{"ms": 5000}, "timeoutMs": 300})
		if res.Status != http.StatusGatewayTimeout || res.errorCode() != operations.CodeTimeout {
			t.Errorf("call past its deadline: %d %s, want 504 TIMEOUT", res.Status, res.Body)
		}
		if err := receive(t, ended, "the spoke's handler to end"); err == nil {
			t.Error("the spoke's handler slept to the end; want its context ended at the deadline")
		}
	})
}

func TestSpokeTimeoutCarriesDeadline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		p := dialPeer(t, th, th.AdminKey)
		readID := p.register(map[string]any{"name": "mute"}, opSpec("fs", "read", "query", `{}`)).Operations["fs.read"]

		// The caller's timer and the forwarding handler's context expire at
		// the same instant, and either may answer first: several rounds make
		// an answer without the deadline from either side likely to show.
		for range 5 {
			res := th.do("POST", "/api/call", th.AdminKey, map[string]any{
				"operationId": readID, "input": map[string]any{}, "timeoutMs": 200})
			if res.Status != http.StatusGatewayTimeout || res.errorCode() != operations.CodeTimeout {
				t.Errorf("call past its deadline: %d %s, want 504 TIMEOUT", res.Status, res.Body)
			}
			if _, ok := callDetails(t, res)["deadline"].(float64); !ok {
				t.Errorf("TIMEOUT details = %s, want the deadline in epoch milliseconds", res.errorBody(t).Error.Details)
			}

			req := p.read()
			abort, _ := p.answerTo(req.requestID())
			if abort.Type != operations.EventCallAborted {
				t.Errorf("after the deadline the spoke received %s, want call.aborted", abort.Type)
			}
		}
	})
}

// shortHeartbeat makes the hub ping every 100 ms and give up after 1 s of
// silence.
func shortHeartbeat(cfg *config.Config) {
	cfg.WS.PingInterval = config.Duration(100 * time.Millisecond)
	cfg.WS.PongTimeout = config.Duration(time.Second)
}

func TestSilentPeerClosedAfterPongTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		setup := newSetup(t, e)
		setup.tweak = shortHeartbeat
		th := setup.start(t)
		healthy := dialSpoke(t, th, th.AdminKey, "healthy")

		silent := dialPeer(t, th, th.AdminKey)
		silent.conn.SetPingHandler(func(string) error { return nil })
		reg := silent.register(map[string]any{"name": "silent"}, opSpec("fs", "read", "query", `{}`))
		pending := make(chan response, 1)
		go func() { pending <- th.call(reg.Operations["fs.read"], map[string]any{}) }()

		if code := silent.closeCode(); code != 4009 {
			t.Errorf("close code = %d, want 4009", code)
		}
		res := receive(t, pending, "the call on the silent connection to fail")
		if res.errorCode() != operations.CodeSpokeDisconnected {
			t.Errorf("pending call: %d %s, want SPOKE_DISCONNECTED", res.Status, res.Body)
		}
		th.waitDisconnected(reg.SpokeID)

		// A peer that replies to pings outlived the silent one.
		addID := healthy.Registration().Operations["math.add"]
		if res := th.call(addID, map[string]any{"a": 1, "b": 2}); res.Status != http.StatusOK {
			t.Errorf("the healthy spoke answers %d %s", res.Status, res.Body)
		}
	})
}

// offsetClock is the real time plus an offset that a test moves forward.
type offsetClock struct{ offset atomic.Int64 }

func (c *offsetClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

func (c *offsetClock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func TestLastHeartbeatWrittenOncePerWindow(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		clock := &offsetClock{}
		setup := newSetup(t, e)
		setup.options = append(setup.options, hub.WithClock(clock.now))
		th := setup.start(t)
		p := dialPeer(t, th, th.AdminKey)
		reg := p.register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", `{}`))

		heartbeat := func() *time.Time {
			t.Helper()
			if f := p.call("hub.heartbeat", map[string]any{}); f.Type != operations.EventCallResponded {
				t.Fatalf("hub.heartbeat answered %s %v", f.Type, f.Payload)
			}
			if err := th.Store().Flush(context.Background()); err != nil {
				t.Fatal(err)
			}
			return th.spokeRow(reg.SpokeID).LastHeartbeat
		}

		clock.advance(time.Second)
		first := heartbeat()
		if first == nil {
			t.Fatal("lastHeartbeat is not set after a heartbeat")
		}
		clock.advance(10 * time.Second)
		if within := heartbeat(); within == nil || !within.Equal(*first) {
			t.Errorf("10 s later lastHeartbeat = %v, want still %v", within, *first)
		}
		clock.advance(25 * time.Second)
		if after := heartbeat(); after == nil || !after.After(*first) {
			t.Errorf("35 s later lastHeartbeat = %v, want later than %v", after, *first)
		}
	})
}

// smallReceiveBuffer dials with a 4 KiB socket receive buffer, so a peer
// that stops reading fills the hub's socket quickly.
func smallReceiveBuffer(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		return errors.Join(err, serr)
	}}
	return d.DialContext(ctx, network, addr)
}

func TestSlowConsumerClosed1013(t *testing.T) {
	setup := newSetup(t, sqliteEngine)
	setup.tweak = func(cfg *config.Config) {
		cfg.WS.SendQueueFrames = 4
		cfg.WS.SendQueueBytes = 64 << 10
	}
	th := setup.start(t)

	dialer := websocket.Dialer{NetDialContext: smallReceiveBuffer, ReadBufferSize: 1024}
	conn, res, err := dialer.Dial(th.WSURL, http.Header{"Authorization": {"Bearer " + th.AdminKey}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	t.Cleanup(func() { conn.Close() })
	p := &peer{t: t, conn: conn}
	reg := p.register(map[string]any{"name": "sink", "maxConcurrency": 1024},
		opSpec("sink", "take", "mutation", `{}`))

	// The peer stops reading while calls with large inputs pile up.
	big := map[string]any{"blob": strings.Repeat("x", 512<<10)}
	results := make(chan response, 64)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- th.call(reg.Operations["sink.take"], big)
		}()
	}
	// The first call to end does so because the hub dropped the peer.
	first := receive(t, results, "a call to fail on the slow connection")
	results <- first

	if code := p.closeCode(); code != 1013 {
		t.Errorf("close code = %d, want 1013", code)
	}
	wg.Wait()
	close(results)
	for res := range results {
		if code := res.errorCode(); code != operations.CodeSpokeDisconnected && code != operations.CodeSpokeUnavailable {
			t.Errorf("a call on the slow connection: %d %.200s", res.Status, res.Body)
		}
	}
	th.waitDisconnected(reg.SpokeID)
}

func TestCrashedSpokesResetBeforeReady(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		setup := newSetup(t, e)
		th := setup.start(t)
		reg := dialPeer(t, th, th.AdminKey).register(map[string]any{"name": "box"}, opSpec("fs", "read", "query", `{}`))
		owner := th.spokeRow(reg.SpokeID).OwnerID
		th.stop()

		// A hub process that crashed leaves its instance running, without
		// heartbeats, and its spoke connected.
		ctx := context.Background()
		st, err := hub.OpenStorage(ctx, th.cfg, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		crashed := &storage.HubInstance{Hostname: "crashed", Version: hub.Version, PID: 1,
			Status: storage.InstanceRunning, LastSeenAt: time.Now().Add(-10 * time.Minute)}
		if err := st.Instances().Register(ctx, crashed); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Spokes().Register(ctx, storage.SpokeRegistration{
			OwnerID: owner, Name: "box", Type: storage.SpokeDevEnv, ConnectionID: "0f4a6c1e-5d1b-4c55-9a6e-2f1d3b8e7a90",
			InstanceID: crashed.ID, Operations: []storage.Operation{{Namespace: "fs", Name: "read", Version: "1.0.0",
				Type: storage.OperationQuery, InputSchema: storage.RawJSON{V: json.RawMessage(`{}`)},
				OutputSchema: storage.RawJSON{V: json.RawMessage(`{}`)}}},
		}); err != nil {
			t.Fatal(err)
		}
		if err := st.Close(ctx); err != nil {
			t.Fatal(err)
		}

		restarted := setup.start(t)
		if status := restarted.Health().Status; status != "ready" {
			t.Fatalf("health after Start = %s", status)
		}
		row := restarted.spokeRow(reg.SpokeID)
		if row.Status != storage.SpokeDisconnected || row.DisconnectedAt == nil {
			t.Errorf("when ready the crashed instance's spoke is %s (disconnectedAt %v), want disconnected", row.Status, row.DisconnectedAt)
		}
		for id, status := range restarted.registrationStatuses(reg.SpokeID) {
			if status != storage.RegistrationInactive {
				t.Errorf("registration of %s is %s, want inactive", id, status)
			}
		}
	})
}

// spokeInbox reads the frames of several peers at once.
type spokeInbox struct {
	t      *testing.T
	frames map[string]<-chan frame
}

func newInbox(t *testing.T, peers map[string]*peer) *spokeInbox {
	in := &spokeInbox{t: t, frames: map[string]<-chan frame{}}
	for name, p := range peers {
		in.frames[name] = p.pump()
	}
	return in
}

// next returns the name of the peer that received the next call.requested,
// and that frame.
func (in *spokeInbox) next() (string, frame) {
	in.t.Helper()
	timeout := time.After(patience)
	for {
		for name, ch := range in.frames {
			select {
			case f, ok := <-ch:
				if !ok {
					in.t.Fatalf("peer %s closed", name)
				}
				if f.Type == operations.EventCallRequested {
					return name, f
				}
			default:
			}
		}
		select {
		case <-timeout:
			in.t.Fatal("no peer received a call")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestAliasBalancesAcrossSpokes(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		spec := opSpec("fs", "read", "query", `{"type":"object"}`)
		peers := map[string]*peer{"one": dialPeer(t, th, th.AdminKey), "two": dialPeer(t, th, th.AdminKey)}
		for name, p := range peers {
			if reg := p.register(map[string]any{"name": name}, spec); reg.Aliases["fs.read"] != "fs.read" {
				t.Fatalf("spoke %s did not join the alias: %v", name, reg.Aliases)
			}
		}
		inbox := newInbox(t, peers)

		// With a call in flight on one spoke, the next goes to the other.
		first := make(chan response, 1)
		go func() { first <- th.call("fs.read", map[string]any{}) }()
		busy, held := inbox.next()
		second := make(chan response, 1)
		go func() { second <- th.call("fs.read", map[string]any{}) }()
		idle, req := inbox.next()
		if idle == busy {
			t.Errorf("with a call in flight on %s, the next alias call also went to it", busy)
		}
		peers[idle].respond(req.requestID(), "fs.read", idle)
		peers[busy].respond(held.requestID(), "fs.read", busy)
		receive(t, first, "the first alias call")
		receive(t, second, "the second alias call")

		// With equal load the calls alternate.
		var order []string
		for range 4 {
			done := make(chan response, 1)
			go func() { done <- th.call("fs.read", map[string]any{}) }()
			name, req := inbox.next()
			if req.Payload["operationId"] != "fs.read" {
				t.Errorf("the spoke received operationId %v, want fs.read", req.Payload["operationId"])
			}
			peers[name].respond(req.requestID(), "fs.read", name)
			receive(t, done, "an alias call")
			order = append(order, name)
		}
		for i := 1; i < len(order); i++ {
			if order[i] == order[i-1] {
				t.Errorf("equally loaded spokes served %v, want alternation", order)
				break
			}
		}
	})
}

func TestAliasConflictNeverRouted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		peers := map[string]*peer{"same": dialPeer(t, th, th.AdminKey), "different": dialPeer(t, th, th.AdminKey)}
		peers["same"].register(map[string]any{"name": "same"}, opSpec("fs", "read", "query", `{"type":"object"}`))
		conflicting := peers["different"].register(map[string]any{"name": "different"},
			opSpec("fs", "read", "query", `{"type":"object","required":["path"]}`))

		if _, ok := conflicting.Aliases["fs.read"]; ok {
			t.Errorf("the conflicting spoke joined the alias: %v", conflicting.Aliases)
		}
		if len(conflicting.AliasConflicts) != 1 || conflicting.AliasConflicts[0].Operation != "fs.read" ||
			conflicting.AliasConflicts[0].Reason == "" {
			t.Errorf("aliasConflicts = %+v, want one entry for fs.read with a reason", conflicting.AliasConflicts)
		}
		inbox := newInbox(t, peers)

		// Even with calls in flight on the alias's spoke, none goes to the other.
		var pending []chan response
		var held []frame
		for range 3 {
			done := make(chan response, 1)
			go func() { done <- th.call("fs.read", map[string]any{}) }()
			name, req := inbox.next()
			if name != "same" {
				t.Errorf("an alias call reached the spoke with the conflicting schema")
			}
			pending = append(pending, done)
			held = append(held, req)
		}
		for i, req := range held {
			peers["same"].respond(req.requestID(), "fs.read", i)
			receive(t, pending[i], "an alias call")
		}

		done := make(chan response, 1)
		go func() { done <- th.call(conflicting.Operations["fs.read"], map[string]any{"path": "/"}) }()
		if name, req := inbox.next(); name != "different" {
			t.Errorf("the conflicting spoke's remapped id went to %s", name)
		} else {
			peers["different"].respond(req.requestID(), "fs.read", "ok")
		}
		receive(t, done, "the remapped call")
	})
}

func TestBusySpokeDirectUnavailableAliasFallsBack(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e engine) {
		th := newTestHub(t, e)
		spec := opSpec("fs", "read", "query", `{}`)
		peers := map[string]*peer{"narrow": dialPeer(t, th, th.AdminKey), "wide": dialPeer(t, th, th.AdminKey)}
		narrow := peers["narrow"].register(map[string]any{"name": "narrow", "maxConcurrency": 1}, spec)
		wide := peers["wide"].register(map[string]any{"name": "wide"}, spec)
		inbox := newInbox(t, peers)

		// narrow is at its limit with one call; wide carries more calls.
		var held []frame
		var pending []chan response
		hold := func(id, want string) {
			done := make(chan response, 1)
			go func() { done <- th.call(id, map[string]any{}) }()
			name, req := inbox.next()
			if name != want {
				t.Fatalf("a call to %s reached %s, want %s", id, name, want)
			}
			held = append(held, req)
			pending = append(pending, done)
		}
		hold(narrow.Operations["fs.read"], "narrow")
		hold(wide.Operations["fs.read"], "wide")
		hold(wide.Operations["fs.read"], "wide")

		res := th.call(narrow.Operations["fs.read"], map[string]any{})
		if res.Status != http.StatusServiceUnavailable || res.errorCode() != operations.CodeSpokeUnavailable {
			t.Errorf("direct call to the busy spoke: %d %s, want 503 SPOKE_UNAVAILABLE", res.Status, res.Body)
		} else if reason := callDetails(t, res)["reason"]; reason != "busy" {
			t.Errorf("reason = %v, want busy", reason)
		}

		hold("fs.read", "wide")
		for i, req := range held {
			name := "wide"
			if i == 0 {
				name = "narrow"
			}
			peers[name].respond(req.requestID(), "fs.read", i)
			if res := receive(t, pending[i], "a held call"); res.Status != http.StatusOK {
				t.Errorf("held call %d: %d %s", i, res.Status, res.Body)
			}
		}
	})
}

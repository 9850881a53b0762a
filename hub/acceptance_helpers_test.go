package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/storage"
)

// probes are local operations whose handlers report what they saw, so a
// test can check what reached a handler and how its context ended.
type probes struct {
	// strictRuns counts the invocations of probe.strict.
	strictRuns atomic.Int32
	// sleepEnded receives the context error probe.sleep saw (nil when it
	// slept the whole time).
	sleepEnded chan error
	// foreverStarted and foreverStopped signal the start and the end of
	// each probe.forever stream.
	foreverStarted chan struct{}
	foreverStopped chan error
	// blockRunning receives a value when probe.block starts; the handler
	// returns once release is closed, even when its context ends.
	blockRunning chan struct{}
	release      chan struct{}
}

// probeErrors are the declared error codes of probe.fail.
var probeErrors = []operations.ErrorDefinition{
	{Code: "DISK_FULL", Description: "no space left"},
	{Code: "QUOTA_EXCEEDED", Description: "over quota", HTTPStatus: http.StatusConflict},
}

type whoamiOut struct {
	ID              string   `json:"id"`
	Scopes          []string `json:"scopes"`
	RequestID       string   `json:"requestId"`
	ParentRequestID string   `json:"parentRequestId"`
}

type modeIn struct {
	Mode string `json:"mode"`
}

type codeIn struct {
	Code string `json:"code"`
}

type nestedIn struct {
	OperationID string         `json:"operationId"`
	Input       map[string]any `json:"input"`
}

type countIn struct {
	Count int `json:"count"`
}

type item struct {
	N int `json:"n"`
}

func newProbes() *probes {
	return &probes{
		sleepEnded:     make(chan error, 16),
		foreverStarted: make(chan struct{}, 16),
		foreverStopped: make(chan error, 16),
		blockRunning:   make(chan struct{}, 16),
		release:        make(chan struct{}),
	}
}

// operations returns the probe operations; all but probe.scoped,
// probe.secret and probe.audit need no scope beyond the edge's.
func (p *probes) operations() []operations.Operation {
	open := operations.AccessControl{RequiredScopes: []string{}}
	info := func(name string) operations.SpecInfo {
		return operations.SpecInfo{Namespace: "probe", Name: name, Description: "test probe " + name, AccessControl: open}
	}
	scoped := info("scoped")
	scoped.AccessControl = operations.AccessControl{RequiredScopes: []string{"a", "b"}}
	secret := info("secret")
	secret.Description = "a probe only holders of scope secret may call"
	secret.AccessControl = operations.AccessControl{RequiredScopes: []string{"secret"}}
	audit := info("audit")
	audit.AccessControl = operations.AccessControl{RequiredScopes: []string{auth.ScopeCallsRead}}
	fail := info("fail")
	fail.ErrorSchemas = probeErrors

	whoami := func(_ context.Context, _ struct{}, oc *operations.OperationContext) (whoamiOut, error) {
		out := whoamiOut{RequestID: oc.RequestID, ParentRequestID: oc.ParentRequestID, Scopes: []string{}}
		if oc.Identity != nil {
			out.ID, out.Scopes = oc.Identity.ID, oc.Identity.Scopes
		}
		return out, nil
	}
	return []operations.Operation{
		operations.Query(info("whoami"), whoami),
		operations.Query(scoped, whoami),
		operations.Query(secret, whoami),
		operations.Query(audit, whoami),
		{
			Spec: operations.OperationSpec{
				Namespace: "probe", Name: "strict", Version: "1.0.0", Type: operations.TypeQuery,
				Description: "takes a positive integer n",
				InputSchema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer","minimum":1}},
					"required":["n"],"additionalProperties":false}`),
				OutputSchema:  json.RawMessage(`{}`),
				AccessControl: open,
			},
			Handler: func(context.Context, json.RawMessage, *operations.OperationContext) (any, error) {
				p.strictRuns.Add(1)
				return map[string]any{"ok": true}, nil
			},
		},
		operations.Mutation(info("sleep"), func(ctx context.Context, in sleepIn, _ *operations.OperationContext) (operations.Void, error) {
			select {
			case <-time.After(time.Duration(in.Ms) * time.Millisecond):
				report(p.sleepEnded, nil)
				return operations.Void{}, nil
			case <-ctx.Done():
				report(p.sleepEnded, ctx.Err())
				return operations.Void{}, ctx.Err()
			}
		}),
		operations.Mutation(info("block"), func(context.Context, struct{}, *operations.OperationContext) (operations.Void, error) {
			report(p.blockRunning, struct{}{})
			<-p.release
			return operations.Void{}, nil
		}),
		operations.Query(fail, func(_ context.Context, in modeIn, _ *operations.OperationContext) (operations.Void, error) {
			switch in.Mode {
			case "prefix":
				return operations.Void{}, errors.New("DISK_FULL: /var is full")
			case "exact":
				return operations.Void{}, errors.New("QUOTA_EXCEEDED")
			case "panic":
				panic("probe panicked on purpose")
			}
			return operations.Void{}, errors.New("something else went wrong")
		}),
		operations.Query(info("code"), func(_ context.Context, in codeIn, _ *operations.OperationContext) (operations.Void, error) {
			return operations.Void{}, operations.NewCallError(in.Code, "probe failed with "+in.Code, nil)
		}),
		operations.Query(info("nested"), func(ctx context.Context, in nestedIn, oc *operations.OperationContext) (any, error) {
			env, err := oc.Env.Call(ctx, in.OperationID, in.Input)
			if err != nil {
				return nil, err
			}
			return env.Data, nil
		}),
		operations.Subscription(info("count"), func(_ context.Context, in countIn, _ *operations.OperationContext) (iter.Seq2[item, error], error) {
			return func(yield func(item, error) bool) {
				for i := 1; i <= in.Count; i++ {
					if !yield(item{N: i}, nil) {
						return
					}
				}
			}, nil
		}),
		operations.Subscription(info("forever"), func(ctx context.Context, _ struct{}, _ *operations.OperationContext) (iter.Seq2[item, error], error) {
			return p.forever(ctx), nil
		}),
	}
}

// forever yields an item every 10 ms until its consumer stops or ctx ends,
// and reports on foreverStopped why it stopped.
func (p *probes) forever(ctx context.Context) iter.Seq2[item, error] {
	return func(yield func(item, error) bool) {
		report(p.foreverStarted, struct{}{})
		for i := 1; ; i++ {
			if !yield(item{N: i}, nil) {
				report(p.foreverStopped, ctx.Err())
				return
			}
			select {
			case <-time.After(10 * time.Millisecond):
			case <-ctx.Done():
				report(p.foreverStopped, ctx.Err())
				return
			}
		}
	}
}

// report sends v on ch unless its buffer is full: a probe never blocks
// on a test that stopped listening.
func report[T any](ch chan<- T, v T) {
	select {
	case ch <- v:
	default:
	}
}

// newProbeHub starts a hub serving the probe operations.
func newProbeHub(t *testing.T, e engine) (*testHub, *probes) {
	t.Helper()
	p := newProbes()
	s := newSetup(t, e)
	s.options = append(s.options, hub.WithOperations(p.operations()...))
	return s.start(t), p
}

// patience bounds every wait for something asynchronous: generous, because
// the machine may be loaded, and never a measure of speed.
const patience = 10 * time.Second

// receive waits a few seconds for a value from ch.
func receive[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(patience):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// eventually polls cond every 10 ms for a few seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting until %s", what)
}

// newKey creates an account with the access level and an API key with the
// scopes, and returns the key and the account id.
func (th *testHub) newKey(level storage.AccessLevel, scopes ...string) (key, accountID string) {
	th.t.Helper()
	acct := &storage.Account{Email: uuid.NewString() + "@example.test", AccessLevel: level}
	if err := th.Store().Accounts().Create(context.Background(), acct); err != nil {
		th.t.Fatalf("creating an account: %v", err)
	}
	return th.addKey(acct.ID, scopes...), acct.ID
}

// addKey creates another API key with the scopes for an account.
func (th *testHub) addKey(accountID string, scopes ...string) string {
	th.t.Helper()
	k, err := auth.GenerateKey()
	if err != nil {
		th.t.Fatal(err)
	}
	row := &storage.APIKey{OwnerID: accountID, Prefix: k.Prefix, KeyHash: k.Hash, Scopes: storage.NewJSON(scopes)}
	if err := th.Store().APIKeys().Create(context.Background(), row); err != nil {
		th.t.Fatalf("creating an API key: %v", err)
	}
	return k.Plaintext
}

// spokeRow reads a spoke row.
func (th *testHub) spokeRow(id string) storage.Spoke {
	th.t.Helper()
	row, err := th.Store().Spokes().Get(context.Background(), id)
	if err != nil {
		th.t.Fatalf("reading spoke %s: %v", id, err)
	}
	if !row.Status.Valid() {
		th.t.Errorf("spoke %s has status %q", id, row.Status)
	}
	return row
}

// registrationStatuses maps each registration of a spoke, by operation id,
// to its status.
func (th *testHub) registrationStatuses(spokeID string) map[string]storage.RegistrationStatus {
	th.t.Helper()
	regs, err := th.Store().Spokes().Registrations(context.Background(), spokeID)
	if err != nil {
		th.t.Fatalf("reading the registrations of spoke %s: %v", spokeID, err)
	}
	out := map[string]storage.RegistrationStatus{}
	for _, r := range regs {
		out[r.OperationID] = r.Status
	}
	return out
}

// callWith POSTs /api/call with a key.
func (th *testHub) callWith(key, opID string, input any) response {
	th.t.Helper()
	return th.do("POST", "/api/call", key, map[string]any{"operationId": opID, "input": input})
}

// sseStream POSTs /api/subscribe with the key and delivers the events as
// they arrive; the channel closes when the stream ends. A response status
// other than 200 arrives as one event named "status <code>" with the body
// as data. stop closes the connection.
func (th *testHub) sseStream(t testing.TB, key, opID string, input any) (events <-chan sseEvent, stop func()) {
	t.Helper()
	b, err := json.Marshal(map[string]any{"operationId": opID, "input": input})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "POST", th.URL+"/api/subscribe", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(res.Body)
			ch <- sseEvent{name: "status " + strconv.Itoa(res.StatusCode), data: string(body)}
			return
		}
		readSSE(res.Body, func(ev sseEvent) { ch <- ev })
	}()
	return ch, cancel
}

// errorBody decodes an ErrorBody.
type errorBody struct {
	Error struct {
		Code      string          `json:"code"`
		Message   string          `json:"message"`
		Details   json.RawMessage `json:"details"`
		RequestID string          `json:"requestId"`
	} `json:"error"`
}

func (r response) errorBody(t testing.TB) errorBody {
	t.Helper()
	var b errorBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("decoding an ErrorBody from %s: %v", r.Body, err)
	}
	return b
}

// frame is one envelope a peer received.
type frame struct {
	Type    string         `json:"type"`
	ID      string         `json:"id"`
	Payload map[string]any `json:"payload"`
}

func (f frame) requestID() string {
	id, _ := f.Payload["requestId"].(string)
	return id
}

// peer is a raw gorilla WebSocket client, as a spoke written in another
// language would be.
type peer struct {
	t    testing.TB
	conn *websocket.Conn
}

// dialPeer opens /ws with the key as a bearer token.
func dialPeer(t testing.TB, th *testHub, key string) *peer {
	t.Helper()
	return dialPeerWith(t, th.WSURL, http.Header{"Authorization": {"Bearer " + key}})
}

func dialPeerWith(t testing.TB, url string, header http.Header) *peer {
	t.Helper()
	conn, res, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		t.Fatalf("dialing %s: %v", url, err)
	}
	res.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &peer{t: t, conn: conn}
}

func (p *peer) sendRaw(text string) {
	p.t.Helper()
	if err := p.conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		p.t.Fatalf("writing a frame: %v", err)
	}
}

func (p *peer) send(eventType string, payload any) {
	p.t.Helper()
	b, err := json.Marshal(map[string]any{"type": eventType, "id": "", "payload": payload})
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(string(b))
}

// read returns the next frame, failing the test after a few seconds.
func (p *peer) read() frame {
	p.t.Helper()
	f, err := p.readWithin(patience)
	if err != nil {
		p.t.Fatalf("reading a frame: %v", err)
	}
	return f
}

func (p *peer) readWithin(d time.Duration) (frame, error) {
	_ = p.conn.SetReadDeadline(time.Now().Add(d))
	_, b, err := p.conn.ReadMessage()
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		p.t.Fatalf("frame %s is not an envelope: %v", b, err)
	}
	return f, nil
}

// pump reads frames on a goroutine until the socket ends. After it, use
// only the channel to read.
func (p *peer) pump() <-chan frame {
	ch := make(chan frame, 64)
	go func() {
		defer close(ch)
		for {
			_, b, err := p.conn.ReadMessage()
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(b, &f) == nil {
				ch <- f
			}
		}
	}()
	return ch
}

// request sends call.requested with a fresh request id and returns the id.
func (p *peer) request(opID string, input any, extra map[string]any) string {
	p.t.Helper()
	id := uuid.NewString()
	payload := map[string]any{"requestId": id, "operationId": opID, "input": input}
	for k, v := range extra {
		payload[k] = v
	}
	p.send(operations.EventCallRequested, payload)
	return id
}

// answerTo reads frames until one for requestID arrives; frames for other
// requests are returned in skipped.
func (p *peer) answerTo(requestID string) (answer frame, skipped []frame) {
	p.t.Helper()
	for {
		f := p.read()
		if f.requestID() == requestID {
			return f, skipped
		}
		skipped = append(skipped, f)
	}
}

// call makes a call over the socket and returns the first frame for it.
func (p *peer) call(opID string, input any) frame {
	p.t.Helper()
	f, _ := p.answerTo(p.request(opID, input, nil))
	return f
}

// closeCode reads until the hub closes the socket and returns the close
// code, or fails when the socket ends another way.
func (p *peer) closeCode() int {
	p.t.Helper()
	for {
		_, err := p.readWithin(patience)
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		p.t.Fatalf("the socket ended without a close frame: %v", err)
		return 0
	}
}

// respond sends call.responded for a forwarded call, with a local
// envelope around data.
func (p *peer) respond(requestID, opID string, data any) {
	p.t.Helper()
	p.send(operations.EventCallResponded, map[string]any{
		"requestId": requestID,
		"output": map[string]any{"data": data, "meta": map[string]any{
			"source": "local", "operationId": opID, "timestamp": time.Now().UnixMilli()}},
	})
}

// opSpec returns an OperationSpec document as a spoke sends it.
func opSpec(namespace, name, opType string, inputSchema string) map[string]any {
	return map[string]any{
		"namespace": namespace, "name": name, "version": "1.0.0", "type": opType,
		"description":   namespace + "." + name + " for tests",
		"inputSchema":   json.RawMessage(inputSchema),
		"outputSchema":  json.RawMessage(`{}`),
		"accessControl": map[string]any{"requiredScopes": []string{}},
	}
}

// registerOutput is the data of hub.register's answer.
type registerOutput struct {
	SpokeID        string            `json:"spokeId"`
	Operations     map[string]string `json:"operations"`
	Aliases        map[string]string `json:"aliases"`
	AliasConflicts []struct {
		Operation string `json:"operation"`
		Reason    string `json:"reason"`
	} `json:"aliasConflicts"`
	Rejected []struct {
		Operation string                  `json:"operation"`
		Code      string                  `json:"code"`
		Message   string                  `json:"message"`
		Details   []operations.ValueError `json:"details"`
	} `json:"rejected"`
}

// register sends hub.register with the header fields and specs and
// returns the decoded answer; it fails the test on a call.error.
func (p *peer) register(header map[string]any, specs ...map[string]any) registerOutput {
	p.t.Helper()
	in := map[string]any{"spokeType": "dev-env"}
	for k, v := range header {
		in[k] = v
	}
	in["operations"] = specs
	f := p.call("hub.register", in)
	if f.Type != operations.EventCallResponded {
		p.t.Fatalf("hub.register answered %s %v", f.Type, f.Payload)
	}
	var out struct {
		Output struct {
			Data registerOutput `json:"data"`
		} `json:"output"`
	}
	b, _ := json.Marshal(f.Payload)
	if err := json.Unmarshal(b, &out); err != nil {
		p.t.Fatal(err)
	}
	return out.Output.Data
}

// payloadAs re-decodes a frame payload into T.
func payloadAs[T any](t testing.TB, f frame) T {
	t.Helper()
	var v T
	b, err := json.Marshal(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

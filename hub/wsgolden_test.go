package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts under testdata/ws")

// transcript records the frames of one raw WebSocket session, as a peer
// written in another language would see them, plus the HTTP responses the
// scenario produces. Lines start with "> " (peer to hub), "< " (hub to
// peer) or "= " (an HTTP response).
type transcript struct {
	t     *testing.T
	conn  *websocket.Conn
	lines []string
}

func dialRaw(t *testing.T, th *testHub) *transcript {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + th.AdminKey}}
	conn, res, err := websocket.DefaultDialer.Dial(th.WSURL, h)
	if err != nil {
		t.Fatalf("dialing /ws: %v", err)
	}
	res.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return &transcript{t: t, conn: conn}
}

func (tr *transcript) send(frame string) {
	tr.t.Helper()
	compact := compactJSON(tr.t, frame)
	if err := tr.conn.WriteMessage(websocket.TextMessage, []byte(compact)); err != nil {
		tr.t.Fatalf("writing a frame: %v", err)
	}
	tr.lines = append(tr.lines, "> "+compact)
}

// recv reads the next frame and returns its payload.
func (tr *transcript) recv() map[string]any {
	tr.t.Helper()
	return tr.recvDuring(nil)
}

// recvDuring is recv while an HTTP call is running: if no frame comes, the
// failure shows the call's answer, which usually says why nothing was
// forwarded.
func (tr *transcript) recvDuring(call <-chan response) map[string]any {
	tr.t.Helper()
	_ = tr.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	kind, b, err := tr.conn.ReadMessage()
	if err != nil {
		select {
		case res := <-call:
			tr.t.Fatalf("reading a frame: %v; the HTTP call ended with %d %s", err, res.Status, res.Body)
		default:
		}
		tr.t.Fatalf("reading a frame: %v", err)
	}
	if kind != websocket.TextMessage {
		tr.t.Errorf("frame kind %d, want text", kind)
	}
	tr.lines = append(tr.lines, "< "+string(b))
	var env struct {
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		tr.t.Fatalf("frame %s: %v", b, err)
	}
	return env.Payload
}

func (tr *transcript) http(res response) {
	tr.lines = append(tr.lines, fmt.Sprintf("= %d %s", res.Status, strings.TrimSpace(string(res.Body))))
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var v json.RawMessage
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("test frame is not JSON: %v\n%s", err, s)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`"(timestamp|serverTime|deadline|at)":\d+`)
)

// normalize replaces UUIDs by <id1>, <id2>… in order of first appearance
// and epoch-millisecond fields by 0, so the transcript is stable.
func normalize(lines []string) string {
	ids := map[string]string{}
	var out []string
	for _, l := range lines {
		l = uuidPattern.ReplaceAllStringFunc(l, func(u string) string {
			if _, ok := ids[u]; !ok {
				ids[u] = fmt.Sprintf("<id%d>", len(ids)+1)
			}
			return ids[u]
		})
		l = timePattern.ReplaceAllString(l, `"$1":0`)
		out = append(out, l)
	}
	return strings.Join(out, "\n") + "\n"
}

// checkGolden compares the transcript with testdata/ws/<name>.txtar, or
// rewrites it with -update.
func (tr *transcript) checkGolden(name, comment string) {
	tr.t.Helper()
	got := normalize(tr.lines)
	path := filepath.Join("testdata", "ws", name+".txtar")
	if *update {
		ar := &txtar.Archive{Comment: []byte(comment + "\n"), Files: []txtar.File{{Name: "frames", Data: []byte(got)}}}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tr.t.Fatal(err)
		}
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			tr.t.Fatal(err)
		}
		return
	}
	ar, err := txtar.ParseFile(path)
	if err != nil {
		tr.t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if len(ar.Files) != 1 || ar.Files[0].Name != "frames" {
		tr.t.Fatalf("%s must hold one file named frames", path)
	}
	if want := string(ar.Files[0].Data); got != want {
		tr.t.Errorf("%s differs\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// registerRaw registers the raw peer as spoke "raw" with one query, one
// subscription and one spec the hub must reject.
func (tr *transcript) registerRaw(requestID string) (spokeID string) {
	tr.send(`{"type":"call.requested","id":"","payload":{"requestId":"` + requestID + `","operationId":"hub.register","input":{
	  "name":"raw","spokeType":"compute","operations":[
	    {"namespace":"text","name":"upper","version":"1.0.0","type":"query","description":"upper case",
	     "inputSchema":{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]},
	     "outputSchema":{"type":"object"},"accessControl":{"requiredScopes":[]}},
	    {"namespace":"clock","name":"ticks","version":"1.0.0","type":"subscription","description":"ticks",
	     "inputSchema":{"type":"object"},"outputSchema":{},"accessControl":{"requiredScopes":[]}},
	    {"namespace":"hub","name":"steal","version":"1.0.0","type":"query","description":"reserved",
	     "inputSchema":{},"outputSchema":{},"accessControl":{"requiredScopes":[]}}]}}}`)
	p := tr.recv()
	out, _ := p["output"].(map[string]any)
	data, _ := out["data"].(map[string]any)
	id, _ := data["spokeId"].(string)
	if id == "" {
		tr.t.Fatalf("hub.register answered %v", p)
	}
	return id
}

func TestWebSocketFramesRegister(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	tr := dialRaw(t, th)
	tr.registerRaw("11111111-1111-4111-8111-111111111111")
	tr.send(`{"type":"call.requested","id":"","payload":{"requestId":"22222222-2222-4222-8222-222222222222",
	  "operationId":"hub.heartbeat","input":{}}}`)
	tr.recv()
	tr.checkGolden("register", "A spoke registers over a raw socket: one query, one subscription and one\nspec in a reserved namespace, which comes back in rejected. Then a heartbeat.")
}

func TestWebSocketFramesCall(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	tr := dialRaw(t, th)
	spokeID := tr.registerRaw("11111111-1111-4111-8111-111111111111")

	done := make(chan response, 1)
	go func() {
		done <- th.call("compute."+spokeID+".text.upper", map[string]any{"text": "hi"})
	}()
	req := tr.recvDuring(done)
	tr.send(`{"type":"call.responded","id":"","payload":{"requestId":"` + req["requestId"].(string) + `",
	  "output":{"data":{"text":"HI"},"meta":{"source":"local","operationId":"text.upper","timestamp":1}}}}`)
	tr.http(<-done)
	tr.checkGolden("call", "The hub forwards a REST call to the spoke with the same requestId, the\nspoke's original operation id, the caller's identity and the deadline; the\nspoke's envelope is the HTTP answer.")
}

func TestWebSocketFramesStream(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	tr := dialRaw(t, th)
	spokeID := tr.registerRaw("11111111-1111-4111-8111-111111111111")

	done := make(chan []sseEvent, 1)
	go func() {
		done <- th.sse(t, "compute."+spokeID+".clock.ticks", map[string]any{})
	}()
	req := tr.recv()
	id := req["requestId"].(string)
	for i := 1; i <= 2; i++ {
		tr.send(fmt.Sprintf(`{"type":"call.responded","id":"","payload":{"requestId":"%s",
		  "output":{"data":{"tick":%d},"meta":{"source":"local","operationId":"clock.ticks","timestamp":1}}}}`, id, i))
	}
	tr.send(`{"type":"call.completed","id":"","payload":{"requestId":"` + id + `"}}`)
	for _, ev := range <-done {
		tr.lines = append(tr.lines, "= event "+ev.name+" "+ev.data)
	}
	tr.checkGolden("stream", "A subscription: one call.requested, the spoke's items, then call.completed;\nthe SSE client sees each item and done.")
}

func TestWebSocketFramesError(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	tr := dialRaw(t, th)
	spokeID := tr.registerRaw("11111111-1111-4111-8111-111111111111")

	done := make(chan response, 1)
	go func() {
		done <- th.call("compute."+spokeID+".text.upper", map[string]any{"text": "hi"})
	}()
	req := tr.recvDuring(done)
	tr.send(`{"type":"call.error","id":"","payload":{"requestId":"` + req["requestId"].(string) + `",
	  "code":"EXECUTION_ERROR","message":"disk full","details":{"message":"disk full"}}}`)
	tr.http(<-done)

	tr.send(`{"type":"call.requested","id":"","payload":{"requestId":"33333333-3333-4333-8333-333333333333",
	  "operationId":"no.such","input":{}}}`)
	tr.recv()
	tr.checkGolden("error", "The spoke answers with call.error: the caller gets its code and message.\nThen the peer calls an unknown operation and gets OPERATION_NOT_FOUND.")
}

func TestWebSocketFramesDisconnect(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	tr := dialRaw(t, th)
	spokeID := tr.registerRaw("11111111-1111-4111-8111-111111111111")

	done := make(chan response, 1)
	go func() {
		done <- th.call("compute."+spokeID+".text.upper", map[string]any{"text": "hi"})
	}()
	tr.recvDuring(done)
	_ = tr.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"),
		time.Now().Add(time.Second))
	tr.conn.Close()
	tr.lines = append(tr.lines, "> close 1000")
	tr.http(<-done)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		res := th.call("compute."+spokeID+".text.upper", map[string]any{"text": "hi"})
		if res.errorCode() == "SPOKE_UNAVAILABLE" {
			tr.http(res)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	tr.checkGolden("disconnect", "The spoke's socket closes during a call: the call fails with\nSPOKE_DISCONNECTED, and the next call finds no provider.")
}

package hub_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/config"
	"github.com/alkdev/alkhub/internal/testenv"
)

// engine selects the database a test hub runs on.
type engine string

const (
	sqliteEngine   engine = "sqlite"
	postgresEngine engine = "postgres"
)

// forEachEngine runs the test body on SQLite and, when
// ALKHUB_TEST_POSTGRES_DSN is set, again on PostgreSQL.
func forEachEngine(t *testing.T, body func(t *testing.T, e engine)) {
	t.Run(string(sqliteEngine), func(t *testing.T) { body(t, sqliteEngine) })
	t.Run(string(postgresEngine), func(t *testing.T) { body(t, postgresEngine) })
}

// testHub is a hub listening on a loopback port, with its bootstrap admin
// key.
type testHub struct {
	*hub.Hub
	t        testing.TB
	setup    *hubSetup
	cfg      *config.Config
	URL      string // http://127.0.0.1:port
	WSURL    string // ws://127.0.0.1:port/ws
	AdminKey string

	keyMu sync.Mutex
	// printedKeys are the admin keys the hub printed, in order.
	printedKeys []string
}

// hubSetup is what newTestHub needs; a restarted hub reuses it.
type hubSetup struct {
	engine  engine
	dataDir string
	dsn     string
	addr    string
	tweak   func(*config.Config)
	options []hub.Option
	// adminKey is the key printed at the first start; restarts reuse it.
	adminKey string
}

func newSetup(t testing.TB, e engine) *hubSetup {
	t.Helper()
	s := &hubSetup{engine: e, dataDir: t.TempDir()}
	if e == postgresEngine {
		s.dsn = testenv.PostgresDSN(t)
	}
	return s
}

func newTestHub(t testing.TB, e engine) *testHub {
	t.Helper()
	return newSetup(t, e).start(t)
}

func (s *hubSetup) start(t testing.TB) *testHub {
	t.Helper()
	th := s.build(t)
	if err := th.Start(context.Background()); err != nil {
		_ = th.Shutdown(context.Background())
		t.Fatalf("starting the hub: %v", err)
	}
	th.takeAdminKey()
	return th
}

// build listens and creates the hub without starting it, for tests that
// watch startup; start does both. Options passed here come after the
// setup's and the harness's, so a test may replace the logger.
func (s *hubSetup) build(t testing.TB, extra ...hub.Option) *testHub {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = s.dataDir
	cfg.Storage.SQLitePath = filepath.Join(s.dataDir, "hub.db")
	cfg.Bootstrap.AdminKeyFile = filepath.Join(s.dataDir, "admin-key.txt")
	cfg.Dev = true
	if s.engine == postgresEngine {
		cfg.Postgres = &config.Postgres{DSN: s.dsn, MaxConnections: 5}
	}
	if s.tweak != nil {
		s.tweak(cfg)
	}
	if err := cfg.Finish(); err != nil {
		t.Fatalf("test config: %v", err)
	}

	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listening on %s: %v", addr, err)
	}
	s.addr = ln.Addr().String()

	th := &testHub{t: t, setup: s, cfg: cfg, URL: "http://" + s.addr, WSURL: "ws://" + s.addr + "/ws"}
	opts := append([]hub.Option(nil), s.options...)
	opts = append(opts,
		hub.WithListener(ln),
		hub.WithLogger(testLogger(t)),
		hub.WithAdminKeyOutput(func(k string) {
			th.keyMu.Lock()
			th.printedKeys = append(th.printedKeys, k)
			th.keyMu.Unlock()
		}))
	h, err := hub.New(cfg, append(opts, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	th.Hub = h
	t.Cleanup(func() { th.stop() })
	return th
}

// takeAdminKey sets AdminKey from the key printed at the first start, or
// from the setup on a restart, which prints none.
func (th *testHub) takeAdminKey() {
	th.keyMu.Lock()
	defer th.keyMu.Unlock()
	if len(th.printedKeys) > 0 {
		th.AdminKey = th.printedKeys[0]
	} else {
		th.AdminKey = th.setup.adminKey
	}
	th.setup.adminKey = th.AdminKey
}

func (th *testHub) stop() {
	// The HTTP server waits up to 5 s at shutdown for connections that
	// never carried a request; the shared client drops its idle ones now.
	http.DefaultClient.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := th.Shutdown(ctx); err != nil {
		th.t.Logf("hub shutdown: %v", err)
	}
}

// testLogger sends the hub's logs to the test log, shown on failure or
// with -v, when ALKHUB_TEST_LOGS is set; otherwise it discards them.
func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("ALKHUB_TEST_LOGS") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// response is a decoded HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
	return m
}

// errorCode returns error.code of an ErrorBody, or "".
func (r response) errorCode() string {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &b)
	return b.Error.Code
}

func (th *testHub) do(method, path, key string, body any) response {
	th.t.Helper()
	text := ""
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			th.t.Fatal(err)
		}
		text = string(b)
	}
	header := http.Header{}
	if key != "" {
		header.Set("Authorization", "Bearer "+key)
	}
	return th.doWith(method, path, header, text)
}

// doWith sends an HTTP request with the given headers and body.
func (th *testHub) doWith(method, path string, header http.Header, body string) response {
	th.t.Helper()
	req, err := http.NewRequest(method, th.URL+path, strings.NewReader(body))
	if err != nil {
		th.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		th.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		th.t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// call POSTs /api/call with the admin key.
func (th *testHub) call(opID string, input any) response {
	th.t.Helper()
	return th.do("POST", "/api/call", th.AdminKey, map[string]any{"operationId": opID, "input": input})
}

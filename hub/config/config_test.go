package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadZeroConfig(t *testing.T) {
	c, err := Load("", false)
	if err != nil {
		t.Fatal(err)
	}
	if !c.ZeroConfig {
		t.Error("ZeroConfig = false without a file")
	}
	if got := c.Server.Addr(); got != "127.0.0.1:8080" {
		t.Errorf("listener = %s, want 127.0.0.1:8080", got)
	}
	if c.Storage.SQLitePath != filepath.Join("data", "hub.db") {
		t.Errorf("SQLitePath = %s", c.Storage.SQLitePath)
	}
	if c.Logging.Format != "text" {
		t.Errorf("zero-config log format = %s, want text", c.Logging.Format)
	}
	if c.UsesPostgres() {
		t.Error("zero-config uses PostgreSQL")
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	c, err := Parse([]byte(`{"server":{"port":9090,"shutdownTimeout":"5s"},"dataDir":"/var/lib/alkhub",
		"postgres":{"dsn":"postgres://u@127.0.0.1/x"}}`), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 9090 || c.Server.Host != "127.0.0.1" {
		t.Errorf("server = %+v", c.Server)
	}
	if c.Server.ShutdownTimeout.D() != 5*time.Second {
		t.Errorf("shutdownTimeout = %v", c.Server.ShutdownTimeout.D())
	}
	if c.Storage.SQLitePath != "/var/lib/alkhub/hub.db" {
		t.Errorf("SQLitePath = %s", c.Storage.SQLitePath)
	}
	if !c.UsesPostgres() || c.Postgres.MaxConnections != 10 {
		t.Errorf("postgres = %+v", c.Postgres)
	}
	if c.Logging.Format != "json" {
		t.Errorf("format with a file = %s, want json", c.Logging.Format)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, doc, wantInError string
	}{
		{"unknown field", `{"server":{"prot":1}}`, `server.prot: unknown field`},
		{"duration as number", `{"calls":{"defaultTimeout":5}}`, `calls.defaultTimeout: must be a duration string`},
		{"fraction for integer", `{"ws":{"maxMessageBytes":1.5}}`, `ws.maxMessageBytes: must be a whole number`},
		{"wrong type in array", `{"server":{"corsOrigins":[1]}}`, `server.corsOrigins[0]: must be a string`},
		{"not an object", `[]`, `must be a JSON object`},
		{"wrong type", `{"server":{"port":"80"}}`, "server.port: must be a whole number, not a string"},
		{"bad duration", `{"calls":{"defaultTimeout":"soon"}}`, `invalid duration "soon"`},
		{"port range", `{"server":{"port":70000}}`, "server.port: must be between 0 and 65535"},
		{"log level", `{"logging":{"level":"loud"}}`, "logging.level"},
		{"plain password", `{"postgres":{"host":"db","user":"u","password":"p"}}`, "postgres: holds a password"},
		{"password in dsn", `{"postgres":{"dsn":"postgres://u:p@db/x"}}`, "postgres: holds a password"},
		{"encrypted", `{"redis":{"_encrypted":{"keyVersion":1}}}`, "redis: encrypted values are not supported"},
		{"trailing", `{} {}`, "after top-level value"},
		{"syntax", `{"server":`, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), false)
			if err == nil {
				t.Fatalf("Parse(%s) succeeded", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.wantInError) {
				t.Errorf("error %q does not contain %q", err, tt.wantInError)
			}
		})
	}
}

func TestParseAcceptsWholeNumbersWithExponent(t *testing.T) {
	c, err := Parse([]byte(`{"ws":{"maxMessageBytes":1e7},"server":{"port":8.0}}`), false)
	if err != nil {
		t.Fatal(err)
	}
	if c.WS.MaxMessageBytes != 10_000_000 || c.Server.Port != 8 {
		t.Errorf("maxMessageBytes %d, port %d", c.WS.MaxMessageBytes, c.Server.Port)
	}
}

func TestParseDevAllowsPlainPassword(t *testing.T) {
	c, err := Parse([]byte(`{"postgres":{"host":"db","user":"u","password":"p"}}`), true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Postgres.Password.Reveal() != "p" {
		t.Errorf("password not decoded")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	out := fmt.Sprintf("%v %s %#v", s, s, s)
	b, err := json.Marshal(struct{ P Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{out, string(b)} {
		if strings.Contains(text, "hunter2") {
			t.Errorf("secret leaked in %q", text)
		}
	}
}

func TestLoadNamesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.json")
	if err := os.WriteFile(path, []byte(`{"server":{"port":-1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path, false)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v does not name %s", err, path)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Path != "server.port" {
		t.Errorf("error %v is not a FieldError for server.port", err)
	}
}

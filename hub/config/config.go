// Package config holds the hub's configuration: one JSON document, decoded
// strictly (unknown fields are errors), completed with defaults and
// validated before any connection is opened.
//
// This build supports the sections the running hub uses: server, dataDir,
// storage, postgres, logging, ws, calls, callgraph and bootstrap. Encrypted
// sections ({"_encrypted": …}) are rejected with an error naming the section.
//
// Secrets never come from environment variables or flags. The only
// environment variable the hub reads is ALKHUB_CONFIG_PATH, a path.
package config

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ConfigPathEnv names the environment variable that may point at the
// configuration file.
const ConfigPathEnv = "ALKHUB_CONFIG_PATH"

// Config is the hub's configuration. The zero value is not valid; use
// Default or Load.
type Config struct {
	Server    Server    `json:"server"`
	DataDir   string    `json:"dataDir"`
	Storage   Storage   `json:"storage"`
	Postgres  *Postgres `json:"postgres,omitempty"`
	Logging   Logging   `json:"logging"`
	WS        WS        `json:"ws"`
	Calls     Calls     `json:"calls"`
	CallGraph CallGraph `json:"callgraph"`
	Bootstrap Bootstrap `json:"bootstrap"`

	// Dev allows plaintext secret sections and prints the bootstrap admin
	// key to stderr. Set from the --dev flag, never from the file.
	Dev bool `json:"-"`
	// ZeroConfig is true when no configuration file was found.
	ZeroConfig bool `json:"-"`
	// Path is the file the configuration came from; "" in zero-config mode.
	Path string `json:"-"`
}

// Server configures the HTTP listener.
type Server struct {
	Host            string   `json:"host"`
	Port            int      `json:"port"`
	PublicURL       string   `json:"publicUrl"`
	BodyLimitBytes  int64    `json:"bodyLimitBytes"`
	CORSOrigins     []string `json:"corsOrigins"`
	ShutdownTimeout Duration `json:"shutdownTimeout"`
}

// Addr returns host:port.
func (s Server) Addr() string {
	return net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
}

// Storage configures the embedded SQLite database.
type Storage struct {
	SQLitePath     string   `json:"sqlitePath"`
	ConnectTimeout Duration `json:"connectTimeout"`
}

// Postgres selects PostgreSQL instead of SQLite. Either DSN or the fields
// below it are used; DSN wins when set.
type Postgres struct {
	DSN            string `json:"dsn,omitempty"`
	Host           string `json:"host,omitempty"`
	Port           int    `json:"port,omitempty"`
	Database       string `json:"database,omitempty"`
	User           string `json:"user,omitempty"`
	Password       Secret `json:"password,omitempty"`
	SSL            bool   `json:"ssl,omitempty"`
	MaxConnections int    `json:"maxConnections,omitempty"`
}

// Logging configures the process logger.
type Logging struct {
	// Level is debug, info, warn (warning is accepted) or error.
	Level string `json:"level"`
	// Format is json or text; empty means text in zero-config and dev
	// mode, json otherwise.
	Format string `json:"format"`
}

// WS configures the /ws endpoint. Sizes are bytes.
type WS struct {
	PingInterval           Duration `json:"pingInterval"`
	PongTimeout            Duration `json:"pongTimeout"`
	WriteTimeout           Duration `json:"writeTimeout"`
	HeartbeatWriteInterval Duration `json:"heartbeatWriteInterval"`
	MaxMessageBytes        int64    `json:"maxMessageBytes"`
	SendQueueFrames        int      `json:"sendQueueFrames"`
	SendQueueBytes         int      `json:"sendQueueBytes"`
	MaxTopicsPerConn       int      `json:"maxTopicsPerConn"`
	MaxInboundCalls        int      `json:"maxInboundCalls"`
	MaxConnsPerKey         int      `json:"maxConnsPerKey"`
	MaxConns               int      `json:"maxConns"`
}

// Calls configures call deadlines and spoke concurrency.
type Calls struct {
	DefaultTimeout   Duration `json:"defaultTimeout"`
	MaxTimeout       Duration `json:"maxTimeout"`
	SpokeMaxInFlight int      `json:"spokeMaxInFlight"`
}

// CallGraph configures call-graph persistence.
type CallGraph struct {
	FlushInterval Duration `json:"flushInterval"`
	FlushBatch    int      `json:"flushBatch"`
	MaxQueued     int      `json:"maxQueued"`
}

// Bootstrap configures the admin account created on first start.
type Bootstrap struct {
	AdminEmail   string `json:"adminEmail"`
	AdminKeyFile string `json:"adminKeyFile"`
}

// Default returns the configuration of a zero-config start: data under
// ./data, SQLite, a listener on 127.0.0.1:8080.
func Default() *Config {
	return &Config{
		Server: Server{
			Host:            "127.0.0.1",
			Port:            8080,
			BodyLimitBytes:  8 << 20,
			ShutdownTimeout: Duration(20 * time.Second),
		},
		DataDir: "./data",
		Storage: Storage{ConnectTimeout: Duration(10 * time.Second)},
		Logging: Logging{Level: "info"},
		WS: WS{
			PingInterval:           Duration(30 * time.Second),
			PongTimeout:            Duration(75 * time.Second),
			WriteTimeout:           Duration(10 * time.Second),
			HeartbeatWriteInterval: Duration(30 * time.Second),
			MaxMessageBytes:        4 << 20,
			SendQueueFrames:        1024,
			SendQueueBytes:         1 << 20,
			MaxTopicsPerConn:       1000,
			MaxInboundCalls:        128,
			MaxConnsPerKey:         64,
			MaxConns:               10_000,
		},
		Calls: Calls{
			DefaultTimeout:   Duration(60 * time.Second),
			MaxTimeout:       Duration(15 * time.Minute),
			SpokeMaxInFlight: 64,
		},
		CallGraph: CallGraph{
			FlushInterval: Duration(500 * time.Millisecond),
			FlushBatch:    100,
			MaxQueued:     50_000,
		},
		Bootstrap: Bootstrap{AdminEmail: "admin@localhost"},
	}
}

// Locate returns the configuration file to read: flagPath, else
// ALKHUB_CONFIG_PATH, else ./alkhub.json or /etc/alkhub/config.json if one
// exists. It returns "" when there is none (zero-config mode).
func Locate(flagPath string) string {
	if flagPath != "" {
		return flagPath
	}
	if p := os.Getenv(ConfigPathEnv); p != "" {
		return p
	}
	for _, p := range []string{"alkhub.json", "/etc/alkhub/config.json"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// Load reads, decodes and validates the file at path; path "" gives the
// zero-config defaults. dev allows plaintext secret sections.
func Load(path string, dev bool) (*Config, error) {
	if path == "" {
		c := Default()
		c.ZeroConfig = true
		c.Dev = dev
		return c, c.finish()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	c, err := Parse(data, dev)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.Path = path
	return c, nil
}

// Parse decodes a configuration document over the defaults and validates
// it.
func Parse(data []byte, dev bool) (*Config, error) {
	if err := rejectEncrypted(data); err != nil {
		return nil, err
	}
	c := Default()
	if err := decodeDocument(data, c); err != nil {
		return nil, err
	}
	c.Dev = dev
	return c, c.finish()
}

// Finish fills derived defaults and validates; call it again after
// changing fields of a loaded configuration. Emptied derived fields
// (SQLitePath, AdminKeyFile) are derived again from DataDir.
func (c *Config) Finish() error { return c.finish() }

// SetAddr sets the listener from "host:port".
func (c *Config) SetAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("invalid port in address %q", addr)
	}
	c.Server.Host, c.Server.Port = host, p
	return nil
}

// finish fills derived defaults and validates.
func (c *Config) finish() error {
	if c.Storage.SQLitePath == "" {
		c.Storage.SQLitePath = filepath.Join(c.DataDir, "hub.db")
	}
	if c.Bootstrap.AdminKeyFile == "" {
		c.Bootstrap.AdminKeyFile = filepath.Join(c.DataDir, "admin-key.txt")
	}
	if c.Logging.Format == "" {
		c.Logging.Format = "json"
		if c.ZeroConfig || c.Dev {
			c.Logging.Format = "text"
		}
	}
	if c.Logging.Level == "warning" {
		c.Logging.Level = "warn"
	}
	if p := c.Postgres; p != nil {
		if p.Port == 0 {
			p.Port = 5432
		}
		if p.Database == "" {
			p.Database = "alkdev"
		}
		if p.MaxConnections == 0 {
			p.MaxConnections = 10
		}
	}
	return c.validate()
}

// UsesPostgres reports whether storage is PostgreSQL.
func (c *Config) UsesPostgres() bool { return c.Postgres != nil }

package storage

import (
	"encoding/json"
	"log/slog"
	"time"
)

// Drivers accepted in Config.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config selects and tunes the database. The zero value opens a SQLite
// database at ./data/hub.db and migrates it.
type Config struct {
	// Driver is DriverSQLite (the default when empty) or DriverPostgres.
	Driver string
	// SQLitePath is the database file; default "./data/hub.db". The lock
	// file "<SQLitePath>.lock" sits beside it.
	SQLitePath string
	// Postgres configures the Postgres connection when Driver is
	// DriverPostgres.
	Postgres PostgresConfig
	// SkipMigrateOnStart turns off the migration that Open runs by default
	// (storage is otherwise migrated before Open returns).
	SkipMigrateOnStart bool
	// MigrateLockTimeout bounds the wait for the Postgres migration lock;
	// default 60 s.
	MigrateLockTimeout time.Duration
	// ConnectTimeout bounds the wait for the database to answer at Open,
	// retried with backoff from 200 ms doubling to 5 s; default 10 s. A
	// negative value means a single attempt.
	ConnectTimeout time.Duration
	// Queues tunes the write-behind queues; zero fields take the defaults.
	Queues QueueConfigs
	// CallGraph tunes call-graph persistence.
	CallGraph CallGraphConfig
}

// PostgresConfig locates a Postgres 15 or newer server.
type PostgresConfig struct {
	// DSN, when set, is used as given (URL or keyword/value form, which may
	// carry search_path) and the fields below are ignored.
	DSN string
	// Host defaults to "localhost".
	Host string
	// Port defaults to 5432.
	Port int
	// Database defaults to "alkdev".
	Database string
	// User and Password authenticate; an empty password sends none.
	User     string
	Password string
	// SSL selects sslmode=require; false selects sslmode=disable.
	SSL bool
	// MaxConnections is the pool size (open and idle); default 10.
	MaxConnections int
}

// CallGraphConfig tunes call-graph persistence.
type CallGraphConfig struct {
	// MaxPayloadBytes caps the stored input and output of a node each;
	// a larger value is replaced by {"_truncated": true, "bytes": N}.
	// Default 64 KiB.
	MaxPayloadBytes int
}

// Options are the collaborators of a store.
type Options struct {
	// Logger receives migrations, instance changes, queue drops and slow
	// queries; nil discards.
	Logger *slog.Logger
	// Now is the store clock; nil means time.Now. Every stored time comes
	// from it, normalised to UTC milliseconds.
	Now func() time.Time
	// Version is the build version, stored in hub_instances and
	// schema_migrations; default "dev".
	Version string
	// OnFenced is called, from the heartbeat goroutine, when another
	// instance reaped this one after its heartbeat stopped for too long.
	// The store has already registered a fresh instance; the hub must close
	// its spoke sockets and fail its in-flight calls, whose rows were reset.
	OnFenced func(oldInstanceID string)
	// ClientConfigValidator checks a client's configuration and returns the
	// version of the schema it matched. Unused until clients are written.
	ClientConfigValidator func(clientType string, config json.RawMessage) (schemaVersion int, err error)
}

const (
	defaultSQLitePath         = "./data/hub.db"
	defaultMigrateLockTimeout = 60 * time.Second
	defaultConnectTimeout     = 10 * time.Second
	defaultPostgresDatabase   = "alkdev"
	defaultPostgresPort       = 5432
	defaultMaxConnections     = 10
	defaultMaxPayloadBytes    = 64 << 10
)

// withDefaults returns cfg with its zero fields replaced by defaults.
func (cfg Config) withDefaults() Config {
	if cfg.Driver == "" {
		cfg.Driver = DriverSQLite
	}
	if cfg.SQLitePath == "" {
		cfg.SQLitePath = defaultSQLitePath
	}
	if cfg.MigrateLockTimeout <= 0 {
		cfg.MigrateLockTimeout = defaultMigrateLockTimeout
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = defaultConnectTimeout
	}
	if cfg.Postgres.Host == "" {
		cfg.Postgres.Host = "localhost"
	}
	if cfg.Postgres.Port == 0 {
		cfg.Postgres.Port = defaultPostgresPort
	}
	if cfg.Postgres.Database == "" {
		cfg.Postgres.Database = defaultPostgresDatabase
	}
	if cfg.Postgres.MaxConnections <= 0 {
		cfg.Postgres.MaxConnections = defaultMaxConnections
	}
	if cfg.CallGraph.MaxPayloadBytes <= 0 {
		cfg.CallGraph.MaxPayloadBytes = defaultMaxPayloadBytes
	}
	cfg.Queues = cfg.Queues.withDefaults()
	return cfg
}

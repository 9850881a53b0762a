// Package storagetest opens throwaway stores for tests and holds the
// conformance suite that every storage dialect must pass.
//
// SQLite stores live in a file under t.TempDir(). Postgres stores use the
// server named by ALKHUB_TEST_POSTGRES_DSN, each in a fresh schema that is
// dropped when the test ends. Without the variable, Postgres tests skip.
package storagetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/alkdev/alkhub/internal/testenv"
	"github.com/alkdev/alkhub/storage"
)

// Clock is a manual clock for Options.Now. It starts at a fixed time with
// a sub-second part and moves only through Advance.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at 2026-03-01 10:00:00.123 UTC.
func NewClock() *Clock {
	return &Clock{t: time.Date(2026, 3, 1, 10, 0, 0, 123_000_000, time.UTC)}
}

// Now returns the current time of the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Opener opens a store on a fresh, migrated database private to t. Calling
// it again with the same Target reaches the same database.
type Opener func(t testing.TB, o storage.Options) *storage.Store

// Target names one database for an Opener: call NewTarget once per test and
// open as many stores on it as the test needs.
type Target struct {
	Dialect storage.Dialect
	config  storage.Config
}

// NewTarget returns a fresh database of the dialect: a file in t.TempDir()
// or a schema of the test Postgres server (the test skips without one).
func NewTarget(t testing.TB, d storage.Dialect) Target {
	t.Helper()
	if d == storage.DialectPostgres {
		return Target{Dialect: d, config: storage.Config{Driver: storage.DriverPostgres,
			Postgres: storage.PostgresConfig{DSN: testenv.PostgresDSN(t), MaxConnections: 4}}}
	}
	return Target{Dialect: d, config: storage.Config{Driver: storage.DriverSQLite,
		SQLitePath: filepath.Join(t.TempDir(), "hub.db")}}
}

// Config returns the store configuration of the target; tests adjust it
// before calling OpenConfig.
func (tg Target) Config() storage.Config { return tg.config }

// Open opens a store on the target and closes it when the test ends.
func (tg Target) Open(t testing.TB, o storage.Options) *storage.Store {
	t.Helper()
	return OpenConfig(t, tg.config, o)
}

// OpenConfig opens a store with cfg and closes it when the test ends.
func OpenConfig(t testing.TB, cfg storage.Config, o storage.Options) *storage.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := storage.Open(ctx, cfg, o)
	if err != nil {
		t.Fatalf("opening %s store: %v", cfg.Driver, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

// Open opens a store on a fresh database of the dialect.
func Open(t testing.TB, d storage.Dialect, o storage.Options) *storage.Store {
	t.Helper()
	return NewTarget(t, d).Open(t, o)
}

// SQLite is the Opener of fresh SQLite databases.
func SQLite(t testing.TB, o storage.Options) *storage.Store {
	return Open(t, storage.DialectSQLite, o)
}

// Postgres is the Opener of fresh Postgres schemas; it skips without a
// configured server.
func Postgres(t testing.TB, o storage.Options) *storage.Store {
	return Open(t, storage.DialectPostgres, o)
}

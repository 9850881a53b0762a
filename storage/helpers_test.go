package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/alkdev/alkhub/internal/testenv"
)

// testConfig returns the configuration of a fresh database of dialect d.
func testConfig(t *testing.T, d Dialect) Config {
	t.Helper()
	if d == DialectPostgres {
		return Config{Driver: DriverPostgres, Postgres: PostgresConfig{DSN: testenv.PostgresDSN(t), MaxConnections: 4}}
	}
	return Config{Driver: DriverSQLite, SQLitePath: filepath.Join(t.TempDir(), "hub.db")}
}

// openPoolsTest connects to cfg's database without migrating it, and
// closes the pools when the test ends.
func openPoolsTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	s, err := openPools(testContext(t), cfg, Options{})
	if err != nil {
		t.Fatalf("opening %s: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { s.closePools() })
	return s
}

// openTest opens a migrated store on cfg's database and closes it when the
// test ends.
func openTest(t *testing.T, cfg Config, o Options) *Store {
	t.Helper()
	s, err := Open(testContext(t), cfg, o)
	if err != nil {
		t.Fatalf("opening %s: %v", cfg.Driver, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Close(ctx)
	})
	return s
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// forEachDialect runs fn as a subtest per dialect; Postgres skips when no
// server is configured.
func forEachDialect(t *testing.T, fn func(t *testing.T, d Dialect)) {
	for _, d := range []Dialect{DialectSQLite, DialectPostgres} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

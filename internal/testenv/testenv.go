// Package testenv gives tests their own slice of the shared PostgreSQL and
// Redis servers named by the environment.
//
// ALKHUB_TEST_POSTGRES_DSN and ALKHUB_TEST_REDIS_ADDR select the servers. When
// a variable is unset, the tests that need its service skip with a message, so
// `go test ./...` passes on any machine. When CI=true, a variable that is set
// but whose service does not respond fails the test instead of skipping it.
//
// Every PostgreSQL test gets a fresh schema (dropped when the test ends) and a
// DSN whose search_path points at it; every Redis test gets a unique key
// prefix whose keys are deleted when the test ends. Shared databases are never
// dropped and Redis is never flushed.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"
)

// Environment variables that point tests at the shared services.
const (
	PostgresDSNVar = "ALKHUB_TEST_POSTGRES_DSN"
	RedisAddrVar   = "ALKHUB_TEST_REDIS_ADDR"
)

const connectTimeout = 5 * time.Second

// InCI reports whether the tests run in continuous integration (CI=true),
// where an unreachable configured service is a failure rather than a skip.
func InCI() bool {
	return os.Getenv("CI") == "true"
}

// unavailable skips the test, or fails it in CI, because a configured
// service did not answer.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("%s (CI=true, so a configured service must respond)", msg)
	}
	t.Skip(msg)
}

// PostgresDSN returns a DSN for the shared PostgreSQL server whose
// search_path is a new schema owned by this test. The schema is dropped with
// everything in it when the test ends. The test skips when
// ALKHUB_TEST_POSTGRES_DSN is unset.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresDSNVar)
	if base == "" {
		t.Skipf("%s is not set; skipping a test that needs PostgreSQL", PostgresDSNVar)
	}

	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unavailable(t, "connecting to PostgreSQL at %s: %v", redactDSN(base), err)
	}
	defer conn.Close(context.Background())

	schema := "test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating schema %s: %v", schema, err)
	}
	t.Cleanup(func() { dropSchema(t, base, schema) })

	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("adding search_path to %s: %v", PostgresDSNVar, err)
	}
	return dsn
}

func dropSchema(t testing.TB, base, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Logf("dropping schema %s: connecting: %v", schema, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		t.Logf("dropping schema %s: %v", schema, err)
	}
}

// withSearchPath sets search_path on a URL-style or keyword/value DSN.
func withSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Redis is a test's view of the shared Redis server.
type Redis struct {
	// Addr is the host:port of the server.
	Addr string
	// Prefix is unique to the test and ends with a colon. Keys and channels
	// the test creates must start with it; keys with it are deleted when the
	// test ends.
	Prefix string
}

// RedisServer returns the shared Redis server with a key prefix owned by
// this test. The test skips when ALKHUB_TEST_REDIS_ADDR is unset.
func RedisServer(t testing.TB) Redis {
	t.Helper()
	addr := os.Getenv(RedisAddrVar)
	if addr == "" {
		t.Skipf("%s is not set; skipping a test that needs Redis", RedisAddrVar)
	}

	client, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:       []string{addr},
		DisableCache:      true,
		ConnWriteTimeout:  connectTimeout,
		Dialer:            net.Dialer{Timeout: connectTimeout},
		ForceSingleClient: true,
	})
	if err != nil {
		unavailable(t, "connecting to Redis at %s: %v", addr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := client.Do(ctx, client.B().Ping().Build()).Error(); err != nil {
		client.Close()
		unavailable(t, "pinging Redis at %s: %v", addr, err)
	}

	r := Redis{Addr: addr, Prefix: "alkhubtest:" + randomHex(8) + ":"}
	t.Cleanup(func() {
		defer client.Close()
		deleteKeys(t, client, r.Prefix)
	})
	return r
}

func deleteKeys(t testing.TB, client rueidis.Client, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	var cursor uint64
	for {
		entry, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(prefix+"*").Count(500).Build()).AsScanEntry()
		if err != nil {
			t.Logf("deleting Redis keys %s*: %v", prefix, err)
			return
		}
		if len(entry.Elements) > 0 {
			if err := client.Do(ctx, client.B().Del().Key(entry.Elements...).Build()).Error(); err != nil {
				t.Logf("deleting Redis keys %s*: %v", prefix, err)
				return
			}
		}
		cursor = entry.Cursor
		if cursor == 0 {
			return
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("reading random bytes: %v", err))
	}
	return hex.EncodeToString(b)
}

package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestPostgresDSNGivesPrivateSchema(t *testing.T) {
	dsn := PostgresDSN(t)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting with the test DSN: %v", err)
	}
	defer conn.Close(ctx)

	var schema string
	if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatalf("reading current_schema: %v", err)
	}
	if !strings.HasPrefix(schema, "test_") {
		t.Errorf("current_schema() = %q, want a test_ schema", schema)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE probe (id int)"); err != nil {
		t.Fatalf("creating a table in the test schema: %v", err)
	}
}

func TestWithSearchPath(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"url", "postgres://u@h:5432/db?sslmode=disable", "postgres://u@h:5432/db?search_path=s&sslmode=disable"},
		{"keyword", "host=h dbname=db", "host=h dbname=db search_path=s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withSearchPath(tt.dsn, "s")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("withSearchPath(%q) = %q, want %q", tt.dsn, got, tt.want)
			}
		})
	}
}

func TestRedisServerGivesUniquePrefix(t *testing.T) {
	a := RedisServer(t)
	b := RedisServer(t)
	if a.Prefix == b.Prefix {
		t.Errorf("two calls returned the same prefix %q", a.Prefix)
	}
	if !strings.HasSuffix(a.Prefix, ":") {
		t.Errorf("prefix %q does not end with a colon", a.Prefix)
	}
}

package storage

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

func TestOpenRedactsPostgresPassword(t *testing.T) {
	// A closed port, so the connection is refused at once.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("reserving a port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cfg := Config{Driver: DriverPostgres, ConnectTimeout: -1, Postgres: PostgresConfig{
		Host: "127.0.0.1", Port: port, User: "hub", Password: "s3cret-pass", Database: "hub"}}
	_, err = Open(context.Background(), cfg, Options{})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("opening an unreachable server: %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("error leaks the password: %v", err)
	}

	cfg.Postgres = PostgresConfig{DSN: "postgres://hub:s3cret-pass@127.0.0.1:" + strings.Repeat("9", 7) + "/hub"}
	_, err = Open(context.Background(), cfg, Options{})
	if err == nil || strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("invalid DSN error = %v, want an error without the password", err)
	}
}

func TestOpenRejectsUnknownDriver(t *testing.T) {
	_, err := Open(context.Background(), Config{Driver: "oracle"}, Options{})
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown driver: %v, want ErrInvalid", err)
	}
}

func TestPostgresDSNFromFields(t *testing.T) {
	got := postgresDSN(PostgresConfig{Host: "db", Port: 5433, Database: "hub", User: "u", Password: "p'q", SSL: true})
	want := `host='db' port=5433 dbname='hub' application_name=alkhub user='u' password='p\'q' sslmode=require`
	if got != want {
		t.Errorf("DSN = %s\nwant  %s", got, want)
	}
}

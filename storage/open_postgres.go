package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
)

// postgresMinVersion is server_version_num of Postgres 15.
const postgresMinVersion = 150000

// postgresDSN returns the DSN of cfg: cfg.DSN as given, else a keyword/value
// DSN built from the fields.
func postgresDSN(cfg PostgresConfig) string {
	if cfg.DSN != "" {
		return cfg.DSN
	}
	quote := func(v string) string {
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	parts := []string{
		"host=" + quote(cfg.Host),
		fmt.Sprintf("port=%d", cfg.Port),
		"dbname=" + quote(cfg.Database),
		"application_name=alkhub",
	}
	if cfg.User != "" {
		parts = append(parts, "user="+quote(cfg.User))
	}
	if cfg.Password != "" {
		parts = append(parts, "password="+quote(cfg.Password))
	}
	if cfg.SSL {
		parts = append(parts, "sslmode=require")
	} else {
		parts = append(parts, "sslmode=disable")
	}
	return strings.Join(parts, " ")
}

// openPostgres opens the pool, waits for the server and checks its version.
func (s *Store) openPostgres(ctx context.Context) error {
	pc, err := pgx.ParseConfig(postgresDSN(s.cfg.Postgres))
	if err != nil {
		// pgx redacts the password in parse errors.
		return fmt.Errorf("%w: parsing the Postgres DSN: %v", ErrInvalid, err)
	}
	db := stdlib.OpenDB(*pc, stdlib.OptionAfterConnect(func(_ context.Context, c *pgx.Conn) error {
		// Times come back in UTC, as they are written.
		c.TypeMap().RegisterType(&pgtype.Type{
			Name:  "timestamptz",
			OID:   pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
		})
		return nil
	}))
	n := s.cfg.Postgres.MaxConnections
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s.writerSQL, s.readerSQL = db, db

	target := fmt.Sprintf("Postgres at host %s database %s", pc.Host, pc.Database)
	if err := s.connect(ctx, db); err != nil {
		return fmt.Errorf("connecting to %s: %w", target, err)
	}
	var version int
	if err := db.QueryRowContext(ctx, "SELECT current_setting('server_version_num')::int").
		Scan(&version); err != nil {
		return fmt.Errorf("reading the server version of %s: %w", target, err)
	}
	if version < postgresMinVersion {
		return fmt.Errorf("%s runs server version %d; Postgres 15 or newer is required", target, version)
	}
	return nil
}

// connect pings db with backoff (200 ms doubling to 5 s) until it answers
// or cfg.ConnectTimeout has passed; a negative timeout means one attempt.
func (s *Store) connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(s.cfg.ConnectTimeout)
	wait := 200 * time.Millisecond
	for {
		err := db.PingContext(ctx)
		if err == nil {
			return nil
		}
		if s.cfg.ConnectTimeout < 0 || time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		s.log.Warn("database not answering yet; retrying", "wait", wait, "err", err)
		select {
		case <-ctx.Done():
			return errors.Join(ErrUnavailable, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

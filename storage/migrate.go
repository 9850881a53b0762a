package storage

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// Migration is one versioned schema change of a dialect.
type Migration struct {
	// Version is the number of the file, starting at 1 and contiguous.
	Version int64
	// Name is the file name without number and extension ("init").
	Name string
	// Checksum is the SHA-256 hex of the file with line endings normalised
	// to LF.
	Checksum string

	sql            string
	noTransaction  bool // Postgres: run outside a transaction
	foreignKeysOff bool // SQLite: PRAGMA foreign_keys = OFF around the file
}

// AppliedMigration is a row of schema_migrations.
type AppliedMigration struct {
	Version    int64
	Name       string
	Checksum   string
	AppliedAt  time.Time
	DurationMS int64
	AppVersion string
}

// MigrationReport lists what Migrate found and did.
type MigrationReport struct {
	// Applied are the versions this call applied, in order.
	Applied []Migration
	// Current is the highest version in the database after the call.
	Current int64
	// Latest is the highest version this binary knows.
	Latest int64
}

var migrationFileName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// Directives recognised in the leading comment lines of a migration file.
const (
	directiveNoTransaction  = "-- alkhub:no-transaction"
	directiveForeignKeysOff = "-- alkhub:foreign-keys-off"
)

// loadMigrations reads the migrations of one dialect directory of fsys in
// version order and checks that versions are contiguous from 1.
func loadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations in %s: %w", dir, err)
	}
	var out []Migration
	for _, e := range entries {
		m := migrationFileName.FindStringSubmatch(e.Name())
		if e.IsDir() || m == nil {
			continue
		}
		b, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		sum := sha256.Sum256([]byte(text))
		version, _ := strconv.ParseInt(m[1], 10, 64)
		mig := Migration{Version: version, Name: m[2], Checksum: hex.EncodeToString(sum[:]), sql: text}
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !strings.HasPrefix(line, "--") {
				break
			}
			switch line {
			case directiveNoTransaction:
				mig.noTransaction = true
			case directiveForeignKeysOff:
				mig.foreignKeysOff = true
			}
		}
		out = append(out, mig)
	}
	slices.SortFunc(out, func(a, b Migration) int { return int(a.Version - b.Version) })
	for i, m := range out {
		if m.Version != int64(i+1) {
			return nil, fmt.Errorf("migrations in %s: version %04d found where %04d was expected",
				dir, m.Version, i+1)
		}
	}
	return out, nil
}

// migrator applies the migrations of one dialect to one database.
type migrator struct {
	s          *Store
	migrations []Migration
}

func (s *Store) newMigrator(fsys fs.FS) (*migrator, error) {
	dir := "migrations/" + string(s.dialect)
	ms, err := loadMigrations(fsys, dir)
	if err != nil {
		return nil, err
	}
	return &migrator{s: s, migrations: ms}, nil
}

// Migrate brings the schema to the latest version this binary knows. On
// Postgres it holds an advisory lock for the whole run (waiting at most
// Config.MigrateLockTimeout), so concurrent processes apply each version
// once; on SQLite the data-directory lock already excludes other processes.
// Each pending version is applied in its own transaction together with its
// schema_migrations row. It fails with ErrMigrationChecksum when an applied
// file was changed and with ErrSchemaTooNew when the database holds a
// version this binary does not know.
func (s *Store) Migrate(ctx context.Context) (MigrationReport, error) {
	m, err := s.newMigrator(migrationFiles)
	if err != nil {
		return MigrationReport{}, err
	}
	return m.run(ctx)
}

// MigrationStatus returns the applied migrations and the versions this
// binary would apply, without changing anything.
func (s *Store) MigrationStatus(ctx context.Context) (applied []AppliedMigration, pending []Migration, err error) {
	m, err := s.newMigrator(migrationFiles)
	if err != nil {
		return nil, nil, err
	}
	conn, err := s.writerSQL.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading migration status: %w", err)
	}
	defer conn.Close()
	if applied, err = m.applied(ctx, conn); err != nil {
		return nil, nil, err
	}
	pending, err = m.pending(applied)
	return applied, pending, err
}

func (m *migrator) run(ctx context.Context) (MigrationReport, error) {
	report := MigrationReport{Latest: int64(len(m.migrations))}
	conn, err := m.s.writerSQL.Conn(ctx)
	if err != nil {
		return report, fmt.Errorf("migrating: taking a connection: %w", err)
	}
	defer conn.Close()

	if m.s.dialect == DialectPostgres {
		unlock, err := m.lockPostgres(ctx, conn)
		if err != nil {
			return report, err
		}
		defer unlock()
	}

	if _, err := conn.ExecContext(ctx, m.schemaMigrationsDDL()); err != nil {
		return report, fmt.Errorf("migrating: creating schema_migrations: %w", err)
	}
	applied, err := m.applied(ctx, conn)
	if err != nil {
		return report, err
	}
	pending, err := m.pending(applied)
	if err != nil {
		return report, err
	}
	if len(applied) > 0 {
		report.Current = applied[len(applied)-1].Version
	}
	for _, mig := range pending {
		if err := m.apply(ctx, conn, mig); err != nil {
			return report, err
		}
		report.Applied = append(report.Applied, mig)
		report.Current = mig.Version
	}
	return report, nil
}

// lockPostgres takes the migration advisory lock on conn and returns the
// function that releases it.
func (m *migrator) lockPostgres(ctx context.Context, conn *sql.Conn) (func(), error) {
	lockCtx, cancel := context.WithTimeout(ctx, m.s.cfg.MigrateLockTimeout)
	defer cancel()
	if _, err := conn.ExecContext(lockCtx, "SELECT pg_advisory_lock($1)", lockMigrate); err != nil {
		if lockCtx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("migrating: another process held the migration lock for %s: %w",
				m.s.cfg.MigrateLockTimeout, lockCtx.Err())
		}
		return nil, fmt.Errorf("migrating: taking the migration lock: %w", err)
	}
	return func() {
		// A fresh context: the lock must be released even when ctx ended.
		unlockCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(unlockCtx, "SELECT pg_advisory_unlock($1)", lockMigrate); err != nil {
			m.s.log.Error("releasing the migration lock", "err", err)
		}
	}, nil
}

func (m *migrator) schemaMigrationsDDL() string {
	if m.s.dialect == DialectPostgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     bigint NOT NULL,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL,
    duration_ms bigint NOT NULL,
    app_version text NOT NULL,
    CONSTRAINT pk_schema_migrations PRIMARY KEY (version)
)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    checksum    TEXT NOT NULL,
    applied_at  DATETIME NOT NULL,
    duration_ms INTEGER NOT NULL,
    app_version TEXT NOT NULL,
    CONSTRAINT pk_schema_migrations PRIMARY KEY (version)
)`
}

// applied reads schema_migrations in version order; a missing table means
// nothing is applied.
func (m *migrator) applied(ctx context.Context, conn *sql.Conn) ([]AppliedMigration, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version, name, checksum, applied_at, duration_ms, app_version
FROM schema_migrations ORDER BY version`)
	if err != nil {
		if exists, xerr := m.tableExists(ctx, conn, "schema_migrations"); xerr == nil && !exists {
			return nil, nil
		}
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []AppliedMigration
	for rows.Next() {
		var a AppliedMigration
		if err := rows.Scan(&a.Version, &a.Name, &a.Checksum, &a.AppliedAt, &a.DurationMS, &a.AppVersion); err != nil {
			return nil, fmt.Errorf("reading schema_migrations: %w", err)
		}
		a.AppliedAt = a.AppliedAt.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	return out, nil
}

func (m *migrator) tableExists(ctx context.Context, conn *sql.Conn, table string) (bool, error) {
	q := "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if m.s.dialect == DialectPostgres {
		q = "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = $1"
	}
	var n int
	err := conn.QueryRowContext(ctx, q, table).Scan(&n)
	return n > 0, err
}

// pending compares the applied rows with the known files and returns the
// migrations still to apply.
func (m *migrator) pending(applied []AppliedMigration) ([]Migration, error) {
	known := make(map[int64]Migration, len(m.migrations))
	for _, mig := range m.migrations {
		known[mig.Version] = mig
	}
	done := make(map[int64]bool, len(applied))
	for _, a := range applied {
		mig, ok := known[a.Version]
		if !ok {
			return nil, fmt.Errorf("%w: the database has migration %04d_%s applied, and this binary knows "+
				"versions up to %04d; run a newer binary", ErrSchemaTooNew, a.Version, a.Name, len(m.migrations))
		}
		if mig.Checksum != a.Checksum {
			return nil, fmt.Errorf("%w: migration %04d_%s has checksum %s in the database and %s in "+
				"this binary; restore the original file and add a new migration instead",
				ErrMigrationChecksum, a.Version, a.Name, a.Checksum, mig.Checksum)
		}
		done[a.Version] = true
	}
	var out []Migration
	for _, mig := range m.migrations {
		if !done[mig.Version] {
			out = append(out, mig)
		}
	}
	return out, nil
}

// apply runs one migration and records it, in one transaction unless the
// file asks to run outside one.
func (m *migrator) apply(ctx context.Context, conn *sql.Conn, mig Migration) error {
	start := time.Now()
	label := fmt.Sprintf("%04d_%s", mig.Version, mig.Name)
	record := func(ex interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	}) error {
		q := `INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms, app_version)
VALUES (?, ?, ?, ?, ?, ?)`
		if m.s.dialect == DialectPostgres {
			q = `INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms, app_version)
VALUES ($1, $2, $3, $4, $5, $6)`
		}
		_, err := ex.ExecContext(ctx, q, mig.Version, mig.Name, mig.Checksum, m.s.now(),
			time.Since(start).Milliseconds(), m.s.opts.Version)
		return err
	}

	if mig.noTransaction && m.s.dialect == DialectPostgres {
		if _, err := conn.ExecContext(ctx, mig.sql); err != nil {
			return fmt.Errorf("applying migration %s: %w", label, err)
		}
		if err := record(conn); err != nil {
			return fmt.Errorf("recording migration %s: %w", label, err)
		}
		m.s.log.Info("migration applied", "version", mig.Version, "name", mig.Name,
			"duration", time.Since(start))
		return nil
	}

	fkOff := mig.foreignKeysOff && m.s.dialect == DialectSQLite
	if fkOff {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return fmt.Errorf("applying migration %s: turning foreign keys off: %w", label, err)
		}
		defer func() {
			if _, err := conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON"); err != nil {
				m.s.log.Error("turning foreign keys back on after a migration", "migration", label, "err", err)
			}
		}()
	}

	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("applying migration %s: beginning: %w", label, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, mig.sql); err != nil {
		return fmt.Errorf("applying migration %s: %w", label, err)
	}
	if fkOff {
		if err := checkForeignKeys(ctx, tx); err != nil {
			return fmt.Errorf("applying migration %s: %w", label, err)
		}
	}
	if err := record(tx); err != nil {
		return fmt.Errorf("recording migration %s: %w", label, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing migration %s: %w", label, err)
	}
	m.s.log.Info("migration applied", "version", mig.Version, "name", mig.Name,
		"duration", time.Since(start))
	return nil
}

// checkForeignKeys fails when PRAGMA foreign_key_check reports a row.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("checking foreign keys: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("checking foreign keys: %w", err)
		}
		return fmt.Errorf("%w: row %d of %s references a missing row of %s",
			ErrInvalidRef, rowid.Int64, table, parent)
	}
	return errors.Join(rows.Err(), nil)
}

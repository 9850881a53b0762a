package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// sqlitePragmas apply to every connection of the writer and reader pools.
// _txlock=immediate makes each transaction take the write lock at BEGIN, so
// a transaction that reads and then writes never deadlocks.
const sqlitePragmas = "_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)" +
	"&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// sqliteMinVersion is the oldest SQLite with RETURNING and the other
// statements the store uses.
const sqliteMinVersion = "3.35.0"

// sqliteURI returns the file: URI of path with the given query.
func sqliteURI(path, query string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + query
}

// openSQLite takes the data-directory lock and opens the writer pool (one
// connection) and the reader pool (query_only connections).
func (s *Store) openSQLite(ctx context.Context) error {
	path := s.cfg.SQLitePath
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the data directory of %s: %w", path, err)
	}
	lock, err := acquireDirLock(ctx, path)
	if err != nil {
		return err
	}
	s.dirLock = lock

	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("creating database file %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("creating database file %s: %w", path, err)
	}

	s.writerSQL, err = sql.Open(gosqliteDriverName, sqliteURI(path, sqlitePragmas))
	if err != nil {
		return fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	s.writerSQL.SetMaxOpenConns(1)
	s.writerSQL.SetMaxIdleConns(1)
	s.writerSQL.SetConnMaxLifetime(0)
	s.writerSQL.SetConnMaxIdleTime(0)
	if err := s.connect(ctx, s.writerSQL); err != nil {
		return fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	if err := checkSQLite(ctx, s.writerSQL); err != nil {
		return fmt.Errorf("checking SQLite database %s: %w", path, err)
	}

	readers := max(4, runtime.GOMAXPROCS(0))
	s.readerSQL, err = sql.Open(gosqliteDriverName, sqliteURI(path, sqlitePragmas+"&_pragma=query_only(1)"))
	if err != nil {
		return fmt.Errorf("opening SQLite readers on %s: %w", path, err)
	}
	s.readerSQL.SetMaxOpenConns(readers)
	s.readerSQL.SetMaxIdleConns(readers)
	if err := checkSQLite(ctx, s.readerSQL); err != nil {
		return fmt.Errorf("checking SQLite readers on %s: %w", path, err)
	}
	return nil
}

// gosqliteDriverName is the database/sql name the pure-Go driver registers.
const gosqliteDriverName = "sqlite"

// checkSQLite requires the minimum library version and enforced foreign
// keys on a connection of db.
func checkSQLite(ctx context.Context, db *sql.DB) error {
	var version string
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&version); err != nil {
		return fmt.Errorf("reading the SQLite version: %w", err)
	}
	if compareVersions(version, sqliteMinVersion) < 0 {
		return fmt.Errorf("SQLite %s is older than the required %s", version, sqliteMinVersion)
	}
	var fk int
	if err := db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("reading PRAGMA foreign_keys: %w", err)
	}
	if fk != 1 {
		return errors.New("foreign keys are not enforced (PRAGMA foreign_keys = 0)")
	}
	return nil
}

// compareVersions compares dotted numeric versions such as "3.41.2".
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			fmt.Sscan(as[i], &x)
		}
		if i < len(bs) {
			fmt.Sscan(bs[i], &y)
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// dirLock is the data-directory lock: an exclusive lock on a second SQLite
// database beside the data file, held for the life of the store, so a
// second process (or a second store in this process) fails at once.
type dirLock struct {
	db   *sql.DB
	conn *sql.Conn
}

// acquireDirLock takes the lock of the database at path, or fails with
// ErrLocked when another store holds it.
func acquireDirLock(ctx context.Context, path string) (*dirLock, error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating lock file %s: %w", lockPath, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("creating lock file %s: %w", lockPath, err)
	}

	// A zero busy timeout makes a held lock fail at once instead of after
	// the driver's default wait of 5 s.
	db, err := sql.Open(gosqliteDriverName,
		sqliteURI(lockPath, "_pragma=busy_timeout(0)&_pragma=locking_mode(EXCLUSIVE)"))
	if err != nil {
		return nil, fmt.Errorf("opening lock file %s: %w", lockPath, err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err == nil {
		_, err = conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS hub_lock (pid INTEGER NOT NULL);"+
			"DELETE FROM hub_lock; INSERT INTO hub_lock (pid) VALUES (?)", os.Getpid())
	}
	if err != nil {
		if conn != nil {
			conn.Close()
		}
		db.Close()
		var lite *gosqlite.Error
		if errors.As(err, &lite) && isTransient(lite) {
			return nil, fmt.Errorf("%w: another hub process is using %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("taking lock %s: %w", lockPath, err)
	}
	return &dirLock{db: db, conn: conn}, nil
}

func (l *dirLock) release() error {
	return errors.Join(l.conn.Close(), l.db.Close())
}

// gormDialector returns the GORM dialector of the store's dialect over db.
func (s *Store) gormDialector(db *sql.DB) gorm.Dialector {
	if s.dialect == DialectPostgres {
		return postgres.New(postgres.Config{Conn: db})
	}
	return &sqlite.Dialector{Conn: db}
}

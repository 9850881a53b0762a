package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// Errors that callers test with errors.Is. Repository errors wrap one of
// them, usually inside an *Error that names the table and constraint.
var (
	ErrNotFound          = errors.New("storage: not found")
	ErrDuplicate         = errors.New("storage: duplicate")        // unique or primary key
	ErrConflict          = errors.New("storage: conflict")         // row version or state guard
	ErrReferenced        = errors.New("storage: still referenced") // delete blocked by RESTRICT
	ErrInvalidRef        = errors.New("storage: missing referenced row")
	ErrInvalid           = errors.New("storage: invalid") // CHECK, NOT NULL, enum, bad input
	ErrProtected         = errors.New("storage: protected row")
	ErrInvalidCursor     = errors.New("storage: invalid cursor")
	ErrUnavailable       = errors.New("storage: database unavailable") // transient, after retries
	ErrLocked            = errors.New("storage: data directory in use")
	ErrMigrationChecksum = errors.New("storage: applied migration was modified")
	ErrSchemaTooNew      = errors.New("storage: database schema is newer than this binary")
)

// Error is a database error mapped to a storage error. errors.Is matches
// Kind; errors.As reaches the driver error through Err.
type Error struct {
	// Kind is one of the Err variables of this package.
	Kind error
	// Table is the table the failed statement wrote, when known.
	Table string
	// Constraint is the violated constraint: its name on Postgres; on
	// SQLite the CHECK name or "table.column" of a unique index.
	Constraint string
	// Err is the driver error.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind.Error())
	if e.Table != "" {
		b.WriteString(" in table " + e.Table)
	}
	if e.Constraint != "" {
		b.WriteString(" (constraint " + e.Constraint + ")")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is the error's Kind.
func (e *Error) Is(target error) bool { return e.Kind == target }

// Unwrap returns the driver error.
func (e *Error) Unwrap() error { return e.Err }

// SQLite extended result codes of the conditions mapped below.
const (
	sqliteBusy         = 5
	sqliteLocked       = 6
	sqliteBusyRecovery = 261
	sqliteLockedShared = 262
	sqliteBusySnapshot = 517
	sqliteBusyTimeout  = 773
	sqliteCheck        = 275
	sqliteForeignKey   = 787
	sqliteNotNull      = 1299
	sqlitePrimaryKey   = 1555
	sqliteTrigger      = 1811
	sqliteUnique       = 2067
)

// stmtKind is the kind of statement that failed. A foreign-key failure of
// a delete means the row is still referenced. The same failure of an
// insert or update means that a referenced row is missing.
type stmtKind int

const (
	stmtWrite stmtKind = iota
	stmtDelete
)

// mapError converts a driver error into a storage error. It returns err
// unchanged when it is nil or not a database condition that callers test.
func mapError(err error, table string, kind stmtKind) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return &Error{Kind: ErrNotFound, Table: table, Err: err}
	}

	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		e := &Error{Table: table, Constraint: pg.ConstraintName, Err: err}
		if pg.TableName != "" {
			e.Table = pg.TableName
		}
		switch pg.Code {
		case "23505":
			e.Kind = ErrDuplicate
		case "23503", "23001":
			e.Kind = ErrInvalidRef
			if kind == stmtDelete || pg.Code == "23001" {
				e.Kind = ErrReferenced
			}
		case "23514", "23502", "22P02", "22007", "22008", "22023":
			e.Kind = ErrInvalid
		default:
			if isTransient(err) {
				e.Kind = ErrUnavailable
				return e
			}
			return err
		}
		return e
	}

	var lite *sqlite.Error
	if errors.As(err, &lite) {
		e := &Error{Table: table, Err: err}
		switch lite.Code() {
		case sqliteUnique, sqlitePrimaryKey:
			e.Kind = ErrDuplicate
			e.Constraint = sqliteConstraintName(lite.Error(), "UNIQUE constraint failed: ")
			if i := strings.IndexByte(e.Constraint, '.'); i > 0 {
				e.Table = e.Constraint[:i]
			}
		case sqliteForeignKey, sqliteTrigger:
			e.Kind = ErrInvalidRef
			if kind == stmtDelete {
				e.Kind = ErrReferenced
			}
		case sqliteCheck:
			e.Kind = ErrInvalid
			e.Constraint = sqliteConstraintName(lite.Error(), "CHECK constraint failed: ")
		case sqliteNotNull:
			e.Kind = ErrInvalid
			e.Constraint = sqliteConstraintName(lite.Error(), "NOT NULL constraint failed: ")
		default:
			if isTransient(err) {
				e.Kind = ErrUnavailable
				return e
			}
			return err
		}
		return e
	}
	return err
}

// sqliteConstraintName extracts what SQLite names after marker in an error
// message such as "constraint failed: CHECK constraint failed: ck_x (275)".
func sqliteConstraintName(msg, marker string) string {
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	name := msg[i+len(marker):]
	if j := strings.LastIndex(name, " ("); j >= 0 {
		name = name[:j]
	}
	return strings.TrimSpace(name)
}

// isTransient reports whether err is a condition worth retrying: lost or
// refused connections, serialization failures, deadlocks, a server that is
// shutting down or out of connections, and SQLite's BUSY and LOCKED.
func isTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "40001", "40P01", "57P01", "57P02", "57P03", "53300":
			return true
		}
		return strings.HasPrefix(pg.Code, "08")
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() {
		case sqliteBusy, sqliteLocked, sqliteBusyRecovery, sqliteLockedShared,
			sqliteBusySnapshot, sqliteBusyTimeout:
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF), pgconn.SafeToRetry(err):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset")
}

// notFound returns the ErrNotFound error of a missing row.
func notFound(table, id string) error {
	return &Error{Kind: ErrNotFound, Table: table, Err: errors.New("no row with id " + id)}
}

package storage

import (
	"context"
	"fmt"
)

// BackupSQLite writes a consistent copy of a SQLite database to the file
// dst, which must not exist, with VACUUM INTO. On Postgres it fails with
// ErrInvalid: use pg_dump there.
func (s *Store) BackupSQLite(ctx context.Context, dst string) error {
	if s.dialect != DialectSQLite {
		return fmt.Errorf("%w: BackupSQLite needs a SQLite store; back up Postgres with pg_dump", ErrInvalid)
	}
	if _, err := s.writerSQL.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("backing up to %s: %w", dst, err)
	}
	return nil
}

package storage

import (
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// migrationCopy returns the embedded migrations as an editable file system.
func migrationCopy(t *testing.T) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(migrationFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrationFiles, path)
		out[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatalf("copying migrations: %v", err)
	}
	return out
}

func runMigrations(t *testing.T, s *Store, fsys fs.FS) (MigrationReport, error) {
	t.Helper()
	m, err := s.newMigrator(fsys)
	if err != nil {
		t.Fatalf("loading migrations: %v", err)
	}
	return m.run(testContext(t))
}

func TestMigrateFreshDatabase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d Dialect) {
		s := openPoolsTest(t, testConfig(t, d))
		rep, err := s.Migrate(testContext(t))
		if err != nil {
			t.Fatalf("migrating: %v", err)
		}
		if len(rep.Applied) != 2 || rep.Current != 2 || rep.Latest != 2 {
			t.Fatalf("report = applied %d current %d latest %d, want 2 2 2", len(rep.Applied), rep.Current, rep.Latest)
		}
		applied, pending, err := s.MigrationStatus(testContext(t))
		if err != nil {
			t.Fatalf("reading status: %v", err)
		}
		if len(pending) != 0 || len(applied) != 2 {
			t.Fatalf("status = %d applied, %d pending", len(applied), len(pending))
		}
		for i, a := range applied {
			if a.Version != int64(i+1) || a.Checksum != rep.Applied[i].Checksum || len(a.Checksum) != 64 {
				t.Errorf("row %d = %+v, want version %d with checksum %s", i, a, i+1, rep.Applied[i].Checksum)
			}
		}
		if applied[0].Name != "init" || applied[1].Name != "seed" {
			t.Errorf("names = %s, %s", applied[0].Name, applied[1].Name)
		}

		again, err := s.Migrate(testContext(t))
		if err != nil {
			t.Fatalf("migrating again: %v", err)
		}
		if len(again.Applied) != 0 || again.Current != 2 {
			t.Errorf("second run applied %d, current %d", len(again.Applied), again.Current)
		}
	})
}

func TestMigrateRejectsChangedFile(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d Dialect) {
		s := openPoolsTest(t, testConfig(t, d))
		files := migrationCopy(t)
		if _, err := runMigrations(t, s, files); err != nil {
			t.Fatalf("migrating: %v", err)
		}
		name := "migrations/" + string(d) + "/0001_init.sql"
		files[name] = &fstest.MapFile{Data: append(files[name].Data, []byte("\n-- edited\n")...)}
		_, err := runMigrations(t, s, files)
		if !errors.Is(err, ErrMigrationChecksum) {
			t.Fatalf("migrating an edited file: %v, want ErrMigrationChecksum", err)
		}
		if !strings.Contains(err.Error(), "0001_init") {
			t.Errorf("error %q does not name the version", err)
		}

		// Line endings are normalised, so a CRLF checkout is not a change.
		crlf := migrationCopy(t)
		crlf[name] = &fstest.MapFile{Data: []byte(strings.ReplaceAll(string(crlf[name].Data), "\n", "\r\n"))}
		if _, err := runMigrations(t, s, crlf); err != nil {
			t.Errorf("migrating with CRLF line endings: %v", err)
		}
	})
}

func TestMigrateRejectsNewerSchema(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d Dialect) {
		s := openPoolsTest(t, testConfig(t, d))
		if _, err := s.Migrate(testContext(t)); err != nil {
			t.Fatalf("migrating: %v", err)
		}
		err := s.writer.Exec(`INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms, app_version)
VALUES (?, ?, ?, ?, ?, ?)`, 3, "future", strings.Repeat("0", 64), s.now(), 1, "v9").Error
		if err != nil {
			t.Fatalf("recording a future version: %v", err)
		}
		_, err = s.Migrate(testContext(t))
		if !errors.Is(err, ErrSchemaTooNew) {
			t.Fatalf("migrating under a newer schema: %v, want ErrSchemaTooNew", err)
		}
		if _, err := Open(testContext(t), s.cfg, Options{}); !errors.Is(err, ErrSchemaTooNew) && d == DialectPostgres {
			t.Errorf("Open under a newer schema: %v, want ErrSchemaTooNew", err)
		}
	})
}

func TestMigrateConcurrentPostgres(t *testing.T) {
	cfg := testConfig(t, DialectPostgres)
	const migrators = 2
	stores := make([]*Store, migrators)
	for i := range stores {
		stores[i] = openPoolsTest(t, cfg)
	}
	reports := make([]MigrationReport, migrators)
	errs := make([]error, migrators)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() { reports[i], errs[i] = s.Migrate(testContext(t)) })
	}
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("migrator %d: %v", i, errs[i])
		}
		total += len(reports[i].Applied)
	}
	if total != 2 {
		t.Errorf("versions applied across migrators = %d, want 2 (each once)", total)
	}
	applied, _, err := stores[0].MigrationStatus(testContext(t))
	if err != nil || len(applied) != 2 {
		t.Errorf("schema_migrations rows = %d (%v), want 2", len(applied), err)
	}
}

func TestMigrationSetsMatch(t *testing.T) {
	pg, err := loadMigrations(migrationFiles, "migrations/postgres")
	if err != nil {
		t.Fatalf("loading Postgres migrations: %v", err)
	}
	lite, err := loadMigrations(migrationFiles, "migrations/sqlite")
	if err != nil {
		t.Fatalf("loading SQLite migrations: %v", err)
	}
	if len(pg) != len(lite) {
		t.Fatalf("Postgres has %d migrations, SQLite %d", len(pg), len(lite))
	}
	for i := range pg {
		if pg[i].Version != lite[i].Version || pg[i].Name != lite[i].Name {
			t.Errorf("migration %d: Postgres %04d_%s, SQLite %04d_%s", i, pg[i].Version, pg[i].Name,
				lite[i].Version, lite[i].Name)
		}
	}
}

func TestMigrationVersionGapRejected(t *testing.T) {
	files := fstest.MapFS{
		"m/0001_a.sql": {Data: []byte("SELECT 1;")},
		"m/0003_c.sql": {Data: []byte("SELECT 1;")},
	}
	if _, err := loadMigrations(files, "m"); err == nil {
		t.Fatal("a gap in versions was accepted")
	}
}

func TestForeignKeysOffDirectiveChecksRows(t *testing.T) {
	s := openPoolsTest(t, testConfig(t, DialectSQLite))
	files := migrationCopy(t)
	files["migrations/sqlite/0003_rebuild.sql"] = &fstest.MapFile{Data: []byte(`-- alkhub:foreign-keys-off
-- Rebuild a table the way SQLite changes constraints.
CREATE TABLE scratch (id TEXT NOT NULL PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES accounts (id));
INSERT INTO scratch (id, owner_id) VALUES ('a', 'no-such-account');
`)}
	_, err := runMigrations(t, s, files)
	if !errors.Is(err, ErrInvalidRef) {
		t.Fatalf("migration leaving a dangling reference: %v, want ErrInvalidRef", err)
	}
	var fk int
	if err := s.writerSQL.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign keys after the directive = %d (%v), want 1", fk, err)
	}

	files["migrations/sqlite/0003_rebuild.sql"] = &fstest.MapFile{Data: []byte(`-- alkhub:foreign-keys-off
CREATE TABLE scratch (id TEXT NOT NULL PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES accounts (id));
INSERT INTO scratch (id, owner_id) VALUES ('a', '__system__');
`)}
	if _, err := runMigrations(t, s, files); err != nil {
		t.Fatalf("valid rebuild: %v", err)
	}
}

package storage

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSQLiteSecondOpenLocked(t *testing.T) {
	cfg := testConfig(t, DialectSQLite)
	openTest(t, cfg, Options{})
	_, err := Open(testContext(t), cfg, Options{})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), cfg.SQLitePath) {
		t.Errorf("error %q does not name the database", err)
	}
}

func TestSQLiteReopenAfterClose(t *testing.T) {
	cfg := testConfig(t, DialectSQLite)
	s, err := Open(testContext(t), cfg, Options{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	first := s.InstanceID()
	if err := s.Close(testContext(t)); err != nil {
		t.Fatalf("closing: %v", err)
	}
	again := openTest(t, cfg, Options{})
	inst, err := again.Instances().Get(testContext(t), first)
	if err != nil {
		t.Fatalf("reading the closed instance: %v", err)
	}
	if inst.Status != InstanceStopped || inst.StoppedAt == nil {
		t.Errorf("closed instance = %s stopped_at %v, want stopped", inst.Status, inst.StoppedAt)
	}
}

// crash stops a store the way a killed process would: background work
// ends and the pools close, without flushing or resetting the instance.
func crash(s *Store) {
	s.stopBackground()
	s.background.Wait()
	s.closePools()
}

func TestSQLiteOpenResetsCrashedProcess(t *testing.T) {
	ctx := testContext(t)
	cfg := testConfig(t, DialectSQLite)
	s, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	old := s.InstanceID()
	owner := Account{Email: "crash@example.com"}
	if err := s.Accounts().Create(ctx, &owner); err != nil {
		t.Fatalf("creating account: %v", err)
	}
	reg, err := s.Spokes().Register(ctx, SpokeRegistration{OwnerID: owner.ID, Name: "box", Type: SpokeDevEnv,
		ConnectionID: "c1", Operations: []Operation{{Namespace: "fs", Name: "read", Version: "1", Type: OperationQuery,
			InputSchema: RawJSON{V: json.RawMessage(`{}`)}, OutputSchema: RawJSON{V: json.RawMessage(`{}`)},
			AccessControl: NewJSON(AccessControl{})}}})
	if err != nil {
		t.Fatalf("registering: %v", err)
	}
	project := Project{Name: "p"}
	if err := s.Projects().Create(ctx, &project); err != nil {
		t.Fatalf("creating project: %v", err)
	}
	err = s.writer.Exec(`INSERT INTO sessions (id, metadata, created_at, updated_at, project_id, slug, status, instance_id, run_started_at)
VALUES ('s1', '{}', ?, ?, ?, 'busy-abc234', 'busy', ?, ?)`, s.now(), s.now(), project.ID, old, s.now()).Error
	if err != nil {
		t.Fatalf("inserting a busy session: %v", err)
	}
	s.CallGraph().Enqueue(CallNodeWrite{RequestID: "r1", OperationRef: "fs.read", Status: CallRunning, StartedAt: s.now()})
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flushing: %v", err)
	}
	crash(s)

	next := openTest(t, cfg, Options{})
	inst, _ := next.Instances().Get(ctx, old)
	if inst.Status != InstanceDead {
		t.Errorf("crashed instance = %s, want dead", inst.Status)
	}
	sp, _ := next.Spokes().Get(ctx, reg.SpokeID)
	if sp.Status != SpokeDisconnected || sp.ConnectionID != nil || sp.InstanceID != nil || sp.DisconnectedAt == nil {
		t.Errorf("spoke after restart = %+v", sp)
	}
	provs, _ := next.Operations().Providers(ctx, "fs.read")
	if len(provs) != 0 {
		t.Errorf("%d registrations still active", len(provs))
	}
	node, _ := next.CallGraph().Get(ctx, "r1")
	if node.Status != CallFailed || node.CompletedAt == nil || node.Error == nil ||
		!strings.Contains(string(node.Error.V), `"hub-restart"`) || !strings.Contains(string(node.Error.V), "ABORTED") {
		t.Errorf("call after restart = %s %v", node.Status, node.Error)
	}
	var status string
	var instance *string
	if err := next.writerSQL.QueryRow("SELECT status, instance_id FROM sessions WHERE id = 's1'").Scan(&status, &instance); err != nil {
		t.Fatalf("reading session: %v", err)
	}
	if status != "idle" || instance != nil {
		t.Errorf("session after restart = %s on %v, want idle", status, instance)
	}
}

func TestSQLiteTimeTextSortsInTimeOrder(t *testing.T) {
	s := openTest(t, testConfig(t, DialectSQLite), Options{})
	ctx := testContext(t)
	if err := s.writer.Exec("CREATE TEMP TABLE times (t DATETIME NOT NULL)").Error; err != nil {
		t.Fatalf("creating table: %v", err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var want []time.Time
	for range 500 {
		at := Norm(base.Add(time.Duration(rand.Int64N(int64(400 * 24 * time.Hour)))))
		if rand.IntN(4) == 0 {
			at = at.Truncate(time.Second) // no fractional part at all
		}
		want = append(want, at)
		if err := s.writer.WithContext(ctx).Exec("INSERT INTO times (t) VALUES (?)", at).Error; err != nil {
			t.Fatalf("inserting: %v", err)
		}
	}
	slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })
	var texts []string
	if err := s.writer.Raw("SELECT CAST(t AS TEXT) FROM times ORDER BY t").Scan(&texts).Error; err != nil {
		t.Fatalf("reading: %v", err)
	}
	for i, text := range texts {
		got, err := time.Parse("2006-01-02 15:04:05.999999999-07:00", text)
		if err != nil {
			t.Fatalf("stored text %q: %v", text, err)
		}
		if !got.Equal(want[i]) {
			t.Fatalf("row %d in text order is %s, want %s", i, got, want[i])
		}
	}
}

func TestPlainDeleteOfReferencedOperation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d Dialect) {
		s := openTest(t, testConfig(t, d), Options{})
		ctx := testContext(t)
		op := Operation{Namespace: "hubx", Name: "x", Version: "1", Type: OperationQuery, Source: SourceHub,
			InputSchema: RawJSON{V: json.RawMessage(`{}`)}, OutputSchema: RawJSON{V: json.RawMessage(`{}`)},
			AccessControl: NewJSON(AccessControl{})}
		if _, err := s.Operations().Upsert(ctx, []Operation{op}); err != nil {
			t.Fatalf("upserting: %v", err)
		}
		s.CallGraph().Enqueue(CallNodeWrite{RequestID: "r1", OperationRef: "hubx.x", Status: CallCompleted, StartedAt: s.now()})
		if err := s.Flush(ctx); err != nil {
			t.Fatalf("flushing: %v", err)
		}
		err := deleteByID(ctx, s.writer, "operations", "hubx.x")
		if !errors.Is(err, ErrReferenced) {
			t.Fatalf("plain delete: %v, want ErrReferenced", err)
		}
		if err := s.Operations().Delete(ctx, "hubx.x"); err != nil {
			t.Fatalf("sentinel delete: %v", err)
		}
	})
}

func TestCloseFlushesQueues(t *testing.T) {
	cfg := testConfig(t, DialectSQLite)
	cfg.Queues.CallGraph.Interval = time.Hour
	s, err := Open(testContext(t), cfg, Options{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	s.CallGraph().Enqueue(CallNodeWrite{RequestID: "r1", OperationRef: "x", Status: CallPending, StartedAt: s.now()})
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("closing: %v", err)
	}
	again := openTest(t, cfg, Options{})
	n, err := again.CallGraph().Get(testContext(t), "r1")
	if err != nil {
		t.Fatalf("node queued before Close: %v", err)
	}
	if n.Status != CallFailed {
		t.Errorf("node open at shutdown = %s, want failed by the shutdown reset", n.Status)
	}
}

func TestBackupSQLiteCopiesRows(t *testing.T) {
	s := openTest(t, testConfig(t, DialectSQLite), Options{})
	ctx := testContext(t)
	a := Account{Email: "backup@example.com"}
	if err := s.Accounts().Create(ctx, &a); err != nil {
		t.Fatalf("creating account: %v", err)
	}
	dst := t.TempDir() + "/copy.db"
	if err := s.BackupSQLite(ctx, dst); err != nil {
		t.Fatalf("backing up: %v", err)
	}
	copyStore := openTest(t, Config{SQLitePath: dst}, Options{})
	if _, err := copyStore.Accounts().GetByEmail(ctx, "backup@example.com"); err != nil {
		t.Errorf("account in the copy: %v", err)
	}
}

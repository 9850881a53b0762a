package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

func testWriter(write func(ctx context.Context, batch []int) error, cfg QueueConfig) *batchWriter[int, int] {
	p := newPendingSet[int, int](cfg, nil)
	return &batchWriter[int, int]{name: "test", cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		pending: p, write: write, describe: func(v int) string { return fmt.Sprint(v) }}
}

func TestBatchWriterKeepsBatchOnTransientError(t *testing.T) {
	failures := 2
	var stored []int
	w := testWriter(func(_ context.Context, batch []int) error {
		if failures > 0 {
			failures--
			return driver.ErrBadConn
		}
		stored = append(stored, batch...)
		return nil
	}, QueueConfig{Capacity: 10, MaxBatch: 10, MaxRetry: time.Minute})
	for i := range 3 {
		w.pending.add(i, i, 1)
	}
	for attempt := range 2 {
		if _, err := w.step(context.Background()); err == nil {
			t.Fatalf("attempt %d: no error while the database fails", attempt)
		}
		w.pending.add(3, 3, 1) // new items keep merging meanwhile
	}
	if done, err := w.step(context.Background()); err != nil || done {
		t.Fatalf("step after recovery: done %v err %v", done, err)
	}
	if len(stored) != 3 {
		t.Fatalf("stored %v, want the kept batch of 3", stored)
	}
	if err := drainAll(context.Background(), w.step); err != nil {
		t.Fatalf("draining: %v", err)
	}
	st := w.pending.stats()
	if len(stored) != 4 || st.Written != 4 || st.Retries != 2 || len(st.Dropped) != 0 {
		t.Errorf("stored %v stats %+v", stored, st)
	}
}

func TestBatchWriterDropsAfterMaxRetry(t *testing.T) {
	w := testWriter(func(context.Context, []int) error { return driver.ErrBadConn },
		QueueConfig{Capacity: 10, MaxBatch: 10, MaxRetry: 30 * time.Millisecond})
	w.pending.add(1, 1, 1)
	w.pending.add(2, 2, 1)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := w.step(context.Background()); err == nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	st := w.pending.stats()
	if st.Dropped[DropRetryExpiry] != 2 || w.inflight != nil {
		t.Errorf("after MaxRetry: dropped %v inflight %v", st.Dropped, w.inflight)
	}
}

func TestBatchWriterIsolatesRejectedRows(t *testing.T) {
	var stored []int
	w := testWriter(func(_ context.Context, batch []int) error {
		for _, v := range batch {
			if v%10 == 3 {
				return errors.New("CHECK constraint failed")
			}
		}
		stored = append(stored, batch...)
		return nil
	}, QueueConfig{Capacity: 100, MaxBatch: 100, MaxRetry: time.Minute})
	for i := range 100 {
		w.pending.add(i, i, 1)
	}
	if err := drainAll(context.Background(), w.step); err != nil {
		t.Fatalf("draining: %v", err)
	}
	st := w.pending.stats()
	if len(stored) != 90 || st.Written != 90 || st.Dropped[DropFailed] != 10 {
		t.Errorf("stored %d written %d dropped %v, want 90 90 10", len(stored), st.Written, st.Dropped)
	}
}

func TestPendingSetBoundsAndOrder(t *testing.T) {
	p := newPendingSet[string, int](QueueConfig{Capacity: 3, MaxBytes: 100, MaxBatch: 10}, func(old, next int) int {
		return old + next
	})
	for i, k := range []string{"a", "b", "c"} {
		if !p.add(k, i, 10) {
			t.Fatalf("add %s below capacity dropped", k)
		}
	}
	if p.add("d", 9, 10) {
		t.Error("new key at capacity accepted")
	}
	if !p.add("a", 5, 10) {
		t.Error("pending key dropped at capacity")
	}
	if got := p.take(2); fmt.Sprint(got) != "[5 1]" {
		t.Errorf("take = %v, want [5 1] (first-arrival order, merged)", got)
	}
	if !p.add("e", 1, 80) {
		t.Error("key within the byte limit dropped")
	}
	if p.add("f", 1, 20) {
		t.Error("key beyond the byte limit accepted")
	}
	st := p.stats()
	if st.Depth != 2 || st.PendingBytes != 90 || st.Dropped[DropFull] != 2 || st.Merged != 1 {
		t.Errorf("stats = %+v", st)
	}
}

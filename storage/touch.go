package storage

import (
	"context"
	"fmt"
	"sync"
	"time"

	"gorm.io/gorm"
)

// touchTarget is a bookkeeping time column written behind: it changes
// neither row_version nor updated_at, and only moves forward.
type touchTarget struct {
	table  string
	column string
	// window is the minimum time between two writes of one row.
	window time.Duration
}

var (
	touchAPIKey = touchTarget{table: "api_keys", column: "last_used_at", window: time.Minute}
	touchSpoke  = touchTarget{table: "spokes", column: "last_heartbeat", window: 30 * time.Second}
)

type touchKey struct {
	target touchTarget
	id     string
}

type touchItem struct {
	key touchKey
	at  time.Time
}

// touchMemory is the number of recently written keys remembered for
// throttling; the oldest is forgotten first.
const touchMemory = 100000

// touchQueue merges touches per row (latest time wins), throttles them per
// target window, and writes them in batches.
type touchQueue struct {
	s       *Store
	pending *pendingSet[touchKey, touchItem]
	writer  *batchWriter[touchKey, touchItem]
	flusher *flusher

	mu      sync.Mutex
	written map[touchKey]time.Time // last accepted time per key
	order   []touchKey             // keys of written, oldest first
}

func newTouchQueue(s *Store) *touchQueue {
	q := &touchQueue{s: s, written: map[touchKey]time.Time{}}
	q.pending = newPendingSet[touchKey](s.cfg.Queues.Touch, func(old, next touchItem) touchItem {
		if next.at.After(old.at) {
			return next
		}
		return old
	})
	q.writer = &batchWriter[touchKey, touchItem]{name: "touch", cfg: s.cfg.Queues.Touch, log: s.log,
		pending: q.pending, write: q.write,
		describe: func(t touchItem) string { return t.key.target.table + "/" + t.key.id }}
	q.flusher = &flusher{interval: s.cfg.Queues.Touch.Interval, full: q.pending.full,
		requests: make(chan chan struct{}), log: s.log, name: "touch",
		drainOnce: func(ctx context.Context) error { return drainAll(ctx, q.writer.step) }}
	return q
}

// enqueue records a touch unless the same row was touched less than its
// window before at.
func (q *touchQueue) enqueue(target touchTarget, id string, at time.Time) bool {
	if id == "" {
		return false
	}
	at = Norm(at)
	key := touchKey{target: target, id: id}
	q.mu.Lock()
	if last, ok := q.written[key]; ok && at.Sub(last) < target.window {
		q.mu.Unlock()
		return false
	}
	if _, ok := q.written[key]; !ok {
		q.order = append(q.order, key)
		if len(q.order) > touchMemory {
			delete(q.written, q.order[0])
			q.order = q.order[1:]
		}
	}
	q.written[key] = at
	q.mu.Unlock()
	return q.pending.add(key, touchItem{key: key, at: at}, 64)
}

// write updates the touched rows of a batch in one transaction.
func (q *touchQueue) write(ctx context.Context, batch []touchItem) error {
	err := q.s.bulk.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, t := range batch {
			stmt := fmt.Sprintf("UPDATE %s SET %s = ? WHERE id = ? AND (%s IS NULL OR %s < ?)",
				t.key.target.table, t.key.target.column, t.key.target.column, t.key.target.column)
			if err := tx.Exec(stmt, t.at, t.key.id, t.at).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return mapError(err, "", stmtWrite)
}

// Flush writes every queued touch and call-graph snapshot; it serves tests
// and read-after-write paths.
func (s *Store) Flush(ctx context.Context) error {
	if err := s.callGraph.flusher.flush(ctx); err != nil {
		return fmt.Errorf("flushing the call graph: %w", err)
	}
	if err := s.touches.flusher.flush(ctx); err != nil {
		return fmt.Errorf("flushing touches: %w", err)
	}
	return nil
}

// closeQueues flushes every queue until ctx ends and counts what is left
// as dropped.
func (s *Store) closeQueues(ctx context.Context) error {
	if s.callGraph == nil {
		return nil
	}
	err := s.Flush(ctx)
	if s.stopBackground != nil {
		s.stopBackground()
	}
	s.background.Wait()
	lost := s.callGraph.nodeW.dropPending(DropClosed) + s.callGraph.edgeW.dropPending(DropClosed) +
		s.touches.writer.dropPending(DropClosed)
	if lost > 0 {
		s.log.Error("write-behind rows lost at close", "rows", lost, "err", err)
	}
	if err != nil {
		return fmt.Errorf("flushing write-behind queues at close (%d rows lost): %w", lost, err)
	}
	return nil
}

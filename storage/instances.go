package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"gorm.io/gorm"
)

// HubInstance is a row of hub_instances: one hub process start.
type HubInstance struct {
	Common
	Hostname   string         `gorm:"not null" json:"hostname"`
	Version    string         `gorm:"not null" json:"version"`
	PID        int32          `gorm:"column:pid;not null" json:"pid"`
	Status     InstanceStatus `gorm:"not null;default:running" json:"status"`
	StartedAt  time.Time      `gorm:"not null" json:"startedAt"`
	LastSeenAt time.Time      `gorm:"not null" json:"lastSeenAt"`
	StoppedAt  *time.Time     `json:"stoppedAt"`
}

// TableName returns the table of HubInstance rows.
func (HubInstance) TableName() string { return "hub_instances" }

// Instances reads and writes hub_instances. Open and Close drive the row of
// the own process.
type Instances interface {
	// Register inserts an instance row; zero StartedAt and LastSeenAt
	// become now. Open uses it for the own process; tests use it to fake
	// peers.
	Register(ctx context.Context, i *HubInstance) error
	// Get returns the instance with id, or ErrNotFound.
	Get(ctx context.Context, id string) (HubInstance, error)
	// List pages instances in (created_at, id) order.
	List(ctx context.Context, p PageRequest) (Page[HubInstance], error)
	// ReapDead resets every running instance whose last_seen_at is older
	// than after (its open calls failed, its spokes disconnected, its busy
	// sessions idle) and marks it dead. It returns the reaped ids. On
	// Postgres only one instance reaps at a time; a call that finds the
	// reaper lock taken reaps nothing.
	ReapDead(ctx context.Context, after time.Duration) ([]string, error)
}

// Liveness timings of hub instances.
const (
	heartbeatEvery = 10 * time.Second
	reapEvery      = 30 * time.Second
	deadAfter      = 60 * time.Second
)

// Reasons recorded in the error of calls an instance reset failed.
const (
	resetInstanceLost = "instance-lost"
	resetHubRestart   = "hub-restart"
	resetShutdown     = "shutdown"
)

// resetBatch is the number of call nodes failed per transaction.
const resetBatch = 1000

type instancesRepo struct{ rp *repos }

func (r instancesRepo) Register(ctx context.Context, i *HubInstance) error {
	now := r.rp.s.now()
	if i.StartedAt.IsZero() {
		i.StartedAt = now
	}
	if i.LastSeenAt.IsZero() {
		i.LastSeenAt = now
	}
	i.StartedAt, i.LastSeenAt = Norm(i.StartedAt), Norm(i.LastSeenAt)
	if err := r.rp.w.WithContext(ctx).Create(i).Error; err != nil {
		return fmt.Errorf("registering hub instance: %w", mapError(err, "hub_instances", stmtWrite))
	}
	return nil
}

func (r instancesRepo) Get(ctx context.Context, id string) (HubInstance, error) {
	return getByID[HubInstance](ctx, r.rp.r, "hub_instances", id)
}

func (r instancesRepo) List(ctx context.Context, p PageRequest) (Page[HubInstance], error) {
	return listPage(ctx, r.rp.r, "hub_instances", struct{}{}, p, "created_at",
		func(i *HubInstance) keyset { return createdKey(&i.Common) })
}

func (r instancesRepo) ReapDead(ctx context.Context, after time.Duration) ([]string, error) {
	s := r.rp.s
	if s.dialect == DialectPostgres {
		unlock, ok, err := s.tryAdvisoryLock(ctx, lockReaper)
		if err != nil || !ok {
			return nil, err
		}
		defer unlock()
	}
	cutoff := s.now().Add(-after)
	var dead []string
	err := r.rp.w.WithContext(ctx).Raw(`SELECT id FROM hub_instances
WHERE status = 'running' AND last_seen_at < ? AND id <> ? ORDER BY last_seen_at`,
		cutoff, s.InstanceID()).Scan(&dead).Error
	if err != nil {
		return nil, fmt.Errorf("finding dead hub instances: %w", mapError(err, "hub_instances", stmtWrite))
	}
	for _, id := range dead {
		if err := s.resetInstance(ctx, id, resetInstanceLost); err != nil {
			return nil, err
		}
		s.log.Warn("reset a dead hub instance", "instance", id)
	}
	return dead, nil
}

// tryAdvisoryLock takes a Postgres session lock on a dedicated connection
// without waiting. It reports false when another session holds it.
func (s *Store) tryAdvisoryLock(ctx context.Context, key int64) (unlock func(), ok bool, err error) {
	conn, err := s.writerSQL.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("taking advisory lock: %w", err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil || !ok {
		conn.Close()
		if err != nil {
			return nil, false, fmt.Errorf("taking advisory lock: %w", err)
		}
		return nil, false, nil
	}
	return func() {
		releaseCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(releaseCtx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			s.log.Error("releasing advisory lock", "key", key, "err", err)
		}
		conn.Close()
	}, true, nil
}

// startInstance registers this process and resets what dead processes
// left behind: on SQLite every other running instance (the directory lock
// proves none is alive), on Postgres those silent for 60 s.
func (s *Store) startInstance(ctx context.Context) error {
	if err := s.registerSelf(ctx); err != nil {
		return err
	}
	if s.dialect == DialectPostgres {
		_, err := s.Instances().ReapDead(ctx, deadAfter)
		return err
	}
	var others []string
	err := s.writer.WithContext(ctx).Raw("SELECT id FROM hub_instances WHERE status = 'running' AND id <> ?",
		s.InstanceID()).Scan(&others).Error
	if err != nil {
		return fmt.Errorf("finding earlier hub instances: %w", err)
	}
	for _, id := range others {
		if err := s.resetInstance(ctx, id, resetHubRestart); err != nil {
			return err
		}
		s.log.Info("reset the rows of an earlier hub process", "instance", id)
	}
	return nil
}

// registerSelf inserts a fresh row for this process and makes it current.
func (s *Store) registerSelf(ctx context.Context) error {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	inst := HubInstance{Hostname: host, Version: s.opts.Version, PID: int32(os.Getpid()),
		Status: InstanceRunning}
	if err := s.Instances().Register(ctx, &inst); err != nil {
		return err
	}
	s.instMu.Lock()
	s.instanceID = inst.ID
	s.instMu.Unlock()
	s.log.Info("hub instance registered", "instance", inst.ID, "dialect", s.dialect)
	return nil
}

// Heartbeat records that this instance is alive. When the row is no
// longer running (another instance reaped it), it registers a fresh
// instance and calls Options.OnFenced with the old id. The background
// heartbeat calls it every 10 s.
func (s *Store) Heartbeat(ctx context.Context) error {
	old := s.InstanceID()
	res := s.writer.WithContext(ctx).Exec(
		"UPDATE hub_instances SET last_seen_at = ? WHERE id = ? AND status = 'running'", s.now(), old)
	if res.Error != nil {
		return fmt.Errorf("heartbeat of instance %s: %w", old, mapError(res.Error, "hub_instances", stmtWrite))
	}
	if res.RowsAffected > 0 {
		return nil
	}
	s.log.Error("this hub instance was reaped by another; continuing under a fresh instance id",
		"old_instance", old)
	if err := s.registerSelf(ctx); err != nil {
		return err
	}
	if s.opts.OnFenced != nil {
		s.opts.OnFenced(old)
	}
	return nil
}

// startBackground starts the write-behind flushers, the heartbeat and, on
// Postgres, the reaper. Close stops them.
func (s *Store) startBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopBackground = cancel
	s.callGraph = newCallGraphQueue(s)
	s.touches = newTouchQueue(s)
	s.goBackground(func() { s.callGraph.flusher.run(ctx) })
	s.goBackground(func() { s.touches.flusher.run(ctx) })
	s.goBackground(func() {
		s.every(ctx, heartbeatEvery, func() error { return s.Heartbeat(ctx) }, "heartbeat")
	})
	if s.dialect == DialectPostgres {
		s.goBackground(func() {
			s.every(ctx, reapEvery, func() error {
				_, err := s.Instances().ReapDead(ctx, deadAfter)
				return err
			}, "reaper")
		})
	}
}

func (s *Store) goBackground(fn func()) {
	s.background.Add(1)
	go func() {
		defer s.background.Done()
		fn()
	}()
}

// every runs fn each period until ctx ends, logging its errors.
func (s *Store) every(ctx context.Context, period time.Duration, fn func() error, name string) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := fn(); err != nil && ctx.Err() == nil {
				s.log.Error("background job failed", "job", name, "err", err)
			}
		}
	}
}

// resetInstance fails the open call nodes of an instance (in batches, one
// transaction each), then in one transaction disconnects its spokes with
// their registrations, returns its busy sessions to idle, and marks the
// instance dead (stopped for a shutdown). The row is marked last, so an
// interrupted reset runs again at the next reap.
func (s *Store) resetInstance(ctx context.Context, id, reason string) error {
	if id == "" {
		return nil
	}
	errDoc, _ := json.Marshal(map[string]any{"code": "ABORTED",
		"message": "hub instance stopped before the call finished",
		"details": map[string]any{"reason": reason}})
	for {
		now := s.now()
		res := s.writer.WithContext(ctx).Exec(`UPDATE call_graph_nodes
SET status = 'failed', completed_at = ?, updated_at = ?, error = ?
WHERE id IN (SELECT id FROM call_graph_nodes
  WHERE instance_id = ? AND status IN ('pending', 'running') LIMIT ?)`,
			now, now, RawJSON{V: errDoc}, id, resetBatch)
		if res.Error != nil {
			return fmt.Errorf("failing open calls of instance %s: %w", id,
				mapError(res.Error, "call_graph_nodes", stmtWrite))
		}
		if res.RowsAffected < resetBatch {
			break
		}
	}

	status := InstanceDead
	if reason == resetShutdown {
		status = InstanceStopped
	}
	return s.runTx(ctx, s.writer, false, func(tx *gorm.DB) error {
		now := s.now()
		var spokes []string
		if err := tx.Raw("SELECT id FROM spokes WHERE instance_id = ? AND status = 'connected'", id).
			Scan(&spokes).Error; err != nil {
			return fmt.Errorf("finding spokes of instance %s: %w", id, err)
		}
		if len(spokes) > 0 {
			if err := tx.Exec(`UPDATE spokes SET status = 'disconnected', disconnected_at = ?,
  connection_id = NULL, instance_id = NULL, updated_at = ? WHERE id IN ?`, now, now, spokes).Error; err != nil {
				return fmt.Errorf("disconnecting spokes of instance %s: %w", id, err)
			}
			rp := &repos{s: s, w: tx, r: tx, inTx: true}
			if err := rp.deactivateSpokes(ctx, spokes, now); err != nil {
				return err
			}
		}
		// TODO(storage): also abort the streaming messages of these sessions
		// and fail the instance's workflow runs once those tables exist.
		if err := tx.Exec(`UPDATE sessions SET status = 'idle', instance_id = NULL, run_started_at = NULL,
  row_version = row_version + 1, updated_at = ? WHERE instance_id = ? AND status = 'busy'`, now, id).Error; err != nil {
			return fmt.Errorf("releasing sessions of instance %s: %w", id, err)
		}
		if err := tx.Exec(`UPDATE hub_instances SET status = ?, stopped_at = ?, updated_at = ?
WHERE id = ? AND status = 'running'`, status, now, now, id).Error; err != nil {
			return fmt.Errorf("marking instance %s %s: %w", id, status, err)
		}
		return nil
	})
}

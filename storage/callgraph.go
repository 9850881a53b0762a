package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// CallGraph persists call nodes through a write-behind queue and reads them
// back. Reads never see snapshots that are still queued; Flush writes them.
type CallGraph interface {
	// Enqueue queues a node snapshot. It never blocks and never touches
	// the database on the caller's goroutine. A snapshot for a pending
	// request id merges (newest wins, a terminal status is never replaced
	// by another status); a new id is dropped and counted when the queue is
	// full, and Enqueue then reports false.
	Enqueue(n CallNodeWrite) bool
	// EnqueueDependency queues a depends_on edge between two request ids.
	// An edge whose nodes are not stored within 10 s is dropped.
	EnqueueDependency(from, to string) bool
	// Flush waits until everything queued before the call is written or
	// ctx ends.
	Flush(ctx context.Context) error
	// Get returns the node of a request id, or ErrNotFound.
	Get(ctx context.Context, requestID string) (CallNode, error)
	// Children returns the direct children of a node in (started_at, id)
	// order.
	Children(ctx context.Context, requestID string) ([]CallNode, error)
	// Tree returns up to limit nodes (all when limit <= 0) of the tree
	// rooted at rootRequestID, root included, in (started_at, id) order.
	Tree(ctx context.Context, rootRequestID string, limit int) ([]CallNode, error)
	// List pages nodes in (created_at, id) order.
	List(ctx context.Context, f CallFilter, p PageRequest) (Page[CallNode], error)
	// Dependencies returns the stored depends_on edges that start or end
	// at one of the request ids.
	Dependencies(ctx context.Context, requestIDs []string) ([]CallEdge, error)
}

// CallFilter narrows CallGraph.List; zero fields do not filter.
type CallFilter struct {
	Status      CallStatus `json:"status,omitempty"`
	OperationID string     `json:"operationId,omitempty"`
	SessionID   string     `json:"sessionId,omitempty"`
	SpokeID     string     `json:"spokeId,omitempty"`
	InstanceID  string     `json:"instanceId,omitempty"`
}

// edgeItem is a queued dependency edge.
type edgeItem struct {
	from, to string
	since    time.Time // first enqueue, for the wait on missing nodes
}

// edgeNodeWait is how long a queued edge waits for its nodes.
const edgeNodeWait = 10 * time.Second

// callGraphQueue owns the node and edge queues and their flusher.
type callGraphQueue struct {
	s        *Store
	maxBytes int
	nodes    *pendingSet[string, CallNodeWrite]
	edges    *pendingSet[[2]string, edgeItem]
	nodeW    *batchWriter[string, CallNodeWrite]
	edgeW    *batchWriter[[2]string, edgeItem]
	flusher  *flusher

	waitMu  sync.Mutex
	waiting []edgeItem // edges whose nodes were not stored yet
}

func newCallGraphQueue(s *Store) *callGraphQueue {
	q := &callGraphQueue{s: s, maxBytes: s.cfg.CallGraph.MaxPayloadBytes}
	q.nodes = newPendingSet[string](s.cfg.Queues.CallGraph, mergeSnapshot)
	q.edges = newPendingSet[[2]string](s.cfg.Queues.CallGraphEdges, func(old, _ edgeItem) edgeItem { return old })
	q.nodeW = &batchWriter[string, CallNodeWrite]{name: "call_graph_nodes", cfg: s.cfg.Queues.CallGraph,
		log: s.log, pending: q.nodes, write: q.writeNodes,
		describe: func(w CallNodeWrite) string { return w.RequestID }}
	q.edgeW = &batchWriter[[2]string, edgeItem]{name: "call_graph_edges", cfg: s.cfg.Queues.CallGraphEdges,
		log: s.log, pending: q.edges, write: q.writeEdges,
		describe: func(e edgeItem) string { return e.from + "->" + e.to }}
	q.flusher = &flusher{interval: s.cfg.Queues.CallGraph.Interval, full: q.nodes.full,
		requests: make(chan chan struct{}), drainOnce: q.drain, log: s.log, name: "call_graph"}
	return q
}

// mergeSnapshot keeps the newer snapshot unless the older one is terminal
// and the newer one has another status.
func mergeSnapshot(old, next CallNodeWrite) CallNodeWrite {
	if old.Status.Terminal() && next.Status != old.Status {
		return old
	}
	return next
}

// drain writes every pending node, then every pending edge, then retries
// the edges that waited for their nodes.
func (q *callGraphQueue) drain(ctx context.Context) error {
	if err := drainAll(ctx, q.nodeW.step); err != nil {
		return err
	}
	q.requeueWaitingEdges()
	return drainAll(ctx, q.edgeW.step)
}

func (q *callGraphQueue) requeueWaitingEdges() {
	q.waitMu.Lock()
	waiting := q.waiting
	q.waiting = nil
	q.waitMu.Unlock()
	now := time.Now()
	for _, e := range waiting {
		if now.Sub(e.since) > edgeNodeWait {
			q.s.log.Warn("dropping a call-graph edge whose nodes were never stored", "from", e.from, "to", e.to)
			q.edges.count(func(c *QueueStats) { c.Dropped[DropMissingNode]++ })
			continue
		}
		q.edges.add([2]string{e.from, e.to}, e, 64)
	}
}

func (r callGraphRepo) Enqueue(n CallNodeWrite) bool {
	q := r.rp.s.callGraph
	if n.RequestID == "" {
		q.nodes.count(func(c *QueueStats) { c.Dropped[DropFailed]++ })
		return false
	}
	n.Input = capPayload(n.Input, q.maxBytes)
	n.Output = capPayload(n.Output, q.maxBytes)
	return q.nodes.add(n.RequestID, n, n.size())
}

func (r callGraphRepo) EnqueueDependency(from, to string) bool {
	if from == "" || to == "" {
		return false
	}
	return r.rp.s.callGraph.edges.add([2]string{from, to}, edgeItem{from: from, to: to, since: time.Now()}, 64)
}

func (r callGraphRepo) Flush(ctx context.Context) error {
	return r.rp.s.callGraph.flusher.flush(ctx)
}

// callNodeColumns is the column list of the node upsert, 20 per row.
const callNodeColumns = `id, metadata, created_at, updated_at, parent_request_id, root_request_id,
  operation_id, operation_ref, status, identity, caller_account_id, session_id, spoke_id,
  instance_id, input, output, error, response_count, started_at, completed_at`

// callNodeRow is the VALUES tuple of one node.
const callNodeRow = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// callNodeConflict applies a later snapshot unless the stored row is
// terminal with another status; the columns the first write fixed stay.
const callNodeConflict = `
ON CONFLICT (id) DO UPDATE SET status = excluded.status, output = excluded.output,
  error = excluded.error, response_count = excluded.response_count,
  completed_at = excluded.completed_at,
  spoke_id = COALESCE(excluded.spoke_id, call_graph_nodes.spoke_id),
  metadata = excluded.metadata, updated_at = excluded.updated_at
WHERE call_graph_nodes.status IN ('pending', 'running')
   OR call_graph_nodes.status = excluded.status`

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// writeNodes upserts a batch of snapshots in one transaction with one
// multi-row statement (100 rows use 2,000 parameters, far below the limits
// of 32,766 on SQLite and 65,535 on Postgres). Operation ids without a
// definition are stored as RemovedOperationID. A foreign-key failure (the
// definition was deleted between resolution and commit) is retried once,
// resolving the ids again.
func (q *callGraphQueue) writeNodes(ctx context.Context, batch []CallNodeWrite) error {
	err := q.writeNodesOnce(ctx, batch)
	if err != nil && isForeignKeyError(err) {
		err = q.writeNodesOnce(ctx, batch)
	}
	if err != nil {
		return mapError(err, "call_graph_nodes", stmtWrite)
	}
	return nil
}

func (q *callGraphQueue) writeNodesOnce(ctx context.Context, batch []CallNodeWrite) error {
	now := q.s.now()
	instanceID := nullIfEmpty(q.s.InstanceID())
	refs := make([]string, 0, len(batch))
	for i := range batch {
		refs = append(refs, batch[i].OperationRef)
	}

	return q.s.bulk.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var known []string
		if err := tx.Raw("SELECT id FROM operations WHERE id IN ?", refs).Scan(&known).Error; err != nil {
			return err
		}
		exists := make(map[string]bool, len(known))
		for _, id := range known {
			exists[id] = true
		}

		var sql strings.Builder
		sql.WriteString("INSERT INTO call_graph_nodes (" + callNodeColumns + ") VALUES ")
		args := make([]any, 0, 20*len(batch))
		for i := range batch {
			n := &batch[i]
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(callNodeRow)
			root := n.RootRequestID
			if root == "" {
				root = n.RequestID
			}
			meta := n.Metadata
			if meta == nil {
				meta = map[string]any{}
			}
			operationID := n.OperationRef
			if !exists[operationID] {
				operationID = RemovedOperationID
			}
			args = append(args, n.RequestID, NewJSON(meta), now, now, nullIfEmpty(n.ParentRequestID), root,
				operationID, n.OperationRef, string(n.Status), n.Identity, nullIfEmpty(n.CallerAccountID),
				nullIfEmpty(n.SessionID), nullIfEmpty(n.SpokeID), instanceID, n.Input, n.Output, n.Error,
				n.ResponseCount, Norm(n.StartedAt), normPtr(n.CompletedAt))
		}
		sql.WriteString(callNodeConflict)
		return tx.Exec(sql.String(), args...).Error
	})
}

// isForeignKeyError reports whether err is a foreign-key violation.
func isForeignKeyError(err error) bool {
	return errors.Is(mapError(err, "", stmtWrite), ErrInvalidRef)
}

// writeEdges inserts the edges whose nodes are stored and keeps the others
// waiting for the next flush.
func (q *callGraphQueue) writeEdges(ctx context.Context, batch []edgeItem) error {
	ids := make([]string, 0, 2*len(batch))
	for _, e := range batch {
		ids = append(ids, e.from, e.to)
	}
	now := q.s.now()
	var notReady []edgeItem
	err := q.s.bulk.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		notReady = nil
		var stored []string
		if err := tx.Raw("SELECT id FROM call_graph_nodes WHERE id IN ?", ids).Scan(&stored).Error; err != nil {
			return err
		}
		have := make(map[string]bool, len(stored))
		for _, id := range stored {
			have[id] = true
		}
		for _, e := range batch {
			if !have[e.from] || !have[e.to] {
				notReady = append(notReady, e)
				continue
			}
			row := CallEdge{}
			if err := row.fill(now); err != nil {
				return err
			}
			err := tx.Exec(`INSERT INTO call_graph_edges (id, metadata, created_at, updated_at,
  from_request_id, to_request_id, edge_type) VALUES (?, ?, ?, ?, ?, ?, 'depends_on')
ON CONFLICT (from_request_id, to_request_id, edge_type) DO NOTHING`,
				row.ID, row.Metadata, now, now, e.from, e.to).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mapError(err, "call_graph_edges", stmtWrite)
	}
	if len(notReady) > 0 {
		q.waitMu.Lock()
		q.waiting = append(q.waiting, notReady...)
		q.waitMu.Unlock()
	}
	return nil
}

type callGraphRepo struct{ rp *repos }

func (r callGraphRepo) Get(ctx context.Context, requestID string) (CallNode, error) {
	return getByID[CallNode](ctx, r.rp.r, "call_graph_nodes", requestID)
}

func (r callGraphRepo) Children(ctx context.Context, requestID string) ([]CallNode, error) {
	var nodes []CallNode
	err := r.rp.r.WithContext(ctx).Where("parent_request_id = ?", requestID).
		Order("started_at, id").Find(&nodes).Error
	if err != nil {
		return nil, fmt.Errorf("reading children of call %s: %w", requestID, mapError(err, "call_graph_nodes", stmtWrite))
	}
	return nodes, nil
}

func (r callGraphRepo) Tree(ctx context.Context, rootRequestID string, limit int) ([]CallNode, error) {
	var nodes []CallNode
	q := r.rp.r.WithContext(ctx).Where("root_request_id = ?", rootRequestID).Order("started_at, id")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&nodes).Error; err != nil {
		return nil, fmt.Errorf("reading call tree %s: %w", rootRequestID, mapError(err, "call_graph_nodes", stmtWrite))
	}
	return nodes, nil
}

func (r callGraphRepo) List(ctx context.Context, f CallFilter, p PageRequest) (Page[CallNode], error) {
	q := r.rp.r
	for col, v := range map[string]string{"status": string(f.Status), "operation_id": f.OperationID,
		"session_id": f.SessionID, "spoke_id": f.SpokeID, "instance_id": f.InstanceID} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return listPage(ctx, q, "call_graph_nodes", f, p, "created_at",
		func(n *CallNode) keyset { return keyset{At: n.CreatedAt, ID: n.ID} })
}

func (r callGraphRepo) Dependencies(ctx context.Context, requestIDs []string) ([]CallEdge, error) {
	if len(requestIDs) == 0 {
		return nil, nil
	}
	var edges []CallEdge
	err := r.rp.r.WithContext(ctx).Where("from_request_id IN ? OR to_request_id IN ?", requestIDs, requestIDs).
		Order("created_at, id").Find(&edges).Error
	if err != nil {
		return nil, fmt.Errorf("reading call dependencies: %w", mapError(err, "call_graph_edges", stmtWrite))
	}
	return edges, nil
}

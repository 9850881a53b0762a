package storage

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"
)

// QueueConfig tunes one write-behind queue. Zero fields take the queue's
// defaults.
type QueueConfig struct {
	// Capacity is the maximum number of distinct pending keys. At capacity
	// an item with a new key is dropped, while an item whose key is
	// pending still merges.
	Capacity int
	// MaxBytes bounds the approximate payload bytes pending, like
	// Capacity. Zero takes the default and a negative value means no limit.
	MaxBytes int
	// MaxBatch is the number of rows written per flush transaction, at
	// most 1,000 (larger values are lowered to it, which keeps a multi-row
	// statement within the parameter limits of both dialects).
	MaxBatch int
	// Interval is the flush period; a full batch flushes at once.
	Interval time.Duration
	// MaxRetry is how long a batch that keeps failing with transient
	// errors is retried before it is dropped.
	MaxRetry time.Duration
}

// QueueConfigs tunes the write-behind queues of a store.
type QueueConfigs struct {
	// CallGraph: defaults 50,000 nodes, 64 MiB, batches of 100, 500 ms.
	CallGraph QueueConfig
	// CallGraphEdges: defaults 10,000 edges, batches of 500, flushed with
	// the nodes.
	CallGraphEdges QueueConfig
	// Touch (last-used and heartbeat times): defaults 100,000 keys,
	// batches of 1,000, 5 s.
	Touch QueueConfig
}

func (c QueueConfig) withDefaults(d QueueConfig) QueueConfig {
	if c.Capacity <= 0 {
		c.Capacity = d.Capacity
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = d.MaxBytes
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = d.MaxBatch
	}
	c.MaxBatch = min(c.MaxBatch, maxBatchRows)
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.MaxRetry <= 0 {
		c.MaxRetry = d.MaxRetry
	}
	return c
}

func (q QueueConfigs) withDefaults() QueueConfigs {
	const retry = 2 * time.Minute
	q.CallGraph = q.CallGraph.withDefaults(QueueConfig{Capacity: 50000, MaxBytes: 64 << 20,
		MaxBatch: 100, Interval: 500 * time.Millisecond, MaxRetry: retry})
	q.CallGraphEdges = q.CallGraphEdges.withDefaults(QueueConfig{Capacity: 10000,
		MaxBatch: 500, Interval: q.CallGraph.Interval, MaxRetry: retry})
	q.Touch = q.Touch.withDefaults(QueueConfig{Capacity: 100000,
		MaxBatch: 1000, Interval: 5 * time.Second, MaxRetry: retry})
	return q
}

// maxBatchRows bounds QueueConfig.MaxBatch: 1,000 call-graph rows take
// 20,000 parameters.
const maxBatchRows = 1000

// Drop reasons counted in QueueStats.Dropped.
const (
	DropFull        = "full"         // capacity or byte limit reached
	DropFailed      = "failed"       // a row the database rejected
	DropRetryExpiry = "retry_expiry" // transient failures outlasted MaxRetry
	DropClosed      = "closed"       // still pending when Close gave up
	DropMissingNode = "missing_node" // an edge whose nodes never arrived
)

// QueueStats are the counters of one write-behind queue.
type QueueStats struct {
	Enqueued uint64 `json:"enqueued"`
	Merged   uint64 `json:"merged"`
	Written  uint64 `json:"written"`
	// Dropped counts lost items by reason (the Drop constants).
	Dropped      map[string]uint64 `json:"dropped"`
	Retries      uint64            `json:"retries"`
	Depth        int               `json:"depth"`
	PendingBytes int               `json:"pendingBytes"`
	// LastFlush is the duration of the last successful batch write.
	LastFlush time.Duration `json:"lastFlushNs"`
	LastError string        `json:"lastError,omitempty"`
}

// Stats reports the store's background work.
type Stats struct {
	Queues map[string]QueueStats `json:"queues"`
}

// Stats returns a snapshot of the write-behind queue counters.
func (s *Store) Stats() Stats {
	return Stats{Queues: map[string]QueueStats{
		"call_graph_nodes": s.callGraph.nodes.stats(),
		"call_graph_edges": s.callGraph.edges.stats(),
		"touch":            s.touches.pending.stats(),
	}}
}

// pendingSet is a bounded map of pending items that keeps the order in
// which keys first arrived and merges items of a pending key. Its methods
// do no I/O and hold the mutex only while they update the map.
type pendingSet[K comparable, V any] struct {
	mu       sync.Mutex
	capacity int
	maxBytes int
	items    map[K]*pendingItem[V]
	fifo     []K // every pending key exactly once, oldest first
	bytes    int
	merge    func(old, next V) V // nil: next replaces old
	counters QueueStats
	full     chan struct{} // signalled when a batch is ready
	maxBatch int
}

type pendingItem[V any] struct {
	v    V
	size int
}

func newPendingSet[K comparable, V any](cfg QueueConfig, merge func(old, next V) V) *pendingSet[K, V] {
	return &pendingSet[K, V]{
		capacity: cfg.Capacity,
		maxBytes: cfg.MaxBytes,
		maxBatch: cfg.MaxBatch,
		items:    map[K]*pendingItem[V]{},
		merge:    merge,
		counters: QueueStats{Dropped: map[string]uint64{}},
		full:     make(chan struct{}, 1),
	}
}

// add merges v into the pending item of k, or appends it as a new key when
// there is room. It reports false when the item was dropped.
func (p *pendingSet[K, V]) add(k K, v V, size int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if it, ok := p.items[k]; ok {
		if p.merge != nil {
			v = p.merge(it.v, v)
		}
		p.bytes += size - it.size
		it.v, it.size = v, size
		p.counters.Merged++
		return true
	}
	if len(p.items) >= p.capacity || (p.maxBytes > 0 && p.bytes+size > p.maxBytes) {
		p.counters.Dropped[DropFull]++
		return false
	}
	p.items[k] = &pendingItem[V]{v: v, size: size}
	p.fifo = append(p.fifo, k)
	p.bytes += size
	p.counters.Enqueued++
	if len(p.items) >= p.maxBatch {
		select {
		case p.full <- struct{}{}:
		default:
		}
	}
	return true
}

// take removes and returns up to n items, oldest key first.
func (p *pendingSet[K, V]) take(n int) []V {
	p.mu.Lock()
	defer p.mu.Unlock()
	n = min(n, len(p.fifo))
	out := make([]V, 0, n)
	for _, k := range p.fifo[:n] {
		it := p.items[k]
		out = append(out, it.v)
		p.bytes -= it.size
		delete(p.items, k)
	}
	clear(p.fifo[:n])
	p.fifo = p.fifo[n:]
	if len(p.fifo) == 0 {
		p.fifo = nil
	}
	return out
}

func (p *pendingSet[K, V]) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items)
}

// count adds to the counters under the mutex.
func (p *pendingSet[K, V]) count(fn func(c *QueueStats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fn(&p.counters)
}

func (p *pendingSet[K, V]) stats() QueueStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.counters
	st.Dropped = maps.Clone(p.counters.Dropped)
	st.Depth = len(p.items)
	st.PendingBytes = p.bytes
	return st
}

// batchWriter writes the items of a pending set in batches, one
// transaction each. A batch that fails with a transient error is kept and
// retried until it succeeds or MaxRetry has passed. A batch that fails
// otherwise is split in halves until the rejected rows are isolated. Those
// rows are dropped and logged, and the rest is committed.
type batchWriter[K comparable, V any] struct {
	name    string
	cfg     QueueConfig
	log     *slog.Logger
	pending *pendingSet[K, V]
	// write stores one batch in one transaction.
	write func(ctx context.Context, batch []V) error
	// describe names an item in logs (its key, never its payload).
	describe func(V) string

	inflight     []V
	failingSince time.Time
}

// step writes the batch in flight, or the next one. It reports done when
// nothing was left to write, and returns the transient error of a batch
// that stays in flight for a retry.
func (b *batchWriter[K, V]) step(ctx context.Context) (done bool, err error) {
	if b.inflight == nil {
		b.inflight = b.pending.take(b.cfg.MaxBatch)
		if len(b.inflight) == 0 {
			b.inflight = nil
			return true, nil
		}
	}
	start := time.Now()
	written, err := b.writeIsolating(ctx, b.inflight)
	if err == nil {
		b.pending.count(func(c *QueueStats) {
			c.Written += uint64(written)
			c.LastFlush = time.Since(start)
		})
		b.inflight, b.failingSince = nil, time.Time{}
		return false, nil
	}

	if b.failingSince.IsZero() {
		b.failingSince = time.Now()
	}
	if time.Since(b.failingSince) >= b.cfg.MaxRetry {
		n := len(b.inflight)
		b.log.Error("dropping a write-behind batch after retries", "queue", b.name, "rows", n,
			"retried_for", time.Since(b.failingSince), "err", err)
		b.pending.count(func(c *QueueStats) {
			c.Dropped[DropRetryExpiry] += uint64(n)
			c.LastError = err.Error()
		})
		b.inflight, b.failingSince = nil, time.Time{}
		return false, nil
	}
	b.pending.count(func(c *QueueStats) {
		c.Retries++
		c.LastError = err.Error()
	})
	return false, err
}

// writeIsolating writes batch, bisecting it on a non-transient error. It
// returns the number of rows written, or a transient error.
func (b *batchWriter[K, V]) writeIsolating(ctx context.Context, batch []V) (int, error) {
	err := b.write(ctx, batch)
	if err == nil {
		return len(batch), nil
	}
	if isTransient(err) || ctx.Err() != nil {
		return 0, err
	}
	if len(batch) == 1 {
		b.log.Error("dropping a row the database rejected", "queue", b.name,
			"key", b.describe(batch[0]), "err", err)
		b.pending.count(func(c *QueueStats) {
			c.Dropped[DropFailed]++
			c.LastError = err.Error()
		})
		return 0, nil
	}
	half := len(batch) / 2
	first, err := b.writeIsolating(ctx, batch[:half])
	if err != nil {
		return first, err
	}
	second, err := b.writeIsolating(ctx, batch[half:])
	return first + second, err
}

// dropPending discards every pending and in-flight item and counts it as
// dropped for reason.
func (b *batchWriter[K, V]) dropPending(reason string) int {
	n := len(b.inflight)
	b.inflight = nil
	for {
		batch := b.pending.take(b.cfg.MaxBatch)
		if len(batch) == 0 {
			break
		}
		n += len(batch)
	}
	if n > 0 {
		b.pending.count(func(c *QueueStats) { c.Dropped[reason] += uint64(n) })
	}
	return n
}

// flusher runs the steps of a queue on one goroutine: every interval, when
// a batch is full, and on demand.
type flusher struct {
	interval time.Duration
	full     <-chan struct{}
	requests chan chan struct{}
	// drainOnce writes until nothing is pending; it returns an error when
	// a batch is in flight for a retry.
	drainOnce func(ctx context.Context) error
	log       *slog.Logger
	name      string
}

const (
	retryBackoffMin = 100 * time.Millisecond
	retryBackoffMax = 5 * time.Second
)

// run flushes until ctx ends.
func (f *flusher) run(ctx context.Context) {
	ticker := time.NewTicker(f.interval)
	defer ticker.Stop()
	var waiters []chan struct{}
	backoff := retryBackoffMin
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-f.full:
		case w := <-f.requests:
			waiters = append(waiters, w)
		}
		for {
			err := f.drainOnce(ctx)
			if err == nil {
				backoff = retryBackoffMin
				for _, w := range waiters {
					close(w)
				}
				waiters = nil
				break
			}
			f.log.Warn("write-behind flush failed; retrying", "queue", f.name, "backoff", backoff, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			case w := <-f.requests:
				waiters = append(waiters, w)
			}
			backoff = min(2*backoff, retryBackoffMax)
		}
	}
}

// flush requests a write of everything pending and waits until the
// flusher has written it or ctx ends.
func (f *flusher) flush(ctx context.Context) error {
	done := make(chan struct{})
	select {
	case f.requests <- done:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drainAll runs step until it reports done or fails.
func drainAll(ctx context.Context, step func(ctx context.Context) (bool, error)) error {
	for {
		done, err := step(ctx)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

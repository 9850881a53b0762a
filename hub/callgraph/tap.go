// Package callgraph records the runtime call graph: a tap on the hub's local
// bus turns the five call events into node snapshots kept in memory and
// handed to storage's write-behind queue, so recording never blocks a call.
//
// Status only moves forward: pending, then completed, failed or aborted,
// and a terminal status never changes. A subscription's node counts its
// call.responded events and completes on call.completed.
package callgraph

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/storage"
)

// Sink receives node snapshots. storage.CallGraph implements it; Enqueue
// must not block.
type Sink interface {
	Enqueue(n storage.CallNodeWrite) bool
}

// Options configures a Tap.
type Options struct {
	Bus  *pubsub.PubSub
	Sink Sink
	// LookupSpec distinguishes subscriptions from unary calls and finds the tags
	// of an operation ("sensitive" keeps its input out of storage).
	LookupSpec func(id string) (operations.OperationSpec, bool)
	// MemoryRetention is how long finished nodes stay in memory (10 min).
	MemoryRetention time.Duration
	// MaxFinished bounds the finished nodes kept in memory (10,000); the
	// oldest go first. Finished nodes keep no input or output in memory.
	MaxFinished int
	// MaxPayloadBytes caps the input and output kept per node (64 KiB); a
	// larger document is replaced by {"_truncated": true, "bytes": N}.
	MaxPayloadBytes int
	// Buffer bounds the events waiting for the tap (65,536); events beyond
	// it are dropped and counted.
	Buffer int
	Logger *slog.Logger
	Now    func() time.Time
}

// Tap follows call events on the local bus.
type Tap struct {
	opts Options
	log  *slog.Logger
	sub  *pubsub.Subscription

	mu    sync.Mutex
	nodes map[string]*node
	// finished lists finished request ids, oldest first, to bound memory.
	finished []string

	dropped   atomic.Uint64
	unwritten atomic.Uint64
	done      chan struct{}

	syncSeq atomic.Uint64
	syncMu  sync.Mutex
	syncs   map[string]chan struct{} // marker request id -> waiter
}

// syncMarker starts the request ids of Sync's marker events. A NUL byte
// never appears in the UUIDs callers use as request ids.
const syncMarker = "\x00callgraph-sync-"

type node struct {
	write        storage.CallNodeWrite
	subscription bool
	recorded     bool // call.requested seen, so the node may be written
	released     bool // finished, payloads dropped, listed in Tap.finished
	seenAt       time.Time
	finishedAt   time.Time
}

// New returns a tap; Start begins following the bus.
func New(o Options) *Tap {
	if o.MemoryRetention <= 0 {
		o.MemoryRetention = 10 * time.Minute
	}
	if o.Buffer <= 0 {
		o.Buffer = 65_536
	}
	if o.MaxFinished <= 0 {
		o.MaxFinished = 10_000
	}
	if o.MaxPayloadBytes <= 0 {
		o.MaxPayloadBytes = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Tap{opts: o, log: o.Logger, nodes: make(map[string]*node), done: make(chan struct{}),
		syncs: make(map[string]chan struct{})}
}

// Start subscribes to the call events and processes them on one goroutine
// until ctx ends or Close is called.
func (t *Tap) Start(ctx context.Context) error {
	topics := []string{
		pubsub.TopicOf(operations.EventCallRequested, ""),
		pubsub.TopicOf(operations.EventCallResponded, ""),
		pubsub.TopicOf(operations.EventCallError, ""),
		pubsub.TopicOf(operations.EventCallCompleted, ""),
		pubsub.TopicOf(operations.EventCallAborted, ""),
	}
	sub, err := t.opts.Bus.SubscribeTopics(ctx, topics,
		pubsub.WithSubBuffer(t.opts.Buffer), pubsub.WithSubOverflow(pubsub.OverflowDropNewest))
	if err != nil {
		return err
	}
	t.sub = sub
	go t.run()
	return nil
}

func (t *Tap) run() {
	defer close(t.done)
	sweep := time.NewTicker(time.Minute)
	defer sweep.Stop()
	var lastDropped uint64
	for {
		select {
		case env, ok := <-t.sub.C():
			if !ok {
				return
			}
			t.apply(env)
		case <-sweep.C:
			t.evict()
			if d := t.sub.Dropped(); d != lastDropped {
				t.log.Warn("call-graph tap dropped events", "dropped", d-lastDropped)
				t.dropped.Store(d)
				lastDropped = d
			}
		}
	}
}

// Close stops the tap and waits for its goroutine.
func (t *Tap) Close() {
	if t.sub == nil {
		return
	}
	_ = t.sub.Close()
	<-t.done
}

// Sync returns once the tap has handled every call event published on the
// bus before Sync was called, so their snapshots are queued for storage.
// It publishes a marker event behind them and waits for it.
func (t *Tap) Sync(ctx context.Context) error {
	id := syncMarker + strconv.FormatUint(t.syncSeq.Add(1), 10)
	reached := make(chan struct{})
	t.syncMu.Lock()
	t.syncs[id] = reached
	t.syncMu.Unlock()
	defer func() {
		t.syncMu.Lock()
		delete(t.syncs, id)
		t.syncMu.Unlock()
	}()

	if err := t.opts.Bus.Publish(ctx, operations.EventCallCompleted, "", operations.CallCompleted{RequestID: id}); err != nil {
		return err
	}
	select {
	case <-reached:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-t.done:
		return errors.New("call-graph tap stopped")
	}
}

// SetSpoke records the spoke serving a request.
func (t *Tap) SetSpoke(requestID, spokeID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[requestID]
	if n == nil {
		n = &node{write: storage.CallNodeWrite{RequestID: requestID, Status: storage.CallPending}, seenAt: t.opts.Now()}
		t.nodes[requestID] = n
	}
	n.write.SpokeID = spokeID
	t.persist(n)
}

// Node returns the in-memory state of a request.
func (t *Tap) Node(requestID string) (storage.CallNodeWrite, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, ok := t.nodes[requestID]
	if !ok {
		return storage.CallNodeWrite{}, false
	}
	return n.write, true
}

// Stats reports events dropped before the tap read them and snapshots the
// queue refused.
func (t *Tap) Stats() (droppedEvents, unwrittenSnapshots uint64) {
	return t.dropped.Load(), t.unwritten.Load()
}

func (t *Tap) apply(env pubsub.Envelope) {
	now := t.opts.Now()
	switch env.Type {
	case operations.EventCallRequested:
		req, err := pubsub.DecodePayload[operations.CallRequested](env)
		if err != nil || req.RequestID == "" {
			return
		}
		t.requested(req, now)
	case operations.EventCallResponded:
		p, err := pubsub.DecodePayload[operations.CallResponded](env)
		if err != nil {
			return
		}
		t.update(p.RequestID, func(n *node) {
			n.write.ResponseCount++
			if p.Output != nil {
				if b, err := json.Marshal(p.Output); err == nil {
					n.write.Output = t.capped(b)
				}
			}
			if !n.subscription {
				finish(n, storage.CallCompleted, now)
			}
		})
	case operations.EventCallError:
		p, err := pubsub.DecodePayload[operations.CallErrorEvent](env)
		if err != nil {
			return
		}
		t.update(p.RequestID, func(n *node) {
			if isTerminal(n.write.Status) {
				return
			}
			errDoc := map[string]any{"code": p.Code, "message": p.Message}
			if p.Details != nil {
				errDoc["details"] = p.Details
			}
			if b, err := json.Marshal(errDoc); err == nil {
				n.write.Error = &storage.RawJSON{V: b}
			}
			finish(n, storage.CallFailed, now)
		})
	case operations.EventCallCompleted:
		id := requestID(env)
		if strings.HasPrefix(id, syncMarker) {
			t.syncMu.Lock()
			if ch := t.syncs[id]; ch != nil {
				close(ch)
			}
			t.syncMu.Unlock()
			return
		}
		t.update(id, func(n *node) { finish(n, storage.CallCompleted, now) })
	case operations.EventCallAborted:
		id := requestID(env)
		t.update(id, func(n *node) { finish(n, storage.CallAborted, now) })
	}
}

func (t *Tap) requested(req operations.CallRequested, now time.Time) {
	spec, _ := t.opts.LookupSpec(req.OperationID)

	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[req.RequestID]
	if n == nil {
		n = &node{write: storage.CallNodeWrite{RequestID: req.RequestID, Status: storage.CallPending}}
		t.nodes[req.RequestID] = n
	}
	if n.recorded {
		return // a duplicate delivery
	}
	n.recorded = true
	n.subscription = spec.Type == operations.TypeSubscription
	w := &n.write
	w.ParentRequestID = req.ParentRequestID
	w.RootRequestID = req.RequestID
	if p := req.ParentRequestID; p != "" {
		w.RootRequestID = p
		if parent := t.nodes[p]; parent != nil && parent.write.RootRequestID != "" {
			w.RootRequestID = parent.write.RootRequestID
		}
	}
	w.OperationRef = req.OperationID
	w.StartedAt = now
	if req.Identity != nil {
		w.CallerAccountID = req.Identity.ID
		if b, err := json.Marshal(req.Identity); err == nil {
			w.Identity = &storage.RawJSON{V: b}
		}
	}
	if sid, ok := req.Metadata["sessionId"].(string); ok {
		w.SessionID = sid
	}
	if isSensitive(spec) {
		w.Metadata = map[string]any{"inputRedacted": true}
	} else if len(req.Input) > 0 {
		w.Input = t.capped(req.Input)
	}
	t.persist(n)
}

func isSensitive(spec operations.OperationSpec) bool {
	for _, tag := range spec.Tags {
		if tag == "sensitive" {
			return true
		}
	}
	return false
}

// update applies fn to a node, creating an in-memory placeholder for an
// unknown request id; placeholders are written once their call.requested
// arrives.
func (t *Tap) update(id string, fn func(*node)) {
	if id == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[id]
	if n == nil {
		n = &node{write: storage.CallNodeWrite{RequestID: id, Status: storage.CallPending}, seenAt: t.opts.Now()}
		t.nodes[id] = n
	}
	fn(n)
	t.persist(n)
}

// persist hands the node's snapshot to the sink. Once a node has finished,
// its last snapshot carries the input and output to storage and memory
// keeps neither, so memory holds payloads only for calls in flight. The
// caller holds mu.
func (t *Tap) persist(n *node) {
	if n.recorded && t.opts.Sink != nil && !t.opts.Sink.Enqueue(n.write) {
		t.unwritten.Add(1)
	}
	if n.finishedAt.IsZero() {
		return
	}
	n.write.Input, n.write.Output = nil, nil
	if !n.released {
		n.released = true
		t.finished = append(t.finished, n.write.RequestID)
		t.trimFinished()
	}
}

// trimFinished drops the oldest finished nodes beyond MaxFinished. The
// caller holds mu.
func (t *Tap) trimFinished() {
	excess := len(t.finished) - t.opts.MaxFinished
	if excess <= 0 {
		return
	}
	for _, id := range t.finished[:excess] {
		if n := t.nodes[id]; n != nil && n.released {
			delete(t.nodes, id)
		}
	}
	t.finished = append(t.finished[:0], t.finished[excess:]...)
}

// capped copies a JSON document, or replaces it by a truncation marker when
// it is larger than MaxPayloadBytes.
func (t *Tap) capped(doc []byte) *storage.RawJSON {
	if len(doc) > t.opts.MaxPayloadBytes {
		b, _ := json.Marshal(map[string]any{"_truncated": true, "bytes": len(doc)})
		return &storage.RawJSON{V: b}
	}
	return &storage.RawJSON{V: append(json.RawMessage(nil), doc...)}
}

func finish(n *node, status storage.CallStatus, now time.Time) {
	if isTerminal(n.write.Status) {
		return
	}
	n.write.Status = status
	n.write.CompletedAt = &now
	n.finishedAt = now
}

func isTerminal(s storage.CallStatus) bool {
	return s == storage.CallCompleted || s == storage.CallFailed || s == storage.CallAborted
}

func requestID(env pubsub.Envelope) string {
	p, err := pubsub.DecodePayload[struct {
		RequestID string `json:"requestId"`
	}](env)
	if err != nil {
		return ""
	}
	return p.RequestID
}

// evict drops finished nodes older than the memory retention, and
// placeholders that never got their call.requested.
func (t *Tap) evict() {
	cutoff := t.opts.Now().Add(-t.opts.MemoryRetention)
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, n := range t.nodes {
		finished := !n.finishedAt.IsZero() && n.finishedAt.Before(cutoff)
		orphan := !n.recorded && n.seenAt.Before(cutoff)
		if finished || orphan {
			delete(t.nodes, id)
		}
	}
	kept := t.finished[:0]
	for _, id := range t.finished {
		if _, ok := t.nodes[id]; ok {
			kept = append(kept, id)
		}
	}
	t.finished = kept
}

package storagetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/alkdev/alkhub/storage"
	"github.com/google/uuid"
)

func raw(s string) *storage.RawJSON { return &storage.RawJSON{V: json.RawMessage(s)} }

// hubOp upserts a hub operation that call nodes can reference.
func (e *Env) hubOp(ns, name string) string {
	e.T.Helper()
	op := spec(ns, name, "")
	op.Source = storage.SourceHub
	_, err := e.Store.Operations().Upsert(e.Ctx, []storage.Operation{op})
	noErr(e.T, "upserting operation", err)
	return ns + "." + name
}

func (e *Env) node(id, op string, status storage.CallStatus) storage.CallNodeWrite {
	return storage.CallNodeWrite{RequestID: id, OperationRef: op, Status: status,
		Input: raw(`{"q":1}`), StartedAt: e.Clock.Now()}
}

func (e *Env) enqueue(n storage.CallNodeWrite) {
	e.T.Helper()
	if !e.Store.CallGraph().Enqueue(n) {
		e.T.Fatalf("enqueue of %s dropped", n.RequestID)
	}
}

func (e *Env) flush() {
	e.T.Helper()
	noErr(e.T, "flushing", e.Store.Flush(e.Ctx))
}

func newID() string { return uuid.NewString() }

var callGraphCases = []conformanceCase{
	{"snapshots of one flush window merge", func(e *Env) {
		op := e.hubOp("hubx", "echo")
		id := newID()
		e.enqueue(e.node(id, op, storage.CallPending))
		done := e.node(id, op, storage.CallCompleted)
		done.Output, done.ResponseCount = raw(`{"data":"ok","meta":{"source":"local"}}`), 1
		done.CompletedAt = ptr(e.Clock.Now().Add(time.Millisecond))
		e.enqueue(done)
		e.flush()
		st := e.Store.Stats().Queues["call_graph_nodes"]
		if st.Written != 1 || st.Merged != 1 {
			e.T.Errorf("stats = written %d merged %d, want one row written after one merge", st.Written, st.Merged)
		}
		n, err := e.Store.CallGraph().Get(e.Ctx, id)
		noErr(e.T, "reading node", err)
		if n.Status != storage.CallCompleted || n.ResponseCount != 1 || n.CompletedAt == nil ||
			n.RootRequestID != id || n.InstanceID == nil || *n.InstanceID != e.Store.InstanceID() {
			e.T.Errorf("node = %+v", n)
		}
	}},
	{"two phase snapshots insert then update", func(e *Env) {
		op := e.hubOp("hubx", "echo")
		id := newID()
		e.enqueue(e.node(id, op, storage.CallPending))
		e.flush()
		n, err := e.Store.CallGraph().Get(e.Ctx, id)
		noErr(e.T, "reading pending node", err)
		if n.Status != storage.CallPending {
			e.T.Errorf("status = %s, want pending", n.Status)
		}
		e.enqueue(e.node(id, op, storage.CallCompleted))
		e.flush()
		n, _ = e.Store.CallGraph().Get(e.Ctx, id)
		if n.Status != storage.CallCompleted {
			e.T.Errorf("status = %s, want completed", n.Status)
		}
		if st := e.Store.Stats().Queues["call_graph_nodes"]; st.Written != 2 {
			e.T.Errorf("written = %d, want 2", st.Written)
		}
	}},
	{"terminal node never changes status", func(e *Env) {
		op := e.hubOp("hubx", "echo")
		id := newID()
		done := e.node(id, op, storage.CallCompleted)
		done.Output = raw(`{"data":1}`)
		e.enqueue(done)
		e.flush()
		for _, s := range []storage.CallStatus{storage.CallFailed, storage.CallAborted, storage.CallPending} {
			later := e.node(id, op, s)
			later.Error = raw(`{"code":"ABORTED","message":"late"}`)
			e.enqueue(later)
			e.flush()
		}
		stream := e.node(id, op, storage.CallCompleted)
		stream.Output, stream.ResponseCount = raw(`{"data":2}`), 2
		e.enqueue(stream)
		e.flush()
		n, _ := e.Store.CallGraph().Get(e.Ctx, id)
		if n.Status != storage.CallCompleted || n.Error != nil {
			e.T.Errorf("terminal node changed: status %s error %v", n.Status, n.Error)
		}
		if n.ResponseCount != 2 || string(n.Output.V) != `{"data": 2}` && string(n.Output.V) != `{"data":2}` {
			e.T.Errorf("later completed snapshot not applied: count %d output %s", n.ResponseCount, n.Output.V)
		}
	}},
	{"unknown operation stores the sentinel", func(e *Env) {
		id := newID()
		e.enqueue(e.node(id, "nowhere.at.all", storage.CallFailed))
		e.flush()
		n, err := e.Store.CallGraph().Get(e.Ctx, id)
		noErr(e.T, "reading node", err)
		if n.OperationID != storage.RemovedOperationID || n.OperationRef != "nowhere.at.all" {
			e.T.Errorf("operation = %s ref %s", n.OperationID, n.OperationRef)
		}
	}},
	{"deleting operation re-points its nodes", func(e *Env) {
		op := e.hubOp("hubx", "gone")
		id := newID()
		e.enqueue(e.node(id, op, storage.CallCompleted))
		e.flush()
		noErr(e.T, "deleting through the sentinel flow", e.Store.Operations().Delete(e.Ctx, op))
		n, _ := e.Store.CallGraph().Get(e.Ctx, id)
		if n.OperationID != storage.RemovedOperationID || n.OperationRef != op {
			e.T.Errorf("node after delete: operation %s ref %s", n.OperationID, n.OperationRef)
		}
		audit, _ := e.Store.Audit().List(e.Ctx, storage.AuditFilter{Action: "operation.deleted"}, storage.PageRequest{})
		if len(audit.Items) != 1 || *audit.Items[0].ResourceID != op {
			e.T.Errorf("audit of the delete = %+v", audit.Items)
		}
	}},
	{"tree and children follow parents", func(e *Env) {
		op := e.hubOp("hubx", "echo")
		root, child, grandchild := newID(), newID(), newID()
		e.enqueue(e.node(root, op, storage.CallRunning))
		c := e.node(child, op, storage.CallRunning)
		c.ParentRequestID, c.RootRequestID = root, root
		e.Clock.Advance(time.Millisecond)
		c.StartedAt = e.Clock.Now()
		e.enqueue(c)
		g := e.node(grandchild, op, storage.CallPending)
		g.ParentRequestID, g.RootRequestID = child, root
		e.Clock.Advance(time.Millisecond)
		g.StartedAt = e.Clock.Now()
		e.enqueue(g)
		if !e.Store.CallGraph().EnqueueDependency(child, grandchild) {
			e.T.Fatal("dependency dropped")
		}
		e.flush()
		tree, err := e.Store.CallGraph().Tree(e.Ctx, root, 0)
		noErr(e.T, "reading tree", err)
		if len(tree) != 3 || tree[0].ID != root || tree[1].ID != child || tree[2].ID != grandchild {
			e.T.Errorf("tree = %v", ids(tree))
		}
		kids, err := e.Store.CallGraph().Children(e.Ctx, root)
		noErr(e.T, "reading children", err)
		if len(kids) != 1 || kids[0].ID != child {
			e.T.Errorf("children = %v", ids(kids))
		}
		deps, err := e.Store.CallGraph().Dependencies(e.Ctx, []string{grandchild})
		noErr(e.T, "reading dependencies", err)
		if len(deps) != 1 || deps[0].FromRequestID != child || deps[0].EdgeType != storage.EdgeDependsOn {
			e.T.Errorf("dependencies = %+v", deps)
		}
	}},
	{"full queue drops new keys only", func(e *Env) {
		cfg := NewTarget(e.T, e.Target.Dialect).Config()
		cfg.Queues.CallGraph = storage.QueueConfig{Capacity: 2, Interval: time.Hour}
		s := OpenConfig(e.T, cfg, storage.Options{Now: e.Clock.Now, Logger: nil})
		a, b, c := newID(), newID(), newID()
		for _, id := range []string{a, b} {
			if !s.CallGraph().Enqueue(e.node(id, "x.y", storage.CallPending)) {
				e.T.Fatal("enqueue below capacity dropped")
			}
		}
		if s.CallGraph().Enqueue(e.node(c, "x.y", storage.CallPending)) {
			e.T.Error("enqueue of a new key at capacity was accepted")
		}
		if !s.CallGraph().Enqueue(e.node(a, "x.y", storage.CallCompleted)) {
			e.T.Error("snapshot of a pending key was dropped at capacity")
		}
		st := s.Stats().Queues["call_graph_nodes"]
		if st.Dropped[storage.DropFull] != 1 || st.Depth != 2 {
			e.T.Errorf("stats = %+v", st)
		}
		noErr(e.T, "flushing", s.Flush(e.Ctx))
		n, err := s.CallGraph().Get(e.Ctx, a)
		noErr(e.T, "reading merged node", err)
		if n.Status != storage.CallCompleted {
			e.T.Errorf("merged node status = %s", n.Status)
		}
	}},
	{"rejected row is isolated from its batch", func(e *Env) {
		cfg := NewTarget(e.T, e.Target.Dialect).Config()
		cfg.Queues.CallGraph = storage.QueueConfig{MaxBatch: 500, Interval: time.Hour}
		s := OpenConfig(e.T, cfg, storage.Options{Now: e.Clock.Now})
		var bad string
		for i := range 500 {
			n := e.node(newID(), "x.y", storage.CallPending)
			if i == 250 {
				n.Status = "exploded"
				bad = n.RequestID
			}
			if !s.CallGraph().Enqueue(n) {
				e.T.Fatal("enqueue dropped")
			}
		}
		noErr(e.T, "flushing", s.Flush(e.Ctx))
		st := s.Stats().Queues["call_graph_nodes"]
		if st.Written != 499 || st.Dropped[storage.DropFailed] != 1 {
			e.T.Errorf("written %d dropped %v, want 499 and one failed", st.Written, st.Dropped)
		}
		if _, err := s.CallGraph().Get(e.Ctx, bad); err == nil {
			e.T.Error("the rejected row was stored")
		}
		page, err := s.CallGraph().List(e.Ctx, storage.CallFilter{Status: storage.CallPending}, storage.PageRequest{Limit: 200})
		noErr(e.T, "listing", err)
		if len(page.Items) != 200 || page.NextCursor == "" {
			e.T.Errorf("first page = %d items, cursor %q", len(page.Items), page.NextCursor)
		}
	}},
	{"payloads above the cap are truncated", func(e *Env) {
		id := newID()
		n := e.node(id, "x.y", storage.CallCompleted)
		n.Input = raw(`"` + strings.Repeat("a", 70_000) + `"`)
		e.enqueue(n)
		e.flush()
		got, _ := e.Store.CallGraph().Get(e.Ctx, id)
		var doc map[string]any
		noErr(e.T, "decoding input", json.Unmarshal(got.Input.V, &doc))
		if doc["_truncated"] != true || fmt.Sprint(doc["bytes"]) != "70002" {
			e.T.Errorf("truncated input = %s", got.Input.V)
		}
	}},
}

func ids(nodes []storage.CallNode) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID
	}
	return out
}

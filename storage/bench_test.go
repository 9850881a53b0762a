package storage_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/storage"
	"github.com/alkdev/alkhub/storage/storagetest"
	"github.com/google/uuid"
)

var benchDialects = []storage.Dialect{storage.DialectSQLite, storage.DialectPostgres}

// benchStore opens a fresh store whose call-graph queue holds every node a
// benchmark enqueues, so throughput is measured without drops.
func benchStore(b *testing.B, d storage.Dialect, capacity int) *storage.Store {
	cfg := storagetest.NewTarget(b, d).Config()
	cfg.Queues.CallGraph = storage.QueueConfig{Capacity: max(capacity, 50000), MaxBytes: -1}
	return storagetest.OpenConfig(b, cfg, storage.Options{})
}

func benchNode(id string, status storage.CallStatus) storage.CallNodeWrite {
	n := storage.CallNodeWrite{RequestID: id, OperationRef: "bench.op", Status: status,
		Input: &storage.RawJSON{V: []byte(`{"path":"/tmp/x"}`)}, StartedAt: time.Now()}
	if status.Terminal() {
		n.Output = &storage.RawJSON{V: []byte(`{"data":"ok","meta":{"source":"local"}}`)}
		n.ResponseCount = 1
		now := time.Now()
		n.CompletedAt = &now
	}
	return n
}

func BenchmarkCallGraphWriteBehind(b *testing.B) {
	ctx := context.Background()
	for _, d := range benchDialects {
		for _, mode := range []string{"merged", "two-phase"} {
			b.Run(fmt.Sprintf("%s/%s", mode, d), func(b *testing.B) {
				s := benchStore(b, d, 2*b.N)
				ids := make([]string, b.N)
				for i := range ids {
					ids[i] = uuid.NewString()
				}
				cg := s.CallGraph()
				b.ResetTimer()
				start := time.Now()
				for _, id := range ids {
					cg.Enqueue(benchNode(id, storage.CallPending))
					if mode == "merged" {
						cg.Enqueue(benchNode(id, storage.CallCompleted))
					}
				}
				if mode == "two-phase" {
					if err := cg.Flush(ctx); err != nil {
						b.Fatal(err)
					}
					for _, id := range ids {
						cg.Enqueue(benchNode(id, storage.CallCompleted))
					}
				}
				if err := cg.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				st := s.Stats().Queues["call_graph_nodes"]
				var drops uint64
				for _, n := range st.Dropped {
					drops += n
				}
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "nodes/s")
				b.ReportMetric(float64(drops), "drops")
			})
		}
	}
}

func BenchmarkCallGraphEnqueue(b *testing.B) {
	// No flush runs while the callers enqueue, so the figure is the cost on
	// the caller's goroutine alone: the ids stay below one batch, and after
	// the first pass every enqueue merges into a pending key.
	cfg := storagetest.NewTarget(b, storage.DialectSQLite).Config()
	cfg.Queues.CallGraph = storage.QueueConfig{MaxBatch: 1000, Interval: time.Hour}
	s := storagetest.OpenConfig(b, cfg, storage.Options{})
	nodes := make([]storage.CallNodeWrite, 999)
	for i := range nodes {
		nodes[i] = benchNode(uuid.NewString(), storage.CallRunning)
	}
	cg := s.CallGraph()
	var next atomic.Int64
	b.SetParallelism(4) // 8 callers on the 2-core reference machine
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1)
			cg.Enqueue(nodes[i%int64(len(nodes))])
		}
	})
}

func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	for _, d := range benchDialects {
		b.Run(string(d), func(b *testing.B) {
			s := storagetest.Open(b, d, storage.Options{})
			owner := storage.Account{Email: "bench@example.com"}
			if err := s.Accounts().Create(ctx, &owner); err != nil {
				b.Fatal(err)
			}
			const keys = 1000
			hashes := make([]string, keys)
			for i := range hashes {
				plain := fmt.Sprintf("alk_bench%038d", i)
				hashes[i] = storagetest.HashKey(plain)
				k := storage.APIKey{OwnerID: owner.ID, Prefix: plain[:12], KeyHash: hashes[i]}
				if err := s.APIKeys().Create(ctx, &k); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			i := 0
			for b.Loop() {
				if _, err := s.APIKeys().Authenticate(ctx, hashes[i%keys]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/spoke"
	"github.com/alkdev/alkhub/operations"
)

// payload200 is a JSON input of about 200 bytes.
var payload200 = map[string]any{"text": strings.Repeat("x", 180)}

type echoIn struct {
	Text string `json:"text" jsonschema:"maxLength=1000"`
}

// benchEchoOperation is a local operation with input validation.
func benchEchoOperation() operations.Operation {
	return operations.Query(operations.SpecInfo{
		Namespace: "bench", Name: "echo", Description: "returns its input",
		AccessControl: operations.AccessControl{RequiredScopes: []string{}},
	}, func(_ context.Context, in echoIn, _ *operations.OperationContext) (echoIn, error) { return in, nil })
}

// benchIdentity is an admin caller: spoke operations are private to their
// owner and admins.
var benchIdentity = &operations.Identity{ID: "bench", Scopes: []string{"admin"}}

// latencies collects per-call durations and reports percentiles.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	at := func(q float64) float64 {
		i := int(q * float64(len(l.d)-1))
		return float64(l.d[i].Microseconds())
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
	b.ReportMetric(float64(l.d[len(l.d)-1].Microseconds()), "max-µs")
}

// benchEngine is the database of benchmark hubs: SQLite, or PostgreSQL when
// ALKHUB_BENCH_ENGINE=postgres (with ALKHUB_TEST_POSTGRES_DSN set). The
// call graph is written for every call, so the engine matters.
func benchEngine() engine {
	if os.Getenv("ALKHUB_BENCH_ENGINE") == "postgres" {
		return postgresEngine
	}
	return sqliteEngine
}

// benchHub starts a hub with the bench.echo operation.
func benchHub(b *testing.B) *testHub {
	b.Helper()
	s := newSetup(b, benchEngine())
	s.options = []hub.Option{hub.WithOperations(benchEchoOperation())}
	return s.start(b)
}

// benchHubWithSpoke starts a hub and an in-process spoke serving
// bench.echo, and returns the spoke operation's remapped id.
func benchHubWithSpoke(b *testing.B) (*testHub, string) {
	b.Helper()
	th := newTestHub(b, benchEngine())
	reg := operations.NewRegistry()
	if err := reg.Register(benchEchoOperation()); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := spoke.Dial(ctx, spoke.Options{URL: th.WSURL, Key: th.AdminKey, Name: "bench", Registry: reg,
		MaxConcurrency: 1024})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return th, s.Registration().Operations["bench.echo"]
}

// BenchmarkSpokeCall measures a call made inside the hub (Invoker.Call)
// to an operation of a spoke connected over loopback WebSocket: one hop
// each way, with input validation on the hub and in the spoke.
func BenchmarkSpokeCall(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(map[int]string{1: "serial", 16: "16-callers"}[workers], func(b *testing.B) {
			th, opID := benchHubWithSpoke(b)
			runCalls(b, workers, func(ctx context.Context) error {
				_, err := th.Invoker().Call(ctx, opID, payload200, operations.CallOptions{Identity: benchIdentity})
				return err
			})
		})
	}
}

// BenchmarkSpokeCallOpenLoop sends calls to a spoke at a constant rate,
// whether or not earlier calls finished (open loop, so a stall shows in the
// latencies instead of slowing the sender), and reports the latency
// percentiles at that load.
func BenchmarkSpokeCallOpenLoop(b *testing.B) {
	for _, rate := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("%d-per-s", rate), func(b *testing.B) {
			th, opID := benchHubWithSpoke(b)
			runOpenLoop(b, rate, func(ctx context.Context) error {
				_, err := th.Invoker().Call(ctx, opID, payload200, operations.CallOptions{Identity: benchIdentity})
				return err
			})
		})
	}
}

// BenchmarkAPICallLocal measures POST /api/call of a local operation over
// loopback HTTP with keep-alive: auth (cache hit), access check, input
// validation, envelope, pending map and call-graph tap.
func BenchmarkAPICallLocal(b *testing.B) {
	for _, workers := range []int{1, 16} {
		b.Run(map[int]string{1: "serial", 16: "16-callers"}[workers], func(b *testing.B) {
			th := benchHub(b)
			body, _ := json.Marshal(map[string]any{"operationId": "bench.echo", "input": payload200})
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
			runCalls(b, workers, func(ctx context.Context) error {
				req, _ := http.NewRequestWithContext(ctx, "POST", th.URL+"/api/call", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+th.AdminKey)
				res, err := client.Do(req)
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
				return nil
			})
		})
	}
}

// runOpenLoop starts b.N calls at the given rate per second, each on its
// own goroutine at its scheduled time, so a slow call never delays the
// next one (no coordinated omission). Latency is measured from the moment
// each call starts. How far the starts ran behind the schedule (timer
// granularity, CPU contention) is reported separately as lag.
func runOpenLoop(b *testing.B, rate int, call func(context.Context) error) {
	var lat, lag latencies
	var failures atomic.Int64
	ctx := context.Background()
	interval := time.Second / time.Duration(rate)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range b.N {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			lag.add(t0.Sub(due))
			if err := call(ctx); err != nil {
				if failures.Add(1) == 1 {
					b.Logf("first failure: %v", err)
				}
				return
			}
			lat.add(time.Since(t0))
		}()
	}
	wg.Wait()
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Errorf("%d of %d calls failed", n, b.N)
	}
	lat.report(b)
	if len(lag.d) > 0 {
		slices.Sort(lag.d)
		b.ReportMetric(float64(lag.d[len(lag.d)*99/100].Microseconds()), "p99-lag-µs")
	}
}

// runCalls runs b.N calls spread over workers goroutines and reports
// latency percentiles and calls per second.
func runCalls(b *testing.B, workers int, call func(context.Context) error) {
	var lat latencies
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan struct{}, workers)
	go func() {
		for range b.N {
			next <- struct{}{}
		}
		close(next)
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range next {
				t0 := time.Now()
				if err := call(ctx); err != nil {
					b.Error(err)
					return
				}
				lat.add(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	lat.report(b)
}

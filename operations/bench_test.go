package operations

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// measure runs fn b.N times, records each duration and reports the p50 and
// p99 latencies next to the usual figures.
func measure(b *testing.B, fn func()) {
	b.Helper()
	durations := make([]time.Duration, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		fn()
		durations[i] = time.Since(start)
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durations[len(durations)*99/100].Nanoseconds()), "p99-ns")
}

var smallInput = json.RawMessage(`{"value":"hello"}`)

func benchRegistry(b *testing.B, ops ...Operation) *Registry {
	b.Helper()
	r := NewRegistry()
	for _, op := range ops {
		if err := r.Register(op); err != nil {
			b.Fatal(err)
		}
	}
	return r
}

func BenchmarkExecuteSmall(b *testing.B) {
	r := benchRegistry(b, testOp())
	ctx := context.Background()
	measure(b, func() {
		if _, err := r.Execute(ctx, "test.testOp", smallInput, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkExecuteTyped(b *testing.B) {
	r := benchRegistry(b, Query(SpecInfo{Namespace: "test", Name: "typed"},
		func(_ context.Context, in echoIn, _ *OperationContext) (echoOut, error) {
			return echoOut{Result: "processed: " + in.Value}, nil
		}))
	ctx := context.Background()
	in := echoIn{Value: "hello"}
	measure(b, func() {
		if _, err := r.Execute(ctx, "test.typed", in, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkExecuteUnknown(b *testing.B) {
	op := testOp()
	op.Spec.InputSchema, op.Spec.OutputSchema = nil, nil
	op.Handler = func(context.Context, json.RawMessage, *OperationContext) (any, error) {
		return "ok", nil
	}
	r := benchRegistry(b, op)
	ctx := context.Background()
	oc := &OperationContext{RequestID: "bench"}
	measure(b, func() {
		if _, err := r.Execute(ctx, "test.testOp", smallInput, oc); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkExecuteParallel(b *testing.B) {
	r := benchRegistry(b, testOp())
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Execute(ctx, "test.testOp", smallInput, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// benchProtocol serves testOp and a counting stream on a fresh bus and
// returns the caller.
func benchProtocol(b *testing.B, opts ...PendingOption) *PendingRequestMap {
	b.Helper()
	count := streamOp()
	count.Spec.Name = "count"
	count.Stream = func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (iter.Seq2[any, error], error) {
		return func(yield func(any, error) bool) {
			for i := range 10000 {
				if !yield(i, nil) {
					return
				}
			}
		}, nil
	}
	ps := newBus(b)
	startServer(b, ps, benchRegistry(b, testOp(), count))
	return newPending(b, ps, opts...)
}

func BenchmarkCallRoundTrip(b *testing.B) {
	m := benchProtocol(b)
	ctx := context.Background()
	measure(b, func() {
		if _, err := m.Call(ctx, "test.testOp", smallInput, CallOptions{}); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkCallRoundTripParallel(b *testing.B) {
	m := benchProtocol(b)
	ctx := context.Background()
	var calls atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Call(ctx, "test.testOp", smallInput, CallOptions{}); err != nil {
				b.Error(err)
				return
			}
			calls.Add(1)
		}
	})
	b.ReportMetric(float64(calls.Load())/time.Since(start).Seconds(), "calls/s")
}

func BenchmarkStreamThroughput(b *testing.B) {
	// The consumer keeps up, but scheduling bursts can outrun a small
	// buffer; a stream that overflows is aborted by design.
	m := benchProtocol(b, WithStreamBuffer(1<<14))
	ctx := context.Background()
	var items int
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		s, err := m.Subscribe(ctx, "test.count", nil, SubscribeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range s.All() {
			if err != nil {
				b.Fatal(err)
			}
			items++
		}
	}
	b.ReportMetric(float64(items)/time.Since(start).Seconds(), "items/s")
}

func BenchmarkValidateSmall(b *testing.B) {
	s, _ := CompileSchema(json.RawMessage(testOpInputSchema), "bench")
	inst := map[string]any{"value": "hello"}
	b.ReportAllocs()
	for b.Loop() {
		if errs := validateInstance(s, inst); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkValidateSmallInvalid(b *testing.B) {
	s, _ := CompileSchema(json.RawMessage(testOpInputSchema), "bench")
	inst := map[string]any{"wrong": 1}
	b.ReportAllocs()
	for b.Loop() {
		if errs := validateInstance(s, inst); len(errs) != 1 {
			b.Fatal(errs)
		}
	}
}

const mediumSchema = `{"type":"array","items":{"type":"object","additionalProperties":false,
"properties":{"id":{"type":"string","pattern":"^item-[0-9]+$"},"name":{"type":"string","minLength":1},
"kind":{"enum":["alpha","beta","gamma"]},"size":{"type":"integer","minimum":0},
"weight":{"type":"number","minimum":0},"active":{"type":"boolean"},
"tag":{"type":"string","minLength":2},"owner":{"type":"string","pattern":"^[a-z]+$"},
"score":{"type":"number","minimum":-100},"note":{"type":"string"}},
"required":["id","name","kind","size"]}}`

func mediumDocument() []byte {
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range 20 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":"item-%d","name":"name %d","kind":"beta","size":%d,"weight":%d.5,`+
			`"active":true,"tag":"tg","owner":"alice","score":%d,"note":"n"}`, i, i, i*3, i, i-5)
	}
	sb.WriteByte(']')
	return []byte(sb.String())
}

func BenchmarkValidateMedium(b *testing.B) {
	s, err := CompileSchema(json.RawMessage(mediumSchema), "bench")
	if err != nil {
		b.Fatal(err)
	}
	doc := mediumDocument()
	inst, _ := decodeInstance(doc)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if errs := validateInstance(s, inst); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkDecodeValidateMedium(b *testing.B) {
	s, _ := CompileSchema(json.RawMessage(mediumSchema), "bench")
	doc := mediumDocument()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		inst, err := decodeInstance(doc)
		if err != nil {
			b.Fatal(err)
		}
		if errs := validateInstance(s, inst); errs != nil {
			b.Fatal(errs)
		}
	}
}

func BenchmarkCompileSmall(b *testing.B) {
	raw := json.RawMessage(testOpInputSchema)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileSchema(raw, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckAccess(b *testing.B) {
	ac := AccessControl{RequiredScopes: []string{"s3", "s6", "s9"}}
	id := &Identity{ID: "u"}
	for i := range 10 {
		id.Scopes = append(id.Scopes, fmt.Sprintf("s%d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if !CheckAccess(ac, id) {
			b.Fatal("denied")
		}
	}
}

func BenchmarkEnvelopeMarshal(b *testing.B) {
	env := LocalEnvelope(map[string]any{"result": "processed: hello", "count": 3}, "test.testOp")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(env); err != nil {
			b.Fatal(err)
		}
	}
}

package pubsub

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// benchPayload is the pointer payload published by the in-memory benchmarks.
type benchPayload struct{ n int }

var benchSubs = []int{1, 10, 100}

// BenchmarkMemory publishes b.N events through PubSub over the in-memory transport to N
// subscriptions (buffer 1024, OverflowBlock), each drained by its own goroutine, and stops
// when every subscription has received every event.
func BenchmarkMemory(b *testing.B) {
	for _, n := range benchSubs {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			ctx := context.Background()
			p := New(WithOverflow(OverflowBlock), WithBlockTimeout(time.Minute))
			defer p.Close()
			var wg sync.WaitGroup
			for range n {
				sub, err := p.Subscribe(ctx, "bench", "", WithSubBuffer(1024))
				if err != nil {
					b.Fatal(err)
				}
				wg.Go(func() {
					for got := 0; got < b.N; got++ {
						if _, ok := <-sub.C(); !ok {
							b.Errorf("subscription ended after %d events: %v", got, sub.Err())
							return
						}
					}
				})
			}
			payload := &benchPayload{n: 1}

			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := p.Publish(ctx, "bench", "", payload); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.StopTimer()
			reportDeliveries(b, n)
		})
	}
}

// BenchmarkChannelBaseline is the producer and consumer shape of BenchmarkMemory over N
// plain channels of capacity 1024 with direct sends.
func BenchmarkChannelBaseline(b *testing.B) {
	for _, n := range benchSubs {
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			chans := make([]chan Envelope, n)
			var wg sync.WaitGroup
			for i := range chans {
				ch := make(chan Envelope, 1024)
				chans[i] = ch
				wg.Go(func() {
					for range b.N {
						<-ch
					}
				})
			}
			payload := &benchPayload{n: 1}

			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				env := Envelope{Type: "bench", ID: "", Payload: payload}
				for _, ch := range chans {
					ch <- env
				}
			}
			wg.Wait()
			b.StopTimer()
			reportDeliveries(b, n)
		})
	}
}

func reportDeliveries(b *testing.B, subs int) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N*subs)/s, "deliveries/s")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/delivery")
}

// BenchmarkEncodeEnvelope measures the JSON encoding every network transport uses.
func BenchmarkEncodeEnvelope(b *testing.B) {
	env := Envelope{Type: "call.responded", ID: "", Payload: map[string]any{"requestId": "r-1", "output": map[string]any{"data": 42}}}
	b.ReportAllocs()
	for range b.N {
		if _, err := EncodeEnvelope(env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnvelope measures the decoding of one inbound frame.
func BenchmarkDecodeEnvelope(b *testing.B) {
	frame := []byte(`{"type":"call.responded","id":"","payload":{"requestId":"r-1","output":{"data":42}}}`)
	b.ReportAllocs()
	for range b.N {
		if _, err := DecodeEnvelope(frame); err != nil {
			b.Fatal(err)
		}
	}
}

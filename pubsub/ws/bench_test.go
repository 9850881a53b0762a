package ws

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/alkdev/alkhub/pubsub"
)

// benchPayload is the 1 KiB payload of the fan-out benchmarks; T carries the publish time
// in Unix nanoseconds for the latency figure.
type benchPayload struct {
	T int64  `json:"t"`
	P string `json:"p"`
}

var kib = strings.Repeat("p", 1024)

// fanoutWindow is how many publishes the benchmark publisher may run ahead of the slowest
// reading client. It keeps every reading client well inside the default 1024-frame budget.
const fanoutWindow = 32

// fanout is one Server behind an httptest server with N managed clients subscribed to
// "bench:".
type fanout struct {
	server   *Server
	ts       *httptest.Server
	clients  []*Client
	received []atomic.Int64
	latency  []time.Duration // publish-to-receipt of client 0, one entry per event
}

func newFanout(b *testing.B, n int) *fanout {
	b.Helper()
	raiseFileLimit(b, uint64(2*n+64))
	f := &fanout{server: NewServer(ServerOptions{}), received: make([]atomic.Int64, n)}
	f.ts = httptest.NewServer(f.server.Handler(nil, nil))
	b.Cleanup(f.close)

	url := wsURL(f.ts)
	f.clients = make([]*Client, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 32)
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := Dial(ctx, url, ClientOptions{})
			if err != nil {
				failed.Store(err)
				return
			}
			f.clients[i] = c
			h := func(pubsub.Envelope) { f.received[i].Add(1) }
			if i == 0 {
				h = f.recordLatency
			}
			c.Subscribe(context.Background(), "bench:", h)
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("dialing %d clients: %v", n, err)
	}
	deadline := time.Now().Add(time.Minute)
	for f.server.Subscribers("bench:") != n {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d clients subscribed", f.server.Subscribers("bench:"), n)
		}
		time.Sleep(time.Millisecond)
	}
	return f
}

func (f *fanout) recordLatency(env pubsub.Envelope) {
	p, err := pubsub.DecodePayload[benchPayload](env)
	if err == nil {
		f.latency = append(f.latency, time.Since(time.Unix(0, p.T)))
	}
	f.received[0].Add(1)
}

func (f *fanout) close() {
	var wg sync.WaitGroup
	for _, c := range f.clients {
		if c != nil {
			wg.Go(func() { c.Close() })
		}
	}
	wg.Wait()
	f.server.Close()
	f.ts.Close()
}

// minReceived returns the smallest received count of the clients.
func (f *fanout) minReceived() int64 {
	low := int64(-1)
	for i := range f.received {
		if v := f.received[i].Load(); low < 0 || v < low {
			low = v
		}
	}
	return low
}

// run publishes b.N envelopes with flow control and waits until every client has them.
// No reading client may be disconnected as a slow consumer.
func (f *fanout) run(b *testing.B) {
	ctx := context.Background()
	f.latency = make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range int64(b.N) {
		if i%16 == 0 {
			for i-f.minReceived() > fanoutWindow {
				runtime.Gosched()
			}
		}
		env := pubsub.Envelope{Type: "bench", ID: "", Payload: benchPayload{T: time.Now().UnixNano(), P: kib}}
		if err := f.server.Publish(ctx, env); err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for f.minReceived() < int64(b.N) {
		if time.Now().After(deadline) {
			b.Fatalf("clients received at least %d of %d events after a minute", f.minReceived(), b.N)
		}
		runtime.Gosched()
	}
	b.StopTimer()

	n := len(f.clients)
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
	if len(f.latency) > 0 {
		slices.Sort(f.latency)
		p99 := f.latency[len(f.latency)*99/100]
		b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	}
	for i, c := range f.clients {
		if c.State() != StateConnected || c.Stats().Reconnects != 0 {
			b.Errorf("reading client %d lost its link during the run", i)
			break
		}
	}
}

// BenchmarkWSFanout publishes 1 KiB envelopes from one Server to N managed clients on
// loopback. ns/op is per publish; allocs/op counts both sides, because the clients run in
// the same process.
func BenchmarkWSFanout(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			if n >= 10000 && os.Getenv("ALKHUB_BENCH_WS_10K") == "" {
				b.Skip("set ALKHUB_BENCH_WS_10K=1 to run 10 000 connections")
			}
			newFanout(b, n).run(b)
		})
	}
}

// BenchmarkWSFanoutSlowConsumer is the 100-connection fan-out with one extra connection
// that subscribes and never reads; compare its deliveries/s with BenchmarkWSFanout/conns=100
// of the same run. slow-closed is 1 when the server removed the silent connection as a slow
// consumer, which needs enough publishes to fill the socket buffers and the 1 MiB budget
// (-benchtime 20000x is enough on Linux loopback).
func BenchmarkWSFanoutSlowConsumer(b *testing.B) {
	f := newFanout(b, 99)
	slow, _, err := websocket.DefaultDialer.Dial(wsURL(f.ts), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer slow.Close()
	if err := slow.WriteMessage(websocket.TextMessage, []byte(subscribeFrame("bench:"))); err != nil {
		b.Fatal(err)
	}
	for f.server.Subscribers("bench:") != 100 {
		time.Sleep(time.Millisecond)
	}
	f.run(b)
	b.ReportMetric(float64(f.server.Stats().SlowDisconnects), "slow-closed")
}

// rawPeer performs a WebSocket handshake by hand and keeps only the net.Conn, so that the
// client side holds almost no heap: the figures of the server-side benchmarks then stay
// close to the server's own cost.
func rawPeer(b *testing.B, addr string) net.Conn {
	b.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(conn, 256)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			b.Fatalf("reading the handshake response: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	if br.Buffered() != 0 {
		b.Fatal("data after the handshake response")
	}
	return conn
}

// writeMasked writes text as one masked client text frame (payload under 126 bytes).
func writeMasked(b *testing.B, conn net.Conn, text string) {
	b.Helper()
	mask := [4]byte{1, 2, 3, 4}
	frame := []byte{0x81, 0x80 | byte(len(text))}
	frame = append(frame, mask[:]...)
	for i := range len(text) {
		frame = append(frame, text[i]^mask[i%4])
	}
	if _, err := conn.Write(frame); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkServerPublish measures the server's own cost of one publish to N subscribed
// connections whose peers drain the socket without parsing, with a queue large enough that
// no connection is over budget.
func BenchmarkServerPublish(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			raiseFileLimit(b, uint64(2*n+64))
			s := NewServer(ServerOptions{MaxQueuedFrames: 1 << 20, MaxQueuedBytes: 1 << 40})
			ts := httptest.NewServer(s.Handler(nil, nil))
			defer ts.Close()
			defer s.Close()
			addr := strings.TrimPrefix(ts.URL, "http://")
			for range n {
				conn := rawPeer(b, addr)
				defer conn.Close()
				writeMasked(b, conn, subscribeFrame("bench:"))
				go io.Copy(io.Discard, conn)
			}
			for s.Subscribers("bench:") != n {
				time.Sleep(time.Millisecond)
			}
			ctx := context.Background()
			env := pubsub.Envelope{Type: "bench", ID: "", Payload: kib}

			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := s.Publish(ctx, env); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			for _, c := range s.Conns() {
				for c.QueuedBytes() > 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

// BenchmarkServerIdleHeap reports the heap and goroutine stack each idle connection costs
// the server, with peers that hold only a net.Conn.
func BenchmarkServerIdleHeap(b *testing.B) {
	n := 1000
	if os.Getenv("ALKHUB_BENCH_WS_10K") != "" {
		n = 10000
	}
	raiseFileLimit(b, uint64(2*n+64))
	for range b.N {
		s := NewServer(ServerOptions{})
		ts := httptest.NewServer(s.Handler(nil, nil))
		addr := strings.TrimPrefix(ts.URL, "http://")
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		peers := make([]net.Conn, 0, n)
		for range n {
			peers = append(peers, rawPeer(b, addr))
		}
		for len(s.Conns()) != n {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n)/1024, "heap-KiB/conn")
		b.ReportMetric(float64(after.StackInuse-before.StackInuse)/float64(n)/1024, "stack-KiB/conn")
		for _, p := range peers {
			p.Close()
		}
		s.Close()
		ts.Close()
	}
}

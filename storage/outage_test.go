package storage

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// tcpProxy forwards connections from a loopback port to a target address
// and can cut every connection to simulate a database outage.
type tcpProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns []net.Conn
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *tcpProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	p := &tcpProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// cut closes every open connection and refuses new ones until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

func TestQueueSurvivesDatabaseOutage(t *testing.T) {
	cfg := testConfig(t, DialectPostgres)
	u, err := url.Parse(cfg.Postgres.DSN)
	if err != nil {
		t.Fatalf("parsing the test DSN: %v", err)
	}
	proxy := startProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	cfg.Postgres.DSN = u.String()
	cfg.Queues.CallGraph.Interval = 20 * time.Millisecond
	s := openTest(t, cfg, Options{})
	ctx := testContext(t)

	enqueue := func(id string) {
		if !s.CallGraph().Enqueue(CallNodeWrite{RequestID: id, OperationRef: "x.y", Status: CallCompleted,
			StartedAt: s.now()}) {
			t.Fatalf("enqueue of %s dropped", id)
		}
	}
	enqueue("before")
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flushing: %v", err)
	}

	proxy.cut()
	for _, id := range []string{"during-1", "during-2", "during-3"} {
		enqueue(id)
	}
	short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	err = s.CallGraph().Flush(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("flush during the outage: %v, want the deadline", err)
	}
	st := s.Stats().Queues["call_graph_nodes"]
	if st.Retries == 0 || len(st.Dropped) != 0 {
		t.Errorf("during the outage: retries %d dropped %v, want retries and no drops", st.Retries, st.Dropped)
	}

	proxy.restore()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("flushing after recovery: %v", err)
	}
	for _, id := range []string{"before", "during-1", "during-2", "during-3"} {
		if _, err := s.CallGraph().Get(ctx, id); err != nil {
			t.Errorf("node %s after recovery: %v", id, err)
		}
	}

	enqueue("at-close")
	if err := s.Close(ctx); err != nil {
		t.Fatalf("closing: %v", err)
	}
	check := openTest(t, cfg, Options{})
	if _, err := check.CallGraph().Get(ctx, "at-close"); err != nil {
		t.Errorf("node queued before Close: %v", err)
	}
}

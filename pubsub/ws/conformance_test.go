package ws_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/pubsubtest"
	"github.com/alkdev/alkhub/pubsub/ws"
)

// wsPair is one Server behind an httptest server and one managed Client dialed to it.
type wsPair struct {
	server *ws.Server
	ts     *httptest.Server
	client *ws.Client
	losses atomic.Int32
}

func newWSPair(t testing.TB) *wsPair {
	t.Helper()
	// The suite publishes 4000 events in a burst from 8 goroutines; a queue of that size
	// keeps the one connection within budget, so the slow-consumer rule stays out of the way.
	p := &wsPair{server: ws.NewServer(ws.ServerOptions{MaxQueuedFrames: 8192, MaxQueuedBytes: 8 << 20})}
	p.ts = httptest.NewServer(p.server.Handler(nil, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ws.Dial(ctx, "ws"+strings.TrimPrefix(p.ts.URL, "http"), ws.ClientOptions{
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 20 * time.Millisecond,
		OnStateChange: func(s ws.State, _ error) {
			if s == ws.StateDisconnected {
				p.losses.Add(1)
			}
		},
	})
	if err != nil {
		p.server.Close()
		p.ts.Close()
		t.Fatalf("Dial: %v", err)
	}
	p.client = c
	// The handshake completes before Accept registers the connection on the server side.
	if err := p.up(ctx); err != nil {
		p.close()
		t.Fatalf("waiting for the server to register the client: %v", err)
	}
	return p
}

// drop removes the server side of every connection with 1001.
func (p *wsPair) drop() {
	for _, c := range p.server.Conns() {
		c.Close(ws.CloseGoingAway, "dropped by test")
	}
}

// up waits until the client is connected again and the server has registered it.
func (p *wsPair) up(ctx context.Context) error {
	for p.client.State() != ws.StateConnected || len(p.server.Conns()) != 1 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

func (p *wsPair) close() {
	p.client.Close()
	p.server.Close()
	p.ts.Close()
}

// settleServer waits until the server's subscriber count of topic matches on.
func (p *wsPair) settleServer(ctx context.Context, topic string, on bool) error {
	for (p.server.Subscribers(topic) > 0) != on {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

func TestConformanceServerToClient(t *testing.T) {
	pubsubtest.Run(t, func(t testing.TB) pubsubtest.Pair {
		p := newWSPair(t)
		return pubsubtest.Pair{
			Pub:        p.server,
			Sub:        p.client,
			Settle:     p.settleServer,
			Drop:       p.drop,
			Up:         p.up,
			LinkLosses: func() int { return int(p.losses.Load()) },
			Close:      p.close,
		}
	}, pubsubtest.Features{Serialized: true, Reconnect: true})
}

func TestConformanceClientToServer(t *testing.T) {
	pubsubtest.Run(t, func(t testing.TB) pubsubtest.Pair {
		p := newWSPair(t)
		return pubsubtest.Pair{
			Pub:        p.client,
			Sub:        p.server,
			Drop:       p.drop,
			Up:         p.up,
			LinkLosses: func() int { return int(p.losses.Load()) },
			Close:      p.close,
		}
	}, pubsubtest.Features{Serialized: true, TypeWide: true, Reconnect: true, ConcurrentHandlers: true})
}

var _ pubsub.Transport = (*ws.Client)(nil)
var _ pubsub.Ender = (*ws.Client)(nil)
var _ pubsub.TypeSubscriber = (*ws.Server)(nil)
var _ pubsub.Ender = (*ws.Server)(nil)

package pubsubtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// recorder is a Handler that keeps every envelope it receives.
type recorder struct {
	mu     sync.Mutex
	envs   []pubsub.Envelope
	signal chan struct{}
}

func newRecorder() *recorder { return &recorder{signal: make(chan struct{}, 1)} }

func (r *recorder) handle(env pubsub.Envelope) {
	r.mu.Lock()
	r.envs = append(r.envs, env)
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []pubsub.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]pubsub.Envelope(nil), r.envs...)
}

// waitUntil waits until cond holds for the received envelopes and returns them; it fails t
// after waitTimeout.
func (r *recorder) waitUntil(t *testing.T, what string, cond func([]pubsub.Envelope) bool) []pubsub.Envelope {
	t.Helper()
	timer := time.NewTimer(waitTimeout)
	defer timer.Stop()
	for {
		got := r.snapshot()
		if cond(got) {
			return got
		}
		select {
		case <-r.signal:
		case <-timer.C:
			t.Fatalf("timed out after %v waiting for %s; received %d envelopes", waitTimeout, what, len(got))
		}
	}
}

// untilMarker waits for the marker envelope and returns the envelopes received before it,
// markers excluded.
func (r *recorder) untilMarker(t *testing.T, marker string) []pubsub.Envelope {
	t.Helper()
	got := r.waitUntil(t, "marker "+marker, func(envs []pubsub.Envelope) bool {
		for _, e := range envs {
			if isMarker(e, marker) {
				return true
			}
		}
		return false
	})
	var before []pubsub.Envelope
	for _, e := range got {
		if isMarker(e, marker) {
			break
		}
		if !isAnyMarker(e) {
			before = append(before, e)
		}
	}
	return before
}

var markerSeq atomic.Uint64

const markerPrefix = "pubsubtest-marker-"

func isMarker(env pubsub.Envelope, marker string) bool {
	s, err := pubsub.DecodePayload[string](env)
	return err == nil && s == marker
}

func isAnyMarker(env pubsub.Envelope) bool {
	s, err := pubsub.DecodePayload[string](env)
	return err == nil && strings.HasPrefix(s, markerPrefix)
}

// publishMarker publishes a marker envelope of eventType and id on tr and returns its value.
// Once a receiver has the marker, it has every earlier event of the same link.
func publishMarker(t *testing.T, tr pubsub.Transport, eventType, id string) string {
	t.Helper()
	marker := fmt.Sprintf("%s%d", markerPrefix, markerSeq.Add(1))
	mustPublish(t, tr, pubsub.Envelope{Type: eventType, ID: id, Payload: marker})
	return marker
}

func mustPublish(t *testing.T, tr pubsub.Transport, env pubsub.Envelope) {
	t.Helper()
	if err := tr.Publish(context.Background(), env); err != nil {
		t.Fatalf("Publish %s: %v", env.Topic(), err)
	}
}

// subscribe adds h for topic on p.Sub and waits until it is effective.
func subscribe(t *testing.T, p Pair, topic string, h pubsub.Handler) func() {
	t.Helper()
	unsub, err := p.Sub.Subscribe(context.Background(), topic, h)
	if err != nil {
		t.Fatalf("Subscribe %s: %v", topic, err)
	}
	settle(t, p, topic, true)
	return unsub
}

func settle(t *testing.T, p Pair, topic string, on bool) {
	t.Helper()
	if p.Settle == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := p.Settle(ctx, topic, on); err != nil {
		t.Fatalf("Settle(%q, %v): %v", topic, on, err)
	}
}

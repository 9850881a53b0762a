package operations

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// echoRegistry has t.echo, which returns its input, and t.big, which
// returns a 4 KiB string.
func echoRegistry(t *testing.T) *Registry {
	t.Helper()
	r := NewRegistry()
	spec := func(name string) OperationSpec {
		return OperationSpec{Namespace: "t", Name: name, Version: "1.0.0", Type: TypeQuery,
			AccessControl: AccessControl{RequiredScopes: []string{}}}
	}
	err := r.RegisterAll(
		Operation{Spec: spec("echo"), Handler: func(_ context.Context, in json.RawMessage, _ *OperationContext) (any, error) {
			return in, nil
		}},
		Operation{Spec: spec("big"), Handler: func(context.Context, json.RawMessage, *OperationContext) (any, error) {
			return strings.Repeat("x", 4096), nil
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestServerListenServesAtOnce(t *testing.T) {
	ps := newBus(t)
	s := NewServer(ps, echoRegistry(t))
	ctx, cancel := context.WithCancel(context.Background())
	done, err := s.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// No waiting: the subscription exists once Listen returns.
	env, err := newPending(t, ps).Call(context.Background(), "t.echo", map[string]any{"x": 1}, CallOptions{})
	if err != nil {
		t.Fatalf("call right after Listen: %v", err)
	}
	if got, _ := json.Marshal(env.Data); string(got) != `{"x":1}` {
		t.Errorf("data = %s", got)
	}
	if _, err := s.Listen(ctx); err == nil {
		t.Error("a second Listen on one server succeeded")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Listen ended with %v, want context.Canceled", err)
	}
}

// limitTransport refuses data frames larger than limit bytes, as a
// WebSocket transport refuses frames over its size limit.
type limitTransport struct {
	pubsub.Transport
	limit int
}

var errFrameTooLarge = errors.New("frame too large")

func (l limitTransport) Publish(ctx context.Context, env pubsub.Envelope) error {
	b, err := pubsub.EncodeEnvelope(env)
	if err != nil {
		return err
	}
	if len(b) > l.limit {
		return errFrameTooLarge
	}
	return l.Transport.Publish(ctx, env)
}

func TestServerReportsUnsendableResponse(t *testing.T) {
	mem := pubsub.NewMemoryTransport(pubsub.MemoryOptions{})
	ps := pubsub.New(pubsub.WithTransport(limitTransport{Transport: mem, limit: 2048}))
	t.Cleanup(func() { _ = ps.Close(); _ = mem.Close() })
	srv := NewServer(ps, echoRegistry(t))
	ctx, cancel := context.WithCancel(context.Background())
	done, err := srv.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})

	_, err = newPending(t, ps).Call(context.Background(), "t.big", map[string]any{}, CallOptions{})
	if err == nil {
		t.Fatal("a response larger than the transport's limit was reported as success")
	}
	if code := CodeOf(err); code != CodeExecution {
		t.Errorf("code = %q, want EXECUTION_ERROR", code)
	}
	if !strings.Contains(err.Error(), "could not be sent") {
		t.Errorf("message %q does not say the response could not be sent", err)
	}
}

func TestServerTimeoutCarriesDeadline(t *testing.T) {
	ps := newBus(t)
	r := NewRegistry()
	err := r.Register(Operation{
		Spec: OperationSpec{Namespace: "t", Name: "slow", Version: "1.0.0", Type: TypeQuery,
			AccessControl: AccessControl{RequiredScopes: []string{}}},
		Handler: func(ctx context.Context, _ json.RawMessage, _ *OperationContext) (any, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ps, r)
	ctx, cancel := context.WithCancel(context.Background())
	done, err := srv.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-done
	})

	// Serve directly, without a caller that would time out first.
	deadline := time.Now().Add(50 * time.Millisecond).UnixMilli()
	sub, err := ps.Subscribe(context.Background(), EventCallError, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := ps.Publish(context.Background(), EventCallRequested, "", CallRequested{
		RequestID: "r-timeout", OperationID: "t.slow", Deadline: deadline,
	}); err != nil {
		t.Fatal(err)
	}
	waitCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	env, err := sub.Next(waitCtx)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := pubsub.DecodePayload[CallErrorEvent](env)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Code != CodeTimeout {
		t.Fatalf("code = %s, want TIMEOUT", ev.Code)
	}
	details, _ := ev.Details.(map[string]any)
	if got, _ := details["deadline"].(int64); got != deadline {
		t.Errorf("details = %#v, want deadline %d", ev.Details, deadline)
	}
}

package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/callgraph"
	"github.com/alkdev/alkhub/hub/catalog"
	"github.com/alkdev/alkhub/hub/server"
	"github.com/alkdev/alkhub/hub/spokes"
	"github.com/alkdev/alkhub/operations"
)

// buildHTTP assembles the HTTP surface. Its dependencies are resolved
// lazily, so the surface can serve /health before storage is open.
func (h *Hub) buildHTTP() http.Handler {
	return server.New(server.Options{
		Logger:         h.log.With("component", "http"),
		BodyLimitBytes: h.cfg.Server.BodyLimitBytes,
		CORSOrigins:    h.cfg.Server.CORSOrigins,
		DefaultTimeout: h.cfg.Calls.DefaultTimeout.D(),
		MaxTimeout:     h.cfg.Calls.MaxTimeout.D(),
		Authenticate:   h.authenticate,
		Invoker:        lazyInvoker{h},
		LookupSpec:     h.registry.GetSpec,
		Health:         h.health,
		WebSocket:      http.HandlerFunc(h.serveWebSocket),
		Now:            h.now,
	})
}

func (h *Hub) authenticate(ctx context.Context, token string) (auth.Principal, error) {
	if h.authn == nil {
		return auth.Principal{}, fmt.Errorf("hub is starting")
	}
	return h.authn.Authenticate(ctx, token)
}

func (h *Hub) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if h.spokes == nil {
		http.Error(w, "hub is starting", http.StatusServiceUnavailable)
		return
	}
	h.spokes.Handler().ServeHTTP(w, r)
}

// lazyInvoker forwards to the pending-request map once it exists; the
// readiness gate keeps calls away before that.
type lazyInvoker struct{ h *Hub }

func (l lazyInvoker) Call(ctx context.Context, opID string, input any, o operations.CallOptions) (
	*operations.ResponseEnvelope, error) {
	if l.h.pending == nil {
		return nil, operations.NewCallError(operations.CodeAborted, "hub is starting", nil)
	}
	return l.h.pending.Call(ctx, opID, input, o)
}

func (l lazyInvoker) Subscribe(ctx context.Context, opID string, input any, o operations.SubscribeOptions) (
	*operations.CallStream, error) {
	if l.h.pending == nil {
		return nil, operations.NewCallError(operations.CodeAborted, "hub is starting", nil)
	}
	return l.h.pending.Subscribe(ctx, opID, input, o)
}

// initServices bootstraps the admin, builds the registry and starts the
// call machinery, the call-graph tap and the spoke manager.
func (h *Hub) initServices(ctx context.Context) error {
	if err := h.bootstrapAdmin(ctx); err != nil {
		return err
	}

	st := h.store
	h.authn = auth.NewAuthenticator(keyStore{st}, auth.AuthenticatorOptions{
		Now:    h.now,
		Logger: h.log,
		OnUsed: func(keyID string, at time.Time) { st.APIKeys().TouchLastUsed(keyID, at) },
	})

	pending, err := operations.NewPendingRequestMap(h.localBus, operations.WithPendingLogger(h.log.With("component", "calls")))
	if err != nil {
		return fmt.Errorf("starting the pending-request map: %w", err)
	}
	h.pending = pending

	h.tap = callgraph.New(callgraph.Options{
		Bus:             h.localBus,
		Sink:            st.CallGraph(),
		LookupSpec:      h.registry.GetSpec,
		MemoryRetention: 10 * time.Minute,
		Logger:          h.log.With("component", "callgraph"),
		Now:             h.now,
	})
	if err := h.tap.Start(h.ctx); err != nil {
		return fmt.Errorf("starting the call-graph tap: %w", err)
	}

	h.spokes = spokes.New(spokes.Options{
		Logger:                 h.log.With("component", "spokes"),
		Registry:               h.registry,
		Catalog:                h.catalog,
		Invoker:                h.pending,
		Store:                  spokeStore{st},
		Events:                 h.events,
		OnForward:              h.tap.SetSpoke,
		InstanceID:             h.instanceID,
		AllowedOrigins:         h.cfg.Server.CORSOrigins,
		PingInterval:           h.cfg.WS.PingInterval.D(),
		PongTimeout:            h.cfg.WS.PongTimeout.D(),
		WriteTimeout:           h.cfg.WS.WriteTimeout.D(),
		HeartbeatWriteInterval: h.cfg.WS.HeartbeatWriteInterval.D(),
		MaxMessageBytes:        h.cfg.WS.MaxMessageBytes,
		SendQueueFrames:        h.cfg.WS.SendQueueFrames,
		SendQueueBytes:         h.cfg.WS.SendQueueBytes,
		MaxTopicsPerConn:       h.cfg.WS.MaxTopicsPerConn,
		MaxInboundCalls:        h.cfg.WS.MaxInboundCalls,
		MaxConnsPerKey:         h.cfg.WS.MaxConnsPerKey,
		MaxConns:               h.cfg.WS.MaxConns,
		DefaultMaxInFlight:     h.cfg.Calls.SpokeMaxInFlight,
		DefaultTimeout:         h.cfg.Calls.DefaultTimeout.D(),
		MaxTimeout:             h.cfg.Calls.MaxTimeout.D(),
		Now:                    h.now,
	})

	local := append(h.hubOperations(), h.spokes.Operations()...)
	local = append(local, h.extraOps...)
	if err := h.registerLocal(ctx, local); err != nil {
		return err
	}
	if err := h.spokes.Start(ctx); err != nil {
		return fmt.Errorf("starting the spoke manager: %w", err)
	}

	h.opServer = operations.NewServer(h.localBus, h.registry,
		operations.WithServerLogger(h.log),
		operations.WithEnv())
	return h.serveCalls()
}

// serveCalls starts the operations server on the local bus. The
// subscription exists when it returns, so a call made right after
// readiness is served.
func (h *Hub) serveCalls() error {
	done, err := h.opServer.Listen(h.ctx)
	if err != nil {
		return err
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := <-done; err != nil && h.ctx.Err() == nil {
			h.log.Error("operations server stopped", "error", err)
		}
	}()
	return nil
}

// registerLocal registers hub-native operations, lists them in the
// catalogue and upserts their definitions, which call-graph rows reference.
func (h *Hub) registerLocal(ctx context.Context, ops []operations.Operation) error {
	if err := h.registry.RegisterAll(ops...); err != nil {
		return fmt.Errorf("registering hub operations: %w", err)
	}
	specs := make([]operations.OperationSpec, 0, len(ops))
	for _, op := range ops {
		spec, _ := h.registry.GetSpec(op.ID())
		specs = append(specs, spec)
		h.catalog.Put(catalog.Entry{Spec: spec, Available: true, Provider: catalog.Provider{Kind: catalog.KindHub}})
	}
	if err := upsertHubDefinitions(ctx, h.store, specs); err != nil {
		return fmt.Errorf("storing hub operation definitions: %w", err)
	}
	return nil
}

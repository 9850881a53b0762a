package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/callgraph"
	"github.com/alkdev/alkhub/hub/catalog"
	"github.com/alkdev/alkhub/hub/config"
	"github.com/alkdev/alkhub/hub/health"
	"github.com/alkdev/alkhub/hub/spokes"
	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/storage"
)

// Version is the hub's build version.
const Version = "0.1.0"

// Startup steps, in order, as /health reports them.
const (
	StepBootstrapLogger   = "bootstrap-logger"
	StepResolveConfigPath = "resolve-config-path"
	StepReadMasterKey     = "read-master-key"
	StepReadConfig        = "read-config"
	StepDecryptConfig     = "decrypt-config"
	StepValidateConfig    = "validate-config"
	StepBuildKeyring      = "build-keyring"
	StepOpenDatabase      = "open-database"
	StepConnectBus        = "connect-bus"
	StepInitServices      = "init-services"
	StepServe             = "serve"
)

var allSteps = []string{
	StepBootstrapLogger, StepResolveConfigPath, StepReadMasterKey, StepReadConfig, StepDecryptConfig,
	StepValidateConfig, StepBuildKeyring, StepOpenDatabase, StepConnectBus, StepInitServices, StepServe,
}

// Option configures New.
type Option func(*Hub)

// WithLogger sets the logger; nil discards.
func WithLogger(l *slog.Logger) Option { return func(h *Hub) { h.log = l } }

// WithOperations adds local operations to the registry.
func WithOperations(ops ...operations.Operation) Option {
	return func(h *Hub) { h.extraOps = append(h.extraOps, ops...) }
}

// WithListener serves on ln instead of listening on the configured address.
func WithListener(ln net.Listener) Option { return func(h *Hub) { h.ln = ln } }

// WithoutListener serves nothing: the embedder mounts Handler itself.
func WithoutListener() Option { return func(h *Hub) { h.noListener = true } }

// WithClock sets the clock, for tests.
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithAdminKeyOutput sets where the bootstrap admin key is printed in
// zero-config and dev mode (standard error by default).
func WithAdminKeyOutput(fn func(key string)) Option { return func(h *Hub) { h.printAdminKey = fn } }

// Hub is one running hub process.
type Hub struct {
	cfg           *config.Config
	log           *slog.Logger
	now           func() time.Time
	extraOps      []operations.Operation
	ln            net.Listener
	noListener    bool
	printAdminKey func(key string)

	health     *health.Tracker
	instanceID string

	store    *storage.Store
	localBus *pubsub.PubSub
	events   *pubsub.PubSub
	registry *operations.Registry
	catalog  *catalog.Catalog
	pending  *operations.PendingRequestMap
	opServer *operations.Server
	authn    *auth.Authenticator
	spokes   *spokes.Manager
	tap      *callgraph.Tap
	http     *http.Server
	handler  http.Handler

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	shutdownOnce sync.Once
	shutdownErr  error
}

// New builds a hub from an already loaded configuration. It opens nothing.
func New(cfg *config.Config, opts ...Option) (*Hub, error) {
	if cfg == nil {
		return nil, errors.New("hub: nil configuration")
	}
	h := &Hub{cfg: cfg, now: time.Now}
	for _, o := range opts {
		o(h)
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.health = health.NewTracker(Version, allSteps, h.now)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.catalog = catalog.New()
	h.registry = operations.NewRegistry(operations.WithLogger(h.log))
	h.handler = h.buildHTTP()
	return h, nil
}

// Health returns the current health report.
func (h *Hub) Health() health.Report { return h.health.Report() }

// Handler returns the whole HTTP surface.
func (h *Hub) Handler() http.Handler { return h.handler }

// Addr returns the listener's address, or nil without one.
func (h *Hub) Addr() net.Addr {
	if h.ln == nil {
		return nil
	}
	return h.ln.Addr()
}

// InstanceID returns this process's instance id (empty before Start).
func (h *Hub) InstanceID() string { return h.instanceID }

// Invoker returns the call side of the call protocol, bound to this hub.
// Calls made through it skip the edge's scope baseline but still pass each
// operation's access control with the identity they carry.
func (h *Hub) Invoker() operations.Invoker { return h.pending }

// Store returns the hub's storage (nil before Start).
func (h *Hub) Store() *storage.Store { return h.store }

// Start runs the startup steps that follow configuration: storage, buses,
// services and serving. It returns after the hub is ready or at the first
// failing step; Shutdown releases whatever was opened either way.
func (h *Hub) Start(ctx context.Context) error {
	for _, s := range allSteps[:7] {
		if h.health.Report().Steps[indexOf(s)].Status == health.StepPending {
			h.health.Skip(s)
		}
	}
	if err := h.listen(); err != nil {
		return h.fail(StepServe, err)
	}
	if err := h.step(StepOpenDatabase, func() error { return h.openStore(ctx) }); err != nil {
		return err
	}
	if err := h.step(StepConnectBus, h.connectBus); err != nil {
		return err
	}
	if err := h.step(StepInitServices, func() error { return h.initServices(ctx) }); err != nil {
		return err
	}
	return h.step(StepServe, func() error {
		h.refreshChecks(ctx)
		h.wg.Add(1)
		go h.watchHealth()
		h.health.SetStatus(health.StatusReady)
		h.log.Info("hub ready", "addr", addrString(h.Addr()), "instanceId", h.instanceID, "version", Version)
		return nil
	})
}

func indexOf(step string) int {
	for i, s := range allSteps {
		if s == step {
			return i
		}
	}
	return -1
}

// step runs one startup step, recording and logging it.
func (h *Hub) step(name string, fn func() error) error {
	h.health.Begin(name)
	start := h.now()
	err := fn()
	h.health.End(name, err)
	if err != nil {
		h.log.Error("startup step failed", "step", name, "durationMs", h.now().Sub(start).Milliseconds(), "error", err)
		return fmt.Errorf("startup step %s: %w", name, err)
	}
	h.log.Info("startup step done", "step", name, "durationMs", h.now().Sub(start).Milliseconds())
	return nil
}

func (h *Hub) fail(name string, err error) error {
	h.health.Begin(name)
	h.health.End(name, err)
	h.log.Error("startup step failed", "step", name, "error", err)
	return fmt.Errorf("startup step %s: %w", name, err)
}

// listen opens the listener and serves HTTP at once, so /health reports
// progress while the remaining steps run; every other route responds with 503
// until the hub is ready.
func (h *Hub) listen() error {
	if h.noListener {
		return nil
	}
	if h.ln == nil {
		ln, err := net.Listen("tcp", h.cfg.Server.Addr())
		if err != nil {
			return fmt.Errorf("listening on %s: %w", h.cfg.Server.Addr(), err)
		}
		h.ln = ln
	}
	h.http = &http.Server{
		Handler:           h.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if err := h.http.Serve(h.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.log.Error("HTTP server stopped", "error", err)
		}
	}()
	h.log.Info("listening", "addr", h.ln.Addr().String())
	return nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func (h *Hub) openStore(ctx context.Context) error {
	st, err := openStorage(ctx, h.cfg, h.log, h.now, func(old string) {
		h.log.Error("this hub instance was reaped by another; closing its spoke connections", "oldInstanceId", old)
		if h.spokes != nil {
			_ = h.spokes.Shutdown(context.Background())
		}
	})
	if err != nil {
		return err
	}
	h.store = st
	h.instanceID = st.InstanceID()
	h.health.SetInstanceID(h.instanceID)
	return nil
}

// OpenStorage opens and migrates the database a configuration names, for
// operator commands that work on it without a running hub.
func OpenStorage(ctx context.Context, cfg *config.Config, log *slog.Logger) (*storage.Store, error) {
	return openStorage(ctx, cfg, log, time.Now, nil)
}

func openStorage(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time,
	onFenced func(string)) (*storage.Store, error) {
	sc := storage.Config{
		Driver:         storage.DriverSQLite,
		SQLitePath:     cfg.Storage.SQLitePath,
		ConnectTimeout: cfg.Storage.ConnectTimeout.D(),
		Queues: storage.QueueConfigs{CallGraph: storage.QueueConfig{
			Capacity: cfg.CallGraph.MaxQueued,
			MaxBatch: cfg.CallGraph.FlushBatch,
			Interval: cfg.CallGraph.FlushInterval.D(),
		}},
	}
	if p := cfg.Postgres; p != nil {
		sc.Driver = storage.DriverPostgres
		sc.Postgres = storage.PostgresConfig{
			DSN: p.DSN, Host: p.Host, Port: p.Port, Database: p.Database, User: p.User,
			Password: p.Password.Reveal(), SSL: p.SSL, MaxConnections: p.MaxConnections,
		}
	}
	return storage.Open(ctx, sc, storage.Options{
		Logger:   log.With("component", "storage"),
		Now:      now,
		Version:  Version,
		OnFenced: onFenced,
	})
}

func (h *Hub) connectBus() error {
	h.localBus = pubsub.New(pubsub.WithLogger(h.log.With("component", "bus")))
	h.events = pubsub.New(pubsub.WithLogger(h.log.With("component", "events")))
	return nil
}

// Shutdown stops the hub: readiness first, then spokes, pending calls,
// HTTP, the call graph and storage, within ctx. It is idempotent.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.shutdownOnce.Do(func() { h.shutdownErr = h.shutdown(ctx) })
	return h.shutdownErr
}

func (h *Hub) shutdown(ctx context.Context) error {
	h.health.SetStatus(health.StatusStopping)
	h.log.Info("hub stopping")
	var errs []error

	if h.spokes != nil {
		if err := h.spokes.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing spoke connections: %w", err))
		}
	}
	if h.pending != nil {
		if err := h.pending.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing pending calls: %w", err))
		}
	}
	if h.opServer != nil {
		if err := h.opServer.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping local handlers: %w", err))
		}
	}
	if h.http != nil {
		if err := h.http.Shutdown(ctx); err != nil {
			_ = h.http.Close()
			errs = append(errs, fmt.Errorf("stopping HTTP: %w", err))
		}
	}
	h.cancel()
	if h.tap != nil {
		h.tap.Close()
	}
	if h.store != nil {
		if err := h.store.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing storage: %w", err))
		}
	}
	for _, bus := range []*pubsub.PubSub{h.events, h.localBus} {
		if bus != nil {
			_ = bus.Close()
		}
	}
	h.wg.Wait()
	err := errors.Join(errs...)
	if err != nil {
		h.log.Error("hub stopped with errors", "error", err)
	} else {
		h.log.Info("hub stopped")
	}
	return err
}

// newRequestID returns a UUID v4.
func newRequestID() string { return uuid.NewString() }

// SpokeViews lists the spokes this hub has records of, connected or not, sorted by
// id.
func (h *Hub) SpokeViews() []spokes.SpokeView {
	if h.spokes == nil {
		return nil
	}
	return h.spokes.Spokes("")
}

// healthInterval is the period of the background health checks.
const healthInterval = 5 * time.Second

// watchHealth refreshes the /health checks until the hub stops. A failing
// check is reported but does not flip readiness: a short database outage
// must not take every instance out of a load balancer at once.
func (h *Hub) watchHealth() {
	defer h.wg.Done()
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.refreshChecks(h.ctx)
		}
	}
}

func (h *Hub) refreshChecks(ctx context.Context) {
	c := health.Checks{Database: health.CheckOK, Bus: health.CheckOK}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := h.store.Ping(pingCtx); err != nil {
		c.Database = health.CheckDown
		if ctx.Err() == nil {
			h.log.Warn("database health check failed", "error", err)
		}
	}
	if err := h.localBus.Publish(pingCtx, "system.ping", "", nil); err != nil {
		c.Bus = health.CheckDown
	}
	if h.spokes != nil {
		c.SpokesConnected = h.spokes.ConnectedSpokes()
	}
	h.health.SetChecks(c)
}

// FlushCallGraph writes every call-graph change of calls made so far to
// storage and returns once it is stored (read-after-write for tests and
// operators). Normally nodes are written behind, within a flush interval.
func (h *Hub) FlushCallGraph(ctx context.Context) error {
	if h.tap == nil || h.store == nil {
		return errors.New("hub is not started")
	}
	if err := h.tap.Sync(ctx); err != nil {
		return fmt.Errorf("waiting for the call-graph tap: %w", err)
	}
	return h.store.CallGraph().Flush(ctx)
}

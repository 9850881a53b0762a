// Package spoke connects a worker process to an alkhub hub over WebSocket:
// it dials /ws with an API key, registers the operations of a registry with
// hub.register, serves the calls the hub forwards, and lets the process call
// hub operations itself. After a lost link it reconnects with backoff and
// registers again, so the spoke keeps its id and its remapped operation ids.
//
// The package imports only operations, pubsub and pubsub/ws, so a spoke
// binary carries no HTTP framework, ORM or SQL driver.
package spoke

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"time"

	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/ws"
)

// Spoke types.
const (
	TypeDevEnv  = "dev-env"
	TypeClient  = "client"
	TypeCompute = "compute"
)

// Options configures Dial.
type Options struct {
	// URL is the hub's WebSocket endpoint, such as ws://127.0.0.1:8080/ws.
	URL string
	// Key is the API key, sent as "Authorization: Bearer <key>".
	Key string
	// Name identifies the spoke within its account; a reconnect with the
	// same account and name gets the same spoke id. Required with Registry.
	Name string
	// Type is dev-env, client or compute (default compute).
	Type string
	// Visibility is private (default) or public (needs an admin key).
	Visibility string
	// ProjectID attaches the spoke to a project; optional.
	ProjectID string
	// MaxConcurrency bounds the calls the hub sends at once (hub default
	// when 0).
	MaxConcurrency int
	// Registry holds the operations to serve; nil makes a plain client
	// that only calls hub operations.
	Registry *operations.Registry
	// MinBackoff and MaxBackoff bound the reconnect waits (1 s and 60 s).
	MinBackoff, MaxBackoff time.Duration
	// OnRegistered is called after every successful registration, the
	// first and those after reconnects.
	OnRegistered func(Registration)
	// Logger receives connection and registration events; nil discards.
	Logger *slog.Logger
}

// Registration is the result of hub.register.
type Registration struct {
	SpokeID             string            `json:"spokeId"`
	Operations          map[string]string `json:"operations"`
	Aliases             map[string]string `json:"aliases"`
	AliasConflicts      []AliasConflict   `json:"aliasConflicts"`
	Rejected            []Rejection       `json:"rejected"`
	HeartbeatIntervalMs int64             `json:"heartbeatIntervalMs"`
	ServerTime          int64             `json:"serverTime"`
}

// AliasConflict reports an operation that did not get its plain-id alias.
type AliasConflict struct {
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
}

// Rejection reports an operation the hub did not register.
type Rejection struct {
	Operation string                  `json:"operation"`
	Code      string                  `json:"code"`
	Message   string                  `json:"message"`
	Details   []operations.ValueError `json:"details,omitempty"`
}

// registerTimeout bounds one hub.register call.
const registerTimeout = 30 * time.Second

// Spoke is a live connection to a hub.
type Spoke struct {
	opts    Options
	log     *slog.Logger
	client  *ws.Client
	bus     *pubsub.PubSub
	pending *operations.PendingRequestMap
	server  *operations.Server

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	reg    Registration
	ready  bool // the first registration finished; later connects re-register
	closed bool
}

// Dial connects to the hub, starts serving the registry's operations and,
// when there are any or a Name is set, registers them. It returns once the
// first registration succeeded. Connecting retries with backoff until ctx
// ends; an invalid key fails at once.
func Dial(ctx context.Context, o Options) (*Spoke, error) {
	if o.URL == "" {
		return nil, errors.New("spoke: URL is required")
	}
	if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, fmt.Errorf("spoke: invalid hub URL %q: want ws://host:port/ws or wss://host/ws", o.URL)
	}
	if o.Key == "" {
		return nil, errors.New("spoke: an API key is required")
	}
	if o.Type == "" {
		o.Type = TypeCompute
	}
	if o.Registry != nil && o.Name == "" {
		return nil, errors.New("spoke: Name is required to register operations")
	}
	s := &Spoke{opts: o, log: o.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	client, err := ws.Dial(ctx, o.URL, ws.ClientOptions{
		HeaderFunc: func(context.Context) (http.Header, error) {
			return http.Header{"Authorization": {"Bearer " + o.Key}}, nil
		},
		MinBackoff:    o.MinBackoff,
		MaxBackoff:    o.MaxBackoff,
		OnStateChange: s.onState,
		OnError:       func(err error) { s.log.Debug("spoke connection error", "error", err) },
		Logger:        s.log,
	})
	if err != nil {
		s.cancel()
		return nil, fmt.Errorf("connecting to %s: %w", o.URL, err)
	}
	s.client = client
	s.bus = pubsub.New(pubsub.WithTransport(client), pubsub.WithLogger(s.log))
	s.pending, err = operations.NewPendingRequestMap(s.bus, operations.WithPendingLogger(s.log))
	if err != nil {
		s.shutdown()
		return nil, fmt.Errorf("starting the call map: %w", err)
	}
	if o.Registry != nil {
		s.server = operations.NewServer(s.bus, o.Registry,
			operations.WithServerLogger(s.log), operations.WithEnv())
		// Listen subscribes before it returns, so calls the hub sends right
		// after the registration below are served.
		done, err := s.server.Listen(s.ctx)
		if err != nil {
			s.shutdown()
			return nil, fmt.Errorf("serving calls: %w", err)
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := <-done; err != nil && s.ctx.Err() == nil {
				s.log.Error("spoke stopped serving calls", "error", err)
			}
		}()
	}

	if o.Registry != nil || o.Name != "" {
		if err := s.register(ctx); err != nil {
			s.shutdown()
			return nil, err
		}
	}
	s.mu.Lock()
	s.ready = true
	s.mu.Unlock()
	return s, nil
}

// onState re-registers after every reconnect. It runs on the client's
// manager goroutine, so the registration runs on its own.
func (s *Spoke) onState(state ws.State, cause error) {
	s.log.Info("hub connection state changed", "state", state.String(), "cause", cause)
	if state != ws.StateConnected {
		return
	}
	s.mu.Lock()
	again := s.ready && !s.closed && (s.opts.Registry != nil || s.opts.Name != "")
	if again {
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if !again {
		return
	}
	go func() {
		defer s.wg.Done()
		s.reregister()
	}()
}

// reregister retries hub.register after a reconnect until it succeeds, the
// link drops again (the next connect retries) or the spoke closes.
func (s *Spoke) reregister() {
	wait := time.Second
	for s.ctx.Err() == nil && s.client.State() == ws.StateConnected {
		err := s.register(s.ctx)
		if err == nil {
			return
		}
		s.log.Warn("registering again after reconnect failed; retrying", "error", err, "retryIn", wait)
		select {
		case <-time.After(wait):
		case <-s.ctx.Done():
			return
		}
		wait = min(2*wait, 30*time.Second)
	}
}

func (s *Spoke) register(ctx context.Context) error {
	var specs []operations.OperationSpec
	if s.opts.Registry != nil {
		specs = s.opts.Registry.Specs()
	}
	if specs == nil {
		specs = []operations.OperationSpec{}
	}
	in := map[string]any{
		"name":       s.opts.Name,
		"spokeType":  s.opts.Type,
		"operations": specs,
		"hostInfo": map[string]any{
			"os": runtime.GOOS, "arch": runtime.GOARCH, "runtimeVersion": runtime.Version(), "cpu": runtime.NumCPU(),
		},
	}
	if s.opts.Visibility != "" {
		in["visibility"] = s.opts.Visibility
	}
	if s.opts.ProjectID != "" {
		in["projectId"] = s.opts.ProjectID
	}
	if s.opts.MaxConcurrency > 0 {
		in["maxConcurrency"] = s.opts.MaxConcurrency
	}

	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	env, err := s.pending.Call(ctx, "hub.register", in, operations.CallOptions{})
	if err != nil {
		return fmt.Errorf("registering spoke %s: %w", s.opts.Name, err)
	}
	reg, err := operations.Unwrap[Registration](env)
	if err != nil {
		return fmt.Errorf("decoding the hub.register result: %w", err)
	}
	s.mu.Lock()
	s.reg = reg
	s.mu.Unlock()
	for _, r := range reg.Rejected {
		s.log.Warn("the hub rejected an operation", "operation", r.Operation, "code", r.Code, "message", r.Message)
	}
	s.log.Info("registered with the hub", "spokeId", reg.SpokeID, "operations", len(reg.Operations))
	if s.opts.OnRegistered != nil {
		s.opts.OnRegistered(reg)
	}
	return nil
}

// Registration returns the latest registration result.
func (s *Spoke) Registration() Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reg
}

// Call calls a hub operation, as operations.Invoker does.
func (s *Spoke) Call(ctx context.Context, opID string, input any, o operations.CallOptions) (
	*operations.ResponseEnvelope, error) {
	return s.pending.Call(ctx, opID, input, o)
}

// Subscribe subscribes to a hub operation, as operations.Invoker does.
func (s *Spoke) Subscribe(ctx context.Context, opID string, input any, o operations.SubscribeOptions) (
	*operations.CallStream, error) {
	return s.pending.Subscribe(ctx, opID, input, o)
}

// Done is closed when the connection has ended for good: Close was called,
// or the hub closed it with a code that forbids reconnecting (the key was
// revoked, or a newer connection replaced this spoke).
func (s *Spoke) Done() <-chan struct{} { return s.client.Done() }

// Err returns why the connection ended; nil after Close.
func (s *Spoke) Err() error { return s.client.Err() }

// Close stops serving, aborts calls in flight and closes the connection.
func (s *Spoke) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	return s.shutdown()
}

func (s *Spoke) shutdown() error {
	s.cancel()
	var errs []error
	if s.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, s.server.Shutdown(ctx))
		cancel()
	}
	if s.pending != nil {
		errs = append(errs, s.pending.Close())
	}
	if s.bus != nil {
		errs = append(errs, s.bus.Close())
	}
	if s.client != nil {
		errs = append(errs, s.client.Close())
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// String returns the registration as JSON, as the hub sent it.
func (r Registration) String() string {
	b, _ := json.Marshal(r)
	return string(b)
}

package operations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// Server limits and defaults.
const (
	// DefaultMaxInFlight is the default number of requests a Server runs at once.
	DefaultMaxInFlight = 1024
	// recentAbortsMax and recentAbortsTTL bound the set of aborts that
	// arrived before their request.
	recentAbortsMax = 4096
	recentAbortsTTL = 30 * time.Second
)

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithServerLogger sets the logger; nil discards.
func WithServerLogger(l *slog.Logger) ServerOption {
	return func(s *Server) { s.logger = componentLogger(l, "operations.server") }
}

// WithMaxInFlight sets how many requests run at once; the excess is
// rejected with RATE_LIMITED. n < 1 means DefaultMaxInFlight.
func WithMaxInFlight(n int) ServerOption {
	return func(s *Server) { s.maxInFlight = n }
}

// WithEnv gives every handler an Env (oc.Env) built with opts, for nested
// calls on behalf of the request.
func WithEnv(opts ...EnvOption) ServerOption {
	return func(s *Server) { s.withEnv, s.envOpts = true, opts }
}

// WithIgnoreUnknown makes the Server ignore requests for operations it has
// no spec for, so that several servers can share a bus. By default such
// requests get OPERATION_NOT_FOUND.
func WithIgnoreUnknown(ignore bool) ServerOption {
	return func(s *Server) { s.ignoreUnknown = ignore }
}

// WithFilter makes the Server ignore requests for which keep returns false.
func WithFilter(keep func(*CallRequested) bool) ServerOption {
	return func(s *Server) { s.filter = keep }
}

// Server is the serving side of the call protocol: it runs call.requested
// events against a Registry and publishes the responses. call.aborted cancels
// the handler's context and stops streams, and the wire deadline becomes the
// handler context's deadline. Remote callers are never trusted.
type Server struct {
	ps            *pubsub.PubSub
	registry      *Registry
	logger        *slog.Logger
	maxInFlight   int
	withEnv       bool
	envOpts       []EnvOption
	ignoreUnknown bool
	filter        func(*CallRequested) bool

	base       context.Context
	cancelBase context.CancelFunc

	mu       sync.Mutex // guards the fields below; taken before serving.mu
	inFlight map[string]*serving
	aborts   recentAborts
	sub      *pubsub.Subscription
	stopping bool
	wg       sync.WaitGroup // request goroutines
}

// serving is one request in flight.
type serving struct {
	cancel context.CancelFunc
	// deadline is the wire deadline; zero means none.
	deadline time.Time
	// mu is held while publishing a response and while marking the request
	// aborted, so nothing is published after an abort was processed.
	mu      sync.Mutex
	aborted bool
}

// NewServer returns a Server for r on ps. Call Serve to take requests from
// the bus, or Handle to serve requests that arrive another way.
func NewServer(ps *pubsub.PubSub, r *Registry, opts ...ServerOption) *Server {
	s := &Server{
		ps: ps, registry: r, logger: componentLogger(nil, ""),
		maxInFlight: DefaultMaxInFlight,
		inFlight:    map[string]*serving{},
		aborts:      recentAborts{seen: map[string]time.Time{}},
	}
	for _, o := range opts {
		o(s)
	}
	if s.maxInFlight < 1 {
		s.maxInFlight = DefaultMaxInFlight
	}
	s.base, s.cancelBase = context.WithCancel(context.Background())
	return s
}

// Serve subscribes to call.requested and call.aborted and serves them in
// delivery order until ctx is done or Shutdown is called. When ctx ends,
// the requests still running are aborted at once (as a Shutdown whose grace
// period is over) and Serve returns ctx.Err(). After Shutdown it returns nil.
//
// Serve subscribes on the calling goroutine, so a request published by
// another goroutine right after starting Serve may be missed; use Listen
// when the subscription must exist before the caller goes on.
func (s *Server) Serve(ctx context.Context) error {
	sub, err := s.subscribe(ctx)
	if err != nil {
		return err
	}
	return s.serveLoop(ctx, sub)
}

// Listen subscribes like Serve and returns once the subscription exists, so
// every request published after Listen returns is served. Serving runs on a
// goroutine of the server; done receives what Serve would have returned and
// is closed after it.
func (s *Server) Listen(ctx context.Context) (done <-chan error, err error) {
	sub, err := s.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan error, 1)
	go func() {
		defer close(ch)
		ch <- s.serveLoop(ctx, sub)
	}()
	return ch, nil
}

func (s *Server) subscribe(ctx context.Context) (*pubsub.Subscription, error) {
	topics := []string{pubsub.TopicOf(EventCallRequested, ""), pubsub.TopicOf(EventCallAborted, "")}
	sub, err := s.ps.SubscribeTopics(ctx, topics, pubsub.WithSubOverflow(pubsub.OverflowBlock))
	if err != nil {
		return nil, fmt.Errorf("subscribing to call requests: %w", err)
	}
	s.mu.Lock()
	if s.stopping || s.sub != nil {
		s.mu.Unlock()
		sub.Close()
		return nil, errors.New("serving call requests: server is shut down or already serving")
	}
	s.sub = sub
	s.mu.Unlock()
	s.logger.Debug("serving call requests")
	return sub, nil
}

func (s *Server) serveLoop(ctx context.Context, sub *pubsub.Subscription) error {
	for env := range sub.C() {
		s.dispatch(env)
	}

	if err := ctx.Err(); err != nil {
		forced, cancel := context.WithCancel(context.Background())
		cancel()
		_ = s.Shutdown(forced)
		return err
	}
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return nil
	}
	return fmt.Errorf("call request subscription ended: %w", sub.Err())
}

func (s *Server) dispatch(env pubsub.Envelope) {
	switch env.Type {
	case EventCallRequested:
		req, err := decodeEvent[CallRequested](env)
		if err != nil {
			s.logger.Warn("dropping undecodable call.requested", "error", err)
			return
		}
		s.Handle(s.base, req)
	case EventCallAborted:
		p, err := decodeEvent[CallAborted](env)
		if err != nil || p.RequestID == "" {
			s.logger.Warn("dropping undecodable call.aborted", "error", err)
			return
		}
		s.Abort(p.RequestID)
	}
}

// Handle starts serving one request and returns at once; the responses are
// published on the server's bus. The handler context is a child of the
// server's base context, ends with ctx too, and has the wire deadline.
func (s *Server) Handle(ctx context.Context, req CallRequested) {
	id := req.RequestID
	if id == "" {
		s.logger.Warn("dropping call.requested without requestId", "operationId", req.OperationID)
		return
	}
	if s.filter != nil && !s.filter(&req) {
		return
	}
	spec, known := s.registry.GetSpec(req.OperationID)
	if !known && s.ignoreUnknown {
		return
	}

	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		s.publishError(id, nil, NewCallError(CodeAborted,
			"Request "+id+" was aborted: server shutting down", nil))
		return
	}
	if _, dup := s.inFlight[id]; dup {
		s.mu.Unlock()
		s.logger.Debug("ignoring duplicate call.requested", "requestId", id)
		return
	}
	if s.aborts.contains(id, time.Now()) {
		s.mu.Unlock()
		s.logger.Debug("dropping call.requested aborted before arrival", "requestId", id)
		return
	}
	if len(s.inFlight) >= s.maxInFlight {
		s.mu.Unlock()
		s.publishError(id, nil, NewCallError(CodeRateLimited,
			fmt.Sprintf("Server busy: %d requests in flight", s.maxInFlight),
			map[string]any{"limit": s.maxInFlight}))
		return
	}
	if req.Deadline > 0 && !time.Now().Before(time.UnixMilli(req.Deadline)) {
		s.mu.Unlock()
		s.publishError(id, nil, timeoutError(id, req.Deadline, nil))
		return
	}

	hctx, cancel := context.WithCancel(s.base)
	if req.Deadline > 0 {
		hctx, cancel = context.WithDeadline(s.base, time.UnixMilli(req.Deadline))
	}
	stopWithCaller := context.AfterFunc(ctx, cancel)
	sv := &serving{cancel: cancel}
	if req.Deadline > 0 {
		sv.deadline = time.UnixMilli(req.Deadline)
	}
	s.inFlight[id] = sv
	s.wg.Add(1)
	s.mu.Unlock()

	oc := &OperationContext{
		RequestID: id, ParentRequestID: req.ParentRequestID,
		Identity: req.Identity, Metadata: req.Metadata,
	}
	if s.withEnv {
		oc.Env = BuildEnv(s.registry, oc, s.envOpts...)
	}
	go func() {
		defer s.wg.Done()
		defer s.finish(id, sv, stopWithCaller)
		if !known {
			s.publishError(id, sv, notFoundError(req.OperationID))
			return
		}
		if spec.Type == TypeSubscription {
			s.serveStream(hctx, req, oc, sv)
			return
		}
		s.serveCall(hctx, req, oc, sv)
	}()
}

func (s *Server) serveCall(ctx context.Context, req CallRequested, oc *OperationContext, sv *serving) {
	env, err := s.registry.Execute(ctx, req.OperationID, req.Input, oc)
	if err != nil {
		s.publishError(req.RequestID, sv, withDeadline(err, req))
		return
	}
	s.publishResponse(req.RequestID, sv, EventCallResponded,
		CallResponded{RequestID: req.RequestID, Output: env})
}

func (s *Server) serveStream(ctx context.Context, req CallRequested, oc *OperationContext,
	sv *serving) {
	seq, err := s.registry.Subscribe(ctx, req.OperationID, req.Input, oc)
	if err != nil {
		s.publishError(req.RequestID, sv, err)
		return
	}
	for env, err := range seq {
		if err != nil {
			s.publishError(req.RequestID, sv, err)
			return
		}
		if !s.publishResponse(req.RequestID, sv, EventCallResponded,
			CallResponded{RequestID: req.RequestID, Output: env}) {
			return // aborted or the bus closed: stop ranging, which ends the handler
		}
	}
	s.publishResponse(req.RequestID, sv, EventCallCompleted, CallCompleted{RequestID: req.RequestID})
}

// publishResponse publishes one response event unless the request was aborted, and
// reports whether the request may go on. A publish failure cancels the
// request's context.
func (s *Server) publishResponse(id string, sv *serving, eventType string, payload any) bool {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	if sv.aborted {
		return false
	}
	err := s.ps.Publish(context.Background(), eventType, "", payload)
	if err == nil {
		return true
	}
	s.logger.Error("publishing response failed", "requestId", id, "event", eventType, "error", err)
	if eventType != EventCallError && !errors.Is(err, pubsub.ErrClosed) && !errors.Is(err, pubsub.ErrNotConnected) {
		// The link is up but refused this frame (a WebSocket transport
		// rejects frames over its size limit, for one): tell the caller,
		// who would otherwise wait for its deadline.
		fail := callErrorEvent(id, NewCallError(CodeExecution,
			"Response for request "+id+" could not be sent: "+err.Error(),
			map[string]any{"message": err.Error()}))
		if perr := s.ps.Publish(context.Background(), EventCallError, "", fail); perr != nil {
			s.logger.Error("publishing call.error failed", "requestId", id, "error", perr)
		}
	}
	sv.cancel()
	return false
}

// withDeadline gives a bare TIMEOUT, as a handler whose context expired
// returns it, the {"deadline"} details of the request, so callers can tell
// which deadline passed.
func withDeadline(err error, req CallRequested) error {
	ce := MapError(err, nil)
	if ce.Code != CodeTimeout || ce.Details != nil || req.Deadline <= 0 {
		return err
	}
	return timeoutError(req.RequestID, req.Deadline, err)
}

// publishError publishes call.error for err; sv is nil for requests that
// never started.
func (s *Server) publishError(id string, sv *serving, err error) {
	payload := callErrorEvent(id, err)
	if sv != nil {
		s.publishResponse(id, sv, EventCallError, payload)
		return
	}
	if perr := s.ps.Publish(context.Background(), EventCallError, "", payload); perr != nil {
		s.logger.Error("publishing call.error failed", "requestId", id, "error", perr)
	}
}

// finish removes a request that ended and releases its context.
func (s *Server) finish(id string, sv *serving, stopWithCaller func() bool) {
	stopWithCaller()
	sv.cancel()
	s.mu.Lock()
	if s.inFlight[id] == sv {
		delete(s.inFlight, id)
	}
	s.mu.Unlock()
}

// Abort cancels the request id as a call.aborted would: its handler context
// is cancelled and nothing more is published for it. An id not in flight is
// remembered for a while, so a request that arrives after its abort is
// dropped. Abort reports whether the request was in flight.
func (s *Server) Abort(requestID string) bool {
	s.mu.Lock()
	sv, ok := s.inFlight[requestID]
	if !ok {
		s.aborts.add(requestID, time.Now())
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()

	sv.mu.Lock()
	sv.aborted = true
	sv.mu.Unlock()
	// A caller that gives up at its deadline sends call.aborted at the
	// moment the handler's context expires: let it end as
	// DeadlineExceeded rather than Canceled.
	if sv.deadline.IsZero() || time.Now().Before(sv.deadline) {
		sv.cancel()
	}
	s.logger.Debug("request aborted", "requestId", requestID)
	return true
}

// InFlight returns the number of requests being served.
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inFlight)
}

// Shutdown stops taking requests and waits for the running ones until ctx
// is done. Then it aborts the rest: their contexts are cancelled, their own
// results are no longer published, and each caller gets call.error ABORTED
// "Request <id> was aborted: server shutting down". It returns ctx.Err()
// when it had to abort requests, else nil. InFlight is 0 afterwards.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopping = true
	sub := s.sub
	s.mu.Unlock()
	if sub != nil {
		sub.Close()
	}

	idle := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(idle)
	}()
	select {
	case <-idle:
		s.cancelBase()
		return nil
	case <-ctx.Done():
	}

	s.mu.Lock()
	remaining := s.inFlight
	s.inFlight = map[string]*serving{}
	s.mu.Unlock()
	for id, sv := range remaining {
		sv.mu.Lock()
		sv.aborted = true
		sv.mu.Unlock()
		sv.cancel()
		s.publishError(id, nil, NewCallError(CodeAborted,
			"Request "+id+" was aborted: server shutting down", nil))
	}
	s.cancelBase()
	s.logger.Info("server shut down with requests aborted", "aborted", len(remaining))
	return ctx.Err()
}

// recentAborts remembers ids aborted before their request arrived, at most
// recentAbortsMax of them for recentAbortsTTL each.
type recentAborts struct {
	seen  map[string]time.Time
	order []string // insertion order, oldest first
}

func (r *recentAborts) add(id string, now time.Time) {
	r.expire(now)
	if _, ok := r.seen[id]; ok {
		return
	}
	if len(r.order) >= recentAbortsMax {
		delete(r.seen, r.order[0])
		r.order = r.order[1:]
	}
	r.seen[id] = now
	r.order = append(r.order, id)
}

func (r *recentAborts) contains(id string, now time.Time) bool {
	at, ok := r.seen[id]
	return ok && now.Sub(at) < recentAbortsTTL
}

func (r *recentAborts) expire(now time.Time) {
	n := 0
	for n < len(r.order) && now.Sub(r.seen[r.order[n]]) >= recentAbortsTTL {
		delete(r.seen, r.order[n])
		n++
	}
	r.order = r.order[n:]
}

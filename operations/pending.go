package operations

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/google/uuid"
)

// DefaultStreamBuffer is the default number of undelivered items a remote
// stream holds before it overflows.
const DefaultStreamBuffer = 1024

// CallOptions are the per-call settings of Invoker.Call.
type CallOptions struct {
	// RequestID is the caller's id for the request; "" generates one.
	RequestID       string
	ParentRequestID string
	// Deadline bounds the call; zero uses ctx's deadline, if any.
	Deadline time.Time
	Identity *Identity
	Metadata map[string]any
}

// SubscribeOptions are the per-stream settings of Invoker.Subscribe.
type SubscribeOptions struct {
	// RequestID is the caller's id for the request; "" generates one.
	RequestID       string
	ParentRequestID string
	// IdleTimeout ends the stream with TIMEOUT when no item arrives for this
	// long; 0 means none.
	IdleTimeout time.Duration
	Identity    *Identity
	Metadata    map[string]any
}

// Invoker is the caller side of the call protocol. *PendingRequestMap
// implements it; hosts such as the hub wrap it with their routing.
type Invoker interface {
	Call(ctx context.Context, opID string, input any, o CallOptions) (*ResponseEnvelope, error)
	Subscribe(ctx context.Context, opID string, input any, o SubscribeOptions) (*CallStream, error)
}

// PendingOption configures a PendingRequestMap.
type PendingOption func(*PendingRequestMap)

// WithIDGenerator sets the request id generator; the default is UUID v4.
func WithIDGenerator(fn func() string) PendingOption {
	return func(m *PendingRequestMap) { m.newID = fn }
}

// WithStreamBuffer sets how many undelivered items a stream holds before it
// overflows; n < 1 means DefaultStreamBuffer.
func WithStreamBuffer(n int) PendingOption {
	return func(m *PendingRequestMap) { m.streamBuffer = n }
}

// WithPendingLogger sets the logger; nil discards.
func WithPendingLogger(l *slog.Logger) PendingOption {
	return func(m *PendingRequestMap) { m.logger = componentLogger(l, "operations.pending") }
}

// PendingRequestMap is the caller side of the call protocol over a pubsub
// bus: it publishes call.requested and correlates call.responded,
// call.error, call.completed and call.aborted by requestId. One dispatch
// goroutine reads the four event types as one ordered sequence and never
// waits on a consumer. Every request settles exactly once.
type PendingRequestMap struct {
	ps           *pubsub.PubSub
	sub          *pubsub.Subscription
	newID        func() string
	streamBuffer int
	logger       *slog.Logger

	mu      sync.Mutex
	entries map[string]*pendingEntry
	closed  bool

	dispatchDone chan struct{}
	background   sync.WaitGroup // publishes started by the dispatch goroutine
}

// pendingEntry is one live request: a call (result set) or a stream.
type pendingEntry struct {
	result chan callResult // capacity 1; nil for a stream
	stream *CallStream
}

type callResult struct {
	env *ResponseEnvelope
	err error
}

// NewPendingRequestMap subscribes to the response events on ps and starts the
// dispatch goroutine, which Close stops.
func NewPendingRequestMap(ps *pubsub.PubSub, opts ...PendingOption) (*PendingRequestMap, error) {
	m := &PendingRequestMap{
		ps:           ps,
		newID:        uuid.NewString,
		streamBuffer: DefaultStreamBuffer,
		logger:       componentLogger(nil, ""),
		entries:      map[string]*pendingEntry{},
		dispatchDone: make(chan struct{}),
	}
	for _, o := range opts {
		o(m)
	}
	if m.streamBuffer < 1 {
		m.streamBuffer = DefaultStreamBuffer
	}

	topics := []string{
		pubsub.TopicOf(EventCallResponded, ""), pubsub.TopicOf(EventCallError, ""),
		pubsub.TopicOf(EventCallCompleted, ""), pubsub.TopicOf(EventCallAborted, ""),
	}
	// Block rather than fail when the dispatcher falls behind: a lost
	// call.responded would leave its caller waiting until its deadline.
	sub, err := ps.SubscribeTopics(context.Background(), topics,
		pubsub.WithSubOverflow(pubsub.OverflowBlock))
	if err != nil {
		return nil, fmt.Errorf("subscribing to call responses: %w", err)
	}
	m.sub = sub
	go m.dispatch()
	return m, nil
}

// Call publishes call.requested for opID and waits for its response. The
// deadline is o.Deadline, else ctx's deadline. A deadline already past
// fails at once with TIMEOUT and publishes nothing; a caller-chosen request
// id already pending fails with CONFLICT. When the deadline passes or ctx is
// cancelled, Call publishes call.aborted and returns TIMEOUT or ABORTED.
func (m *PendingRequestMap) Call(ctx context.Context, opID string, input any, o CallOptions) (
	*ResponseEnvelope, error) {
	raw, err := toRawJSON(input)
	if err != nil {
		return nil, fmt.Errorf("calling %s: %w", opID, err)
	}
	id := o.RequestID
	if id == "" {
		id = m.newID()
	}

	deadline, fromCtx := o.Deadline, false
	if deadline.IsZero() {
		deadline, fromCtx = ctx.Deadline()
	}
	var deadlineMS int64
	if !deadline.IsZero() {
		deadlineMS = deadline.UnixMilli()
		if !time.Now().Before(deadline) {
			return nil, timeoutError(id, deadlineMS, ctx.Err())
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, m.contextError(id, deadlineMS, err)
	}

	e := &pendingEntry{result: make(chan callResult, 1)}
	if err := m.add(id, e); err != nil {
		return nil, err
	}
	req := CallRequested{
		RequestID: id, OperationID: opID, Input: raw, ParentRequestID: o.ParentRequestID,
		Deadline: deadlineMS, Identity: o.Identity, Metadata: o.Metadata,
	}
	if err := m.ps.Publish(ctx, EventCallRequested, "", req); err != nil {
		m.remove(id, e)
		return nil, fmt.Errorf("publishing call.requested for %s: %w", opID, err)
	}

	var timeout <-chan time.Time
	if !deadline.IsZero() && !fromCtx {
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case r := <-e.result:
		return r.env, r.err
	case <-timeout:
		return m.giveUp(id, e, timeoutError(id, deadlineMS, nil))
	case <-ctx.Done():
		return m.giveUp(id, e, m.contextError(id, deadlineMS, ctx.Err()))
	}
}

// giveUp removes a call that timed out or was cancelled and publishes
// call.aborted. When a response won the race, that response is returned instead.
func (m *PendingRequestMap) giveUp(id string, e *pendingEntry, err error) (*ResponseEnvelope, error) {
	if !m.remove(id, e) {
		r := <-e.result
		return r.env, r.err
	}
	m.publishAborted(id)
	return nil, err
}

func (m *PendingRequestMap) contextError(id string, deadlineMS int64, err error) error {
	if err == context.DeadlineExceeded {
		return timeoutError(id, deadlineMS, err)
	}
	return abortedError(id, err)
}

func timeoutError(id string, deadlineMS int64, cause error) *CallError {
	return newCallErrorCause(CodeTimeout, "Request "+id+" timed out",
		map[string]any{"deadline": deadlineMS}, cause)
}

func abortedError(id string, cause error) *CallError {
	return newCallErrorCause(CodeAborted, "Request "+id+" was aborted", nil, cause)
}

// Subscribe publishes call.requested for the subscription opID at once and
// returns its stream. ctx bounds the whole stream: when it ends, the stream
// is closed, call.aborted is published and the consumer sees ABORTED or
// TIMEOUT wrapping the context error.
func (m *PendingRequestMap) Subscribe(ctx context.Context, opID string, input any,
	o SubscribeOptions) (*CallStream, error) {
	raw, err := toRawJSON(input)
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s: %w", opID, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, MapError(err, nil)
	}
	id := o.RequestID
	if id == "" {
		id = m.newID()
	}

	s := newCallStream(m, id, m.streamBuffer, o.IdleTimeout)
	e := &pendingEntry{stream: s}
	if err := m.add(id, e); err != nil {
		return nil, err
	}
	req := CallRequested{
		RequestID: id, OperationID: opID, Input: raw, ParentRequestID: o.ParentRequestID,
		IdleTimeout: o.IdleTimeout.Milliseconds(), Identity: o.Identity, Metadata: o.Metadata,
	}
	s.start(ctx)
	if err := m.ps.Publish(ctx, EventCallRequested, "", req); err != nil {
		s.finish(fmt.Errorf("publishing call.requested for %s: %w", opID, err), false, true)
		return nil, fmt.Errorf("publishing call.requested for %s: %w", opID, err)
	}
	return s, nil
}

// Respond publishes call.responded for requestID, known or not. A nil
// envelope or meta is rejected with an error wrapping ErrNotEnvelope.
func (m *PendingRequestMap) Respond(ctx context.Context, requestID string, env *ResponseEnvelope) error {
	if env == nil || env.Meta == nil {
		return fmt.Errorf("responding to request %s requires a ResponseEnvelope: %w",
			requestID, ErrNotEnvelope)
	}
	return m.publish(ctx, EventCallResponded, CallResponded{RequestID: requestID, Output: env})
}

// EmitError publishes call.error for requestID, known or not.
func (m *PendingRequestMap) EmitError(ctx context.Context, requestID, code, message string,
	details any) error {
	return m.publish(ctx, EventCallError,
		CallErrorEvent{RequestID: requestID, Code: code, Message: message, Details: details})
}

// Complete publishes call.completed for requestID, known or not.
func (m *PendingRequestMap) Complete(ctx context.Context, requestID string) error {
	return m.publish(ctx, EventCallCompleted, CallCompleted{RequestID: requestID})
}

func (m *PendingRequestMap) publish(ctx context.Context, eventType string, payload any) error {
	if err := m.ps.Publish(ctx, eventType, "", payload); err != nil {
		return fmt.Errorf("publishing %s: %w", eventType, err)
	}
	return nil
}

// publishAborted publishes call.aborted for id; a failure is logged.
func (m *PendingRequestMap) publishAborted(id string) {
	err := m.ps.Publish(context.Background(), EventCallAborted, "", CallAborted{RequestID: id})
	if err != nil {
		m.logger.Error("publishing call.aborted failed", "requestId", id, "error", err)
	}
}

// publishAbortedAsync publishes call.aborted from a goroutine that Close
// waits for. The dispatch goroutine uses it: publishing inline could wait on
// the dispatcher's own full subscription buffer.
func (m *PendingRequestMap) publishAbortedAsync(id string) {
	m.background.Add(1)
	go func() {
		defer m.background.Done()
		m.publishAborted(id)
	}()
}

// Abort cancels a pending request and publishes call.aborted. A call fails
// with ABORTED, a stream ends normally. It returns false for an unknown id.
func (m *PendingRequestMap) Abort(requestID string) bool {
	m.mu.Lock()
	e, ok := m.entries[requestID]
	m.mu.Unlock()
	if !ok {
		return false
	}
	if e.stream != nil {
		return e.stream.finish(nil, true, false)
	}
	if !m.remove(requestID, e) {
		return false
	}
	m.publishAborted(requestID)
	e.result <- callResult{err: abortedError(requestID, nil)}
	return true
}

// PendingCount returns the number of live calls and streams.
func (m *PendingRequestMap) PendingCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// Close stops the listener, publishes call.aborted for every live request
// (best effort) and ends them with ABORTED wrapping ErrClosed. It returns
// after the dispatch goroutine has exited. Close is idempotent.
func (m *PendingRequestMap) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()

	m.sub.Close()
	<-m.dispatchDone
	m.background.Wait()
	m.failAll(newCallErrorCause(CodeAborted, "Request aborted: pending request map closed", nil,
		ErrClosed), true)
	return nil
}

// failAll ends every live request with err, optionally publishing call.aborted.
func (m *PendingRequestMap) failAll(err *CallError, publish bool) {
	m.mu.Lock()
	entries := m.entries
	m.entries = map[string]*pendingEntry{}
	m.mu.Unlock()
	for id, e := range entries {
		if publish {
			m.publishAborted(id)
		}
		if e.stream != nil {
			e.stream.end(err, false)
			continue
		}
		e.result <- callResult{err: err}
	}
}

// add stores a new entry; a duplicate id fails with CONFLICT.
func (m *PendingRequestMap) add(id string, e *pendingEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return newCallErrorCause(CodeAborted, "Request "+id+" was aborted: pending request map closed",
			nil, ErrClosed)
	}
	if _, ok := m.entries[id]; ok {
		return NewCallError(CodeConflict, "Request "+id+" is already pending",
			map[string]any{"requestId": id})
	}
	m.entries[id] = e
	return nil
}

// remove deletes e if it is still the live entry of id and reports whether
// it did. Only the caller that removed an entry settles it.
func (m *PendingRequestMap) remove(id string, e *pendingEntry) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries[id] != e {
		return false
	}
	delete(m.entries, id)
	return true
}

// removeStream deletes the entry of id if it is stream s.
func (m *PendingRequestMap) removeStream(id string, s *CallStream) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	if e == nil || e.stream != s {
		return false
	}
	delete(m.entries, id)
	return true
}

func (m *PendingRequestMap) lookup(id string) *pendingEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries[id]
}

// dispatch reads the response events in delivery order until the listener ends.
func (m *PendingRequestMap) dispatch() {
	defer close(m.dispatchDone)
	for env := range m.sub.C() {
		m.handle(env)
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if !closed {
		err := m.sub.Err()
		m.logger.Error("call response listener ended", "error", err)
		m.failAll(newCallErrorCause(CodeAborted,
			fmt.Sprintf("Request aborted: call response listener ended: %v", err), nil, ErrClosed), false)
	}
}

func (m *PendingRequestMap) handle(env pubsub.Envelope) {
	switch env.Type {
	case EventCallResponded:
		m.handleResponded(env)
	case EventCallError:
		p, err := decodeEvent[CallErrorEvent](env)
		if err != nil {
			m.logger.Error("undecodable call.error", "error", err)
			return
		}
		m.settle(p.RequestID, nil, &CallError{Code: p.Code, Message: p.Message, Details: p.Details}, true)
	case EventCallCompleted:
		p, err := decodeEvent[CallCompleted](env)
		if err != nil {
			m.logger.Error("undecodable call.completed", "error", err)
			return
		}
		m.settle(p.RequestID, nil, NewCallError(CodeAborted,
			"Request "+p.RequestID+" completed without response", nil), false)
	case EventCallAborted:
		p, err := decodeEvent[CallAborted](env)
		if err != nil {
			m.logger.Error("undecodable call.aborted", "error", err)
			return
		}
		m.settle(p.RequestID, nil, abortedError(p.RequestID, nil), false)
	}
}

// settle ends the entry of id: a call gets env or callErr; a stream ends
// with callErr when streamErr is set, else normally.
func (m *PendingRequestMap) settle(id string, env *ResponseEnvelope, callErr *CallError, streamErr bool) {
	e := m.lookup(id)
	switch {
	case e == nil:
		return
	case e.stream != nil:
		var err error
		if streamErr {
			err = callErr
		}
		e.stream.finish(err, false, false)
	case m.remove(id, e):
		if callErr != nil {
			e.result <- callResult{err: callErr}
		} else {
			e.result <- callResult{env: env}
		}
	}
}

func (m *PendingRequestMap) handleResponded(env pubsub.Envelope) {
	p, err := decodeEvent[CallResponded](env)
	if err != nil {
		// The output may be malformed while the request id is fine: fail
		// that request instead of leaving it to its deadline.
		idOnly, idErr := pubsub.DecodePayload[struct {
			RequestID string `json:"requestId"`
		}](env)
		if idErr != nil || idOnly.RequestID == "" {
			m.logger.Error("undecodable call.responded", "error", err)
			return
		}
		p = CallResponded{RequestID: idOnly.RequestID}
	}
	if p.Output == nil || p.Output.Meta == nil {
		m.settle(p.RequestID, nil, NewCallError(CodeExecution,
			"Invalid response for request "+p.RequestID+": output is not a ResponseEnvelope", nil), true)
		return
	}
	e := m.lookup(p.RequestID)
	if e == nil {
		return
	}
	if e.stream != nil {
		e.stream.push(p.Output)
		return
	}
	if m.remove(p.RequestID, e) {
		e.result <- callResult{env: p.Output}
	}
}

// decodeEvent returns the payload as T, accepting the struct value and a
// pointer to it before falling back to JSON decoding.
func decodeEvent[T any](env pubsub.Envelope) (T, error) {
	if p, ok := env.Payload.(*T); ok && p != nil {
		return *p, nil
	}
	return pubsub.DecodePayload[T](env)
}

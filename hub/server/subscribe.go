package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
)

// firstItemWait is how long /api/subscribe waits for the first item before
// it sends the 200 status and starts the event stream. An error within it
// (invalid input, access denied, no provider) gets its own HTTP status;
// after it, errors arrive as "event: error", and the client sees headers
// and keep-alive comments instead of a silent connection.
const firstItemWait = 2 * time.Second

// subscribe serves POST /api/subscribe as server-sent events: one
// "event: data" per item, then "event: done", or "event: error" when the
// stream fails. An error before the first item, within firstItemWait, is an
// ordinary ErrorBody response with the code's status. timeoutMs bounds the
// whole stream. Closing the connection aborts the call.
func (s *server) subscribe(c echo.Context) error {
	req, ok, err := s.readCallRequest(c, true)
	if !ok {
		return err
	}
	spec, _ := s.opts.LookupSpec(req.OperationID)
	if spec.Type != operations.TypeSubscription {
		return s.subscribeUnary(c, req, spec)
	}

	p, _ := auth.PrincipalFrom(c.Request().Context())
	ctx := c.Request().Context()
	if req.TimeoutMs != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx,
			deadlineFor(s.opts.Now(), req.TimeoutMs, s.opts.DefaultTimeout, s.opts.MaxTimeout))
		defer cancel()
	}
	o := operations.SubscribeOptions{
		RequestID: requestIDOf(c),
		Identity:  &p.Identity,
		Metadata:  req.Metadata,
	}
	if req.IdleTimeoutMs != nil {
		o.IdleTimeout = time.Duration(*req.IdleTimeoutMs) * time.Millisecond
	}
	stream, err := s.opts.Invoker.Subscribe(ctx, req.OperationID, req.Input, o)
	if err != nil {
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	defer stream.Close()

	first, cancelFirst := context.WithTimeout(ctx, firstItemWait)
	env, err := stream.Next(first)
	waited := err != nil && first.Err() != nil && ctx.Err() == nil
	cancelFirst()
	if err != nil && !waited && !errors.Is(err, io.EOF) {
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	sse := startSSE(c)
	if waited {
		env, err = s.nextItem(ctx, stream, sse)
	}
	for err == nil {
		if werr := sse.event("data", env); werr != nil {
			return nil // the client went away; the deferred Close aborts the call
		}
		env, err = s.nextItem(ctx, stream, sse)
	}
	if errors.Is(err, io.EOF) {
		_ = sse.event("done", struct{}{})
		return nil
	}
	if c.Request().Context().Err() != nil {
		return nil // the client went away
	}
	if ctx.Err() != nil {
		err = ctx.Err() // timeoutMs ended the stream
	}
	_ = sse.event("error", operations.MapError(err, spec.ErrorSchemas))
	return nil
}

// nextItem waits for the stream's next item, writing a keep-alive comment
// every ping interval while it waits (once the stream has started).
func (s *server) nextItem(ctx context.Context, stream *operations.CallStream, sse *sseWriter) (
	*operations.ResponseEnvelope, error) {
	for {
		waitCtx, cancel := context.WithTimeout(ctx, s.opts.SSEPingInterval)
		env, err := stream.Next(waitCtx)
		cancel()
		// Next returns its own context's error, leaving the stream live,
		// when the wait ends before an item: that is the ping timer.
		pingDue := err != nil && errors.Is(err, context.DeadlineExceeded) &&
			waitCtx.Err() != nil && ctx.Err() == nil
		if !pingDue {
			return env, err
		}
		if sse != nil {
			if werr := sse.comment("ping"); werr != nil {
				return nil, werr
			}
		}
	}
}

// subscribeUnary serves /api/subscribe for a query or mutation: one data
// event with the result, then done.
func (s *server) subscribeUnary(c echo.Context, req callRequest, spec operations.OperationSpec) error {
	p, _ := auth.PrincipalFrom(c.Request().Context())
	deadline := deadlineFor(s.opts.Now(), req.TimeoutMs, s.opts.DefaultTimeout, s.opts.MaxTimeout)
	env, err := s.opts.Invoker.Call(c.Request().Context(), req.OperationID, req.Input, operations.CallOptions{
		RequestID: requestIDOf(c),
		Deadline:  deadline,
		Identity:  &p.Identity,
		Metadata:  req.Metadata,
	})
	if err != nil {
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	sse := startSSE(c)
	if err := sse.event("data", env); err != nil {
		return nil
	}
	_ = sse.event("done", struct{}{})
	return nil
}

type sseWriter struct {
	w http.ResponseWriter
	c *http.ResponseController
}

func startSSE(c echo.Context) *sseWriter {
	h := c.Response().Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(http.StatusOK)
	s := &sseWriter{w: c.Response(), c: http.NewResponseController(c.Response())}
	_ = s.c.Flush()
	return s
}

func (s *sseWriter) event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(s.w, "event: "+name+"\ndata: "); err != nil {
		return err
	}
	if _, err := s.w.Write(data); err != nil {
		return err
	}
	if _, err := io.WriteString(s.w, "\n\n"); err != nil {
		return err
	}
	return s.c.Flush()
}

func (s *sseWriter) comment(text string) error {
	if _, err := io.WriteString(s.w, ": "+text+"\n\n"); err != nil {
		return err
	}
	return s.c.Flush()
}

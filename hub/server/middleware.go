package server

import (
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/health"
	"github.com/alkdev/alkhub/operations"
)

const (
	headerRequestID    = "X-Request-Id"
	ctxRequestID       = "alkhub.requestId"
	ctxClientRequestID = "alkhub.clientRequestId"
)

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

func isHealthPath(p string) bool {
	return p == "/health" || strings.HasPrefix(p, "/health/")
}

// requestID gives every request a fresh UUID v4, sent back as X-Request-Id.
// An inbound X-Request-Id is kept for the access log only: client ids are
// not guaranteed unique, so they never become call ids.
func (s *server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := uuid.NewString()
		c.Set(ctxRequestID, id)
		if client := c.Request().Header.Get(headerRequestID); client != "" {
			c.Set(ctxClientRequestID, client)
		}
		c.Response().Header().Set(headerRequestID, id)
		return next(c)
	}
}

// recover turns a panic into 500 UNKNOWN_ERROR; the stack goes to the log,
// never to the client.
func (s *server) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "path", c.Path(), "requestId", requestIDOf(c),
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				err = writeError(c, http.StatusInternalServerError, operations.CodeUnknown, "internal error", nil)
			}
		}()
		return next(c)
	}
}

// accessLog writes one line per finished request. It never logs
// credentials: no Authorization or x-api-key header, no query string.
func (s *server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := s.opts.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		attrs := []any{
			"method", req.Method,
			"path", routePath(c),
			"status", res.Status,
			"latencyMs", s.opts.Now().Sub(start).Milliseconds(),
			"bytesIn", req.ContentLength,
			"bytesOut", res.Size,
			"requestId", requestIDOf(c),
		}
		if id, ok := c.Get(ctxClientRequestID).(string); ok {
			attrs = append(attrs, "clientRequestId", id)
		}
		if p, ok := auth.PrincipalFrom(req.Context()); ok {
			attrs = append(attrs, "identityId", p.AccountID, "keyId", p.KeyID)
		}
		s.log.Info("http request", attrs...)
		return nil
	}
}

// routePath is the route template (/api/operations/:operationId), or the
// raw path when no route matched, without the query string.
func routePath(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return c.Request().URL.Path
}

// bodyReadTimeout bounds the time a client may take to send a request
// body, so a client that announces a body and sends it slowly cannot hold a
// connection for ever. It does not limit responses, which may stream.
const bodyReadTimeout = 30 * time.Second

// bodyLimit rejects bodies larger than BodyLimitBytes with 413: at once
// when Content-Length exceeds it, otherwise when reading passes the limit.
// It also sets the body's read deadline.
func (s *server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	limit := s.opts.BodyLimitBytes
	return func(c echo.Context) error {
		req := c.Request()
		if limit <= 0 || req.Body == nil || req.Body == http.NoBody {
			return next(c)
		}
		if req.ContentLength > limit {
			return tooLarge(c, limit)
		}
		if err := http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(bodyReadTimeout)); err != nil {
			s.log.Debug("setting the request body deadline", "requestId", requestIDOf(c), "error", err)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
		return next(c)
	}
}

func tooLarge(c echo.Context, limit int64) error {
	return writeError(c, http.StatusRequestEntityTooLarge, codePayloadTooLarge,
		"request body exceeds "+strconv.FormatInt(limit, 10)+" bytes", nil)
}

// isTooLarge reports whether a read failed because of bodyLimit.
func isTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// cors handles preflight requests and sets CORS headers for the listed
// origins only.
func (s *server) cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		origin := c.Request().Header.Get("Origin")
		if origin == "" || !slices.Contains(s.opts.CORSOrigins, origin) {
			return next(c)
		}
		h := c.Response().Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", headerRequestID)
		if c.Request().Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Api-Key, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			return c.NoContent(http.StatusNoContent)
		}
		return next(c)
	}
}

// authenticate resolves the API key once and stores the principal in the
// request context. Only /health* is open.
func (s *server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if isHealthPath(req.URL.Path) {
			return next(c)
		}
		token := auth.TokenFromRequest(req, req.URL.Path == "/ws")
		p, err := s.opts.Authenticate(req.Context(), token)
		switch {
		case errors.Is(err, auth.ErrUnauthenticated):
			return writeError(c, http.StatusUnauthorized, operations.CodeUnauthenticated, "invalid API key", nil)
		case err != nil:
			s.log.Error("authenticating request", "path", req.URL.Path, "requestId", requestIDOf(c), "error", err)
			return writeError(c, http.StatusServiceUnavailable, codeUnavailable, "authentication is unavailable", nil)
		}
		c.SetRequest(req.WithContext(auth.WithPrincipal(req.Context(), p)))
		return next(c)
	}
}

// readinessGate responds with 503 on every route but /health* until startup has
// finished and again once shutdown has begun.
func (s *server) readinessGate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if isHealthPath(c.Request().URL.Path) {
			return next(c)
		}
		switch s.opts.Health.Status() {
		case health.StatusReady:
			return next(c)
		case health.StatusStopping:
			return writeError(c, http.StatusServiceUnavailable, codeUnavailable, "hub is stopping", nil)
		case health.StatusFailed:
			return writeError(c, http.StatusServiceUnavailable, codeUnavailable, "hub failed to start", nil)
		default:
			return writeError(c, http.StatusServiceUnavailable, codeUnavailable, "hub is starting", nil)
		}
	}
}

// deadlineFor returns the deadline of a call entering from HTTP: now plus
// the requested timeout (or def when none), capped at now plus max.
func deadlineFor(now time.Time, timeoutMs *int64, def, max time.Duration) time.Time {
	d := def
	if timeoutMs != nil {
		d = time.Duration(*timeoutMs) * time.Millisecond
	}
	if d > max {
		d = max
	}
	return now.Add(d)
}

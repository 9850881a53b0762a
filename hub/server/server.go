// Package server is the hub's HTTP surface: the echo application with its
// middleware chain (request id, recover, access log, body limit, CORS,
// readiness gate, auth) and the REST routes. Routes are thin projections of
// operations: listing, search and schema run the hub.list, hub.search and
// hub.schema operations, and /api/call and /api/subscribe invoke the target
// operation through the hub's Invoker.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/health"
	"github.com/alkdev/alkhub/operations"
)

// Options wires the HTTP surface to the rest of the hub. Every function
// field is required unless marked optional.
type Options struct {
	Logger *slog.Logger // optional; nil discards

	// BodyLimitBytes bounds request bodies on /api/*.
	BodyLimitBytes int64
	// CORSOrigins lists the browser origins allowed; empty turns CORS off.
	CORSOrigins []string
	// DefaultTimeout is a call's deadline when the request sets none;
	// MaxTimeout caps any requested timeout.
	DefaultTimeout, MaxTimeout time.Duration
	// SSEPingInterval is the gap between keep-alive comments on
	// /api/subscribe (15 s when zero).
	SSEPingInterval time.Duration

	Authenticate func(ctx context.Context, token string) (auth.Principal, error)
	Invoker      operations.Invoker
	// LookupSpec returns the spec of an operation id, so the server can
	// pick Call or Subscribe and map declared error codes to statuses.
	LookupSpec func(id string) (operations.OperationSpec, bool)
	Health     *health.Tracker
	// WebSocket serves GET /ws after authentication; the principal is in
	// the request context (auth.PrincipalFrom).
	WebSocket http.Handler
	Now       func() time.Time // optional; time.Now
}

// New returns the echo application serving the hub's routes.
func New(o Options) *echo.Echo {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.SSEPingInterval <= 0 {
		o.SSEPingInterval = 15 * time.Second
	}
	s := &server{opts: o, log: o.Logger}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError

	e.Use(s.requestID, s.recover, s.accessLog, s.bodyLimit)
	if len(o.CORSOrigins) > 0 {
		e.Use(s.cors)
	}
	// The gate runs before authentication: while the hub starts, every
	// request responds with 503, whether or not its key could be checked yet.
	e.Use(s.readinessGate, s.authenticate)

	e.GET("/health", s.health)
	e.GET("/health/live", s.live)
	e.GET("/ws", s.webSocket)

	api := e.Group("/api")
	api.GET("/operations", s.listOperations)
	api.GET("/operations/search", s.searchOperations)
	api.GET("/operations/:operationId", s.getOperation)
	api.POST("/call", s.call)
	api.POST("/subscribe", s.subscribe)
	return e
}

type server struct {
	opts Options
	log  *slog.Logger
}

func (s *server) health(c echo.Context) error {
	r := s.opts.Health.Report()
	status := http.StatusOK
	if r.Status != health.StatusReady {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, r)
}

// webSocket hands GET /ws to the spoke endpoint. A successful upgrade
// hijacks the connection without echo seeing the 101 status, so it is
// recorded here for the access log.
func (s *server) webSocket(c echo.Context) error {
	s.opts.WebSocket.ServeHTTP(c.Response(), c.Request())
	if !c.Response().Committed {
		c.Response().Status = http.StatusSwitchingProtocols
	}
	return nil
}

func (s *server) live(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "alive"})
}

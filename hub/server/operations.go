package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
)

// The listing routes run the hub's own operations, so REST, WebSocket and
// MCP clients see the same results and the same errors.
const (
	opList   = "hub.list"
	opSearch = "hub.search"
	opSchema = "hub.schema"
)

// listOperations serves GET /api/operations.
func (s *server) listOperations(c echo.Context) error {
	in := map[string]any{}
	q := c.QueryParams()
	if v := q.Get("namespace"); v != "" {
		in["namespace"] = v
	}
	if v := q.Get("type"); v != "" {
		in["type"] = v
	}
	if v := q.Get("cursor"); v != "" {
		in["cursor"] = v
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return validationError(c, "/limit", "limit must be an integer")
		}
		in["limit"] = n
	}
	if v := q.Get("includeUnavailable"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return validationError(c, "/includeUnavailable", "includeUnavailable must be true or false")
		}
		in["includeUnavailable"] = b
	}
	return s.runHubOperation(c, opList, in)
}

// searchOperations serves GET /api/operations/search.
func (s *server) searchOperations(c echo.Context) error {
	in := map[string]any{"query": c.QueryParam("q")}
	if in["query"] == "" {
		return validationError(c, "/q", "q is required")
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return validationError(c, "/limit", "limit must be an integer")
		}
		in["limit"] = n
	}
	return s.runHubOperation(c, opSearch, in)
}

// getOperation serves GET /api/operations/:operationId.
func (s *server) getOperation(c echo.Context) error {
	return s.runHubOperation(c, opSchema, map[string]any{"operationId": c.Param("operationId")})
}

// runHubOperation calls one of the hub's listing operations and answers
// with its data.
func (s *server) runHubOperation(c echo.Context, id string, input map[string]any) error {
	raw, err := json.Marshal(input)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(c.Request().Context())
	env, err := s.opts.Invoker.Call(c.Request().Context(), id, json.RawMessage(raw), operations.CallOptions{
		RequestID: requestIDOf(c),
		Deadline:  deadlineFor(s.opts.Now(), nil, s.opts.DefaultTimeout, s.opts.MaxTimeout),
		Identity:  &p.Identity,
	})
	if err != nil {
		spec, _ := s.opts.LookupSpec(id)
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	return c.JSON(http.StatusOK, env.Data)
}

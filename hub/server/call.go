package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
)

// callRequest is the body of POST /api/call and POST /api/subscribe.
type callRequest struct {
	OperationID   string          `json:"operationId"`
	Input         json.RawMessage `json:"input"`
	TimeoutMs     *int64          `json:"timeoutMs"`
	IdleTimeoutMs *int64          `json:"idleTimeoutMs"`
	Metadata      map[string]any  `json:"metadata"`
}

// maxOperationIDLength bounds operation ids in requests; ids are
// namespace segments and a name, far shorter in practice.
const maxOperationIDLength = 512

// decodeStrict decodes one JSON object into v, rejecting unknown fields and
// trailing data. On failure it returns the JSON Pointer of the bad field
// ("" for the whole body) and a message in JSON terms.
func decodeStrict(body []byte, v any) (path, msg string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return "", "the body must hold exactly one JSON object"
		}
		return "", ""
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := strings.ReplaceAll(typeErr.Field, ".", "/")
		if field == "" {
			return "", "the body must be a JSON object, not " + typeErr.Value
		}
		return "/" + field, field + " must be " + jsonKind(typeErr.Type.Kind()) + ", not " + typeErr.Value
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "/" + strings.Trim(name, `"`), "unknown field " + name
	}
	return "", "the body is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names the JSON type that decodes into a Go kind.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a different JSON type"
}

// readCallRequest decodes and checks the body. On failure it has already
// written the error response and returns ok false.
func (s *server) readCallRequest(c echo.Context, subscribe bool) (callRequest, bool, error) {
	var req callRequest
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		if isTooLarge(err) {
			return req, false, tooLarge(c, s.opts.BodyLimitBytes)
		}
		return req, false, validationError(c, "", "reading the request body failed: "+err.Error())
	}
	if path, msg := decodeStrict(body, &req); msg != "" {
		return req, false, validationError(c, path, msg)
	}
	if req.OperationID == "" {
		return req, false, validationError(c, "/operationId", "operationId is required")
	}
	if len(req.OperationID) > maxOperationIDLength {
		return req, false, validationError(c, "/operationId",
			"operationId must be at most "+strconv.Itoa(maxOperationIDLength)+" bytes")
	}
	if len(req.Input) == 0 || string(req.Input) == "null" {
		req.Input = json.RawMessage("{}")
	}
	maxMs := s.opts.MaxTimeout.Milliseconds()
	if t := req.TimeoutMs; t != nil && (*t < 1 || *t > maxMs) {
		return req, false, validationError(c, "/timeoutMs", "timeoutMs must be between 1 and "+strconv.FormatInt(maxMs, 10))
	}
	if t := req.IdleTimeoutMs; t != nil && (!subscribe || *t < 1) {
		if !subscribe {
			return req, false, validationError(c, "/idleTimeoutMs", "idleTimeoutMs applies to /api/subscribe only")
		}
		return req, false, validationError(c, "/idleTimeoutMs", "idleTimeoutMs must be at least 1")
	}

	p, _ := auth.PrincipalFrom(c.Request().Context())
	if !p.HasScope(auth.ScopeOpsCall) {
		return req, false, writeCallError(c, operations.NewCallError(operations.CodeAccessDenied,
			"Access denied for operation: "+req.OperationID,
			map[string]any{"operationId": req.OperationID, "requiredScopes": []string{auth.ScopeOpsCall}}), nil)
	}
	return req, true, nil
}

// call serves POST /api/call. The call's requestId is the X-Request-Id of
// the answer. A subscription operation responds with its first item and the
// stream is then aborted.
func (s *server) call(c echo.Context) error {
	req, ok, err := s.readCallRequest(c, false)
	if !ok {
		return err
	}
	spec, _ := s.opts.LookupSpec(req.OperationID)
	p, _ := auth.PrincipalFrom(c.Request().Context())
	ctx := c.Request().Context()
	deadline := deadlineFor(s.opts.Now(), req.TimeoutMs, s.opts.DefaultTimeout, s.opts.MaxTimeout)

	if spec.Type == operations.TypeSubscription {
		return s.firstItem(c, req, spec, p, deadline)
	}
	env, err := s.opts.Invoker.Call(ctx, req.OperationID, req.Input, operations.CallOptions{
		RequestID: requestIDOf(c),
		Deadline:  deadline,
		Identity:  &p.Identity,
		Metadata:  req.Metadata,
	})
	if err != nil {
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	return c.JSON(http.StatusOK, env)
}

func (s *server) firstItem(c echo.Context, req callRequest, spec operations.OperationSpec,
	p auth.Principal, deadline time.Time) error {
	ctx := c.Request().Context()
	stream, err := s.opts.Invoker.Subscribe(ctx, req.OperationID, req.Input, operations.SubscribeOptions{
		RequestID: requestIDOf(c),
		Identity:  &p.Identity,
		Metadata:  req.Metadata,
	})
	if err != nil {
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	defer stream.Close()

	waitCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	env, err := stream.Next(waitCtx)
	switch {
	case err == io.EOF:
		return c.JSON(http.StatusOK, operations.LocalEnvelope(nil, req.OperationID))
	case err != nil:
		return writeCallError(c, err, spec.ErrorSchemas)
	}
	return c.JSON(http.StatusOK, env)
}

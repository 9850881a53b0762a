package server

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/alkdev/alkhub/operations"
)

// HTTP-only error codes. They never appear in a call.error.
const (
	codeUnavailable      = "UNAVAILABLE"
	codeNotFound         = "NOT_FOUND"
	codePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	codeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	codeBadRequest       = "BAD_REQUEST"
)

// ErrorBody is the JSON body of every error response outside /v1/* and /mcp.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of an ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Details   any    `json:"details,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// writeCallError responds with the status of the error's code and an
// ErrorBody; defs are the operation's declared errors, if any.
func writeCallError(c echo.Context, err error, defs []operations.ErrorDefinition) error {
	ce := operations.MapError(err, defs)
	status := operations.HTTPStatus(ce.Code, defs)
	return c.JSON(status, ErrorBody{Error: ErrorDetail{
		Code:      ce.Code,
		Message:   ce.Message,
		Details:   ce.Details,
		RequestID: requestIDOf(c),
	}})
}

func writeError(c echo.Context, status int, code, message string, details any) error {
	return c.JSON(status, ErrorBody{Error: ErrorDetail{
		Code:      code,
		Message:   message,
		Details:   details,
		RequestID: requestIDOf(c),
	}})
}

// validationError answers 400 VALIDATION_ERROR for a malformed request,
// with one {path, message} entry.
func validationError(c echo.Context, path, message string) error {
	return writeCallError(c, operations.NewCallError(operations.CodeValidation,
		"Invalid request: "+message,
		[]operations.ValueError{{Path: path, Message: message}}), nil)
}

// handleError renders errors that escape a handler, including echo's own
// (unknown route, body too large), as an ErrorBody.
func (s *server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		s.log.Error("request failed", "path", c.Path(), "requestId", requestIDOf(c), "error", err)
		_ = writeError(c, http.StatusInternalServerError, operations.CodeUnknown, "internal error", nil)
		return
	}
	msg := http.StatusText(he.Code)
	if m, ok := he.Message.(string); ok {
		msg = m
	}
	code := codeBadRequest
	switch he.Code {
	case http.StatusNotFound:
		code = codeNotFound
	case http.StatusMethodNotAllowed:
		code = codeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		code = codePayloadTooLarge
	case http.StatusUnauthorized:
		code = operations.CodeUnauthenticated
	case http.StatusServiceUnavailable:
		code = codeUnavailable
	}
	if he.Code >= 500 && he.Code != http.StatusServiceUnavailable {
		code = operations.CodeUnknown
	}
	_ = writeError(c, he.Code, code, msg, nil)
}

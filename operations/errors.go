package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Infrastructure error codes. Each constant's value equals its name.
const (
	CodeOperationNotFound = "OPERATION_NOT_FOUND"
	CodeAccessDenied      = "ACCESS_DENIED"
	CodeValidation        = "VALIDATION_ERROR"
	CodeTimeout           = "TIMEOUT"
	CodeAborted           = "ABORTED"
	CodeExecution         = "EXECUTION_ERROR"
	CodeUnknown           = "UNKNOWN_ERROR"
)

// Hub error codes, declared here so that spokes can test for them and the
// status table stays in one place.
const (
	CodeUnauthenticated   = "UNAUTHENTICATED"
	CodeSpokeUnavailable  = "SPOKE_UNAVAILABLE"
	CodeSpokeDisconnected = "SPOKE_DISCONNECTED"
	CodeRateLimited       = "RATE_LIMITED"
	CodeSessionBusy       = "SESSION_BUSY"
	CodeConflict          = "CONFLICT"
)

// CallError is the error of a failed call, the same in-process and on the
// wire. Its JSON form is {"code","message","details"?}. Any code other than
// the infrastructure and hub codes is a domain code.
type CallError struct {
	Code    string
	Message string
	// Details is a JSON-serialisable value; nil is not written.
	Details any

	cause error // kept for errors.Is and errors.As; never serialised
}

// NewCallError returns a CallError without cause.
func NewCallError(code, message string, details any) *CallError {
	return &CallError{Code: code, Message: message, Details: details}
}

// newCallErrorCause returns a CallError that wraps cause.
func newCallErrorCause(code, message string, details any, cause error) *CallError {
	return &CallError{Code: code, Message: message, Details: details, cause: cause}
}

// Error returns Message unchanged, so messages cross hops intact.
func (e *CallError) Error() string { return e.Message }

// Unwrap returns the error this CallError was mapped from, if any.
func (e *CallError) Unwrap() error { return e.cause }

// Is reports whether target is a *CallError with an empty Message and the
// same Code, which makes the code sentinels (ErrAccessDenied, …) match.
func (e *CallError) Is(target error) bool {
	t, ok := target.(*CallError)
	return ok && t.Message == "" && t.Code == e.Code
}

type callErrorJSON struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// MarshalJSON writes {"code","message","details"?}.
func (e *CallError) MarshalJSON() ([]byte, error) {
	return json.Marshal(callErrorJSON{Code: e.Code, Message: e.Message, Details: e.Details})
}

// UnmarshalJSON reads {"code","message","details"?}; details decode as
// generic JSON.
func (e *CallError) UnmarshalJSON(b []byte) error {
	var v callErrorJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decoding call error: %w", err)
	}
	*e = CallError{Code: v.Code, Message: v.Message, Details: v.Details}
	return nil
}

// Code sentinels for errors.Is; each holds only its Code.
var (
	ErrOperationNotFound = &CallError{Code: CodeOperationNotFound}
	ErrAccessDenied      = &CallError{Code: CodeAccessDenied}
	ErrValidation        = &CallError{Code: CodeValidation}
	ErrTimeout           = &CallError{Code: CodeTimeout}
	ErrAborted           = &CallError{Code: CodeAborted}
	ErrExecution         = &CallError{Code: CodeExecution}
	ErrUnknown           = &CallError{Code: CodeUnknown}
)

// Sentinels for registration and protocol failures.
var (
	// ErrHandlerKind: the handler kind does not match the operation type.
	ErrHandlerKind = errors.New("handler kind does not match operation type")
	// ErrUnknownOperation: a handler was registered for an id without spec.
	ErrUnknownOperation = errors.New("unknown operation")
	// ErrWrongOperationType: Execute on a subscription or Subscribe on a
	// query or mutation.
	ErrWrongOperationType = errors.New("wrong operation type")
	// ErrNotEnvelope: a value that must be a ResponseEnvelope is not one.
	ErrNotEnvelope = errors.New("not a ResponseEnvelope")
	// ErrClosed: the PendingRequestMap or Server was closed.
	ErrClosed = errors.New("operations: closed")
)

// CodeOf returns the code of the first *CallError in err's chain, or "".
func CodeOf(err error) string {
	var ce *CallError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// MapError turns any error into a *CallError; the first rule that applies
// wins:
//  1. a *CallError in err's chain is returned as is (same pointer);
//  2. a message that equals a declared code, or starts with code + ":",
//     gets that code (prefix, not substring);
//  3. context.DeadlineExceeded gives TIMEOUT and context.Canceled ABORTED;
//  4. anything else is EXECUTION_ERROR with details {"message"}.
//
// The result wraps err. MapError(nil, …) returns nil.
func MapError(err error, defs []ErrorDefinition) *CallError {
	if err == nil {
		return nil
	}
	var ce *CallError
	if errors.As(err, &ce) {
		return ce
	}

	msg := err.Error()
	for _, d := range defs {
		if d.Code != "" && (msg == d.Code || strings.HasPrefix(msg, d.Code+":")) {
			return newCallErrorCause(d.Code, msg, map[string]any{"message": msg}, err)
		}
	}

	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return newCallErrorCause(CodeTimeout, msg, nil, err)
	case errors.Is(err, context.Canceled):
		return newCallErrorCause(CodeAborted, msg, nil, err)
	}
	return newCallErrorCause(CodeExecution, msg, map[string]any{"message": msg}, err)
}

// MapPanic turns a recovered panic value into UNKNOWN_ERROR with message
// fmt.Sprint(v) and details {"raw": fmt.Sprint(v)}. An error value stays
// reachable through errors.Is and errors.As.
func MapPanic(v any) *CallError {
	text := fmt.Sprint(v)
	cause, _ := v.(error)
	return newCallErrorCause(CodeUnknown, text, map[string]any{"raw": text}, cause)
}

func notFoundError(id string) *CallError {
	return NewCallError(CodeOperationNotFound, "Operation not found: "+id,
		map[string]any{"operationId": id})
}

func noHandlerError(id string) *CallError {
	return NewCallError(CodeOperationNotFound, "No handler registered for operation: "+id,
		map[string]any{"operationId": id})
}

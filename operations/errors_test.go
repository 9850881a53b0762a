package operations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestCallErrorFields(t *testing.T) {
	ce := NewCallError("TEST_CODE", "test message", map[string]any{"foo": "bar"})
	if ce.Code != "TEST_CODE" || ce.Message != "test message" {
		t.Errorf("got code %q message %q", ce.Code, ce.Message)
	}
	if ce.Error() != "test message" {
		t.Errorf("Error() = %q", ce.Error())
	}
	var target *CallError
	if !errors.As(fmt.Errorf("wrapped: %w", ce), &target) || target != ce {
		t.Errorf("errors.As did not find the CallError")
	}
	assertJSON(t, ce, `{"code":"TEST_CODE","message":"test message","details":{"foo":"bar"}}`)
}

func TestCallErrorWithoutDetails(t *testing.T) {
	ce := NewCallError("X", "y", nil)
	if ce.Details != nil {
		t.Errorf("Details = %v, want nil", ce.Details)
	}
	b, _ := json.Marshal(ce)
	if string(b) != `{"code":"X","message":"y"}` {
		t.Errorf("JSON = %s", b)
	}
}

func TestCallErrorJSONRoundTrip(t *testing.T) {
	var ce CallError
	if err := json.Unmarshal([]byte(`{"code":"A","message":"b","details":[1]}`), &ce); err != nil {
		t.Fatal(err)
	}
	if ce.Code != "A" || ce.Message != "b" {
		t.Errorf("decoded %+v", ce)
	}
	assertJSON(t, ce.Details, `[1]`)
}

func TestCodeConstantsEqualNames(t *testing.T) {
	codes := map[string]string{
		CodeOperationNotFound: "OPERATION_NOT_FOUND", CodeAccessDenied: "ACCESS_DENIED",
		CodeValidation: "VALIDATION_ERROR", CodeTimeout: "TIMEOUT", CodeAborted: "ABORTED",
		CodeExecution: "EXECUTION_ERROR", CodeUnknown: "UNKNOWN_ERROR",
		CodeUnauthenticated: "UNAUTHENTICATED", CodeSpokeUnavailable: "SPOKE_UNAVAILABLE",
		CodeSpokeDisconnected: "SPOKE_DISCONNECTED", CodeRateLimited: "RATE_LIMITED",
		CodeSessionBusy: "SESSION_BUSY", CodeConflict: "CONFLICT",
	}
	if len(codes) != 13 {
		t.Fatalf("codes are not distinct: %d", len(codes))
	}
	for got, want := range codes {
		if got != want {
			t.Errorf("constant %q != %q", got, want)
		}
	}
}

func TestMapErrorKeepsCallError(t *testing.T) {
	ce := NewCallError("X", "y", nil)
	if MapError(ce, nil) != ce {
		t.Error("MapError(ce) is not the same pointer")
	}
	if MapError(fmt.Errorf("x: %w", ce), nil) != ce {
		t.Error("MapError(wrapped ce) is not the same pointer")
	}
}

func TestMapErrorPlainError(t *testing.T) {
	orig := errors.New("something broke")
	m := MapError(orig, nil)
	if m.Code != CodeExecution || m.Message != "something broke" {
		t.Errorf("got %s %q", m.Code, m.Message)
	}
	assertJSON(t, m.Details, `{"message":"something broke"}`)
	if !errors.Is(m, orig) {
		t.Error("mapped error does not wrap the original")
	}
}

func TestMapErrorDeclaredCodes(t *testing.T) {
	defs := []ErrorDefinition{{Code: "NOT_FOUND"}}
	tests := []struct {
		name, msg, want string
	}{
		{"prefix", "NOT_FOUND: item missing", "NOT_FOUND"},
		{"substring is not a match", "ITEM_NOT_FOUND: nope", CodeExecution},
		{"exact", "NOT_FOUND", "NOT_FOUND"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := MapError(errors.New(tc.msg), defs)
			if m.Code != tc.want {
				t.Errorf("code = %s, want %s", m.Code, tc.want)
			}
			if m.Message != tc.msg {
				t.Errorf("message = %q", m.Message)
			}
		})
	}
}

func TestMapPanic(t *testing.T) {
	m := MapPanic("string error")
	if m.Code != CodeUnknown || m.Message != "string error" {
		t.Errorf("got %s %q", m.Code, m.Message)
	}
	assertJSON(t, m.Details, `{"raw":"string error"}`)
	assertJSON(t, MapPanic(42).Details, `{"raw":"42"}`)
}

func TestMapErrorContextErrors(t *testing.T) {
	if c := MapError(context.Canceled, nil).Code; c != CodeAborted {
		t.Errorf("Canceled → %s", c)
	}
	m := MapError(fmt.Errorf("waiting: %w", context.DeadlineExceeded), nil)
	if m.Code != CodeTimeout || m.Details != nil {
		t.Errorf("DeadlineExceeded → %s %v", m.Code, m.Details)
	}
	if !errors.Is(m, context.DeadlineExceeded) {
		t.Error("TIMEOUT does not wrap DeadlineExceeded")
	}
}

func TestCallErrorIsSentinel(t *testing.T) {
	if !errors.Is(NewCallError("ACCESS_DENIED", "x", nil), ErrAccessDenied) {
		t.Error("ACCESS_DENIED does not match ErrAccessDenied")
	}
	if errors.Is(NewCallError("TIMEOUT", "x", nil), ErrAccessDenied) {
		t.Error("TIMEOUT matches ErrAccessDenied")
	}
	if CodeOf(fmt.Errorf("w: %w", ErrTimeout)) != CodeTimeout || CodeOf(errors.New("x")) != "" {
		t.Error("CodeOf is wrong")
	}
}

func TestHTTPStatusTable(t *testing.T) {
	rows := map[string]int{
		CodeValidation: 400, CodeUnauthenticated: 401, CodeAccessDenied: 403,
		CodeOperationNotFound: 404, CodeSessionBusy: 409, CodeConflict: 409,
		CodeRateLimited: 429, CodeAborted: 499, CodeExecution: 500, CodeUnknown: 500,
		CodeSpokeUnavailable: 503, CodeSpokeDisconnected: 503, CodeTimeout: 504,
		"SOME_DOMAIN_CODE": http.StatusUnprocessableEntity,
	}
	for code, want := range rows {
		if got := HTTPStatus(code, nil); got != want {
			t.Errorf("HTTPStatus(%s) = %d, want %d", code, got, want)
		}
	}
	defs := []ErrorDefinition{
		{Code: "NOT_FOUND", HTTPStatus: 404},
		{Code: CodeValidation, HTTPStatus: 422},
		{Code: "NO_STATUS"},
	}
	for code, want := range map[string]int{"NOT_FOUND": 404, CodeValidation: 422, "NO_STATUS": 422} {
		if got := HTTPStatus(code, defs); got != want {
			t.Errorf("declared HTTPStatus(%s) = %d, want %d", code, got, want)
		}
	}
}

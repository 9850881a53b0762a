package operations

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	testOpInputSchema  = `{"type":"object","properties":{"value":{"type":"string"}},"required":["value"]}`
	testOpOutputSchema = `{"type":"object","properties":{"result":{"type":"string"}},"required":["result"]}`
)

// testOpSpec is the spec of test.testOp: a query taking {"value": string}
// and returning {"result": string}.
func testOpSpec() OperationSpec {
	return OperationSpec{
		Namespace:     "test",
		Name:          "testOp",
		Version:       "1.0.0",
		Type:          TypeQuery,
		Description:   "test operation",
		InputSchema:   json.RawMessage(testOpInputSchema),
		OutputSchema:  json.RawMessage(testOpOutputSchema),
		AccessControl: AccessControl{RequiredScopes: []string{}},
	}
}

// testOpHandler returns {"result": "processed: " + value}.
func testOpHandler(_ context.Context, input json.RawMessage, _ *OperationContext) (any, error) {
	var in struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(input, &in); err != nil {
		return nil, err
	}
	return map[string]any{"result": "processed: " + in.Value}, nil
}

func testOp() Operation {
	return Operation{Spec: testOpSpec(), Handler: testOpHandler}
}

// streamOp returns test.stream, a subscription with input {} that yields items.
func streamOp(items ...any) Operation {
	return Operation{
		Spec: OperationSpec{
			Namespace: "test", Name: "stream", Type: TypeSubscription,
			InputSchema: json.RawMessage(`{}`), OutputSchema: json.RawMessage(`{}`),
		},
		Stream: func(context.Context, json.RawMessage, *OperationContext) (iter.Seq2[any, error], error) {
			return func(yield func(any, error) bool) {
				for _, it := range items {
					if !yield(it, nil) {
						return
					}
				}
			}, nil
		},
	}
}

func mustRegister(t *testing.T, r *Registry, ops ...Operation) {
	t.Helper()
	for _, op := range ops {
		if err := r.Register(op); err != nil {
			t.Fatalf("Register(%s): %v", op.ID(), err)
		}
	}
}

// toJSONValue marshals v and decodes it into generic JSON.
func toJSONValue(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return out
}

// assertJSON compares v, as JSON, with the JSON text want.
func assertJSON(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON %s: %v", want, err)
	}
	if diff := cmp.Diff(w, toJSONValue(t, got)); diff != "" {
		t.Errorf("JSON mismatch (-want +got):\n%s", diff)
	}
}

// asCallError returns err's *CallError or fails the test.
func asCallError(t *testing.T, err error) *CallError {
	t.Helper()
	var ce *CallError
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T) holds no *CallError", err, err)
	}
	return ce
}

func assertCode(t *testing.T, err error, code string) *CallError {
	t.Helper()
	ce := asCallError(t, err)
	if ce.Code != code {
		t.Fatalf("code = %s (message %q), want %s", ce.Code, ce.Message, code)
	}
	return ce
}

// logBuffer is a concurrency-safe log sink for tests.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) count(substr string) int {
	return strings.Count(b.String(), substr)
}

func newTestLogger() (*slog.Logger, *logBuffer) {
	buf := &logBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

package operations

import (
	"encoding/json"
	"fmt"
	"math"
)

// Call protocol event types. Every call event is published with id "", so
// its topic is "<type>:", and is correlated by the payload's requestId.
const (
	EventCallRequested = "call.requested"
	EventCallResponded = "call.responded"
	EventCallCompleted = "call.completed"
	EventCallAborted   = "call.aborted"
	EventCallError     = "call.error"
)

// CallRequested is the payload of call.requested (caller to server). It has
// no trusted field: a "trusted" key in incoming JSON is ignored.
type CallRequested struct {
	RequestID   string `json:"requestId"`
	OperationID string `json:"operationId"`
	// Input is marshalled once by the caller and handed through as is.
	Input           json.RawMessage `json:"input"`
	ParentRequestID string          `json:"parentRequestId,omitempty"`
	// Deadline is absolute milliseconds since the epoch; 0 means none. It
	// becomes the handler context's deadline.
	Deadline int64 `json:"deadline,omitempty"`
	// IdleTimeout is the maximum gap between two stream events, in
	// milliseconds; 0 means none. The caller enforces it.
	IdleTimeout int64          `json:"idleTimeout,omitempty"`
	Identity    *Identity      `json:"identity,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

// UnmarshalJSON decodes the payload; deadline and idleTimeout accept any
// JSON number, and fractions are truncated.
func (c *CallRequested) UnmarshalJSON(b []byte) error {
	type plain CallRequested
	var v struct {
		plain
		Deadline    json.Number `json:"deadline"`
		IdleTimeout json.Number `json:"idleTimeout"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("decoding call.requested: %w", err)
	}
	deadline, err := truncateNumber(v.Deadline)
	if err != nil {
		return fmt.Errorf("decoding call.requested deadline: %w", err)
	}
	idle, err := truncateNumber(v.IdleTimeout)
	if err != nil {
		return fmt.Errorf("decoding call.requested idleTimeout: %w", err)
	}
	*c = CallRequested(v.plain)
	c.Deadline, c.IdleTimeout = deadline, idle
	return nil
}

func truncateNumber(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	if i, err := n.Int64(); err == nil {
		return i, nil
	}
	f, err := n.Float64()
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || f > math.MaxInt64 || f < math.MinInt64 {
		return 0, fmt.Errorf("number %s out of range", n)
	}
	return int64(f), nil
}

// CallResponded is the payload of call.responded (server to caller): one per
// call, one per item of a stream. Output is always a ResponseEnvelope.
type CallResponded struct {
	RequestID string            `json:"requestId"`
	Output    *ResponseEnvelope `json:"output"`
}

// CallCompleted is the payload of call.completed, the natural end of a stream.
type CallCompleted struct {
	RequestID string `json:"requestId"`
}

// CallAborted is the payload of call.aborted: the caller cancels, or either
// side cascades a cancellation.
type CallAborted struct {
	RequestID string `json:"requestId"`
}

// CallErrorEvent is the payload of call.error (server to caller).
type CallErrorEvent struct {
	RequestID string `json:"requestId"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Details   any    `json:"details,omitempty"`
}

// callErrorEvent builds the call.error payload of err for requestID.
func callErrorEvent(requestID string, err error) CallErrorEvent {
	ce := MapError(err, nil)
	return CallErrorEvent{RequestID: requestID, Code: ce.Code, Message: ce.Message, Details: ce.Details}
}

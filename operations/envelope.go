package operations

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Envelope sources, the discriminant of ResponseMeta.
const (
	SourceLocal = "local"
	SourceHTTP  = "http"
	SourceMCP   = "mcp"
)

// ResponseSources lists the envelope sources in their canonical order.
// Callers must not modify it.
var ResponseSources = []string{SourceLocal, SourceHTTP, SourceMCP}

// ResponseEnvelope is the result of every operation: {"data", "meta"}.
// Envelopes are immutable once returned or published, and in-process
// receivers may share the producer's pointer.
type ResponseEnvelope struct {
	// Data is the operation's output, always written (null when nil). An
	// envelope decoded from JSON holds the verbatim json.RawMessage, which is
	// re-encoded byte for byte; Unwrap decodes it.
	Data any
	// Meta records where the data came from: *LocalMeta, *HTTPMeta or *MCPMeta.
	Meta ResponseMeta
}

// ResponseMeta is the sealed union of *LocalMeta, *HTTPMeta and *MCPMeta.
type ResponseMeta interface {
	// Source returns "local", "http" or "mcp".
	Source() string
	isResponseMeta()
}

// LocalMeta describes data produced by an in-process handler.
type LocalMeta struct {
	OperationID string `json:"operationId"`
	// Timestamp is the wrap time in milliseconds since the epoch.
	Timestamp int64 `json:"timestamp"`
}

// HTTPMeta describes data received from an HTTP service.
type HTTPMeta struct {
	StatusCode int `json:"statusCode"`
	// Headers has lower-case names; repeated values are joined with ", ".
	// Always written, as {} when nil.
	Headers     map[string]string `json:"headers"`
	ContentType string            `json:"contentType"`
	// Event is the SSE event type of a stream item; "" is not written.
	Event string `json:"event,omitempty"`
	// LastEventID is the SSE id of a stream item; "" is not written.
	LastEventID string `json:"lastEventId,omitempty"`
}

// MCPMeta describes data received from an MCP tool call.
type MCPMeta struct {
	IsError bool `json:"isError"`
	// Content is always written, as [] when nil.
	Content           []MCPContentBlock `json:"content"`
	StructuredContent any               `json:"structuredContent,omitempty"`
	Meta              map[string]any    `json:"_meta,omitempty"`
}

// Source returns "local".
func (*LocalMeta) Source() string { return SourceLocal }

// Source returns "http".
func (*HTTPMeta) Source() string { return SourceHTTP }

// Source returns "mcp".
func (*MCPMeta) Source() string { return SourceMCP }

func (*LocalMeta) isResponseMeta() {}
func (*HTTPMeta) isResponseMeta()  {}
func (*MCPMeta) isResponseMeta()   {}

// MarshalJSON writes "source" first, then the fields.
func (m *LocalMeta) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Source      string `json:"source"`
		OperationID string `json:"operationId"`
		Timestamp   int64  `json:"timestamp"`
	}{SourceLocal, m.OperationID, m.Timestamp})
}

// MarshalJSON writes "source" first, then the fields.
func (m *HTTPMeta) MarshalJSON() ([]byte, error) {
	v := *m
	if v.Headers == nil {
		v.Headers = map[string]string{}
	}
	return json.Marshal(struct {
		Source string `json:"source"`
		HTTPMeta
	}{SourceHTTP, v})
}

// MarshalJSON writes "source" first, then the fields.
func (m *MCPMeta) MarshalJSON() ([]byte, error) {
	v := *m
	if v.Content == nil {
		v.Content = []MCPContentBlock{}
	}
	return json.Marshal(struct {
		Source string `json:"source"`
		MCPMeta
	}{SourceMCP, v})
}

// LocalEnvelope wraps data produced by operation operationID, stamped now.
func LocalEnvelope(data any, operationID string) *ResponseEnvelope {
	return &ResponseEnvelope{
		Data: data,
		Meta: &LocalMeta{OperationID: operationID, Timestamp: time.Now().UnixMilli()},
	}
}

// HTTPEnvelope wraps data received from an HTTP service.
func HTTPEnvelope(data any, m HTTPMeta) *ResponseEnvelope {
	return &ResponseEnvelope{Data: data, Meta: &m}
}

// MCPEnvelope wraps data received from an MCP tool call.
func MCPEnvelope(data any, m MCPMeta) *ResponseEnvelope {
	return &ResponseEnvelope{Data: data, Meta: &m}
}

// MarshalJSON writes {"data": …, "meta": {"source": …, …}}. A json.RawMessage
// in Data is written verbatim. A nil Meta is an error wrapping ErrNotEnvelope.
func (e *ResponseEnvelope) MarshalJSON() ([]byte, error) {
	if e.Meta == nil {
		return nil, fmt.Errorf("encoding response envelope: meta is nil: %w", ErrNotEnvelope)
	}
	var buf bytes.Buffer
	buf.WriteString(`{"data":`)
	if err := writeJSONValue(&buf, e.Data); err != nil {
		return nil, fmt.Errorf("encoding response envelope data: %w", err)
	}
	buf.WriteString(`,"meta":`)
	if lm, ok := e.Meta.(*LocalMeta); ok && plainJSONString(lm.OperationID) {
		// Fast path for the most common meta: no reflection, no re-scan.
		buf.WriteString(`{"source":"local","operationId":"`)
		buf.WriteString(lm.OperationID)
		buf.WriteString(`","timestamp":`)
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), lm.Timestamp, 10))
		buf.WriteString(`}}`)
		return buf.Bytes(), nil
	}
	meta, err := json.Marshal(e.Meta)
	if err != nil {
		return nil, fmt.Errorf("encoding response envelope meta: %w", err)
	}
	buf.Write(meta)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// plainJSONString reports whether s can be written between quotes as is:
// printable ASCII without quote, backslash or HTML-sensitive characters.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// writeJSONValue appends v's JSON; raw JSON is appended verbatim and nil as
// null.
func writeJSONValue(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
		return nil
	case json.RawMessage:
		if len(v) == 0 {
			buf.WriteString("null")
			return nil
		}
		if !json.Valid(v) {
			return errors.New("invalid raw JSON")
		}
		buf.Write(v)
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// UnmarshalJSON reads an envelope. Data keeps the verbatim JSON (nil for
// null or a missing key). A missing or null meta, or an unknown source, is
// an error wrapping ErrNotEnvelope.
func (e *ResponseEnvelope) UnmarshalJSON(b []byte) error {
	var raw struct {
		Data json.RawMessage `json:"data"`
		Meta json.RawMessage `json:"meta"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("decoding response envelope: %w", err)
	}
	meta, err := decodeMeta(raw.Meta)
	if err != nil {
		return err
	}
	e.Meta = meta
	e.Data = nil
	if len(raw.Data) > 0 && !bytes.Equal(raw.Data, []byte("null")) {
		e.Data = append(json.RawMessage(nil), raw.Data...)
	}
	return nil
}

func decodeMeta(raw json.RawMessage) (ResponseMeta, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("decoding response envelope: missing meta: %w", ErrNotEnvelope)
	}
	var head struct {
		Source string `json:"source"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("decoding response envelope meta: %w", err)
	}
	var meta ResponseMeta
	switch head.Source {
	case SourceLocal:
		meta = &LocalMeta{}
	case SourceHTTP:
		meta = &HTTPMeta{}
	case SourceMCP:
		meta = &MCPMeta{}
	default:
		return nil, fmt.Errorf("decoding response envelope meta: unknown source %q: %w",
			head.Source, ErrNotEnvelope)
	}
	if err := json.Unmarshal(raw, meta); err != nil {
		return nil, fmt.Errorf("decoding %s response meta: %w", head.Source, err)
	}
	return meta, nil
}

// Unwrap returns the envelope's data as T: by type assertion when Data
// already holds a T, else by decoding its JSON (nil data gives the zero T).
func Unwrap[T any](e *ResponseEnvelope) (T, error) {
	var zero T
	if e == nil {
		return zero, fmt.Errorf("unwrapping nil envelope: %w", ErrNotEnvelope)
	}
	if v, ok := e.Data.(T); ok {
		return v, nil
	}
	var raw []byte
	switch d := e.Data.(type) {
	case nil:
		return zero, nil
	case json.RawMessage:
		raw = d
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return zero, fmt.Errorf("unwrapping envelope data: %w", err)
		}
		raw = b
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return zero, fmt.Errorf("unwrapping envelope data into %T: %w", v, err)
	}
	return v, nil
}

// asEnvelope reports whether a handler result is an envelope: a non-nil
// *ResponseEnvelope (returned as is) or a ResponseEnvelope value (copied
// into a new pointer).
func asEnvelope(v any) (*ResponseEnvelope, bool) {
	switch e := v.(type) {
	case *ResponseEnvelope:
		if e == nil {
			return nil, false
		}
		return e, true
	case ResponseEnvelope:
		return &e, true
	}
	return nil, false
}

// HeartbeatEnvelope returns a heartbeat item for a long-lived stream: a local
// envelope whose data is {"_meta":{"heartbeat":true}}. Producers send one more
// often than the consumer's idle timeout.
func HeartbeatEnvelope(operationID string) *ResponseEnvelope {
	data := map[string]any{"_meta": map[string]any{"heartbeat": true}}
	return LocalEnvelope(data, operationID)
}

// IsHeartbeat reports whether env is a heartbeat item (see HeartbeatEnvelope),
// also after a JSON round trip.
func IsHeartbeat(env *ResponseEnvelope) bool {
	if env == nil || env.Meta == nil || env.Meta.Source() != SourceLocal {
		return false
	}
	data := env.Data
	if raw, ok := data.(json.RawMessage); ok {
		if err := json.Unmarshal(raw, &data); err != nil {
			return false
		}
	}
	obj, ok := data.(map[string]any)
	if !ok {
		return false
	}
	meta, ok := obj["_meta"].(map[string]any)
	return ok && meta["heartbeat"] == true
}

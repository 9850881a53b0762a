package operations

import (
	"encoding/json"
)

// DetectEnvelope reports whether v is a response envelope and returns it.
//
// For decoded generic JSON, v must be an object with both keys "data" (any
// value, null allowed) and "meta", where meta is an object whose "source" is
// one of ResponseSources and: local has a string operationId and a numeric
// timestamp; http a numeric statusCode; mcp a boolean isError and an array
// content. Arrays, primitives and null are never envelopes. A
// *ResponseEnvelope or ResponseEnvelope with a non-nil Meta is detected too.
func DetectEnvelope(v any) (*ResponseEnvelope, bool) {
	if e, ok := asEnvelope(v); ok {
		return e, e.Meta != nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	data, hasData := obj["data"]
	meta, _ := obj["meta"].(map[string]any)
	if !hasData || meta == nil {
		return nil, false
	}

	source, _ := meta["source"].(string)
	var m ResponseMeta
	switch source {
	case SourceLocal:
		opID, okID := meta["operationId"].(string)
		ts, okTS := jsonNumber(meta["timestamp"])
		if !okID || !okTS {
			return nil, false
		}
		m = &LocalMeta{OperationID: opID, Timestamp: int64(ts)}
	case SourceHTTP:
		status, ok := jsonNumber(meta["statusCode"])
		if !ok {
			return nil, false
		}
		hm := &HTTPMeta{StatusCode: int(status)}
		hm.ContentType, _ = meta["contentType"].(string)
		hm.Event, _ = meta["event"].(string)
		hm.LastEventID, _ = meta["lastEventId"].(string)
		if headers, ok := meta["headers"].(map[string]any); ok {
			hm.Headers = make(map[string]string, len(headers))
			for k, hv := range headers {
				if s, ok := hv.(string); ok {
					hm.Headers[k] = s
				}
			}
		}
		m = hm
	case SourceMCP:
		isError, okErr := meta["isError"].(bool)
		content, okContent := meta["content"].([]any)
		if !okErr || !okContent {
			return nil, false
		}
		mm := &MCPMeta{IsError: isError, StructuredContent: meta["structuredContent"]}
		mm.Meta, _ = meta["_meta"].(map[string]any)
		mm.Content = decodeContentBlocks(content)
		m = mm
	default:
		return nil, false
	}
	return &ResponseEnvelope{Data: data, Meta: m}, true
}

// jsonNumber returns the value of a decoded JSON number (float64, json.Number
// or a Go integer).
func jsonNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// decodeContentBlocks converts generic JSON content blocks; entries that do
// not decode as a block are skipped.
func decodeContentBlocks(content []any) []MCPContentBlock {
	blocks := make([]MCPContentBlock, 0, len(content))
	for _, c := range content {
		raw, err := json.Marshal(c)
		if err != nil {
			continue
		}
		var b MCPContentBlock
		if err := json.Unmarshal(raw, &b); err != nil {
			continue
		}
		blocks = append(blocks, b)
	}
	return blocks
}

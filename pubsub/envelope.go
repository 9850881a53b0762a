package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Envelope is the wire contract {type, id, payload} shared by all transports.
//
// Payload holds the published Go value when the envelope never left the process, and a
// json.RawMessage when it crossed a serialising transport. An in-process payload is shared by
// reference with every subscriber, so receivers must treat it as immutable.
type Envelope struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Payload any    `json:"payload"`
}

// EventEnvelope is another name for Envelope.
type EventEnvelope = Envelope

// Topic returns the routing topic of e, TopicOf(e.Type, e.ID).
func (e Envelope) Topic() string { return TopicOf(e.Type, e.ID) }

// TopicOf returns the routing topic eventType + ":" + id. An empty id gives a trailing colon
// ("call.responded:"), which is the topic of events published with id "", not a wildcard.
// Topics are compared byte for byte and never split back into their parts.
func TopicOf(eventType, id string) string { return eventType + ":" + id }

// IsReserved reports whether eventType (or a topic) starts with ReservedPrefix and therefore
// belongs to transport control.
func IsReserved(eventType string) bool { return strings.HasPrefix(eventType, ReservedPrefix) }

// ValidateType returns ErrEmptyType for an empty event type, ErrReservedType for a reserved
// one, and nil otherwise. Every transport's Publish runs it on env.Type.
func ValidateType(eventType string) error {
	if eventType == "" {
		return ErrEmptyType
	}
	if IsReserved(eventType) {
		return ErrReservedType
	}
	return nil
}

// ValidateTopic applies the ValidateType rules to a topic. Every transport's Subscribe runs it.
func ValidateTopic(topic string) error { return ValidateType(topic) }

// ControlFrame returns the control envelope of kind ControlSubscribe or ControlUnsubscribe for
// topic: id "" and payload {"topic": topic}.
func ControlFrame(kind, topic string) Envelope {
	return Envelope{Type: kind, ID: "", Payload: ControlPayload{Topic: topic}}
}

// ControlPayload is the payload of the __subscribe and __unsubscribe control frames.
type ControlPayload struct {
	Topic string `json:"topic"`
}

// EncodeEnvelope returns the JSON form of env: keys in the order type, id, payload, all three
// always present, a nil payload written as null, no HTML escaping and no trailing newline.
// A json.RawMessage payload is embedded verbatim and must be valid JSON. Errors come from
// encoding the payload.
func EncodeEnvelope(env Envelope) ([]byte, error) {
	buf := make([]byte, 0, 64+len(env.Type)+len(env.ID))
	buf = append(buf, `{"type":`...)
	buf = appendJSONString(buf, env.Type)
	buf = append(buf, `,"id":`...)
	buf = appendJSONString(buf, env.ID)
	buf = append(buf, `,"payload":`...)

	switch p := env.Payload.(type) {
	case nil:
		buf = append(buf, "null"...)
	case json.RawMessage:
		if len(p) == 0 {
			buf = append(buf, "null"...)
			break
		}
		if !json.Valid(p) {
			return nil, fmt.Errorf("encoding payload of %q: invalid json.RawMessage", env.Type)
		}
		buf = append(buf, p...)
	default:
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(p); err != nil {
			return nil, fmt.Errorf("encoding payload of %q: %w", env.Type, err)
		}
		buf = append(buf, bytes.TrimSuffix(out.Bytes(), []byte("\n"))...)
	}
	return append(buf, '}'), nil
}

// appendJSONString appends s as a JSON string without HTML escaping. Invalid UTF-8 becomes
// U+FFFD, and U+2028 and U+2029 are escaped, as encoding/json does.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '"', '\\':
				buf = append(buf, '\\', b)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// DecodeEnvelope parses one envelope from untrusted input. The input must be a single JSON
// object with a non-empty string "type" and a string "id"; "payload" may be absent. Unknown
// fields are ignored and keys match exactly (case-sensitive). The payload becomes a
// json.RawMessage holding a private copy of its bytes, or nil for JSON null or an absent
// payload. Every failure wraps ErrBadEnvelope.
func DecodeEnvelope(data []byte) (Envelope, error) {
	env, err := decodeEnvelope(data)
	if err != nil {
		return Envelope{}, fmt.Errorf("%w: %w", ErrBadEnvelope, err)
	}
	return env, nil
}

func decodeEnvelope(data []byte) (Envelope, error) {
	if !json.Valid(data) {
		// Decode again only to describe the syntax error.
		var raw json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			return Envelope{}, err
		}
		return Envelope{}, errors.New("invalid JSON")
	}

	// The input is valid JSON from here on, so the scan below only finds boundaries.
	i := skipSpace(data, 0)
	if data[i] != '{' {
		return Envelope{}, errors.New("not a JSON object")
	}
	var typeRaw, idRaw, payRaw []byte
	var haveType, haveID bool
	i = skipSpace(data, i+1)
	for data[i] != '}' {
		keyEnd := skipString(data, i)
		key := data[i:keyEnd]
		i = skipSpace(data, keyEnd)
		i = skipSpace(data, i+1) // the colon
		valueEnd := skipValue(data, i)
		value := data[i:valueEnd]
		switch {
		case keyIs(key, "type"):
			typeRaw, haveType = value, true
		case keyIs(key, "id"):
			idRaw, haveID = value, true
		case keyIs(key, "payload"):
			payRaw = value
		}
		i = skipSpace(data, valueEnd)
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
	}

	var env Envelope
	var err error
	if !haveType {
		return Envelope{}, errors.New(`missing "type"`)
	}
	if env.Type, err = decodeString(typeRaw); err != nil {
		return Envelope{}, fmt.Errorf(`field "type": %w`, err)
	}
	if env.Type == "" {
		return Envelope{}, errors.New(`empty "type"`)
	}
	if !haveID {
		return Envelope{}, errors.New(`missing "id"`)
	}
	if env.ID, err = decodeString(idRaw); err != nil {
		return Envelope{}, fmt.Errorf(`field "id": %w`, err)
	}
	if len(payRaw) > 0 && string(payRaw) != "null" {
		env.Payload = json.RawMessage(bytes.Clone(payRaw))
	}
	return env, nil
}

// keyIs reports whether the raw JSON string key decodes to name. Keys are compared exactly,
// as a JavaScript peer compares them; a key written with escapes is decoded first.
func keyIs(key []byte, name string) bool {
	if len(key) == len(name)+2 && string(key[1:len(key)-1]) == name {
		return true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	var s string
	return json.Unmarshal(key, &s) == nil && s == name
}

// decodeString decodes a raw JSON value that must be a string.
func decodeString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
}

// skipSpace returns the index of the first byte at or after i that is not JSON whitespace.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipString returns the index just past the JSON string that starts at data[i]. The input
// must be valid JSON.
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// skipValue returns the index just past the JSON value that starts at data[i]. The input
// must be valid JSON.
func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(data)
	default:
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// DecodePayload returns the payload of e as a T. A payload that already is a T is returned as
// is, and a nil payload gives the zero value. A json.RawMessage or []byte payload is decoded
// as JSON (null gives the zero value); any other value is encoded to JSON and decoded again.
// Failures wrap ErrBadPayload and name the envelope's type.
func DecodePayload[T any](e Envelope) (T, error) {
	var v T
	if p, ok := e.Payload.(T); ok {
		return p, nil
	}

	var data []byte
	switch p := e.Payload.(type) {
	case nil:
		return v, nil
	case json.RawMessage:
		data = p
	case []byte:
		data = p
	default:
		var err error
		if data, err = json.Marshal(p); err != nil {
			return v, fmt.Errorf("%w: encoding payload of %q: %w", ErrBadPayload, e.Type, err)
		}
	}
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, fmt.Errorf("%w: decoding payload of %q as %T: %w", ErrBadPayload, e.Type, zero, err)
	}
	return v, nil
}

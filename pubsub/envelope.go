package pubsub

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return Envelope{}, fmt.Errorf("reading start of object: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return Envelope{}, errors.New("not a JSON object")
	}

	var (
		env                    Envelope
		typeRaw, idRaw, payRaw json.RawMessage
		haveType, haveID       bool
	)
	for dec.More() {
		keyTok, err := dec.Token()
		if err != nil {
			return Envelope{}, fmt.Errorf("reading key: %w", err)
		}
		key, _ := keyTok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return Envelope{}, fmt.Errorf("reading value of %q: %w", key, err)
		}
		switch key {
		case "type":
			typeRaw, haveType = raw, true
		case "id":
			idRaw, haveID = raw, true
		case "payload":
			payRaw = raw
		}
	}
	if _, err := dec.Token(); err != nil {
		return Envelope{}, fmt.Errorf("reading end of object: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Envelope{}, errors.New("trailing data after object")
	}

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
		env.Payload = payRaw
	}
	return env, nil
}

func decodeString(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", errors.New("not a string")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", err
	}
	return s, nil
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

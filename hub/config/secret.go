package config

import "log/slog"

const redacted = "[redacted]"

// Secret is a string that never prints: String, GoString and LogValue
// yield "[redacted]". It decodes from JSON like a plain string.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (Secret) GoString() string { return redacted }

// LogValue returns "[redacted]".
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// MarshalJSON writes "[redacted]", so an encoded configuration never
// carries the secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

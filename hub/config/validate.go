package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// FieldError is a validation failure of one configuration field.
type FieldError struct {
	// Path is the JSON path of the field, such as "server.port".
	Path    string
	Message string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Message }

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Path: path, Message: fmt.Sprintf(format, args...)}
}

func (c *Config) validate() error {
	var errs []error
	check := func(ok bool, path, format string, args ...any) {
		if !ok {
			errs = append(errs, fieldErr(path, format, args...))
		}
	}

	check(c.Server.Port >= 0 && c.Server.Port <= 65535, "server.port", "must be between 0 and 65535")
	check(c.Server.BodyLimitBytes > 0, "server.bodyLimitBytes", "must be positive")
	check(c.Server.ShutdownTimeout > 0, "server.shutdownTimeout", "must be positive")
	check(c.DataDir != "", "dataDir", "must not be empty")
	check(c.Storage.ConnectTimeout >= 0, "storage.connectTimeout", "must not be negative")

	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fieldErr("logging.level", "must be debug, info, warn or error, not %q", c.Logging.Level))
	}
	check(c.Logging.Format == "json" || c.Logging.Format == "text", "logging.format", "must be json or text, not %q", c.Logging.Format)

	check(c.WS.PingInterval > 0, "ws.pingInterval", "must be positive")
	check(c.WS.PongTimeout > c.WS.PingInterval, "ws.pongTimeout", "must be longer than ws.pingInterval")
	check(c.WS.WriteTimeout > 0, "ws.writeTimeout", "must be positive")
	check(c.WS.MaxMessageBytes >= 1024, "ws.maxMessageBytes", "must be at least 1024")
	check(c.WS.SendQueueFrames > 0, "ws.sendQueueFrames", "must be positive")
	check(c.WS.SendQueueBytes > 0, "ws.sendQueueBytes", "must be positive")
	check(c.WS.MaxTopicsPerConn > 0, "ws.maxTopicsPerConn", "must be positive")
	check(c.WS.MaxInboundCalls > 0, "ws.maxInboundCalls", "must be positive")
	check(c.WS.MaxConnsPerKey > 0, "ws.maxConnsPerKey", "must be positive")
	check(c.WS.MaxConns > 0, "ws.maxConns", "must be positive")

	check(c.Calls.DefaultTimeout > 0, "calls.defaultTimeout", "must be positive")
	check(c.Calls.MaxTimeout >= c.Calls.DefaultTimeout, "calls.maxTimeout", "must not be shorter than calls.defaultTimeout")
	check(c.Calls.SpokeMaxInFlight >= 1 && c.Calls.SpokeMaxInFlight <= 1024, "calls.spokeMaxInFlight", "must be between 1 and 1024")

	check(c.CallGraph.FlushInterval > 0, "callgraph.flushInterval", "must be positive")
	check(c.CallGraph.FlushBatch > 0, "callgraph.flushBatch", "must be positive")
	check(c.CallGraph.MaxQueued > 0, "callgraph.maxQueued", "must be positive")

	check(strings.Contains(c.Bootstrap.AdminEmail, "@"), "bootstrap.adminEmail", "must be an email address")

	if p := c.Postgres; p != nil {
		if p.DSN == "" {
			check(p.Host != "", "postgres.host", "is required unless postgres.dsn is set")
			check(p.User != "", "postgres.user", "is required unless postgres.dsn is set")
		}
		check(p.Port >= 1 && p.Port <= 65535, "postgres.port", "must be between 1 and 65535")
		check(p.MaxConnections >= 1, "postgres.maxConnections", "must be at least 1")
		if !c.Dev && (p.Password != "" || dsnHasPassword(p.DSN)) {
			errs = append(errs, fieldErr("postgres",
				"holds a password in plain text; start with --dev to allow it (encrypted sections are not supported by this build)"))
		}
	}
	return errors.Join(errs...)
}

func dsnHasPassword(dsn string) bool {
	if dsn == "" {
		return false
	}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return strings.Contains(dsn, "password=")
}

// rejectEncrypted fails on any {"_encrypted": …} value, which this build
// cannot decrypt.
func rejectEncrypted(data []byte) error {
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return describeDecodeError(err)
	}
	if path := findEncrypted(doc, ""); path != "" {
		return fieldErr(path, "encrypted values are not supported by this build; write the section in plain text and start with --dev")
	}
	return nil
}

func findEncrypted(v any, path string) string {
	obj, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if _, ok := obj["_encrypted"]; ok {
		return strings.TrimPrefix(path, ".")
	}
	for k, child := range obj {
		if p := findEncrypted(child, path+"."+k); p != "" {
			return p
		}
	}
	return ""
}

// describeDecodeError turns encoding/json errors into messages that name
// the field.
func describeDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return fieldErr(typeErr.Field, "must be %s, not a JSON %s", typeErr.Type, typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Errorf("invalid JSON at byte %d: %w", syntaxErr.Offset, err)
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", msg)
	}
	return fmt.Errorf("decoding: %w", err)
}

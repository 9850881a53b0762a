package ws

import (
	"errors"
	"fmt"
	"net/http"
)

// Close codes used by the package. The server's codes are defaults that ServerOptions can
// change.
const (
	CloseNormal           = 1000 // normal closure, sent by Client.Close
	CloseGoingAway        = 1001 // server shutting down, or Accept after Close
	ClosePolicyViolation  = 1008 // denied subscribe or publish under DenyClose
	CloseMessageTooBig    = 1009 // sent by gorilla/websocket when ReadLimit is exceeded
	CloseTryAgainLater    = 1013 // slow consumer
	CloseProtocolError    = 4000 // malformed or reserved frame under BadFrameClose
	CloseReplaced         = 4003 // replaced by a newer connection (hub)
	CloseRemoved          = 4004 // removed by an administrator (hub)
	CloseHeartbeatTimeout = 4009 // no pong or frame within PongWait
)

// maxCloseReason is the largest close reason in bytes: a close frame's payload is at most
// 125 bytes, two of which carry the code.
const maxCloseReason = 123

var (
	// ErrFrameTooLarge is returned by Client.Publish when the encoded envelope is larger
	// than ClientOptions.MaxFrameBytes. Nothing is sent.
	ErrFrameTooLarge = errors.New("ws: encoded envelope exceeds the frame size limit")
	// ErrHeartbeatTimeout is the disconnect cause of a connection that sent no pong and no
	// frame within PongWait.
	ErrHeartbeatTimeout = errors.New("ws: heartbeat timeout")
	// ErrConnIDInUse is returned by Server.Accept when ConnInfo.ID names a registered
	// connection.
	ErrConnIDInUse = errors.New("ws: connection id already in use")
)

// HandshakeError reports a WebSocket handshake that the server rejected with an HTTP status
// other than 101 Switching Protocols.
type HandshakeError struct {
	StatusCode int // HTTP status of the response
}

// Error implements error.
func (e *HandshakeError) Error() string {
	return fmt.Sprintf("ws: handshake rejected with HTTP status %d %s",
		e.StatusCode, http.StatusText(e.StatusCode))
}

// Retryable reports whether another attempt may succeed: every status except 400-499 other
// than 408 Request Timeout and 429 Too Many Requests. Bad credentials must not loop.
func (e *HandshakeError) Retryable() bool {
	if e.StatusCode == http.StatusRequestTimeout || e.StatusCode == http.StatusTooManyRequests {
		return true
	}
	return e.StatusCode < 400 || e.StatusCode > 499
}

// ClosedError is the cause reported when the peer closed the connection with a close frame,
// or when a managed client stopped because of the close code.
type ClosedError struct {
	Code   int    // close code of the peer's close frame
	Reason string // close reason of the peer's close frame
}

// Error implements error.
func (e *ClosedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("ws: connection closed with code %d", e.Code)
	}
	return fmt.Sprintf("ws: connection closed with code %d: %s", e.Code, e.Reason)
}

// DeniedError reports a subscribe or publish that the server denied, by an authorization
// hook or by the topic cap. Topic is set for a subscribe, Type for a publish.
type DeniedError struct {
	ConnID string
	Topic  string
	Type   string
}

// Error implements error.
func (e *DeniedError) Error() string {
	if e.Topic != "" {
		return fmt.Sprintf("ws: connection %s denied subscribe to %q", e.ConnID, e.Topic)
	}
	return fmt.Sprintf("ws: connection %s denied publish of type %q", e.ConnID, e.Type)
}

// truncateReason cuts a close reason to maxCloseReason bytes without splitting a UTF-8
// sequence.
func truncateReason(s string) string {
	if len(s) <= maxCloseReason {
		return s
	}
	cut := maxCloseReason
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

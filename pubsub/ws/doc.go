// Package ws carries pubsub envelopes over WebSocket: a client transport for spokes and a
// server transport for the hub, both built on gorilla/websocket.
//
// One WebSocket message carries one JSON envelope (pubsub.EncodeEnvelope). Text frames are
// sent unless Binary is set; both kinds are accepted. A client tells the server which
// topics to send with the control frames
//
//	{"type":"__subscribe","id":"","payload":{"topic":"<topic>"}}
//	{"type":"__unsubscribe","id":"","payload":{"topic":"<topic>"}}
//
// and the server sends a published envelope only to the connections subscribed to its
// topic. Inbound data frames on the server go to local handlers and are never forwarded to
// other connections. There are no acknowledgements: delivery is at most once.
//
// # Client
//
// [Dial] returns a managed [Client] that reconnects with jittered exponential backoff and
// re-subscribes every active topic on the new link. Events sent while the link was down are
// lost, and OnStateChange and ClientStats.Reconnects report the gap. A handshake rejected
// with 400-499 (except 408 and 429) and the close codes in NoReconnectCodes end the client
// instead. [Wrap] serves one given connection and never reconnects.
//
// # Server
//
// [Server] registers connections through [Server.Accept] or [Server.Handler]. Each
// connection has one reader goroutine, one writer goroutine and a bounded send queue
// (MaxQueuedFrames, MaxQueuedBytes). A connection over budget never blocks a publisher: it
// is removed with close code 1013 (the default) or its frames are dropped, by policy.
// Pings go out every PingInterval and a connection silent for PongWait is removed with 4009.
//
// # Decisions
//
//   - A control frame whose topic starts with "__" is a bad frame, like an empty or
//     over-long topic: no publish can ever match it.
//   - Accept with a ConnInfo.ID that is already registered fails with ErrConnIDInUse and
//     closes the new socket with 1008; the caller closes the old connection first to
//     replace it.
//   - After a slow-consumer removal the writer finishes the frame it is writing, discards
//     the rest of the queue and sends the close frame, so a peer that resumes reading sees
//     1013. A peer that never reads holds the writer until WriteTimeout.
//   - OnTopic calls are delivered in the order the subscriptions changed; a call may run on
//     another goroutine that is delivering earlier changes.
//   - Conn.Close reports a nil error to OnDisconnect; removals by the server report their
//     cause (ErrSlowConsumer, ErrHeartbeatTimeout, a *DeniedError, a bad-frame error, a
//     *ClosedError from the peer).
//   - Handlers and hooks must not call Close of the client or server that runs them, because
//     Close waits for the goroutine they run on.
//
// # Lock order
//
// Client: mu and subMu are never held together. Server: mu before hookMu; a Conn's qmu is
// never held together with either.
package ws

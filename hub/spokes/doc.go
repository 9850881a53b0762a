// Package spokes runs the hub side of the WebSocket spoke protocol on /ws.
//
// A connection starts as a plain client that may call operations at once;
// it becomes a spoke with a successful hub.register. Each registered
// operation is exposed under a remapped id that embeds the stable spoke id
// (prefix "dev", "client" or "compute" by spoke type, then the spoke id,
// then the original id), and, when no other definition claims it, under its
// plain id as an alias that any spoke offering the same definition may
// serve. Both are entries of the hub's operations registry whose handler
// forwards the call over the spoke's socket with the same requestId and the
// spoke's original operation id, and waits for the answer.
//
// Frames from a peer are handled in arrival order on the connection's
// reader goroutine:
//   - call.requested runs as a call with the connection's identity (any
//     identity in the frame is replaced) and is answered on this socket;
//   - call.responded, call.error and call.completed are accepted only for
//     requests the hub forwarded to this connection; others are dropped
//     and counted;
//   - call.aborted cancels a request the peer made, or ends one forwarded
//     to it;
//   - a malformed frame or a reserved "__" type other than
//     __subscribe/__unsubscribe closes the connection with 4000.
//
// When a connection drops, its routing entries go first, so new calls see
// SPOKE_UNAVAILABLE; calls forwarded to it fail with SPOKE_DISCONNECTED;
// calls it made are aborted; its row turns disconnected and its
// registrations inactive; definitions stay, so the same remapped ids work
// again when the spoke reconnects with the same account and name.
//
// Lock order: Manager.mu before conn.mu. Neither is held while calling the
// registry, the store, the invoker or the network.
package spokes

// Package hub is the alkhub server as a library: New builds a hub from a
// loaded configuration, Start opens storage and the buses, registers the
// hub's operations and serves HTTP, and Shutdown stops it in reverse order.
// cmd/hub is a thin wrapper around Run.
//
// Every invocation travels as call events on an in-process bus: the
// pending-request map publishes call.requested and waits, the operations
// server runs the registry's handler and publishes the result, and the call-graph tap
// records both. Operations of spokes are registry entries that forward the
// call over the spoke's WebSocket (package hub/spokes).
//
// Middleware order on HTTP: request id, recover, access log, body limit,
// CORS, readiness gate, authentication. The gate runs before
// authentication so that every request responds with 503 while the hub starts,
// whether or not its key could be checked yet.
package hub

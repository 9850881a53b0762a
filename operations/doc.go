// Package operations defines typed operations and runs them, in process or
// over the call protocol on a pubsub bus.
//
// An operation is an [OperationSpec] (namespace, name, type, JSON Schemas of
// input and output, access control, declared errors) plus a [Handler] for
// queries and mutations or a [StreamHandler] for subscriptions. Operation ids
// are "namespace.name": a name is one segment of [A-Za-z0-9_-] and a
// namespace one or more such segments joined by dots, so an id splits at its
// last dot ([SplitID]).
//
// # Registry
//
// A [Registry] stores operations. Registration validates everything before
// storing anything and compiles both schemas once (draft 2020-12 by default,
// with santhosh-tekuri/jsonschema/v6); identical schemas share one compiled
// value. [Registry.Execute] and [Registry.Subscribe] check access control,
// validate the input (invalid input is VALIDATION_ERROR with
// [{path, message}] details), run the handler, map its errors and panics to
// a [*CallError], and wrap results in a [ResponseEnvelope]. Unary output that
// does not match its schema is normalised with [Cast] and, depending on the
// [OutputMode], logged or rejected.
//
// # Errors
//
// Every failure a caller sees is a [*CallError] with a code. [MapError] turns
// any error into one, [HTTPStatus] is the project's only code-to-status
// table, and the sentinels ([ErrAccessDenied], …) match by code with
// errors.Is.
//
// # Composition
//
// An [Env] lets a handler call other operations of the same registry with a
// trusted child context: the same identity, a new request id and the outer
// request as parent. The trusted flag exists only in process; nothing
// serialises or decodes it.
//
// # Call protocol
//
// Callers publish call.requested on a pubsub bus and servers reply with
// call.responded, call.completed (end of a stream) or call.error; either
// side cancels with call.aborted. All call events use id "" and correlate by
// payload.requestId. [PendingRequestMap] is the caller side (it implements
// [Invoker]); [Server] is the serving side. The wire deadline is absolute
// milliseconds since the epoch and becomes the handler context's deadline,
// and call.aborted cancels the handler's context.
//
// Decisions where the wire contract left room:
//   - A Server call.aborted that arrives at or after the request's deadline
//     lets the handler context end with context.DeadlineExceeded instead of
//     cancelling it, because the caller's timer and the handler's deadline
//     fire at the same moment.
//   - Server.Handle starts serving and returns at once; responses are published
//     on the server's bus.
//   - The caller's listener subscription uses pubsub.OverflowBlock, so a slow
//     dispatcher delays publishers instead of losing responses.
//   - SchemaOf reflects on every call instead of caching per type, because a
//     cache would be package-level state; the typed helpers call it once per
//     operation.
package operations

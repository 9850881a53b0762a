// Package pubsub carries typed events between goroutines, processes and machines.
//
// Every event is an [Envelope] {type, id, payload}. Its routing key, the topic, is
// type + ":" + id built by [TopicOf]; an empty id gives "type:" and is not a wildcard.
// Matching is exact, byte for byte. Types that start with "__" are reserved for transport
// control frames and are rejected by Publish and Subscribe.
//
// A [PubSub] publishes on a pluggable [Transport] (an in-memory [MemoryTransport] by default;
// Redis and WebSocket transports live in sub-packages) and turns each subscription into a
// bounded [Stream] with an explicit [OverflowPolicy]. Nothing grows without bound: a full
// buffer either ends the subscription with [ErrSlowConsumer] (the default), drops events and
// counts them, or makes the publisher wait for a bounded time. [EventType] adds a typed
// facade that decodes payloads with [DecodePayload].
//
// # Delivery
//
// Delivery is at most once: there is no persistence, replay or acknowledgement. Events
// published by one goroutine reach each receiving end of one link in publish order, across
// topics too. A subscription sees a publish only when it was established before the publish.
// The in-memory transport delivers synchronously, before Publish returns, and passes
// payloads by reference, so receivers must treat payloads as immutable.
//
// # Decisions
//
//   - Publish and Subscribe reject the empty type with [ErrEmptyType] and reserved types with
//     [ErrReservedType]; every transport repeats the check.
//   - After Close every call returns [ErrClosed]; unsubscribe funcs become no-ops.
//   - A panicking handler is recovered and reported as a [*HandlerPanicError]; delivery to the
//     other handlers goes on.
//   - SubscribeTopics with a topic listed twice subscribes it once.
//   - An envelope with a payload that does not decode is skipped by a typed subscription,
//     counted and reported; the subscription goes on.
//   - [DecodeEnvelope] matches the keys "type", "id" and "payload" case-sensitively, as a
//     JavaScript peer does, and keeps the last value of a repeated key.
//   - An overflow under OverflowFail is not counted in Dropped; Dropped counts only the
//     events discarded by the drop policies.
//
// # Lock order
//
// [Stream] holds two mutexes, mu (end state and hooks) and sendMu (producers against the
// closing of the channel); neither is held while the other is taken. [PubSub] and
// [MemoryTransport] hold one mutex each and call no handler or hook while holding it.
package pubsub

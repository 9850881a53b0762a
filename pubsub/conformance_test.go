package pubsub_test

import (
	"testing"

	"github.com/alkdev/alkhub/pubsub"
	"github.com/alkdev/alkhub/pubsub/pubsubtest"
)

func memoryPair(o pubsub.MemoryOptions) pubsubtest.Factory {
	return func(testing.TB) pubsubtest.Pair {
		m := pubsub.NewMemoryTransport(o)
		return pubsubtest.Pair{Pub: m, Sub: m, Close: func() { m.Close() }}
	}
}

func TestConformanceMemory(t *testing.T) {
	pubsubtest.Run(t, memoryPair(pubsub.MemoryOptions{}), pubsubtest.Features{
		SelfDelivery: true, TypeWide: true, ConcurrentHandlers: true,
	})
}

func TestConformanceMemoryJSON(t *testing.T) {
	pubsubtest.Run(t, memoryPair(pubsub.MemoryOptions{JSONRoundTrip: true}), pubsubtest.Features{
		SelfDelivery: true, Serialized: true, TypeWide: true, ConcurrentHandlers: true,
	})
}

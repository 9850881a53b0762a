// Package pubsubtest is the conformance suite that every pubsub transport runs.
//
// A transport's test calls [Run] with a [Factory] that builds a fresh [Pair] per check and a
// [Features] value stating what the pair supports. The suite turns checks on, off or inverts
// them according to the features:
//
//	func TestConformance(t *testing.T) {
//		pubsubtest.Run(t, func(t testing.TB) pubsubtest.Pair {
//			m := pubsub.NewMemoryTransport(pubsub.MemoryOptions{})
//			return pubsubtest.Pair{Pub: m, Sub: m, Close: func() { m.Close() }}
//		}, pubsubtest.Features{SelfDelivery: true, TypeWide: true, ConcurrentHandlers: true})
//	}
//
// "Nothing arrives" is checked with a marker: after the event under test the suite publishes
// a marker from the same end on a topic the receiver watches, and once the marker has
// arrived the earlier event would have arrived too. Where no ordered path exists (a
// publisher's own handler on a transport without self-delivery) the suite waits a quiet
// period of 100 ms instead. Waits for events that must arrive fail after 5 s. After the
// close check, goroutines running methods of the transport's package must exit within 2 s.
//
// Checks run one after another, never in parallel, because the leak check looks at every
// goroutine of the process.
package pubsubtest

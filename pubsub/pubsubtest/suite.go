package pubsubtest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub"
)

// DefaultMaxPayload is the payload size of the large-payload check when
// Features.MaxPayload is 0, in bytes.
const DefaultMaxPayload = 512 << 10

// waitTimeout bounds every wait for something that must happen. It is a failure deadline for
// broken transports, not a performance target.
const waitTimeout = 5 * time.Second

// quietPeriod is how long the suite waits for an event that must not arrive where no ordered
// path exists to send a marker after it. A bug can slip through it, but a correct transport
// never fails it.
const quietPeriod = 100 * time.Millisecond

// Features declares what the pair under test supports.
type Features struct {
	SelfDelivery       bool // a handler on Pub receives Pub's own publish
	Serialized         bool // payloads cross a codec and arrive as json.RawMessage
	TypeWide           bool // Sub implements pubsub.TypeSubscriber
	Reconnect          bool // Pair.Drop is set; subscriptions survive a dropped link
	ConcurrentHandlers bool // handlers may run concurrently; false: one delivery goroutine
	MaxPayload         int  // largest payload sent by the suite, bytes; 0 means DefaultMaxPayload
}

// Pair is one configured instance under test. Events published on Pub must reach Sub.
type Pair struct {
	Pub, Sub pubsub.Transport // may be the same value
	// Settle blocks until a subscribe (on=true) or unsubscribe (on=false) of topic on Sub is
	// effective for publishes on Pub. nil: effective when the call returns.
	Settle func(ctx context.Context, topic string, on bool) error
	// Drop severs the link(s); it is set when Features.Reconnect is.
	Drop func()
	// Up waits until the transport is back after Drop.
	Up func(ctx context.Context) error
	// LinkLosses returns how many lost links the transports reported through their state
	// hooks. nil skips that check of the reconnect statement.
	LinkLosses func() int
	// Close releases everything the factory created. It must accept transports that the
	// suite already closed.
	Close func()
}

// Factory creates a fresh Pair for one check.
type Factory func(t testing.TB) Pair

// Run runs every check of the conformance suite against pairs made by f, turning checks on,
// off or inverting them according to feat. Checks run one after another because the leak
// check counts goroutines.
func Run(t *testing.T, f Factory, feat Features) {
	if feat.MaxPayload == 0 {
		feat.MaxPayload = DefaultMaxPayload
	}
	s := &suite{factory: f, feat: feat}
	checks := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"round trip", s.roundTrip},
		{"topic isolation", s.isolation},
		{"empty id", s.emptyID},
		{"several handlers", s.severalHandlers},
		{"unsubscribe", s.unsubscribe},
		{"publish order", s.order},
		{"payload fidelity", s.fidelity},
		{"topic collision", s.collision},
		{"reserved and empty types", s.reserved},
		{"self delivery", s.selfDelivery},
		{"large payload", s.largePayload},
		{"concurrent publish and subscribe", s.concurrency},
		{"reentrant handler", s.reentrancy},
		{"handler panic", s.handlerPanic},
		{"type-wide subscription", s.typeWide},
		{"reconnect keeps handlers", s.reconnect},
		{"close", s.close},
		{"pubsub over pair", s.pubSubOverPair},
		{"ender after close", s.ender},
	}
	for _, c := range checks {
		t.Run(c.name, c.fn)
	}
}

type suite struct {
	factory Factory
	feat    Features
}

// pair creates a pair whose Close runs when the check ends.
func (s *suite) pair(t *testing.T) Pair {
	t.Helper()
	p := s.factory(t)
	if p.Close != nil {
		t.Cleanup(p.Close)
	}
	return p
}

// leakMarker returns the prefix of the method frames of the transport's package, such as
// "github.com/alkdev/alkhub/pubsub/ws.(". Test functions of that package do not match it.
func leakMarker(tr pubsub.Transport) string {
	typ := reflect.TypeOf(tr)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	return typ.PkgPath() + ".("
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

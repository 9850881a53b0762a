package pubsub_test

import (
	"context"
	"fmt"

	"github.com/alkdev/alkhub/pubsub"
)

type sessionStatus struct {
	State string `json:"state"`
}

func Example() {
	ctx := context.Background()
	ps := pubsub.New()
	defer ps.Close()

	status := pubsub.EventType[sessionStatus]("session.status")
	sub, err := status.Subscribe(ctx, ps, "s-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sub.Close()

	if err := status.Publish(ctx, ps, "s-1", sessionStatus{State: "running"}); err != nil {
		fmt.Println(err)
		return
	}
	ev, err := sub.Next(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, ev.ID, ev.Payload.State)
	// Output: session.status s-1 running
}

func ExampleEncodeEnvelope() {
	b, _ := pubsub.EncodeEnvelope(pubsub.Envelope{Type: "call.responded", ID: "", Payload: nil})
	fmt.Println(string(b))
	// Output: {"type":"call.responded","id":"","payload":null}
}

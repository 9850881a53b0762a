package operations_test

import (
	"context"
	"fmt"

	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub"
)

type greetIn struct {
	Name string `json:"name"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

func greetOp() operations.Operation {
	return operations.Query(operations.SpecInfo{Namespace: "demo", Name: "greet"},
		func(_ context.Context, in greetIn, _ *operations.OperationContext) (greetOut, error) {
			return greetOut{Greeting: "hello, " + in.Name}, nil
		})
}

// Example registers a typed operation and executes it in process.
func Example() {
	r := operations.NewRegistry()
	if err := r.Register(greetOp()); err != nil {
		fmt.Println(err)
		return
	}
	env, err := r.Execute(context.Background(), "demo.greet", greetIn{Name: "Ada"}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	out, _ := operations.Unwrap[greetOut](env)
	fmt.Println(out.Greeting)

	_, err = r.Execute(context.Background(), "demo.greet", map[string]any{"name": 5}, nil)
	fmt.Println(operations.CodeOf(err))
	// Output:
	// hello, Ada
	// VALIDATION_ERROR
}

// Example_serve serves a registry on a bus and calls it through the call
// protocol.
func Example_serve() {
	ps := pubsub.New()
	defer ps.Close()

	r := operations.NewRegistry()
	_ = r.Register(greetOp())
	server := operations.NewServer(ps, r)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = server.Serve(ctx)
	}()
	defer func() {
		stop()
		<-served
	}()

	caller, err := operations.NewPendingRequestMap(ps)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer caller.Close()

	// Serve subscribes in its own goroutine; retry until it responds.
	for {
		callCtx, cancel := context.WithTimeout(context.Background(), 20e6)
		env, err := caller.Call(callCtx, "demo.greet", greetIn{Name: "Grace"}, operations.CallOptions{})
		cancel()
		if operations.CodeOf(err) == operations.CodeTimeout {
			continue
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		out, _ := operations.Unwrap[greetOut](env)
		fmt.Println(out.Greeting)
		return
	}
	// Output:
	// hello, Grace
}

package main

import (
	"context"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/alkdev/alkhub/operations"
)

// TextInput is the input and output of text.upper.
type TextInput struct {
	Text string `json:"text" jsonschema:"description=Text to convert"`
}

// AddInput is the input of math.add.
type AddInput struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// AddOutput is the output of math.add.
type AddOutput struct {
	Sum float64 `json:"sum"`
}

// SleepInput is the input of clock.sleep.
type SleepInput struct {
	Ms int `json:"ms" jsonschema:"minimum=0,maximum=600000,description=Milliseconds to sleep"`
}

// SleepOutput is the output of clock.sleep.
type SleepOutput struct {
	SleptMs int64 `json:"sleptMs"`
}

// TicksInput is the input of clock.ticks.
type TicksInput struct {
	Count      int `json:"count" jsonschema:"minimum=1,maximum=10000"`
	IntervalMs int `json:"intervalMs" jsonschema:"minimum=0,maximum=60000"`
}

// Tick is one item of clock.ticks.
type Tick struct {
	Tick int   `json:"tick"`
	At   int64 `json:"at" jsonschema:"description=Epoch milliseconds"`
}

// Operations returns the operations echospoke serves.
func Operations() []operations.Operation {
	open := operations.AccessControl{RequiredScopes: []string{}}
	return []operations.Operation{
		operations.Query(operations.SpecInfo{
			Namespace: "text", Name: "upper", Description: "Returns the text in upper case.", AccessControl: open,
		}, func(_ context.Context, in TextInput, _ *operations.OperationContext) (TextInput, error) {
			return TextInput{Text: strings.ToUpper(in.Text)}, nil
		}),
		operations.Query(operations.SpecInfo{
			Namespace: "math", Name: "add", Description: "Adds two numbers.", AccessControl: open,
		}, func(_ context.Context, in AddInput, _ *operations.OperationContext) (AddOutput, error) {
			return AddOutput{Sum: in.A + in.B}, nil
		}),
		operations.Mutation(operations.SpecInfo{
			Namespace: "clock", Name: "sleep",
			Description:   "Sleeps for ms milliseconds, or until the call is cancelled, and reports how long it slept.",
			AccessControl: open,
		}, sleep),
		operations.Subscription(operations.SpecInfo{
			Namespace: "clock", Name: "ticks",
			Description:   "Streams count ticks, intervalMs apart.",
			AccessControl: open,
		}, ticks),
	}
}

func sleep(ctx context.Context, in SleepInput, _ *operations.OperationContext) (SleepOutput, error) {
	start := time.Now()
	t := time.NewTimer(time.Duration(in.Ms) * time.Millisecond)
	defer t.Stop()
	select {
	case <-t.C:
		return SleepOutput{SleptMs: time.Since(start).Milliseconds()}, nil
	case <-ctx.Done():
		return SleepOutput{}, ctx.Err()
	}
}

func ticks(ctx context.Context, in TicksInput, _ *operations.OperationContext) (iter.Seq2[Tick, error], error) {
	return func(yield func(Tick, error) bool) {
		interval := time.Duration(in.IntervalMs) * time.Millisecond
		for i := 1; i <= in.Count; i++ {
			if i > 1 && interval > 0 {
				t := time.NewTimer(interval)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					return
				}
			}
			if !yield(Tick{Tick: i, At: time.Now().UnixMilli()}, nil) {
				return
			}
		}
	}, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

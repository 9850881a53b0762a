package pubsub

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// BatchTimed and Join pull their sources on pump goroutines. When the consumer stops or ctx
// ends, a pump stops at its source's next item or end. A source blocked waiting for its
// next item keeps its pump until then, so bind such sources to the same ctx (a subscription
// created with that ctx ends when it is cancelled).

// BatchTimed is Batch that also yields a non-empty partial batch once maxWait has passed
// since the batch's first item. When ctx ends or the consumer stops, it ends and discards
// the partial batch; when src ends it yields the remainder. A panic in src is raised again
// on the consumer's goroutine. BatchTimed panics when size < 1 or maxWait <= 0.
func BatchTimed[T any](ctx context.Context, src iter.Seq[T], size int, maxWait time.Duration) iter.Seq[[]T] {
	if size < 1 || maxWait <= 0 {
		panic(fmt.Sprintf("pubsub.BatchTimed: size must be at least 1 and maxWait positive, got size %d, maxWait %v",
			size, maxWait))
	}
	return func(yield func([]T) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		items, ended := pump(ctx, src)

		var batch []T
		timer := time.NewTimer(maxWait)
		timer.Stop()
		defer timer.Stop()
		flush := func() bool {
			timer.Stop()
			out := batch
			batch = nil
			return yield(out)
		}
		for {
			select {
			case v := <-items:
				batch = append(batch, v)
				if len(batch) == 1 {
					timer.Reset(maxWait)
				}
				if len(batch) == size && !flush() {
					return
				}
			case <-timer.C:
				if len(batch) > 0 && !flush() {
					return
				}
			case p := <-ended:
				if p != nil {
					panic(p.value)
				}
				if len(batch) > 0 {
					flush()
				}
				return
			case <-ctx.Done():
				return
			}
		}
	}
}

// Join merges the sources: items are yielded in arrival order, keeping the order of each
// source. One pump goroutine per source starts on the first range and hands items over an
// unbuffered channel. The sequence ends when every source ended, ctx is done or the
// consumer stops. A panic in a source is raised again on the consumer's goroutine after the
// other pumps were signalled to stop. nil sources are skipped.
func Join[T any](ctx context.Context, srcs ...iter.Seq[T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		items := make(chan T)
		ended := make(chan *pumpPanic)
		running := 0
		for _, src := range srcs {
			if src != nil {
				running++
				go pumpInto(ctx, src, items, ended)
			}
		}

		for running > 0 {
			select {
			case v := <-items:
				if !yield(v) {
					return
				}
			case p := <-ended:
				if p != nil {
					cancel()
					panic(p.value)
				}
				running--
			case <-ctx.Done():
				return
			}
		}
	}
}

// pumpPanic carries the value of a panic raised by a source on its pump goroutine.
type pumpPanic struct{ value any }

// pump starts one pump goroutine for src.
func pump[T any](ctx context.Context, src iter.Seq[T]) (<-chan T, <-chan *pumpPanic) {
	items := make(chan T)
	ended := make(chan *pumpPanic)
	go pumpInto(ctx, src, items, ended)
	return items, ended
}

// pumpInto sends the items of src on items until src ends or ctx is done, then reports the
// end on ended: nil for a normal end, the panic value otherwise. It sends nothing more once
// ctx is done.
func pumpInto[T any](ctx context.Context, src iter.Seq[T], items chan<- T, ended chan<- *pumpPanic) {
	var result *pumpPanic
	defer func() {
		if v := recover(); v != nil {
			result = &pumpPanic{value: v}
		}
		select {
		case ended <- result:
		case <-ctx.Done():
		}
	}()
	for v := range src {
		select {
		case items <- v:
		case <-ctx.Done():
			return
		}
	}
}

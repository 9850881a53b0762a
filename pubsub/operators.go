package pubsub

import (
	"container/list"
	"fmt"
	"iter"
)

// The operators work on Go iterators, for example
// Take(Filter(sub.All(), isDone), 1). Stages are lazy: nothing is pulled before the result
// is ranged. When the consumer stops, each stage stops its source at once, so a
// subscription at the start of the chain is closed. Panics in user functions reach the
// consumer's goroutine. Every emitted slice is freshly allocated and may be kept.

// Filter yields the items of src for which keep returns true, in order.
func Filter[T any](src iter.Seq[T], keep func(T) bool) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v := range src {
			if keep(v) && !yield(v) {
				return
			}
		}
	}
}

// Map yields fn(item) for every item of src, in order, calling fn once per item and never
// concurrently.
func Map[T, U any](src iter.Seq[T], fn func(T) U) iter.Seq[U] {
	return func(yield func(U) bool) {
		for v := range src {
			if !yield(fn(v)) {
				return
			}
		}
	}
}

// Pipe applies stages to src in order, so Pipe(src, f, g) is g(f(src)); with no stages it
// returns src. All stages keep the item type; nest calls where the type changes.
func Pipe[T any](src iter.Seq[T], stages ...func(iter.Seq[T]) iter.Seq[T]) iter.Seq[T] {
	for _, stage := range stages {
		src = stage(src)
	}
	return src
}

// Take yields the first n items of src and stops src without pulling item n+1. For n <= 0
// it yields nothing and never starts src.
func Take[T any](src iter.Seq[T], n int) iter.Seq[T] {
	return func(yield func(T) bool) {
		if n <= 0 {
			return
		}
		taken := 0
		for v := range src {
			if !yield(v) {
				return
			}
			taken++
			if taken >= n {
				return
			}
		}
	}
}

// Reduce folds src from the left, starting with init, and returns init for an empty source.
// It runs until src ends.
func Reduce[T, A any](src iter.Seq[T], init A, fn func(A, T) A) A {
	acc := init
	for v := range src {
		acc = fn(acc, v)
	}
	return acc
}

// ToSlice returns all items of src in order; an empty source gives an empty non-nil slice.
// It runs until src ends.
func ToSlice[T any](src iter.Seq[T]) []T {
	out := make([]T, 0)
	for v := range src {
		out = append(out, v)
	}
	return out
}

// Batch yields consecutive groups of exactly size items, then the non-empty remainder when
// src ends. It never yields an empty batch and panics when size < 1.
func Batch[T any](src iter.Seq[T], size int) iter.Seq[[]T] {
	if size < 1 {
		panic(fmt.Sprintf("pubsub.Batch: size must be at least 1, got %d", size))
	}
	return func(yield func([]T) bool) {
		batch := make([]T, 0, size)
		for v := range src {
			batch = append(batch, v)
			if len(batch) == size {
				if !yield(batch) {
					return
				}
				batch = make([]T, 0, size)
			}
		}
		if len(batch) > 0 {
			yield(batch)
		}
	}
}

// DefaultDedupeKeys is the number of keys Dedupe remembers when maxKeys <= 0.
const DefaultDedupeKeys = 10_000

// Dedupe yields an item when its key is not remembered. It remembers at most maxKeys keys
// (DefaultDedupeKeys when maxKeys <= 0) and evicts the least recently seen key when full.
// A dropped duplicate counts as seen, so its key is refreshed.
func Dedupe[T any, K comparable](src iter.Seq[T], key func(T) K, maxKeys int) iter.Seq[T] {
	if maxKeys <= 0 {
		maxKeys = DefaultDedupeKeys
	}
	return func(yield func(T) bool) {
		order := list.New() // front is the most recently seen key
		seen := make(map[K]*list.Element, maxKeys)
		for v := range src {
			k := key(v)
			if el, ok := seen[k]; ok {
				order.MoveToFront(el)
				continue
			}
			if order.Len() >= maxKeys {
				oldest := order.Back()
				delete(seen, oldest.Value.(K))
				order.Remove(oldest)
			}
			seen[k] = order.PushFront(k)
			if !yield(v) {
				return
			}
		}
	}
}

// Window yields count-based sliding windows: window k holds the items with 0-based indices
// [k*step, k*step+size) and is yielded when its last item arrives. Incomplete windows at the
// end are not yielded. step == size gives tumbling windows and step > size skips items.
// Window panics when size < 1 or step < 1.
func Window[T any](src iter.Seq[T], size, step int) iter.Seq[[]T] {
	if size < 1 || step < 1 {
		panic(fmt.Sprintf("pubsub.Window: size and step must be at least 1, got size %d, step %d", size, step))
	}
	return func(yield func([]T) bool) {
		recent := make([]T, 0, size) // the last size items
		index := 0
		for v := range src {
			if len(recent) == size {
				copy(recent, recent[1:])
				recent[size-1] = v
			} else {
				recent = append(recent, v)
			}
			start := index - size + 1 // index of the first item of the window ending here
			index++
			if start < 0 || start%step != 0 {
				continue
			}
			window := make([]T, size)
			copy(window, recent)
			if !yield(window) {
				return
			}
		}
	}
}

// Flat yields the elements of each slice of src in order; empty and nil slices add nothing.
func Flat[T any](src iter.Seq[[]T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		for batch := range src {
			for _, v := range batch {
				if !yield(v) {
					return
				}
			}
		}
	}
}

// GroupBy returns the items of src grouped by key, each group in arrival order. An empty
// source gives an empty non-nil map. It runs until src ends.
func GroupBy[T any, K comparable](src iter.Seq[T], key func(T) K) map[K][]T {
	groups := make(map[K][]T)
	for v := range src {
		k := key(v)
		groups[k] = append(groups[k], v)
	}
	return groups
}

// Chain yields all items of each source in turn. A source starts only after the previous
// one ended; stopping early stops the current source and never starts later ones. nil
// sources are skipped.
func Chain[T any](srcs ...iter.Seq[T]) iter.Seq[T] {
	return func(yield func(T) bool) {
		for _, src := range srcs {
			if src == nil {
				continue
			}
			for v := range src {
				if !yield(v) {
					return
				}
			}
		}
	}
}

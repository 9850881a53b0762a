package pubsub

import (
	"context"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alkdev/alkhub/pubsub/internal/leakcheck"
)

// probe is a source that records how far it was pulled and whether it finished.
type probe[T any] struct {
	items   []T
	started atomic.Bool
	pulled  atomic.Int32 // items handed to the consumer
	cleaned atomic.Bool  // the source returned, by its end or by a stop
}

func newProbe[T any](items ...T) *probe[T] { return &probe[T]{items: items} }

func (p *probe[T]) seq() iter.Seq[T] {
	return func(yield func(T) bool) {
		p.started.Store(true)
		defer p.cleaned.Store(true)
		for _, v := range p.items {
			p.pulled.Add(1)
			if !yield(v) {
				return
			}
		}
	}
}

func ints(from, to int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := from; i <= to; i++ {
			if !yield(i) {
				return
			}
		}
	}
}

func TestFilter(t *testing.T) {
	got := ToSlice(Filter(ints(1, 10), func(v int) bool { return v%3 == 0 }))
	if !slices.Equal(got, []int{3, 6, 9}) {
		t.Errorf("Filter = %v, want [3 6 9]", got)
	}

	p := newProbe(1, 2, 3, 4)
	for range Filter(p.seq(), func(int) bool { return true }) {
		break
	}
	if !p.cleaned.Load() {
		t.Error("breaking after the first item did not stop the source")
	}
	if n := p.pulled.Load(); n != 1 {
		t.Errorf("source pulled %d items, want 1", n)
	}
}

func TestMap(t *testing.T) {
	var calls, active, overlaps atomic.Int32
	got := ToSlice(Map(ints(1, 4), func(v int) string {
		calls.Add(1)
		if active.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer active.Add(-1)
		return fmt.Sprint(v * 10)
	}))
	if !slices.Equal(got, []string{"10", "20", "30", "40"}) {
		t.Errorf("Map = %v, want [10 20 30 40]", got)
	}
	if calls.Load() != 4 {
		t.Errorf("fn called %d times, want 4", calls.Load())
	}
	if overlaps.Load() != 0 {
		t.Error("fn ran concurrently")
	}
}

func TestPipe(t *testing.T) {
	double := func(s iter.Seq[int]) iter.Seq[int] { return Map(s, func(v int) int { return v * 2 }) }
	odd := func(s iter.Seq[int]) iter.Seq[int] { return Filter(s, func(v int) bool { return v%4 != 0 }) }
	got := ToSlice(Pipe(ints(1, 5), double, odd))
	want := ToSlice(odd(double(ints(1, 5))))
	if !slices.Equal(got, want) {
		t.Errorf("Pipe(s, f, g) = %v, want g(f(s)) = %v", got, want)
	}
	if got := ToSlice(Pipe(ints(1, 3))); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Pipe(s) = %v, want s", got)
	}
}

func TestTake(t *testing.T) {
	p := newProbe(1, 2, 3, 4)
	if got := ToSlice(Take(p.seq(), 2)); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Take(s, 2) = %v, want [1 2]", got)
	}
	if n := p.pulled.Load(); n != 2 {
		t.Errorf("Take(s, 2) pulled %d items, want 2", n)
	}
	if !p.cleaned.Load() {
		t.Error("Take(s, 2) did not stop the source")
	}

	zero := newProbe(1, 2)
	if got := ToSlice(Take(zero.seq(), 0)); len(got) != 0 {
		t.Errorf("Take(s, 0) = %v, want nothing", got)
	}
	if zero.started.Load() {
		t.Error("Take(s, 0) started the source")
	}
	if got := ToSlice(Take(ints(1, 2), 5)); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Take of a shorter source = %v, want [1 2]", got)
	}
}

func TestReduce(t *testing.T) {
	sum := func(a, v int) int { return a + v }
	if got := Reduce(ints(1, 4), 0, sum); got != 10 {
		t.Errorf("Reduce(1..4, +) = %d, want 10", got)
	}
	if got := Reduce(ints(1, 0), 7, sum); got != 7 {
		t.Errorf("Reduce of an empty source = %d, want init 7", got)
	}
}

func TestToSliceEmptyIsNonNil(t *testing.T) {
	got := ToSlice(ints(1, 0))
	if got == nil || len(got) != 0 {
		t.Errorf("ToSlice of an empty source = %#v, want an empty non-nil slice", got)
	}
}

func TestBatch(t *testing.T) {
	got := ToSlice(Batch(ints(1, 7), 3))
	want := [][]int{{1, 2, 3}, {4, 5, 6}, {7}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Batch(1..7, 3) = %v, want %v", got, want)
	}
	if got := ToSlice(Batch(ints(1, 6), 3)); len(got) != 2 {
		t.Errorf("Batch(1..6, 3) = %v, want two full batches and no empty one", got)
	}
	assertPanics(t, "pubsub.Batch", func() { Batch(ints(1, 2), 0) })
}

func TestBatchTimed(t *testing.T) {
	t.Run("flushes a partial batch after the wait", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		release := make(chan struct{})
		src := func(yield func(int) bool) {
			if !yield(1) || !yield(2) {
				return
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		start := time.Now()
		var batches [][]int
		for b := range BatchTimed(ctx, src, 10, 20*time.Millisecond) {
			batches = append(batches, b)
			if time.Since(start) < 20*time.Millisecond {
				t.Errorf("partial batch after %v, before the 20ms wait", time.Since(start))
			}
			cancel()
		}
		if !reflect.DeepEqual(batches, [][]int{{1, 2}}) {
			t.Errorf("batches = %v, want [[1 2]]", batches)
		}
	})
	t.Run("full batches and remainder", func(t *testing.T) {
		got := ToSlice(BatchTimed(context.Background(), ints(1, 7), 3, time.Minute))
		if !reflect.DeepEqual(got, [][]int{{1, 2, 3}, {4, 5, 6}, {7}}) {
			t.Errorf("BatchTimed(1..7, 3) = %v", got)
		}
	})
	t.Run("cancel discards the partial batch", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		src := func(yield func(int) bool) {
			if !yield(1) {
				return
			}
			cancel()
			<-ctx.Done()
		}
		got := ToSlice(BatchTimed(ctx, src, 10, time.Minute))
		if len(got) != 0 {
			t.Errorf("BatchTimed after cancel = %v, want nothing", got)
		}
	})
	t.Run("invalid parameters", func(t *testing.T) {
		assertPanics(t, "pubsub.BatchTimed", func() { BatchTimed(context.Background(), ints(1, 2), 0, time.Second) })
		assertPanics(t, "pubsub.BatchTimed", func() { BatchTimed(context.Background(), ints(1, 2), 1, 0) })
	})
	leakcheck.Check(t, "pubsub.BatchTimed", "pubsub.pumpInto")
}

func TestDedupe(t *testing.T) {
	keys := []string{"a", "b", "a", "c", "b"}
	src := func() iter.Seq[string] { return slices.Values(keys) }
	id := func(s string) string { return s }
	if got := ToSlice(Dedupe(src(), id, 2)); !slices.Equal(got, []string{"a", "b", "c", "b"}) {
		t.Errorf("Dedupe(maxKeys 2) = %v, want [a b c b]", got)
	}
	if got := ToSlice(Dedupe(src(), id, 10)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Dedupe(maxKeys 10) = %v, want [a b c]", got)
	}
	if got := ToSlice(Dedupe(src(), id, 0)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Dedupe(maxKeys 0) = %v, want the default bound and [a b c]", got)
	}
}

func TestWindow(t *testing.T) {
	tests := []struct {
		name           string
		to, size, step int
		want           [][]int
	}{
		{"sliding", 5, 3, 1, [][]int{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}}},
		{"tumbling", 5, 2, 2, [][]int{{1, 2}, {3, 4}}},
		{"skipping", 7, 2, 3, [][]int{{1, 2}, {4, 5}}},
		{"too short", 2, 3, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]int
			for w := range Window(ints(1, tt.to), tt.size, tt.step) {
				got = append(got, w)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Window(1..%d, %d, %d) = %v, want %v", tt.to, tt.size, tt.step, got, tt.want)
			}
		})
	}

	windows := ToSlice(Window(ints(1, 4), 2, 1))
	windows[0][0] = 100
	if windows[1][0] != 2 {
		t.Error("changing one emitted window changed the next one")
	}
	assertPanics(t, "pubsub.Window", func() { Window(ints(1, 2), 0, 1) })
	assertPanics(t, "pubsub.Window", func() { Window(ints(1, 2), 1, 0) })
}

func TestFlat(t *testing.T) {
	src := slices.Values([][]int{{1, 2}, {}, nil, {3}})
	if got := ToSlice(Flat(src)); !slices.Equal(got, []int{1, 2, 3}) {
		t.Errorf("Flat = %v, want [1 2 3]", got)
	}
}

func TestGroupBy(t *testing.T) {
	type pair struct {
		k string
		v int
	}
	src := slices.Values([]pair{{"a", 1}, {"b", 2}, {"a", 3}})
	got := GroupBy(src, func(p pair) string { return p.k })
	want := map[string][]pair{"a": {{"a", 1}, {"a", 3}}, "b": {{"b", 2}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GroupBy = %v, want %v", got, want)
	}
	empty := GroupBy(ints(1, 0), func(v int) int { return v })
	if empty == nil || len(empty) != 0 {
		t.Errorf("GroupBy of an empty source = %#v, want an empty non-nil map", empty)
	}
}

func TestChain(t *testing.T) {
	if got := ToSlice(Chain(ints(1, 2), nil, ints(3, 4))); !slices.Equal(got, []int{1, 2, 3, 4}) {
		t.Errorf("Chain = %v, want [1 2 3 4]", got)
	}
	a, b := newProbe(1, 2, 3), newProbe(4, 5)
	for v := range Chain(a.seq(), b.seq()) {
		if v == 2 {
			break
		}
	}
	if !a.cleaned.Load() {
		t.Error("breaking inside the first source did not stop it")
	}
	if b.started.Load() {
		t.Error("breaking inside the first source started the second")
	}
	if got := ToSlice(Chain[int]()); len(got) != 0 {
		t.Errorf("Chain() = %v, want nothing", got)
	}
}

func TestJoin(t *testing.T) {
	ctx := context.Background()
	got := ToSlice(Join(ctx, slices.Values([]int{1, 3, 5}), slices.Values([]int{2, 4})))
	sorted := slices.Clone(got)
	slices.Sort(sorted)
	if !slices.Equal(sorted, []int{1, 2, 3, 4, 5}) {
		t.Errorf("Join = %v, want the items 1 to 5", got)
	}
	var odd, even []int
	for _, v := range got {
		if v%2 == 1 {
			odd = append(odd, v)
		} else {
			even = append(even, v)
		}
	}
	if !slices.Equal(odd, []int{1, 3, 5}) || !slices.Equal(even, []int{2, 4}) {
		t.Errorf("Join = %v, want each source's order kept", got)
	}
	if got := ToSlice(Join[int](ctx)); len(got) != 0 {
		t.Errorf("Join() = %v, want nothing", got)
	}
	leakcheck.Check(t, "pubsub.pumpInto")
}

func TestJoinStopEarlyStopsPumps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	endless := func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
	blocked := func(yield func(int) bool) {
		if !yield(-1) {
			return
		}
		<-ctx.Done()
	}
	n := 0
	for range Join(ctx, endless, blocked) {
		n++
		if n == 10 {
			break
		}
	}
	cancel()
	leakcheck.Check(t, "pubsub.pumpInto")
}

func TestJoinRaisesSourcePanic(t *testing.T) {
	ctx := context.Background()
	bad := func(yield func(int) bool) {
		yield(1)
		panic("source failed")
	}
	defer leakcheck.Check(t, "pubsub.pumpInto")
	defer func() {
		if v := recover(); v != "source failed" {
			t.Errorf("recovered %v, want the source's panic value", v)
		}
	}()
	for range Join(ctx, bad, ints(1, 3)) {
	}
	t.Error("Join finished without raising the source's panic")
}

func TestOperatorsCloseSubscription(t *testing.T) {
	ctx := context.Background()
	p := newPubSub(t)
	mem := memOf(t, p)
	sub, _ := p.Subscribe(ctx, "job", "")
	for i := range 5 {
		p.Publish(ctx, "job", "", i)
	}
	isDone := func(env Envelope) bool { return env.Payload.(int) >= 3 }
	got := ToSlice(Take(Filter(sub.All(), isDone), 1))
	if len(got) != 1 || got[0].Payload != 3 {
		t.Errorf("first matching envelope = %v, want payload 3", got)
	}
	if n := mem.Handlers("job:"); n != 0 {
		t.Errorf("Handlers(job:) = %d after Take stopped, want 0", n)
	}
}

func assertPanics(t *testing.T, name string, fn func()) {
	t.Helper()
	defer func() {
		t.Helper()
		v := recover()
		msg, _ := v.(string)
		if !strings.Contains(msg, name) {
			t.Errorf("panic value %v, want a message naming %s", v, name)
		}
	}()
	fn()
}

package taskgraph

import (
	"runtime"
	"slices"
	"sync"
)

// BottleneckResult is the betweenness centrality of one task.
type BottleneckResult struct {
	TaskID string  `json:"taskId"`
	Score  float64 `json:"score"`
}

// parallelMinNodes is the node count below which Bottlenecks runs on the
// calling goroutine: for small graphs starting workers costs more than it
// saves.
const parallelMinNodes = 256

// Bottlenecks returns the betweenness centrality of every task: the share of
// shortest dependency paths between other tasks that pass through it, over
// directed edges of unit length (Brandes' algorithm). Scores are normalised
// by 1/((n-1)(n-2)) when n > 2. The result lists every task, sorted by
// score descending; equal scores keep node order. An empty graph gives [].
//
// Sources are spread over runtime.GOMAXPROCS workers for larger graphs. The
// contributions of each source are still added in source order, so the
// scores are bit-identical to a single-threaded run whatever the number of
// workers: mathematically equal scores stay equal and ties stay in node
// order.
func Bottlenecks(g *TaskGraph) []BottleneckResult {
	n := len(g.ids)
	results := make([]BottleneckResult, n)
	if n == 0 {
		return results
	}
	scores := g.betweenness(runtime.GOMAXPROCS(0))
	if n > 2 {
		scale := 1 / (float64(n-1) * float64(n-2))
		for i := range scores {
			scores[i] *= scale
		}
	}
	for i, id := range g.ids {
		results[i] = BottleneckResult{TaskID: id, Score: scores[i]}
	}
	slices.SortStableFunc(results, func(a, b BottleneckResult) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
	return results
}

// betweenness returns the unnormalised scores, computed by up to workers
// goroutines. Each source's dependencies are added to the scores in source
// order, whichever worker computed them.
func (g *TaskGraph) betweenness(workers int) []float64 {
	n := len(g.ids)
	scores := make([]float64, n)
	if n == 0 {
		return scores
	}
	if workers < 1 || n < parallelMinNodes {
		workers = 1
	}
	adj := newBrandesGraph(g)
	window := reuseWindow(n, workers)
	sched := newBetweennessScheduler(adj, newBetweennessPlan(adj, window), scores,
		window+1+resultSlotsPerWorker*workers)

	if workers == 1 {
		sched.work(newBrandesSweep(adj))
		return scores
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { sched.work(newBrandesSweep(adj)) })
	}
	wg.Wait()
	return scores
}

// runResult carries the non-zero dependencies of one run, from the worker
// that computed them to the goroutine that adds them up.
type runResult struct {
	// deps[:count] are the non-zero dependencies.
	deps  []dependency
	count int
	// selfDelta is the dependency of the run's source on itself.
	selfDelta float64
}

// dependency is the dependency of a run's source on one node.
type dependency struct {
	delta float64
	node  uint32
}

// betweennessScheduler spreads the runs of a plan over workers and adds
// their dependencies to the scores in source order.
//
// A worker takes the next run together with a free result slot, and a
// slot is freed only after the last source of its run has been added. The
// runs that the source being added still needs started at most the reuse
// window earlier. So with more slots than the window, the next run in
// order always gets a slot, and the adder never waits for a run that
// cannot start.
type betweennessScheduler struct {
	adj   *brandesGraph
	plan  *betweennessPlan
	slots []runResult

	mu   sync.Mutex
	cond sync.Cond
	// The fields below are guarded by mu. free is a stack of free slots,
	// next the next run to take. slotOf and done are indexed by run;
	// added is the next source to add.
	free   []uint32
	next   int
	slotOf []uint32
	done   []bool
	added  int
	scores []float64
	chain  []uint32
}

func newBetweennessScheduler(adj *brandesGraph, plan *betweennessPlan, scores []float64, slots int) *betweennessScheduler {
	n := adj.nodeCount()
	slots = max(1, min(slots, len(plan.runs)))
	r := &betweennessScheduler{
		adj:    adj,
		plan:   plan,
		slots:  make([]runResult, slots),
		free:   make([]uint32, 0, slots),
		slotOf: make([]uint32, len(plan.runs)),
		done:   make([]bool, len(plan.runs)),
		scores: scores,
	}
	r.cond.L = &r.mu
	deps := make([]dependency, slots*n)
	for i := range r.slots {
		r.slots[i].deps = deps[i*n : (i+1)*n : (i+1)*n]
	}
	for i := slots - 1; i >= 0; i-- {
		r.free = append(r.free, uint32(i))
	}
	return r
}

// work computes runs until none is left. After each run it adds the
// dependencies of every source that is next in source order and whose run
// is done.
func (r *betweennessScheduler) work(b *brandesSweep) {
	r.mu.Lock()
	for {
		for len(r.free) == 0 && r.next < len(r.plan.runs) {
			r.cond.Wait()
		}
		if r.next >= len(r.plan.runs) {
			r.mu.Unlock()
			return
		}
		t := r.next
		r.next++
		if r.next == len(r.plan.runs) {
			// Workers waiting for a slot have nothing left to take.
			r.cond.Broadcast()
		}
		// The most recently freed slot is the likeliest to be in cache.
		i := r.free[len(r.free)-1]
		r.free = r.free[:len(r.free)-1]
		r.mu.Unlock()

		slot := &r.slots[i]
		slot.selfDelta = b.run(r.plan.runs[t].source, slot)

		r.mu.Lock()
		r.slotOf[t] = i
		r.done[t] = true
		r.addReady()
	}
}

// addReady adds the dependencies of every source from r.added on whose run
// is done, and frees the slot of each run after its last source. r.mu must
// be held.
func (r *betweennessScheduler) addReady() {
	for ; r.added < len(r.plan.runOf); r.added++ {
		s := uint32(r.added)
		t := r.plan.runOf[s]
		if t == noRun {
			continue
		}
		if !r.done[t] {
			return
		}
		slot := &r.slots[r.slotOf[t]]
		for _, d := range slot.deps[:slot.count] {
			r.scores[d.node] += d.delta
		}
		run := r.plan.runs[t]
		if run.source != s {
			r.chain = r.adj.addChain(s, run.source, slot.selfDelta, r.scores, r.chain)
		}
		if run.last == s {
			r.free = append(r.free, r.slotOf[t])
			r.cond.Signal()
		}
	}
}

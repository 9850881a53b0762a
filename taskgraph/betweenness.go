package taskgraph

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
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
	r := newBetweennessRun(adj, newBetweennessPlan(adj, window), scores,
		window+1+resultSlotsPerWorker*workers)

	if workers == 1 {
		r.work(newBrandesSweep(adj))
		return scores
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { r.work(newBrandesSweep(adj)) })
	}
	wg.Wait()
	return scores
}

// sourceResult carries the non-zero dependencies of one run, from the
// worker that computed them to the goroutine that adds them up.
type sourceResult struct {
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

// betweennessRun schedules the runs of a plan over workers and adds their
// dependencies to the scores in source order.
//
// A worker takes a free result slot from free before it takes the next
// run, and a slot goes back only when the last source of its run has been
// added. The runs that the source being added still needs all started at
// most the reuse window earlier, so with more slots than the window plus
// one the next run in order can always get a slot and nothing deadlocks.
type betweennessRun struct {
	adj   *brandesGraph
	plan  *betweennessPlan
	slots []sourceResult
	free  chan uint32
	next  atomic.Uint32

	mu sync.Mutex
	// The fields below are guarded by mu. slotOf and done are indexed by
	// run; added is the next source to add.
	slotOf []uint32
	done   []bool
	added  int
	scores []float64
	chain  []uint32
}

func newBetweennessRun(adj *brandesGraph, plan *betweennessPlan, scores []float64, slots int) *betweennessRun {
	n := adj.nodeCount()
	slots = max(1, min(slots, len(plan.tasks)))
	r := &betweennessRun{
		adj:    adj,
		plan:   plan,
		slots:  make([]sourceResult, slots),
		free:   make(chan uint32, slots),
		slotOf: make([]uint32, len(plan.tasks)),
		done:   make([]bool, len(plan.tasks)),
		scores: scores,
	}
	deps := make([]dependency, slots*n)
	for i := range r.slots {
		r.slots[i].deps = deps[i*n : (i+1)*n : (i+1)*n]
		r.free <- uint32(i)
	}
	return r
}

// work computes runs until none is left, adding every result that is next
// in source order after each run.
func (r *betweennessRun) work(b *brandesSweep) {
	for {
		i := <-r.free
		t := r.next.Add(1) - 1
		if int(t) >= len(r.plan.tasks) {
			r.free <- i
			return
		}
		slot := &r.slots[i]
		slot.selfDelta = b.run(r.plan.tasks[t].source, slot)

		r.mu.Lock()
		r.slotOf[t] = i
		r.done[t] = true
		r.addReady()
		r.mu.Unlock()
	}
}

// addReady adds the dependencies of every source from r.added on whose run
// is done, and frees the slot of each run after its last source. r.mu must
// be held.
func (r *betweennessRun) addReady() {
	for ; r.added < len(r.plan.task); r.added++ {
		s := uint32(r.added)
		t := r.plan.task[s]
		if t == noTask {
			continue
		}
		if !r.done[t] {
			return
		}
		slot := &r.slots[r.slotOf[t]]
		for _, d := range slot.deps[:slot.count] {
			r.scores[d.node] += d.delta
		}
		task := r.plan.tasks[t]
		if task.source != s {
			r.chain = r.adj.addChain(s, task.source, slot.selfDelta, r.scores, r.chain)
		}
		if task.last == s {
			r.free <- r.slotOf[t]
		}
	}
}

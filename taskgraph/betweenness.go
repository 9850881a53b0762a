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

// brandes holds the per-source scratch buffers of one worker. Only the
// entries a source touched are reset, so a source costs time in proportion
// to what it reaches, not to the graph size.
type brandes struct {
	g *TaskGraph
	// predStart[w] is where the predecessor list of w starts in preds; a
	// node has at most in-degree predecessors, so the ranges never overlap.
	predStart []int32
	preds     []int32
	predCount []int32
	dist      []int32
	sigma     []float64
	delta     []float64
	// queue is the BFS queue; since nodes settle when dequeued, it is also
	// the settle order.
	queue []int32
}

func newBrandes(g *TaskGraph, predStart []int32) *brandes {
	n := len(g.ids)
	b := &brandes{
		g:         g,
		predStart: predStart,
		preds:     make([]int32, predStart[n]),
		predCount: make([]int32, n),
		dist:      make([]int32, n),
		sigma:     make([]float64, n),
		delta:     make([]float64, n),
		queue:     make([]int32, 0, n),
	}
	for i := range b.dist {
		b.dist[i] = -1
	}
	return b
}

// run computes the dependency delta[w] of source s on every node it
// reaches; b.queue lists those nodes, s first.
func (b *brandes) run(s int32) {
	out := b.g.out
	dist, sigma, delta := b.dist, b.sigma, b.delta
	preds, predStart, predCount := b.preds, b.predStart, b.predCount

	queue := append(b.queue[:0], s)
	dist[s] = 0
	sigma[s] = 1
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		next := dist[v] + 1
		for _, w := range out[v] {
			if dist[w] < 0 {
				dist[w] = next
				queue = append(queue, w)
			}
			if dist[w] == next {
				sigma[w] += sigma[v]
				preds[predStart[w]+predCount[w]] = v
				predCount[w]++
			}
		}
	}

	for i := len(queue) - 1; i >= 0; i-- {
		w := queue[i]
		coeff := (1 + delta[w]) / sigma[w]
		start := predStart[w]
		for _, v := range preds[start : start+predCount[w]] {
			// The conversion stops the compiler from fusing the multiply
			// and add, which would change the last bit of the scores.
			delta[v] += float64(sigma[v] * coeff)
		}
	}
	b.queue = queue
}

// reset clears the entries touched by the last run.
func (b *brandes) reset() {
	for _, v := range b.queue {
		b.dist[v] = -1
		b.sigma[v] = 0
		b.delta[v] = 0
		b.predCount[v] = 0
	}
}

// betweenness returns the unnormalised scores, computed by up to workers
// goroutines.
func (g *TaskGraph) betweenness(workers int) []float64 {
	n := len(g.ids)
	predStart := make([]int32, n+1)
	for i, in := range g.in {
		predStart[i+1] = predStart[i] + int32(len(in))
	}
	scores := make([]float64, n)

	if workers <= 1 || n < parallelMinNodes {
		b := newBrandes(g, predStart)
		for s := range int32(n) {
			b.run(s)
			for _, w := range b.queue[1:] {
				scores[w] += b.delta[w]
			}
			b.reset()
		}
		return scores
	}
	g.betweennessParallel(workers, predStart, scores)
	return scores
}

// sourceResult carries the contributions of one source from a worker to the
// goroutine that adds them up.
type sourceResult struct {
	nodes  []int32
	deltas []float64
	ready  chan struct{}
}

// betweennessParallel spreads the sources over workers and adds their
// contributions to scores in source order. A worker needs a token to take
// the next source, and a token comes back only when a source has been
// added, so fewer than len(slots) sources are ever taken but not yet added.
// Source s can therefore use slot s % len(slots) without meeting another
// source there. The goroutines end before it returns.
func (g *TaskGraph) betweennessParallel(workers int, predStart []int32, scores []float64) {
	n := len(g.ids)
	slots := make([]sourceResult, 4*workers)
	tokens := make(chan struct{}, len(slots))
	for i := range slots {
		slots[i] = sourceResult{
			nodes:  make([]int32, 0, n),
			deltas: make([]float64, 0, n),
			ready:  make(chan struct{}, 1),
		}
		tokens <- struct{}{}
	}

	var next atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			b := newBrandes(g, predStart)
			for {
				<-tokens
				s := next.Add(1) - 1
				if int(s) >= n {
					return
				}
				b.run(s)
				slot := &slots[int(s)%len(slots)]
				slot.nodes = append(slot.nodes[:0], b.queue[1:]...)
				slot.deltas = slot.deltas[:0]
				for _, w := range slot.nodes {
					slot.deltas = append(slot.deltas, b.delta[w])
				}
				slot.ready <- struct{}{}
				b.reset()
			}
		})
	}

	for s := range n {
		slot := &slots[s%len(slots)]
		<-slot.ready
		for i, w := range slot.nodes {
			scores[w] += slot.deltas[i]
		}
		tokens <- struct{}{}
	}
	wg.Wait()
}

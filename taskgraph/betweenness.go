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
	adj   *adjacency
	nodes []bfsNode
	delta []float64
	// preds holds the BFS predecessors of each node for the current source.
	// Those of w start at adj.inStart[w] and end at nodes[w].predEnd. A node
	// has at most in-degree of them, so the ranges never overlap.
	preds []int32
	// queue is the BFS queue; since nodes settle when dequeued, it is also
	// the settle order.
	queue []int32
}

// bfsNode is the per-node state of one BFS, kept together so that visiting
// an edge touches one cache line.
type bfsNode struct {
	// sigma is the number of shortest paths from the source.
	sigma float64
	// dist is the distance from the source, or -1 when not reached.
	dist    int32
	predEnd int32
}

// adjacency is the graph in compressed sparse row form: the out-neighbours
// of v are out[outStart[v]:outStart[v+1]], in insertion order.
type adjacency struct {
	outStart []int32
	out      []int32
	inStart  []int32
}

func newAdjacency(g *TaskGraph) *adjacency {
	n := len(g.ids)
	a := &adjacency{
		outStart: make([]int32, n+1),
		out:      make([]int32, 0, len(g.order)),
		inStart:  make([]int32, n+1),
	}
	for v := range n {
		a.out = append(a.out, g.out[v]...)
		a.outStart[v+1] = int32(len(a.out))
		a.inStart[v+1] = a.inStart[v] + int32(len(g.in[v]))
	}
	return a
}

func newBrandes(adj *adjacency) *brandes {
	n := len(adj.outStart) - 1
	b := &brandes{
		adj:   adj,
		nodes: make([]bfsNode, n),
		delta: make([]float64, n),
		preds: make([]int32, adj.inStart[n]),
		queue: make([]int32, n),
	}
	for v := range b.nodes {
		b.nodes[v] = bfsNode{dist: -1, predEnd: adj.inStart[v]}
	}
	return b
}

// run computes the dependency of source s on every node it reaches and
// appends each non-zero one, other than s itself, to result. Zero
// dependencies are left out because adding them changes no score.
func (b *brandes) run(s int32, result *sourceResult) {
	outStart, out, inStart := b.adj.outStart, b.adj.out, b.adj.inStart
	nodes, delta, preds, queue := b.nodes, b.delta, b.preds, b.queue

	result.nodes = result.nodes[:0]
	result.deltas = result.deltas[:0]
	if outStart[s] == outStart[s+1] {
		// A source without dependents reaches nothing and adds nothing.
		return
	}

	queue[0] = s
	tail := 1
	nodes[s].dist = 0
	nodes[s].sigma = 1
	for head := 0; head < tail; head++ {
		v := queue[head]
		next := nodes[v].dist + 1
		sv := nodes[v].sigma
		for _, w := range out[outStart[v]:outStart[v+1]] {
			node := &nodes[w]
			switch node.dist {
			case -1:
				// 0 + sv is exactly sv, so the first path needs no addition.
				node.dist = next
				node.sigma = sv
				queue[tail] = w
				tail++
			case next:
				node.sigma += sv
			default:
				continue
			}
			preds[node.predEnd] = v
			node.predEnd++
		}
	}

	for i := tail - 1; i > 0; i-- {
		w := queue[i]
		dw := delta[w]
		coeff := (1 + dw) / nodes[w].sigma
		for _, v := range preds[inStart[w]:nodes[w].predEnd] {
			// The conversion stops the compiler from fusing the multiply
			// and add, which would change the last bit of the scores.
			delta[v] += float64(nodes[v].sigma * coeff)
		}
		if dw != 0 {
			result.nodes = append(result.nodes, w)
			result.deltas = append(result.deltas, dw)
		}
	}

	// Clear what this source touched.
	for _, v := range queue[:tail] {
		nodes[v] = bfsNode{dist: -1, predEnd: inStart[v]}
		delta[v] = 0
	}
}

// betweenness returns the unnormalised scores, computed by up to workers
// goroutines.
func (g *TaskGraph) betweenness(workers int) []float64 {
	n := len(g.ids)
	adj := newAdjacency(g)
	scores := make([]float64, n)

	if workers <= 1 || n < parallelMinNodes {
		b := newBrandes(adj)
		result := newSourceResult(n)
		for s := range int32(n) {
			b.run(s, result)
			result.addTo(scores)
		}
		return scores
	}
	g.betweennessParallel(workers, adj, scores)
	return scores
}

// sourceResult carries the non-zero contributions of one source, from the
// worker that computed them to the goroutine that adds them up.
type sourceResult struct {
	nodes  []int32
	deltas []float64
	ready  chan struct{}
}

func newSourceResult(n int) *sourceResult {
	return &sourceResult{
		nodes:  make([]int32, 0, n),
		deltas: make([]float64, 0, n),
		ready:  make(chan struct{}, 1),
	}
}

func (r *sourceResult) addTo(scores []float64) {
	for i, w := range r.nodes {
		scores[w] += r.deltas[i]
	}
}

// betweennessParallel spreads the sources over workers and adds their
// contributions to scores in source order. A worker needs a token to take
// the next source, and a token comes back only when a source has been
// added, so fewer than len(slots) sources are ever taken but not yet added.
// Source s can therefore use slot s % len(slots) without meeting another
// source there. The goroutines end before it returns.
func (g *TaskGraph) betweennessParallel(workers int, adj *adjacency, scores []float64) {
	n := len(g.ids)
	slots := make([]*sourceResult, 4*workers)
	tokens := make(chan struct{}, len(slots))
	for i := range slots {
		slots[i] = newSourceResult(n)
		tokens <- struct{}{}
	}

	var next atomic.Int32
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			b := newBrandes(adj)
			for {
				<-tokens
				s := next.Add(1) - 1
				if int(s) >= n {
					return
				}
				slot := slots[int(s)%len(slots)]
				b.run(s, slot)
				slot.ready <- struct{}{}
			}
		})
	}

	for s := range n {
		slot := slots[s%len(slots)]
		<-slot.ready
		slot.addTo(scores)
		tokens <- struct{}{}
	}
	wg.Wait()
}

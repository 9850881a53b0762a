package taskgraph

// noTask marks a source that reaches no other node and so adds nothing.
const noTask = ^uint32(0)

// maxReuseWindow is the largest distance, in sources, between the first and
// the last source that add the dependencies of one run. The runs of a
// window stay in memory until its last source is added; 64 keeps that
// small while catching nearly every reuse in generated task graphs, where
// a task's dependents mostly follow it within 50 tasks.
const maxReuseWindow = 64

// resultMemoryBudget is the memory, in bytes, that the kept runs may take
// before the reuse window shrinks: each kept run can need 12 bytes per node.
const resultMemoryBudget = 32 << 20

// betweennessPlan assigns each source the run whose dependencies it adds.
//
// A source s whose only out-neighbour is c reaches everything through c: in
// an acyclic graph its BFS is c's BFS with s in front, with the same path
// counts and the same operations in the same order. So the dependency of s
// on every node other than s and c equals the one c's run computes, its
// dependency on c equals the dependency of c on itself in that run, and
// s's own run can be skipped. The same holds along a chain of such
// sources, each node of the chain adding 1 to the dependency of the next,
// as the textbook accumulation does with path counts of 1. Runs are
// numbered in the order of their first source, and a run is shared only by
// sources at most window apart, which bounds the runs kept at once.
type betweennessPlan struct {
	// task is the run whose dependencies source s adds, or noTask.
	task  []uint32
	tasks []planTask
}

// planTask is one run of the sweep.
type planTask struct {
	// source is the node the run starts from.
	source uint32
	// first and last are the first and last source that add its
	// dependencies.
	first, last uint32
}

func newBetweennessPlan(a *brandesGraph, window int) *betweennessPlan {
	n := a.nodeCount()
	p := &betweennessPlan{
		task:  make([]uint32, n),
		tasks: make([]planTask, 0, n),
	}
	runFrom := a.chainEnds(window > 0 && a.isAcyclic())

	// open[r] is the latest run that starts from r.
	open := make([]uint32, n)
	for v := range open {
		open[v] = noTask
	}
	for s := range uint32(n) {
		if a.outDegree(s) == 0 {
			p.task[s] = noTask
			continue
		}
		r := runFrom[s]
		if t := open[r]; t != noTask && int(s-p.tasks[t].first) <= window {
			p.tasks[t].last = s
			p.task[s] = t
			continue
		}
		open[r] = uint32(len(p.tasks))
		p.task[s] = open[r]
		p.tasks = append(p.tasks, planTask{source: r, first: s, last: s})
	}
	return p
}

// chainEnds returns, for every node, the node its run starts from: the end
// of its chain of single out-edges when reuse is on, else the node itself.
func (a *brandesGraph) chainEnds(reuse bool) []uint32 {
	n := a.nodeCount()
	end := make([]uint32, n)
	for v := range end {
		end[v] = noTask
	}
	var chain []uint32
	for v := range uint32(n) {
		if !reuse {
			end[v] = v
			continue
		}
		// Follow single out-edges to a node with a known end or with
		// another out-degree, then give the whole chain that end. The
		// graph is acyclic, so the walk stops.
		chain = chain[:0]
		x := v
		for end[x] == noTask && a.outDegree(x) == 1 {
			chain = append(chain, x)
			x = a.out[a.outStart[x]]
		}
		if end[x] == noTask {
			end[x] = x
		}
		for _, c := range chain {
			end[c] = end[x]
		}
	}
	return end
}

// isAcyclic reports whether the graph has no directed cycle (Kahn's
// algorithm).
func (a *brandesGraph) isAcyclic() bool {
	n := a.nodeCount()
	inDegree := make([]uint32, n)
	for _, w := range a.out[:a.outStart[n]] {
		inDegree[w]++
	}
	queue := make([]uint32, 0, n)
	for v := range uint32(n) {
		if inDegree[v] == 0 {
			queue = append(queue, v)
		}
	}
	for i := 0; i < len(queue); i++ {
		v := queue[i]
		for _, w := range a.out[a.outStart[v]:a.outStart[v+1]] {
			inDegree[w]--
			if inDegree[w] == 0 {
				queue = append(queue, w)
			}
		}
	}
	return len(queue) == n
}

// addChain adds the dependencies of source s on the nodes of its chain: the
// nodes after s up to and including r, the source of the run s reuses.
// selfDelta is the dependency of r on itself in that run. The dependency
// on each earlier chain node is 1 plus the one on the node after it,
// computed as the textbook form does, (1 + d) / 1 * 1.
func (a *brandesGraph) addChain(s, r uint32, selfDelta float64, scores []float64, chain []uint32) []uint32 {
	chain = chain[:0]
	for x := a.out[a.outStart[s]]; x != r; x = a.out[a.outStart[x]] {
		chain = append(chain, x)
	}
	d := selfDelta
	scores[r] += d
	for i := len(chain) - 1; i >= 0; i-- {
		d = 1 + d
		scores[chain[i]] += d
	}
	return chain
}

// reuseWindow returns the reuse window for n nodes and the given number of
// workers: maxReuseWindow unless the kept runs would exceed
// resultMemoryBudget.
func reuseWindow(n, workers int) int {
	affordable := resultMemoryBudget / (12 * max(n, 1))
	return max(0, min(maxReuseWindow, affordable-resultSlotsPerWorker*workers-1))
}

// resultSlotsPerWorker is the number of result slots beyond the reuse
// window that each worker adds, so that it can run ahead of the adder.
const resultSlotsPerWorker = 2

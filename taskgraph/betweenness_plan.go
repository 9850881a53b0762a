package taskgraph

import "unsafe"

// noRun marks a source that reaches no other node and so adds nothing.
const noRun = ^uint32(0)

// maxReuseWindow is the largest distance, in sources, between the first and
// the last source that add the dependencies of one run. The results of a
// run stay in memory until its last source is added. On the 10,000-task
// benchmark graph, where a task's dependents mostly follow it within 50
// tasks, a window of 64 keeps 9 of the 11 % of the work that reuse can
// save at most.
const maxReuseWindow = 64

// resultMemoryBudget is the memory, in bytes, that kept run results may
// take before the reuse window shrinks.
const resultMemoryBudget = 32 << 20

// resultSlotsPerWorker is the number of result slots beyond the reuse
// window that each worker adds, so that it can run ahead of the adder.
const resultSlotsPerWorker = 2

// betweennessPlan assigns each source the run whose dependencies it adds.
//
// A source s whose only out-neighbour is c reaches everything through c. In
// an acyclic graph its BFS is c's BFS with s in front, with the same path
// counts and the same operations in the same order. So the dependency of s
// on every node other than s and c equals the one c's run computes, its
// dependency on c equals the dependency of c on itself in that run, and
// s's own run can be skipped. The same holds along a chain of such
// sources (see addChain). Runs are numbered in the order of their first
// source, and a run is shared only by sources at most the reuse window
// apart, which bounds the results kept at once.
type betweennessPlan struct {
	// runOf is the run whose dependencies source s adds, or noRun.
	runOf []uint32
	runs  []plannedRun
}

// plannedRun is one sweep from one source.
type plannedRun struct {
	// source is the node the run starts from.
	source uint32
	// first and last are the first and last source that add its
	// dependencies.
	first, last uint32
}

func newBetweennessPlan(a *brandesGraph, window int) *betweennessPlan {
	n := a.nodeCount()
	p := &betweennessPlan{
		runOf: make([]uint32, n),
		runs:  make([]plannedRun, 0, n),
	}
	runFrom := a.chainEnds(window > 0 && a.isAcyclic())

	// open[r] is the latest run that starts from r.
	open := make([]uint32, n)
	for v := range open {
		open[v] = noRun
	}
	for s := range uint32(n) {
		if a.outDegree(s) == 0 {
			p.runOf[s] = noRun
			continue
		}
		r := runFrom[s]
		if t := open[r]; t != noRun && int(s-p.runs[t].first) <= window {
			p.runs[t].last = s
			p.runOf[s] = t
			continue
		}
		open[r] = uint32(len(p.runs))
		p.runOf[s] = open[r]
		p.runs = append(p.runs, plannedRun{source: r, first: s, last: s})
	}
	return p
}

// chainEnds returns, for every node, the node its run starts from. With
// reuse on, that is the end of its chain of single out-edges: the first
// node along it whose out-degree is not 1. Otherwise it is the node itself.
func (a *brandesGraph) chainEnds(reuse bool) []uint32 {
	n := a.nodeCount()
	end := make([]uint32, n)
	if !reuse {
		for v := range end {
			end[v] = uint32(v)
		}
		return end
	}

	for v := range end {
		end[v] = noRun
	}
	var chain []uint32
	for v := range uint32(n) {
		// Follow single out-edges to a node whose end is known or whose
		// out-degree is not 1, then give the whole chain that end. The
		// graph is acyclic, so the walk stops.
		chain = chain[:0]
		x := v
		for end[x] == noRun && a.outDegree(x) == 1 {
			chain = append(chain, x)
			x = a.out[a.outStart[x]]
		}
		if end[x] == noRun {
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

// addChain adds to scores the dependencies of source s on the nodes of its
// chain: the nodes after s up to and including r, the source of the run
// that s reuses. selfDelta is the dependency of r on itself in that run.
// Every chain node before r has one path from s and one successor, so the
// textbook accumulation gives it 0 + 1*((1 + d)/1), which is 1 + d for the
// dependency d of its successor. chain is scratch space; addChain returns
// it for reuse.
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
// workers: maxReuseWindow, or less if the result slots that the window
// needs would take more than resultMemoryBudget.
func reuseWindow(n, workers int) int {
	affordable := resultMemoryBudget / (int(unsafe.Sizeof(dependency{})) * max(n, 1))
	return max(0, min(maxReuseWindow, affordable-resultSlotsPerWorker*workers-1))
}

package taskgraph

// kahnOrder runs Kahn's algorithm with a FIFO queue: start with the nodes
// without prerequisites in node order, and append a node once its last
// prerequisite has been output. The result is shorter than the node count
// when the graph has cycles. When gen is non-nil it receives each node's
// generation: 0 for roots, and one more than the generation of the node
// that released it, which is the length of the longest path from a root.
func (g *TaskGraph) kahnOrder(gen []int32) []int32 {
	n := len(g.ids)
	indegree := make([]int32, n)
	order := make([]int32, 0, n)
	for i, in := range g.in {
		indegree[i] = int32(len(in))
		if len(in) == 0 {
			order = append(order, int32(i))
		}
	}
	// order doubles as the FIFO queue: the output sequence is the dequeue
	// sequence.
	for head := 0; head < len(order); head++ {
		u := order[head]
		for _, w := range g.out[u] {
			indegree[w]--
			if indegree[w] == 0 {
				if gen != nil {
					gen[w] = gen[u] + 1
				}
				order = append(order, w)
			}
		}
	}
	return order
}

// topoIndices returns the topological order as node indices, or
// *CircularDependencyError.
func (g *TaskGraph) topoIndices(gen []int32) ([]int32, error) {
	order := g.kahnOrder(gen)
	if len(order) < len(g.ids) {
		return nil, &CircularDependencyError{Cycles: g.FindCycles()}
	}
	return order, nil
}

// TopologicalOrder returns every id so that each task comes after its
// prerequisites; ties follow node order (Kahn's algorithm with a FIFO
// queue). It fails with *CircularDependencyError, whose Cycles are those of
// FindCycles, when the graph has a cycle. An empty graph gives [].
func (g *TaskGraph) TopologicalOrder() ([]string, error) {
	order, err := g.topoIndices(nil)
	if err != nil {
		return nil, err
	}
	return g.names(order), nil
}

// HasCycles reports whether the graph has a directed cycle.
func (g *TaskGraph) HasCycles() bool {
	return len(g.kahnOrder(nil)) < len(g.ids)
}

// ParallelGroups splits the topological order into generations: a task's
// generation is the length of the longest path to it from a task without
// prerequisites, and tasks of one generation can run at the same time.
// Groups are maximal runs of equal generation in the topological order,
// which keeps dequeue order inside a group. It fails with
// *CircularDependencyError on a cyclic graph; an empty graph gives [].
func ParallelGroups(g *TaskGraph) ([][]string, error) {
	gen := make([]int32, len(g.ids))
	order, err := g.topoIndices(gen)
	if err != nil {
		return nil, err
	}
	groups := [][]string{}
	for start := 0; start < len(order); {
		end := start + 1
		for end < len(order) && gen[order[end]] == gen[order[start]] {
			end++
		}
		groups = append(groups, g.names(order[start:end]))
		start = end
	}
	return groups, nil
}

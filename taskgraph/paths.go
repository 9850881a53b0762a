package taskgraph

import "math"

// CriticalPath returns the longest path by task count, root first. Ties go
// to the earliest prerequisite in dependency order and to the earliest end
// node in topological order. It fails with *CircularDependencyError on a
// cyclic graph; an empty graph gives [].
func CriticalPath(g *TaskGraph) ([]string, error) {
	return weightedPath(g, nil)
}

// WeightedCriticalPath returns the path with the largest sum of w over its
// tasks, root first, with the tie-breaks of CriticalPath. w is called
// exactly once per task (roots in node order, then the other tasks in
// topological order), and not at all for a graph of one task. Negative
// weights are allowed; NaN never wins, and a graph whose distances are all
// NaN or -Inf gives []. It fails with *CircularDependencyError on a cyclic
// graph; an empty graph gives [].
func WeightedCriticalPath(g *TaskGraph, w func(id string, a NodeAttrs) float64) ([]string, error) {
	return weightedPath(g, func(v int32) float64 { return w(g.ids[v], g.attrs[v]) })
}

// weightedPath implements both critical paths; a nil weight means 1 for
// every node.
func weightedPath(g *TaskGraph, weight func(v int32) float64) ([]string, error) {
	n := len(g.ids)
	if n == 0 {
		return []string{}, nil
	}
	order, err := g.topoIndices(nil)
	if err != nil {
		return nil, err
	}
	if n == 1 {
		return []string{g.ids[0]}, nil
	}
	if weight == nil {
		weight = func(int32) float64 { return 1 }
	}

	dist := make([]float64, n)
	pred := make([]int32, n)
	for v := range n {
		pred[v] = -1
		dist[v] = math.Inf(-1)
		if len(g.in[v]) == 0 {
			dist[v] = weight(int32(v))
		}
	}
	for _, v := range order {
		if len(g.in[v]) == 0 {
			continue
		}
		wv := weight(v)
		for _, u := range g.in[v] {
			if d := dist[u] + wv; d > dist[v] {
				dist[v] = d
				pred[v] = u
			}
		}
	}

	end, best := int32(-1), math.Inf(-1)
	for _, v := range order {
		if dist[v] > best {
			end, best = v, dist[v]
		}
	}
	if end < 0 {
		return []string{}, nil
	}
	length := 0
	for v := end; v >= 0; v = pred[v] {
		length++
	}
	path := make([]string, length)
	for v := end; v >= 0; v = pred[v] {
		length--
		path[length] = g.ids[v]
	}
	return path, nil
}

package taskgraph

// FindCycles runs a depth-first search from every unvisited node in node
// order, visiting out-neighbours in order, and records one cycle per back
// edge: the ids on the search path from the target of the back edge to its
// source, without repeating the first. It does not list every simple cycle.
// The search keeps its own stack, so long chains cannot overflow the
// goroutine stack. An acyclic graph gives [] (never nil).
func (g *TaskGraph) FindCycles() [][]string {
	const (
		white = iota
		grey
		black
	)
	n := len(g.ids)
	color := make([]uint8, n)
	pathPos := make([]int32, n)
	var path []int32
	type frame struct {
		node int32
		next int
	}
	var stack []frame
	cycles := [][]string{}

	visit := func(v int32) {
		color[v] = grey
		pathPos[v] = int32(len(path))
		path = append(path, v)
		stack = append(stack, frame{node: v})
	}
	for start := range n {
		if color[start] != white {
			continue
		}
		visit(int32(start))
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			out := g.out[top.node]
			if top.next == len(out) {
				color[top.node] = black
				path = path[:len(path)-1]
				stack = stack[:len(stack)-1]
				continue
			}
			w := out[top.next]
			top.next++
			switch color[w] {
			case grey:
				cycles = append(cycles, g.names(path[pathPos[w]:]))
			case white:
				visit(w)
			}
		}
	}
	return cycles
}

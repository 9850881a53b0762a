package taskgraph_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

// referenceBetweenness is Brandes' algorithm in its textbook form, with maps
// per source: BFS in node and insertion order, then dependencies
// accumulated in reverse settle order with coeff := (1 + delta[w]) /
// sigma[w] and delta[v] += sigma[v] * coeff, and each source's
// dependencies added in source order. It returns the unnormalised scores
// in node order.
func referenceBetweenness(t testing.TB, g *taskgraph.TaskGraph) []float64 {
	t.Helper()
	ids := g.IDs()
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	dependents := make([][]int, len(ids))
	for i, id := range ids {
		names, err := g.Dependents(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			dependents[i] = append(dependents[i], index[name])
		}
	}

	// brandesNode is the state of one reached node for one source.
	type brandesNode struct {
		dist         int
		sigma, delta float64
		preds        []int
	}
	scores := make([]float64, len(ids))
	for s := range ids {
		nodes := map[int]*brandesNode{s: {sigma: 1}}
		settled := []int{s}
		for i := 0; i < len(settled); i++ {
			v := settled[i]
			nv := nodes[v]
			for _, w := range dependents[v] {
				nw, seen := nodes[w]
				if !seen {
					nw = &brandesNode{dist: nv.dist + 1}
					nodes[w] = nw
					settled = append(settled, w)
				}
				if nw.dist == nv.dist+1 {
					nw.sigma += nv.sigma
					nw.preds = append(nw.preds, v)
				}
			}
		}

		for i := len(settled) - 1; i >= 0; i-- {
			w := settled[i]
			nw := nodes[w]
			coeff := (1 + nw.delta) / nw.sigma
			for _, v := range nw.preds {
				nv := nodes[v]
				// The conversion forbids a fused multiply-add.
				nv.delta += float64(nv.sigma * coeff)
			}
			if w != s {
				scores[w] += nw.delta
			}
		}
	}
	return scores
}

// referenceBottlenecks normalises and sorts reference scores as
// Bottlenecks specifies.
func referenceBottlenecks(g *taskgraph.TaskGraph, scores []float64) []taskgraph.BottleneckResult {
	n := len(scores)
	results := make([]taskgraph.BottleneckResult, n)
	for i, id := range g.IDs() {
		score := scores[i]
		if n > 2 {
			score *= 1 / (float64(n-1) * float64(n-2))
		}
		results[i] = taskgraph.BottleneckResult{TaskID: id, Score: score}
	}
	slices.SortStableFunc(results, func(a, b taskgraph.BottleneckResult) int {
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

// checkSameBits fails unless got and want hold the same float64 bits.
func checkSameBits(t *testing.T, what string, ids []string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d scores, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: score of %s = %v (%#x), want %v (%#x)", what, ids[i],
				got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// checkSameResults fails unless got and want list the same tasks in the
// same order with the same score bits.
func checkSameResults(t *testing.T, got, want []taskgraph.BottleneckResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].TaskID != want[i].TaskID ||
			math.Float64bits(got[i].Score) != math.Float64bits(want[i].Score) {
			t.Fatalf("result %d = %s %v, want %s %v", i, got[i].TaskID, got[i].Score,
				want[i].TaskID, want[i].Score)
		}
	}
}

// randomGraph builds a graph of n tasks from rng. Each task depends on up to
// maxDeps earlier tasks, mostly recent ones as in the generated benchmark
// graph. With chains set, a task has at most one prerequisite, so chains
// of single out-edges are common. backEdges edges from later to earlier
// tasks add cycles. With shuffle set, tasks are inserted in random order,
// so node order is not a topological order.
func randomGraph(t testing.TB, rng *rand.Rand, n, maxDeps, backEdges int, chains, shuffle bool) *taskgraph.TaskGraph {
	t.Helper()
	name := func(i int) string { return fmt.Sprintf("n%03d", i) }
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if shuffle {
		rng.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	g := taskgraph.New()
	for _, i := range order {
		if err := g.AddTask(name(i), taskgraph.NodeAttrs{Name: name(i)}); err != nil {
			t.Fatal(err)
		}
	}
	addEdge := func(from, to int) {
		if from == to || g.HasDependency(name(from), name(to)) {
			return
		}
		if err := g.AddDependency(name(from), name(to)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < n; i++ {
		deps := rng.IntN(maxDeps + 1)
		if chains {
			deps = min(deps, 1)
		}
		for range deps {
			p := i - 1 - rng.IntN(min(i, 8))
			if rng.IntN(4) == 0 {
				p = rng.IntN(i)
			}
			addEdge(p, i)
		}
	}
	for range backEdges {
		if n > 1 {
			a, b := rng.IntN(n), rng.IntN(n)
			addEdge(max(a, b), min(a, b))
		}
	}
	return g
}

func TestBetweennessMatchesReference(t *testing.T) {
	type family struct {
		name               string
		maxDeps, back      int
		chains, shuffle    bool
		minNodes, maxNodes int
		count              int
	}
	families := []family{
		{"dag", 3, 0, false, false, 1, 60, 120},
		{"dag shuffled", 3, 0, false, true, 1, 60, 80},
		{"chains", 1, 0, true, true, 1, 60, 60},
		{"cycles", 3, 4, false, false, 2, 60, 80},
		{"cycles and chains", 1, 3, true, true, 2, 60, 40},
		// From parallelMinNodes nodes on, the workers run in parallel.
		{"large dag", 3, 0, false, true, 256, 700, 6},
		{"large chains", 2, 0, true, false, 256, 700, 4},
		{"large cycles", 3, 20, false, false, 256, 700, 4},
	}
	for fi, f := range families {
		rng := rand.New(rand.NewPCG(uint64(fi), 7))
		for i := range f.count {
			n := f.minNodes + rng.IntN(f.maxNodes-f.minNodes+1)
			g := randomGraph(t, rng, n, f.maxDeps, f.back, f.chains, f.shuffle)
			want := referenceBetweenness(t, g)
			ids := g.IDs()
			for _, workers := range []int{1, 2, 3, 8} {
				got := taskgraph.BetweennessScores(g, workers)
				checkSameBits(t, fmt.Sprintf("%s %d (%d nodes), %d workers", f.name, i, n, workers),
					ids, got, want)
			}
			checkSameResults(t, taskgraph.Bottlenecks(g), referenceBottlenecks(g, want))
		}
	}
}

func TestBottlenecks10kMatchesReference(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the map-based reference takes seconds on 10,000 tasks")
	}
	g := generatedGraph(t, 10000)
	want := referenceBetweenness(t, g)
	got := taskgraph.Bottlenecks(g)
	checkSameResults(t, got, referenceBottlenecks(g, want))
}

func TestBetweennessShapesMatchReference(t *testing.T) {
	name := func(prefix string, i int) string { return fmt.Sprintf("%s%04d", prefix, i) }
	build := func(t *testing.T, n int, edges func(add func(from, to int))) *taskgraph.TaskGraph {
		t.Helper()
		g := taskgraph.New()
		for i := range n {
			if err := g.AddTask(name("n", i), taskgraph.NodeAttrs{Name: name("n", i)}); err != nil {
				t.Fatal(err)
			}
		}
		edges(func(from, to int) {
			if err := g.AddDependency(name("n", from), name("n", to)); err != nil {
				t.Fatal(err)
			}
		})
		return g
	}
	// ladder joins layers of the given width. With seed 0 every node links
	// to every node of the next layer, so with width 2 path counts double
	// at every layer and reach +Inf after 1024 layers. Otherwise a node
	// links to the node below it and to each other node of the next layer
	// with probability 2/3. With width 3, path counts then grow unevenly
	// past 2^53 within 40 layers, where the order of additions changes
	// their last bits.
	ladder := func(width, layers int, seed uint64) func(add func(from, to int)) {
		return func(add func(from, to int)) {
			rng := rand.New(rand.NewPCG(seed, 1))
			for l := 0; l+1 < layers; l++ {
				for a := range width {
					for b := range width {
						if a == b || seed == 0 || rng.IntN(3) > 0 {
							add(width*l+a, width*(l+1)+b)
						}
					}
				}
			}
		}
	}
	tests := []struct {
		name  string
		n     int
		edges func(add func(from, to int))
	}{
		{"star with fan-in", 42, func(add func(from, to int)) {
			for i := 1; i <= 40; i++ {
				add(0, i)
				add(i, 41)
			}
		}},
		{"long chain", 300, func(add func(from, to int)) {
			for i := 0; i+1 < 300; i++ {
				add(i, i+1)
			}
		}},
		{"chain into cycle", 300, func(add func(from, to int)) {
			for i := 0; i+1 < 300; i++ {
				add(i, i+1)
			}
			add(299, 250)
		}},
		{"ladder with exact path counts", 80, ladder(2, 40, 0)},
		{"ladder with rounded path counts", 240, ladder(3, 80, 5)},
		{"ladder with infinite path counts", 2200, ladder(2, 1100, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, tc.n, tc.edges)
			want := referenceBetweenness(t, g)
			for _, workers := range []int{1, 2, 3} {
				got := taskgraph.BetweennessScores(g, workers)
				checkSameBits(t, fmt.Sprintf("%d workers", workers), g.IDs(), got, want)
			}
			checkSameResults(t, taskgraph.Bottlenecks(g), referenceBottlenecks(g, want))
		})
	}
}

package taskgraph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestHasCycles(t *testing.T) {
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want bool
	}{
		{"empty", taskgraph.New(), false},
		{"chain", jsonGraph(t, "QLIN"), false},
		{"diamond", jsonGraph(t, "QDIA"), false},
		{"cycle", jsonGraph(t, "QCYC"), true},
		{"two cycles", jsonGraph(t, "Q2CYC"), true},
		{"single node", mustGraph(t, task("only", nil)), false},
	}
	for _, tc := range tests {
		if got := tc.g.HasCycles(); got != tc.want {
			t.Errorf("%s: HasCycles() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFindCycles(t *testing.T) {
	twoNodes := mustJSON(t, doc(`{"key":"X","attributes":{"name":"X"}},`+
		`{"key":"Y","attributes":{"name":"Y"}}`,
		`{"key":"X->Y","source":"X","target":"Y","attributes":{}},`+
			`{"key":"Y->X","source":"Y","target":"X","attributes":{}}`))
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want [][]string
	}{
		{"empty", taskgraph.New(), [][]string{}},
		{"chain", jsonGraph(t, "QLIN"), [][]string{}},
		{"diamond", jsonGraph(t, "QDIA"), [][]string{}},
		{"cycle with tail", jsonGraph(t, "QCYC"), [][]string{{"A", "B", "C"}}},
		{"two cycles", jsonGraph(t, "Q2CYC"), [][]string{{"A", "B", "C"}, {"X", "Y"}}},
		{"two-node cycle", twoNodes, [][]string{{"X", "Y"}}},
		{"tree", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b")),
			task("d", deps("a"))), [][]string{}},
		{"cycle from tasks", mustGraph(t, task("a", deps("c")), task("b", deps("a")),
			task("c", deps("b"))), [][]string{{"a", "b", "c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.g.FindCycles()
			checkEqual(t, "cycles", got, tc.want)
			checkEqual(t, "second call", tc.g.FindCycles(), got)
			for _, cycle := range got {
				if !tc.g.HasDependency(cycle[len(cycle)-1], cycle[0]) {
					t.Errorf("cycle %v: no edge from last to first", cycle)
				}
			}
		})
	}
}

func TestFindCyclesOnLongRing(t *testing.T) {
	const n = 10000
	id := func(i int) string { return fmt.Sprintf("t%d", i) }
	tasks := make([]taskgraph.TaskInput, n)
	for i := range n {
		tasks[i] = task(id(i), deps(id((i+n-1)%n)))
	}
	cycles := mustGraph(t, tasks...).FindCycles()
	if len(cycles) != 1 || len(cycles[0]) != n {
		t.Fatalf("got %d cycles, want one of %d nodes", len(cycles), n)
	}
	for i, got := range cycles[0] {
		if got != id(i) {
			t.Fatalf("cycle[%d] = %s, want %s", i, got, id(i))
		}
	}
}

func TestTopologicalOrder(t *testing.T) {
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want []string
	}{
		{"chain", jsonGraph(t, "QLIN"), []string{"A", "B", "C", "D"}},
		{"diamond", jsonGraph(t, "QDIA"), []string{"A", "B", "C", "D"}},
		{"single", mustGraph(t, task("only", nil)), []string{"only"}},
		{"empty", taskgraph.New(), []string{}},
		{"pipeline", mustJSON(t, doc(`{"key":"setup","attributes":{"name":"s"}},`+
			`{"key":"impl","attributes":{"name":"i"}},{"key":"test","attributes":{"name":"t"}},`+
			`{"key":"deploy","attributes":{"name":"d"}}`,
			`{"key":"1","source":"setup","target":"impl","attributes":{}},`+
				`{"key":"2","source":"impl","target":"test","attributes":{}},`+
				`{"key":"3","source":"test","target":"deploy","attributes":{}}`)),
			[]string{"setup", "impl", "test", "deploy"}},
		{"tree", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b")),
			task("d", deps("a"))), []string{"a", "b", "d", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.g.TopologicalOrder()
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "order", got, tc.want)
		})
	}
}

func TestTopologicalOrderCycles(t *testing.T) {
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want [][]string
		text string
	}{
		{"one cycle", jsonGraph(t, "QCYC"), [][]string{{"A", "B", "C"}},
			"Circular dependency detected: A → B → C"},
		{"two cycles", jsonGraph(t, "Q2CYC"), [][]string{{"A", "B", "C"}, {"X", "Y"}},
			"Circular dependency detected: A → B → C; X → Y"},
		{"two tasks", mustGraph(t, task("a", deps("b")), task("b", deps("a"))),
			[][]string{{"a", "b"}}, "Circular dependency detected: a → b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.g.TopologicalOrder()
			e := asError[*taskgraph.CircularDependencyError](t, err)
			checkEqual(t, "cycles", e.Cycles, tc.want)
			checkEqual(t, "cycles against FindCycles", e.Cycles, tc.g.FindCycles())
			checkEqual(t, "text", err.Error(), tc.text)
		})
	}
}

func TestDependenciesAndDependents(t *testing.T) {
	lin, dia := jsonGraph(t, "QLIN"), jsonGraph(t, "QDIA")
	tests := []struct {
		name string
		call func() ([]string, error)
		want []string
	}{
		{"dependencies of B", func() ([]string, error) { return lin.Dependencies("B") },
			[]string{"A"}},
		{"dependencies of root", func() ([]string, error) { return lin.Dependencies("A") },
			[]string{}},
		{"dependencies of diamond end", func() ([]string, error) { return dia.Dependencies("D") },
			[]string{"B", "C"}},
		{"dependents of A", func() ([]string, error) { return lin.Dependents("A") },
			[]string{"B"}},
		{"dependents of leaf", func() ([]string, error) { return lin.Dependents("D") },
			[]string{}},
		{"dependents of diamond root", func() ([]string, error) { return dia.Dependents("A") },
			[]string{"B", "C"}},
	}
	for _, tc := range tests {
		got, err := tc.call()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		checkEqual(t, tc.name, got, tc.want)
	}

	for _, g := range []*taskgraph.TaskGraph{lin, taskgraph.New()} {
		for _, id := range []string{"nonexistent", "missing"} {
			_, err := g.Dependencies(id)
			if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != id {
				t.Errorf("Dependencies TaskID = %q, want %q", e.TaskID, id)
			}
			_, err = g.Dependents(id)
			if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != id {
				t.Errorf("Dependents TaskID = %q, want %q", e.TaskID, id)
			}
		}
	}

	g := taskgraph.New()
	_ = g.AddTask("task-1", taskgraph.NodeAttrs{Name: "one"})
	deps1, _ := g.Dependencies("task-1")
	dependents1, _ := g.Dependents("task-1")
	checkEqual(t, "lone dependencies", deps1, []string{})
	checkEqual(t, "lone dependents", dependents1, []string{})
	_ = g.AddTask("b", taskgraph.NodeAttrs{Name: "b"})
	_ = g.AddDependency("task-1", "b")
	depsB, _ := g.Dependencies("b")
	dependents1, _ = g.Dependents("task-1")
	checkEqual(t, "dependencies of b", depsB, []string{"task-1"})
	checkEqual(t, "dependents of task-1", dependents1, []string{"b"})

	g = mustGraph(t, task("a", deps("missing")))
	if !g.HasTask("missing") {
		t.Error("FromTasks did not create the orphan node")
	}
}

func TestCountsAndTaskLookup(t *testing.T) {
	if n := taskgraph.New().TaskCount(); n != 0 {
		t.Errorf("empty TaskCount() = %d", n)
	}
	if n := jsonGraph(t, "QLIN").TaskCount(); n != 4 {
		t.Errorf("QLIN TaskCount() = %d", n)
	}
	if n := jsonGraph(t, "QDIA").TaskCount(); n != 4 {
		t.Errorf("QDIA TaskCount() = %d", n)
	}
	var nodes []string
	for i := range 23 {
		nodes = append(nodes, fmt.Sprintf(`{"key":"task-%d","attributes":{"name":"T"}}`, i))
	}
	big := mustJSON(t, doc(strings.Join(nodes, ","), ""))
	if big.TaskCount() != 23 || big.TaskCount() != len(big.IDs()) {
		t.Errorf("TaskCount() = %d, IDs %d", big.TaskCount(), len(big.IDs()))
	}

	lin := jsonGraph(t, "QLIN")
	a, ok := lin.Task("A")
	if !ok || a != (taskgraph.NodeAttrs{Name: "Task A"}) {
		t.Errorf("Task(A) = %+v, %v", a, ok)
	}
	if a.Risk != "" || a.Scope != "" {
		t.Errorf("unassessed labels set: %+v", a)
	}
	if _, ok := lin.Task("nonexistent"); ok {
		t.Error("Task(nonexistent) found")
	}
	if _, ok := taskgraph.New().Task("any"); ok {
		t.Error("Task on an empty graph found")
	}
	auth, _ := jsonGraph(t, "QMIX").Task("auth")
	checkEqual(t, "auth", auth, taskgraph.NodeAttrs{Name: "Auth module", Risk: "high",
		Scope: "broad", Impact: "phase"})
}

func keepIDs(ids ...string) func(string, taskgraph.NodeAttrs) bool {
	return func(id string, _ taskgraph.NodeAttrs) bool {
		for _, keep := range ids {
			if id == keep {
				return true
			}
		}
		return false
	}
}

func TestSubgraph(t *testing.T) {
	all := func(string, taskgraph.NodeAttrs) bool { return true }
	none := func(string, taskgraph.NodeAttrs) bool { return false }

	checkCounts(t, jsonGraph(t, "QLIN").Subgraph(none), 0, 0)
	checkCounts(t, jsonGraph(t, "QLIN").Subgraph(all), 4, 3)
	checkCounts(t, taskgraph.New().Subgraph(all), 0, 0)

	high := jsonGraph(t, "QMIX").Subgraph(func(_ string, a taskgraph.NodeAttrs) bool {
		return a.Risk == taskgraph.RiskHigh
	})
	checkEqual(t, "high-risk IDs", high.IDs(), []string{"auth"})
	checkEqual(t, "auth", attrsOf(t, high, "auth"), taskgraph.NodeAttrs{Name: "Auth module",
		Risk: "high", Scope: "broad", Impact: "phase"})
	auth := jsonGraph(t, "QMIX").Subgraph(keepIDs("auth"))
	checkEqual(t, "auth only", attrsOf(t, auth, "auth"), attrsOf(t, high, "auth"))

	tests := []struct {
		name  string
		g     *taskgraph.TaskGraph
		keep  []string
		edges []string
	}{
		{"diamond B and D", jsonGraph(t, "QDIA"), []string{"B", "D"}, []string{"B->D"}},
		{"chain ends", jsonGraph(t, "QLIN"), []string{"A", "D"}, []string{}},
		{"one node", jsonGraph(t, "QLIN"), []string{"B"}, []string{}},
		{"chain start", jsonGraph(t, "QLIN"), []string{"A", "B"}, []string{"A->B"}},
		{"diamond A and B", jsonGraph(t, "QDIA"), []string{"A", "B"}, []string{"A->B"}},
		{"diamond C and D", jsonGraph(t, "QDIA"), []string{"C", "D"}, []string{"C->D"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.g.Export()
			sub := tc.g.Subgraph(keepIDs(tc.keep...))
			checkEqual(t, "IDs", sub.IDs(), tc.keep)
			checkEqual(t, "edges", edgeKeys(sub), tc.edges)
			checkEqual(t, "receiver", tc.g.Export(), before)
		})
	}
	b, _ := jsonGraph(t, "QLIN").Subgraph(keepIDs("B")).Task("B")
	checkEqual(t, "B name", b.Name, "Task B")

	withRetention := mustJSON(t, doc(`{"key":"A","attributes":{"name":"A"}},`+
		`{"key":"B","attributes":{"name":"B"}}`,
		`{"key":"A->B","source":"A","target":"B","attributes":{"qualityRetention":0.75}}`))
	checkExact(t, "copied retention", retention(t, withRetention.Subgraph(all), "A", "B"), 0.75)

	var calls []string
	jsonGraph(t, "QMIX").Subgraph(func(id string, _ taskgraph.NodeAttrs) bool {
		calls = append(calls, id)
		return true
	})
	checkEqual(t, "filter calls", calls, []string{"auth", "api", "db"})

	source := jsonGraph(t, "QDIA")
	sub := source.Subgraph(all)
	_ = sub.AddTask("E", taskgraph.NodeAttrs{Name: "E"})
	sub.RemoveDependency("A", "B")
	checkCounts(t, source, 4, 4)
}

package taskgraph_test

import (
	"math"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestCriticalPath(t *testing.T) {
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want []string
	}{
		{"empty", taskgraph.New(), []string{}},
		{"single", mustGraph(t, task("A", nil)), []string{"A"}},
		{"chain", fixtureGraph(t, "LIN"), []string{"A", "B", "C", "D"}},
		{"diamond", fixtureGraph(t, "DIA"), []string{"A", "B", "D"}},
		{"two branches", mustGraph(t, task("A", nil), task("B", deps("A")), task("C", deps("A")),
			task("D", deps("B")), task("E", deps("C")), task("F", deps("D", "E"))),
			[]string{"A", "B", "D", "F"}},
		{"tree", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b")),
			task("d", deps("a"))), []string{"a", "b", "c"}},
		{"alone", mustGraph(t, task("alone", nil)), []string{"alone"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := taskgraph.CriticalPath(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "path", got, tc.want)
			again, _ := taskgraph.CriticalPath(tc.g)
			checkEqual(t, "second call", again, got)
		})
	}
	_, err := taskgraph.CriticalPath(fixtureGraph(t, "CYC"))
	asError[*taskgraph.CircularDependencyError](t, err)
}

func constant(v float64) func(string, taskgraph.NodeAttrs) float64 {
	return func(string, taskgraph.NodeAttrs) float64 { return v }
}

func TestWeightedCriticalPath(t *testing.T) {
	boost := func(target string, weight float64) func(string, taskgraph.NodeAttrs) float64 {
		return func(id string, _ taskgraph.NodeAttrs) float64 {
			if id == target {
				return weight
			}
			return 1
		}
	}
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		w    func(string, taskgraph.NodeAttrs) float64
		want []string
	}{
		{"empty", taskgraph.New(), constant(1), []string{}},
		{"chain", fixtureGraph(t, "LIN"), constant(1), []string{"A", "B", "C", "D"}},
		{"heavy branch", fixtureGraph(t, "DIA"), boost("B", 5), []string{"A", "B", "D"}},
		{"zero weights", mustGraph(t, task("A", nil), task("B", deps("A")), task("C", deps("B"))),
			constant(0), []string{"A"}},
		{"fan", mustGraph(t, task("A", nil), task("B", deps("A")), task("C", deps("A")),
			task("D", deps("A")), task("E", deps("B", "C", "D"))), boost("B", 10),
			[]string{"A", "B", "E"}},
		{"heavy second branch", fixtureGraph(t, "DIA"), boost("C", 5), []string{"A", "C", "D"}},
		{"negative weights", mustGraph(t, task("A", nil), task("B", deps("A"))), constant(-1),
			[]string{"A"}},
		{"NaN weights", mustGraph(t, task("A", nil), task("B", deps("A"))), constant(math.NaN()),
			[]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := taskgraph.WeightedCriticalPath(tc.g, tc.w)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "path", got, tc.want)
		})
	}

	calls := 0
	got, _ := taskgraph.WeightedCriticalPath(mustGraph(t, task("A", nil)),
		func(string, taskgraph.NodeAttrs) float64 { calls++; return 5 })
	checkEqual(t, "single path", got, []string{"A"})
	if calls != 0 {
		t.Errorf("weight called %d times for a single task", calls)
	}

	type call struct {
		id    string
		scope taskgraph.Scope
	}
	var seen []call
	g := mustGraph(t, task("A", nil, withScope("broad")), task("B", deps("A"), withScope("narrow")))
	_, _ = taskgraph.WeightedCriticalPath(g, func(id string, a taskgraph.NodeAttrs) float64 {
		seen = append(seen, call{id, a.Scope})
		return a.Scope.CostEstimate()
	})
	checkEqual(t, "weight calls", seen, []call{{"A", "broad"}, {"B", "narrow"}})

	_, err := taskgraph.WeightedCriticalPath(mustGraph(t, task("A", deps("B")),
		task("B", deps("A"))), constant(1))
	asError[*taskgraph.CircularDependencyError](t, err)
}

func TestParallelGroups(t *testing.T) {
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want [][]string
	}{
		{"chain", jsonGraph(t, "QLIN"), [][]string{{"A"}, {"B"}, {"C"}, {"D"}}},
		{"diamond", jsonGraph(t, "QDIA"), [][]string{{"A"}, {"B", "C"}, {"D"}}},
		{"two chains", mustJSON(t, doc(`{"key":"X","attributes":{"name":"X"}},`+
			`{"key":"Y","attributes":{"name":"Y"}},{"key":"P","attributes":{"name":"P"}},`+
			`{"key":"Q","attributes":{"name":"Q"}},{"key":"R","attributes":{"name":"R"}}`,
			`{"key":"1","source":"X","target":"Y","attributes":{}},`+
				`{"key":"2","source":"P","target":"Q","attributes":{}},`+
				`{"key":"3","source":"Q","target":"R","attributes":{}}`)),
			[][]string{{"X", "P"}, {"Y", "Q"}, {"R"}}},
		{"empty", taskgraph.New(), [][]string{}},
		{"single", mustJSON(t, doc(`{"key":"only","attributes":{"name":"o"}}`, "")),
			[][]string{{"only"}}},
		{"diamond from tasks", fixtureGraph(t, "DIA"), [][]string{{"A"}, {"B", "C"}, {"D"}}},
		{"fork", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("a"))),
			[][]string{{"a"}, {"b", "c"}}},
		{"three steps", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b"))),
			[][]string{{"a"}, {"b"}, {"c"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := taskgraph.ParallelGroups(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "groups", got, tc.want)
			var flat []string
			for _, group := range got {
				flat = append(flat, group...)
			}
			if len(flat) != tc.g.TaskCount() {
				t.Errorf("groups hold %d ids, graph has %d", len(flat), tc.g.TaskCount())
			}
		})
	}

	cyclic := mustJSON(t, doc(`{"key":"A","attributes":{"name":"A"}},`+
		`{"key":"B","attributes":{"name":"B"}},{"key":"C","attributes":{"name":"C"}}`,
		`{"key":"1","source":"A","target":"B","attributes":{}},`+
			`{"key":"2","source":"B","target":"C","attributes":{}},`+
			`{"key":"3","source":"C","target":"A","attributes":{}}`))
	_, err := taskgraph.ParallelGroups(cyclic)
	e := asError[*taskgraph.CircularDependencyError](t, err)
	checkEqual(t, "cycles", e.Cycles, [][]string{{"A", "B", "C"}})
}

func TestEmptyGraphAnalyses(t *testing.T) {
	g := taskgraph.New()
	if g.HasCycles() {
		t.Error("empty graph has cycles")
	}
	order, err := g.TopologicalOrder()
	if err != nil || order == nil || len(order) != 0 {
		t.Errorf("TopologicalOrder() = %#v, %v", order, err)
	}
	groups, err := taskgraph.ParallelGroups(g)
	if err != nil || groups == nil || len(groups) != 0 {
		t.Errorf("ParallelGroups() = %#v, %v", groups, err)
	}
	if b := taskgraph.Bottlenecks(g); b == nil || len(b) != 0 {
		t.Errorf("Bottlenecks() = %#v", b)
	}
}

func TestBottlenecks(t *testing.T) {
	const third, twelfth, sixth = 0.3333333333333333, 0.08333333333333333, 0.16666666666666666
	type score = taskgraph.BottleneckResult
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want []score
	}{
		{"empty", taskgraph.New(), []score{}},
		{"pair", mustGraph(t, task("A", nil), task("B", deps("A"))), []score{{"A", 0}, {"B", 0}}},
		{"chain", fixtureGraph(t, "LIN"), []score{{"B", third}, {"C", third}, {"A", 0}, {"D", 0}}},
		{"unconnected pair", mustGraph(t, task("X", nil), task("Y", nil)),
			[]score{{"X", 0}, {"Y", 0}}},
		{"diamond", fixtureGraph(t, "DIA"),
			[]score{{"B", twelfth}, {"C", twelfth}, {"A", 0}, {"D", 0}}},
		{"unconnected three", mustGraph(t, task("X", nil), task("Y", nil), task("Z", nil)),
			[]score{{"X", 0}, {"Y", 0}, {"Z", 0}}},
		{"two pairs", mustGraph(t, task("A1", nil), task("A2", deps("A1")), task("B1", nil),
			task("B2", deps("B1"))), []score{{"A1", 0}, {"A2", 0}, {"B1", 0}, {"B2", 0}}},
		{"solo", mustGraph(t, task("solo", nil)), []score{{"solo", 0}}},
		{"ties keep node order", mustGraph(t, task("A", nil), task("B", deps("A")), task("C", nil),
			task("D", deps("C")), task("E", deps("B", "D"))),
			[]score{{"B", twelfth}, {"D", twelfth}, {"A", 0}, {"C", 0}, {"E", 0}}},
		{"three steps", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b"))),
			[]score{{"b", 0.5}, {"a", 0}, {"c", 0}}},
		{"tree", mustGraph(t, task("a", nil), task("b", deps("a")), task("c", deps("b")),
			task("d", deps("a"))), []score{{"b", sixth}, {"a", 0}, {"c", 0}, {"d", 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := taskgraph.Bottlenecks(tc.g)
			checkBottlenecks(t, got, tc.want)
			for _, r := range got {
				if r.Score < 0 || r.Score > 1 {
					t.Errorf("%s score %v outside [0, 1]", r.TaskID, r.Score)
				}
			}
		})
	}
}

func checkBottlenecks(t *testing.T, got, want []taskgraph.BottleneckResult) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d results, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].TaskID != want[i].TaskID {
			t.Errorf("result %d = %s, want %s (all: %v)", i, got[i].TaskID, want[i].TaskID, got)
		}
		checkNear(t, "score of "+want[i].TaskID, got[i].Score, want[i].Score)
		if i > 0 && got[i].Score > got[i-1].Score {
			t.Errorf("scores increase at %d", i)
		}
	}
}

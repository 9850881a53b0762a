package taskgraph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func checkCounts(t *testing.T, g *taskgraph.TaskGraph, tasks, edges int) {
	t.Helper()
	if got := g.TaskCount(); got != tasks {
		t.Errorf("TaskCount() = %d, want %d", got, tasks)
	}
	if got := g.EdgeCount(); got != edges {
		t.Errorf("EdgeCount() = %d, want %d", got, edges)
	}
}

func edgeKeys(g *taskgraph.TaskGraph) []string {
	keys := []string{}
	for _, e := range g.Edges() {
		keys = append(keys, e.Key())
	}
	return keys
}

func retention(t *testing.T, g *taskgraph.TaskGraph, from, to string) float64 {
	t.Helper()
	a, ok := g.Edge(from, to)
	if !ok {
		t.Fatalf("edge %s->%s missing", from, to)
	}
	if a.QualityRetention == nil {
		t.Fatalf("edge %s->%s has no retention", from, to)
	}
	return *a.QualityRetention
}

func attrsOf(t *testing.T, g *taskgraph.TaskGraph, id string) taskgraph.NodeAttrs {
	t.Helper()
	a, ok := g.Task(id)
	if !ok {
		t.Fatalf("task %s missing", id)
	}
	return a
}

// doc builds a serialized graph document from JSON fragments of nodes and
// edges.
func doc(nodes, edges string) []byte {
	return []byte(`{"options":{"type":"directed","multi":false,"allowSelfLoops":false},` +
		`"attributes":{},"nodes":[` + nodes + `],"edges":[` + edges + `]}`)
}

func mustJSON(t *testing.T, data []byte) *taskgraph.TaskGraph {
	t.Helper()
	g, err := taskgraph.FromJSON(data)
	if err != nil {
		t.Fatalf("FromJSON: %v", err)
	}
	return g
}

func TestNewGraphIsEmpty(t *testing.T) {
	checkCounts(t, taskgraph.New(), 0, 0)
	var g taskgraph.TaskGraph
	if err := g.AddTask("a", taskgraph.NodeAttrs{Name: "A"}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, &g, 1, 0)
	if err := g.AddTask("b", taskgraph.NodeAttrs{Name: "B"}); err != nil {
		t.Fatal(err)
	}
	if err := g.AddDependency("a", "b"); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, &g, 2, 1)
	checkEqual(t, "IDs of new graph", taskgraph.New().IDs(), []string{})
	checkEqual(t, "Edges of new graph", taskgraph.New().Edges(), []taskgraph.Edge{})
}

func TestGraphRejectsParallelEdgesAndSelfLoops(t *testing.T) {
	g := taskgraph.New()
	_ = g.AddTask("a", taskgraph.NodeAttrs{Name: "a"})
	_ = g.AddTask("b", taskgraph.NodeAttrs{Name: "b"})
	if err := g.AddDependency("a", "b"); err != nil {
		t.Fatal(err)
	}
	err := g.AddDependency("a", "b")
	dup := asError[*taskgraph.DuplicateEdgeError](t, err)
	if dup.Prerequisite != "a" || dup.Dependent != "b" {
		t.Errorf("DuplicateEdgeError = %+v", dup)
	}
	if err.Error() != "Duplicate edge: a → b" {
		t.Errorf("Error() = %q", err)
	}
	e := checkInvalidField(t, g.AddDependency("a", "a"), "dependent")
	if e.Message != "task cannot depend on itself: a" {
		t.Errorf("Message = %q", e.Message)
	}
}

func TestGraphCopiesOnRead(t *testing.T) {
	g := fixtureGraph(t, "LIN")
	ids := g.IDs()
	ids[0] = "changed"
	edges := g.Edges()
	edges[0].From = "changed"
	*edges[0].Attrs.QualityRetention = 0.1
	checkEqual(t, "IDs", g.IDs(), []string{"A", "B", "C", "D"})
	checkEqual(t, "first edge key", g.Edges()[0].Key(), "A->B")
	checkExact(t, "retention", retention(t, g, "A", "B"), 0.9)
	edge, _ := g.Edge("A", "B")
	*edge.QualityRetention = 0.2
	checkExact(t, "retention after Edge", retention(t, g, "A", "B"), 0.9)
	checkEqual(t, "IDs twice", g.IDs(), g.IDs())
}

func TestFromJSON(t *testing.T) {
	g := mustJSON(t, doc(`{"key":"a","attributes":{"name":"Task A"}},`+
		`{"key":"b","attributes":{"name":"Task B"}}`,
		`{"key":"a->b","source":"a","target":"b","attributes":{"qualityRetention":0.9}}`))
	checkCounts(t, g, 2, 1)
	if !g.HasTask("a") || !g.HasTask("b") || !g.HasDependency("a", "b") {
		t.Error("nodes or edge missing")
	}
	checkCounts(t, mustJSON(t, doc("", "")), 0, 0)

	g = mustJSON(t, doc(`{"key":"task-a","attributes":{"name":"A"}},`+
		`{"key":"task-b","attributes":{"name":"B"}}`,
		`{"key":"task-a->task-b","source":"task-a","target":"task-b","attributes":{}}`))
	first := g.Edges()[0]
	if first.From != "task-a" || first.To != "task-b" || first.Attrs.QualityRetention != nil {
		t.Errorf("first edge = %+v", first)
	}

	g = mustJSON(t, doc(`{"key":"x","attributes":{"name":"X"}},{"key":"y","attributes":{"name":"Y"}}`,
		`{"key":"x->y","source":"x","target":"y","attributes":{"qualityRetention":0.85}}`))
	checkCounts(t, g, 2, 1)
	checkExact(t, "retention", retention(t, g, "x", "y"), 0.85)

	g = mustJSON(t, doc(`{"key":"orphan","attributes":{"name":"Orphan Node"}},`+
		`{"key":"connected","attributes":{"name":"Connected"}}`, ""))
	checkCounts(t, g, 2, 0)
}

func TestUnmarshalJSONFillsReceiver(t *testing.T) {
	g := taskgraph.New()
	_ = g.AddTask("old", taskgraph.NodeAttrs{Name: "Old"})
	if err := json.Unmarshal(doc(`{"key":"m","attributes":{"name":"M"}}`, ""), g); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "IDs", g.IDs(), []string{"m"})

	err := json.Unmarshal(doc(`{"key":1,"attributes":{"name":"M"}}`, ""), g)
	checkInvalidField(t, err, "nodes/0/key")
	checkEqual(t, "IDs after failure", g.IDs(), []string{"m"})
}

func TestFromJSONChecks(t *testing.T) {
	const opts = `"options":{"type":"directed","multi":false,"allowSelfLoops":false}`
	node := `{"key":"a","attributes":{"name":"A"}}`
	tests := []struct {
		name, input, field, message string
	}{
		{"missing options", `{"attributes":{},"nodes":[],"edges":[]}`, "options",
			"Expected required property"},
		{"options not an object", `{"options":1,"attributes":{},"nodes":[],"edges":[]}`,
			"options", "Expected object"},
		{"undirected", `{"options":{"type":"undirected","multi":false,"allowSelfLoops":false},` +
			`"attributes":{},"nodes":[],"edges":[]}`, "options/type", `Expected "directed"`},
		{"multi graph", `{"options":{"type":"directed","multi":true,"allowSelfLoops":false},` +
			`"attributes":{},"nodes":[],"edges":[]}`, "options/multi", "Expected false"},
		{"self-loops allowed", `{"options":{"type":"directed","multi":false,` +
			`"allowSelfLoops":true},"attributes":{},"nodes":[],"edges":[]}`,
			"options/allowSelfLoops", "Expected false"},
		{"missing attributes", `{` + opts + `,"nodes":[],"edges":[]}`, "attributes",
			"Expected required property"},
		{"nodes not a list", `{` + opts + `,"attributes":{},"nodes":{},"edges":[]}`, "nodes",
			"Expected array"},
		{"numeric node key", string(doc(`{"key":123,"attributes":{"name":"A"}}`, "")),
			"nodes/0/key", "Expected string"},
		{"missing name before bad scope",
			string(doc(`{"key":"bad","attributes":{"scope":"invalid"}}`, "")),
			"nodes/0/attributes/name", "Expected required property"},
		{"invalid risk", string(doc(node+`,{"key":"b","attributes":{"name":"B","risk":"x"}}`,
			"")), "nodes/1/attributes/risk", "Expected union value"},
		{"numeric source", string(doc(node,
			`{"key":"e","source":42,"target":"a","attributes":{}}`)), "edges/0/source",
			"Expected string"},
		{"edge without attributes", string(doc(node, `{"key":"e","source":"a","target":"a"}`)),
			"edges/0/attributes", "Expected required property"},
		{"string retention", string(doc(node,
			`{"key":"e","source":"a","target":"a","attributes":{"qualityRetention":"x"}}`)),
			"edges/0/attributes/qualityRetention", "Expected number"},
		{"self-loop", string(doc(node, `{"key":"a->a","source":"a","target":"a","attributes":{}}`)),
			"edges/0", "task cannot depend on itself: a"},
		{"document not an object", `[]`, "", "Expected object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := taskgraph.FromJSON([]byte(tc.input))
			e := checkInvalidField(t, err, tc.field)
			if e.Message != tc.message {
				t.Errorf("Message = %q, want %q", e.Message, tc.message)
			}
		})
	}
	_, err := taskgraph.FromJSON([]byte(`{"options":`))
	if !strings.HasPrefix(checkInvalidField(t, err, "").Message, "Invalid JSON: ") {
		t.Errorf("malformed JSON error = %v", err)
	}
}

func TestFromJSONStructuralErrors(t *testing.T) {
	a := `{"key":"a","attributes":{"name":"A"}}`
	b := `{"key":"b","attributes":{"name":"B"}}`

	_, err := taskgraph.FromJSON(doc(a+","+a, ""))
	if e := asError[*taskgraph.DuplicateNodeError](t, err); e.TaskID != "a" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
	_, err = taskgraph.FromJSON(doc(a, `{"key":"a->z","source":"a","target":"z","attributes":{}}`))
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "z" {
		t.Errorf("TaskID = %q, want z", e.TaskID)
	}
	_, err = taskgraph.FromJSON(doc(a, `{"key":"q","source":"q","target":"z","attributes":{}}`))
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "q" {
		t.Errorf("TaskID = %q, want the source q", e.TaskID)
	}
	_, err = taskgraph.FromJSON(doc(a+","+b, `{"key":"a->b","source":"a","target":"b",`+
		`"attributes":{}},{"key":"x","source":"a","target":"b","attributes":{}}`))
	if e := asError[*taskgraph.DuplicateEdgeError](t, err); e.Prerequisite != "a" ||
		e.Dependent != "b" {
		t.Errorf("DuplicateEdgeError = %+v", e)
	}
}

func TestFromJSONNormalisesEdgeKeys(t *testing.T) {
	g := mustJSON(t, doc(`{"key":"task-a","attributes":{"name":"Task A"}},`+
		`{"key":"task-b","attributes":{"name":"Task B","scope":"narrow"}}`,
		`{"key":"edge-1","source":"task-a","target":"task-b","attributes":{"qualityRetention":0.9}}`))
	checkEqual(t, "edge keys", edgeKeys(g), []string{"task-a->task-b"})
	checkEqual(t, "export key", g.Export().Edges[0].Key, "task-a->task-b")

	g = mustJSON(t, doc(`{"key":"a","attributes":{"name":"A"}},{"key":"b","attributes":{"name":"B"}}`,
		`{"key":"edge-1","source":"a","target":"b","attributes":{}}`))
	g.RemoveDependency("a", "b")
	checkCounts(t, g, 2, 0)
}

func TestExport(t *testing.T) {
	empty := taskgraph.New().Export()
	checkEqual(t, "empty export", empty, taskgraph.Serialized{
		Options:    taskgraph.SerializedOptions{Type: "directed"},
		Attributes: map[string]any{},
		Nodes:      []taskgraph.SerializedNode{},
		Edges:      []taskgraph.SerializedEdge{},
	})
	checkCounts(t, mustJSON(t, mustMarshal(t, empty)), 0, 0)

	g := mustJSON(t, doc(`{"key":"a","attributes":{"name":"Task A","risk":"high","scope":"broad"}},`+
		`{"key":"b","attributes":{"name":"Task B"}}`,
		`{"key":"a->b","source":"a","target":"b","attributes":{"qualityRetention":0.85}}`))
	exported := g.Export()
	checkEqual(t, "nodes", exported.Nodes, []taskgraph.SerializedNode{
		{Key: "a", Attributes: taskgraph.NodeAttrs{Name: "Task A", Risk: "high", Scope: "broad"}},
		{Key: "b", Attributes: taskgraph.NodeAttrs{Name: "Task B"}},
	})
	checkEqual(t, "edges", exported.Edges, []taskgraph.SerializedEdge{{Key: "a->b", Source: "a",
		Target: "b", Attributes: taskgraph.EdgeAttrs{QualityRetention: ptr(0.85)}}})

	noRetention := mustJSON(t, doc(`{"key":"a","attributes":{"name":"A"}},`+
		`{"key":"b","attributes":{"name":"B"}}`,
		`{"key":"a->b","source":"a","target":"b","attributes":{}}`))
	data := mustMarshal(t, noRetention)
	if !strings.Contains(string(data), `"attributes":{}}]`) {
		t.Errorf("edge without retention lacks attributes: %s", data)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(data, &keys)
	if len(keys) != 4 || keys["options"] == nil || keys["attributes"] == nil ||
		keys["nodes"] == nil || keys["edges"] == nil {
		t.Errorf("export keys = %s", data)
	}
	if !strings.HasPrefix(string(data), `{"options":{"type":"directed","multi":false,`+
		`"allowSelfLoops":false},"attributes":{},"nodes":`) {
		t.Errorf("export key order = %s", data)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return data
}

func TestExportRoundTrip(t *testing.T) {
	g := mustJSON(t, doc(`{"key":"x","attributes":{"name":"Task X","risk":"medium",`+
		`"impact":"component"}},{"key":"y","attributes":{"name":"Task Y","scope":"narrow"}},`+
		`{"key":"z","attributes":{"name":"Task Z"}}`,
		`{"key":"x->y","source":"x","target":"y","attributes":{"qualityRetention":0.9}},`+
			`{"key":"y->z","source":"y","target":"z","attributes":{"qualityRetention":0.75}}`))
	again := mustJSON(t, mustMarshal(t, g.Export()))
	checkCounts(t, again, 3, 2)
	checkEqual(t, "x", attrsOf(t, again, "x"), taskgraph.NodeAttrs{Name: "Task X",
		Risk: "medium", Impact: "component"})
	checkEqual(t, "y", attrsOf(t, again, "y"), taskgraph.NodeAttrs{Name: "Task Y",
		Scope: "narrow"})
	checkEqual(t, "z", attrsOf(t, again, "z"), taskgraph.NodeAttrs{Name: "Task Z"})
	checkExact(t, "x->y", retention(t, again, "x", "y"), 0.9)
	checkExact(t, "y->z", retention(t, again, "y", "z"), 0.75)

	g = mustJSON(t, doc(`{"key":"a","attributes":{"name":"Alpha","risk":"high"}},`+
		`{"key":"b","attributes":{"name":"Beta"}}`,
		`{"key":"a->b","source":"a","target":"b","attributes":{"qualityRetention":0.9}}`))
	first := g.Export()
	second := mustJSON(t, mustMarshal(t, first)).Export()
	checkEqual(t, "export after import", second, first)

	checkEqual(t, "MarshalJSON", string(mustMarshal(t, g)), string(mustMarshal(t, g.Export())))

	var decoded map[string]any
	_ = json.Unmarshal(mustMarshal(t, mustJSON(t, doc(`{"key":"a","attributes":`+
		`{"name":"Task A"}}`, ""))), &decoded)
	checkEqual(t, "decoded", decoded, map[string]any{
		"options":    map[string]any{"type": "directed", "multi": false, "allowSelfLoops": false},
		"attributes": map[string]any{},
		"nodes": []any{map[string]any{"key": "a",
			"attributes": map[string]any{"name": "Task A"}}},
		"edges": []any{},
	})

	g = mustJSON(t, doc(`{"key":"p","attributes":{"name":"Parent","risk":"low"}},`+
		`{"key":"q","attributes":{"name":"Child","scope":"single"}}`,
		`{"key":"p->q","source":"p","target":"q","attributes":{"qualityRetention":0.95}}`))
	again = mustJSON(t, mustMarshal(t, g))
	checkCounts(t, again, 2, 1)
	checkEqual(t, "p risk", attrsOf(t, again, "p").Risk, taskgraph.RiskLow)
	checkEqual(t, "q scope", attrsOf(t, again, "q").Scope, taskgraph.ScopeSingle)
	checkExact(t, "p->q", retention(t, again, "p", "q"), 0.95)
}

func TestExportAttributeKeys(t *testing.T) {
	data := []byte(`{"options":{"type":"directed","multi":false,"allowSelfLoops":false},` +
		`"attributes":{"project":"x"},"nodes":[{"key":"a","attributes":{"name":"A",` +
		`"color":"red"}}],"edges":[]}`)
	g := mustJSON(t, data)
	exported := g.Export()
	checkEqual(t, "graph attributes", exported.Attributes, map[string]any{"project": "x"})
	checkEqual(t, "node attributes", exported.Nodes[0].Attributes, taskgraph.NodeAttrs{Name: "A"})
}

func TestFromTasks(t *testing.T) {
	g := mustGraph(t, task("a", nil, withName("Task A")), task("b", deps("a"), withName("Task B")))
	checkCounts(t, g, 2, 1)
	checkEqual(t, "edges", edgeKeys(g), []string{"a->b"})
	checkExact(t, "retention", retention(t, g, "a", "b"), 0.9)

	g = mustGraph(t, task("b", deps("nonexistent-a")))
	checkCounts(t, g, 2, 1)
	checkEqual(t, "IDs", g.IDs(), []string{"b", "nonexistent-a"})
	checkEqual(t, "orphan", attrsOf(t, g, "nonexistent-a"),
		taskgraph.NodeAttrs{Name: "nonexistent-a"})
	checkEqual(t, "edges", edgeKeys(g), []string{"nonexistent-a->b"})

	_, err := taskgraph.FromTasks([]taskgraph.TaskInput{task("dup", nil, withName("First")),
		task("dup", nil, withName("Second"))})
	if e := asError[*taskgraph.DuplicateNodeError](t, err); e.TaskID != "dup" ||
		err.Error() != "Duplicate node: dup" {
		t.Errorf("error = %v", err)
	}

	checkCounts(t, mustGraph(t, task("a", nil), task("b", deps("a", "a"))), 2, 1)
	checkCounts(t, mustGraph(t), 0, 0)
	checkCounts(t, mustGraph(t, task("a", nil), task("b", nil), task("c", nil)), 3, 0)

	g = mustGraph(t, taskgraph.TaskInput{ID: "a", Name: "Task a",
		Risk: taskgraph.Null[taskgraph.Risk](), Scope: taskgraph.Null[taskgraph.Scope]()})
	checkEqual(t, "null labels", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "Task a"})
	g = mustGraph(t, task("a", nil, withRisk("high"), withScope("broad")))
	checkEqual(t, "labels", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "Task a",
		Risk: "high", Scope: "broad"})
	g = mustGraph(t, taskgraph.TaskInput{ID: "a", Name: "A", Tags: []string{"backend"},
		Assignee: taskgraph.Some("alice"), Due: taskgraph.Some("2025-01-01")})
	checkEqual(t, "metadata dropped", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "A"})

	g = mustGraph(t, task("setup-project", nil), task("implement-feature", deps("setup-project")))
	checkEqual(t, "edge key", g.Edges()[0].Key(), "setup-project->implement-feature")

	g = mustGraph(t, task("a", nil, withRisk("extreme")))
	checkEqual(t, "unvalidated label", attrsOf(t, g, "a").Risk, taskgraph.Risk("extreme"))
}

func TestFromTasksOrders(t *testing.T) {
	g := mustGraph(t, task("x", deps("b", "a")), task("a", nil), task("b", nil),
		task("y", deps("a", "m")), task("z", deps("n", "a")))
	checkEqual(t, "IDs", g.IDs(), []string{"x", "a", "b", "y", "z", "m", "n"})
	checkEqual(t, "edges", edgeKeys(g), []string{"b->x", "a->x", "a->y", "m->y", "n->z", "a->z"})
	dependencies, _ := g.Dependencies("x")
	checkEqual(t, "dependencies of x", dependencies, []string{"b", "a"})
	dependents, _ := g.Dependents("a")
	checkEqual(t, "dependents of a", dependents, []string{"x", "y", "z"})

	g = mustGraph(t, task("10", nil), task("2", nil), task("1", deps("10")))
	checkEqual(t, "numeric ids", g.IDs(), []string{"10", "2", "1"})
	order, err := g.TopologicalOrder()
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "numeric topological order", order, []string{"10", "2", "1"})
}

func TestFromTasksSelfDependency(t *testing.T) {
	_, err := taskgraph.FromTasks([]taskgraph.TaskInput{task("A", deps("A"))})
	e := checkInvalidField(t, err, "dependsOn")
	if e.Message != "task cannot depend on itself: A" {
		t.Errorf("Message = %q", e.Message)
	}
}

func TestFixtureGraphs(t *testing.T) {
	tests := []struct {
		name         string
		tasks, edges int
	}{
		{"LIN", 4, 3}, {"DIA", 4, 4}, {"MIX", 5, 4}, {"CYC", 4, 4}, {"L23", 23, 41},
		{"L22", 22, 31}, {"CH", 3, 2}, {"CD", 4, 4}, {"QUICK", 4, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := fixtureGraph(t, tc.name)
			checkCounts(t, g, tc.tasks, tc.edges)
			checkEqual(t, "task count", g.TaskCount(), len(fixtureTasks(t, tc.name)))
		})
	}

	lin := fixtureGraph(t, "LIN")
	checkEqual(t, "LIN IDs", lin.IDs(), []string{"A", "B", "C", "D"})
	checkEqual(t, "LIN edges", edgeKeys(lin), []string{"A->B", "B->C", "C->D"})

	dia := fixtureGraph(t, "DIA")
	if got, _ := dia.Dependents("A"); len(got) != 2 {
		t.Errorf("DIA dependents of A = %v", got)
	}
	if got, _ := dia.Dependencies("D"); len(got) != 2 {
		t.Errorf("DIA dependencies of D = %v", got)
	}

	mix := fixtureGraph(t, "MIX")
	checkEqual(t, "auth", attrsOf(t, mix, "auth"), taskgraph.NodeAttrs{Name: "Auth module",
		Risk: "high", Scope: "broad", Impact: "phase", Status: "pending"})
	checkEqual(t, "api", attrsOf(t, mix, "api"), taskgraph.NodeAttrs{Name: "API layer",
		Impact: "component"})

	cyc := fixtureGraph(t, "CYC")
	checkEqual(t, "CYC edges", edgeKeys(cyc), []string{"C->A", "A->B", "B->C", "A->D"})
	if !cyc.HasCycles() {
		t.Error("CYC has no cycles")
	}

	l23 := fixtureGraph(t, "L23")
	if got, _ := l23.Dependencies("release"); len(got) != 8 {
		t.Errorf("L23 dependencies of release = %v", got)
	}
}

func TestFromRecords(t *testing.T) {
	ab := []taskgraph.TaskInput{task("a", nil), task("b", nil)}
	edge := func(from, to string, qr *float64) taskgraph.DependencyEdge {
		return taskgraph.DependencyEdge{From: from, To: to, QualityRetention: qr}
	}
	mustRecords := func(tasks []taskgraph.TaskInput,
		edges ...taskgraph.DependencyEdge) *taskgraph.TaskGraph {
		t.Helper()
		g, err := taskgraph.FromRecords(tasks, edges)
		if err != nil {
			t.Fatalf("FromRecords: %v", err)
		}
		return g
	}

	g := mustRecords(ab, edge("a", "b", ptr(0.85)))
	checkCounts(t, g, 2, 1)
	checkExact(t, "given retention", retention(t, g, "a", "b"), 0.85)
	checkExact(t, "default retention", retention(t, mustRecords(ab, edge("a", "b", nil)),
		"a", "b"), 0.9)

	_, err := taskgraph.FromRecords([]taskgraph.TaskInput{task("b", nil)},
		[]taskgraph.DependencyEdge{edge("nonexistent", "b", nil)})
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "nonexistent" ||
		err.Error() != "Task not found: nonexistent" {
		t.Errorf("error = %v", err)
	}
	_, err = taskgraph.FromRecords([]taskgraph.TaskInput{task("a", nil)},
		[]taskgraph.DependencyEdge{edge("a", "nonexistent", nil)})
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "nonexistent" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
	_, err = taskgraph.FromRecords([]taskgraph.TaskInput{task("dup", nil), task("dup", nil)}, nil)
	if e := asError[*taskgraph.DuplicateNodeError](t, err); e.TaskID != "dup" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
	_, err = taskgraph.FromRecords(ab, []taskgraph.DependencyEdge{edge("a", "b", nil),
		edge("a", "b", ptr(0.5))})
	if e := asError[*taskgraph.DuplicateEdgeError](t, err); e.Prerequisite != "a" ||
		e.Dependent != "b" {
		t.Errorf("DuplicateEdgeError = %+v", e)
	}
	_, err = taskgraph.FromRecords([]taskgraph.TaskInput{task("A", nil)},
		[]taskgraph.DependencyEdge{edge("A", "A", nil)})
	checkInvalidField(t, err, "edges/0")

	checkCounts(t, mustRecords(nil), 0, 0)
	checkCounts(t, mustRecords(ab), 2, 0)

	g = mustRecords([]taskgraph.TaskInput{{ID: "a", Name: "A", Risk: taskgraph.Null[taskgraph.Risk](),
		Scope: taskgraph.Some(taskgraph.ScopeNarrow), Tags: []string{"x"},
		Assignee: taskgraph.Some("bob")}})
	checkEqual(t, "attributes", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "A", Scope: "narrow"})

	g = mustRecords([]taskgraph.TaskInput{task("setup", nil), task("build", nil)},
		edge("setup", "build", ptr(0.95)))
	checkEqual(t, "edge key", edgeKeys(g), []string{"setup->build"})

	g = mustRecords([]taskgraph.TaskInput{task("a", nil), task("b", nil), task("c", nil)},
		edge("a", "b", ptr(0.7)), edge("a", "c", ptr(0.5)))
	checkExact(t, "a->b", retention(t, g, "a", "b"), 0.7)
	checkExact(t, "a->c", retention(t, g, "a", "c"), 0.5)

	g = mustRecords([]taskgraph.TaskInput{task("a", nil), task("b", nil), task("c", nil)},
		edge("a", "b", nil), edge("b", "c", nil), edge("c", "a", nil))
	if !g.HasCycles() {
		t.Error("cyclic records have no cycle")
	}

	checkCounts(t, mustRecords([]taskgraph.TaskInput{task("a", nil), task("b", deps("a"))}), 2, 0)
}

func TestAddTaskAndDependency(t *testing.T) {
	g := taskgraph.New()
	if err := g.AddTask("a", taskgraph.NodeAttrs{Name: "Task A"}); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "name", attrsOf(t, g, "a").Name, "Task A")
	_ = g.AddTask("b", taskgraph.NodeAttrs{Name: "Task B"})
	checkCounts(t, g, 2, 0)
	err := g.AddTask("a", taskgraph.NodeAttrs{Name: "again"})
	if e := asError[*taskgraph.DuplicateNodeError](t, err); e.TaskID != "a" {
		t.Errorf("TaskID = %q", e.TaskID)
	}

	full := taskgraph.NodeAttrs{Name: "A", Risk: "high", Scope: "broad", Impact: "project",
		Status: "pending"}
	g = taskgraph.New()
	_ = g.AddTask("a", full)
	checkEqual(t, "attributes", attrsOf(t, g, "a"), full)

	g = taskgraph.New()
	for _, id := range []string{"a", "b", "c"} {
		_ = g.AddTask(id, taskgraph.NodeAttrs{Name: id})
	}
	if err := g.AddDependency("a", "b"); err != nil {
		t.Fatal(err)
	}
	if err := g.AddDependency("a", "c", taskgraph.WithQualityRetention(0.75)); err != nil {
		t.Fatal(err)
	}
	checkExact(t, "default retention", retention(t, g, "a", "b"), 0.9)
	checkExact(t, "given retention", retention(t, g, "a", "c"), 0.75)
	first := g.Edges()[0]
	if first.From != "a" || first.To != "b" || first.Key() != "a->b" {
		t.Errorf("first edge = %+v", first)
	}

	err = g.AddDependency("nonexistent", "b")
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "nonexistent" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
	err = g.AddDependency("a", "nonexistent")
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "nonexistent" {
		t.Errorf("TaskID = %q", e.TaskID)
	}
	err = g.AddDependency("missing", "also-missing")
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "missing" {
		t.Errorf("TaskID = %q, want the prerequisite first", e.TaskID)
	}
}

func TestMixedConstruction(t *testing.T) {
	g := mustGraph(t, task("a", nil), task("b", deps("a")))
	_ = g.AddTask("c", taskgraph.NodeAttrs{Name: "c"})
	if err := g.AddDependency("b", "c"); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "edges", edgeKeys(g), []string{"a->b", "b->c"})

	g, err := taskgraph.FromRecords([]taskgraph.TaskInput{task("a", nil), task("b", nil)},
		[]taskgraph.DependencyEdge{{From: "a", To: "b", QualityRetention: ptr(0.8)}})
	if err != nil {
		t.Fatal(err)
	}
	_ = g.AddTask("c", taskgraph.NodeAttrs{Name: "c"})
	_ = g.AddDependency("b", "c", taskgraph.WithQualityRetention(0.95))
	checkExact(t, "a->b", retention(t, g, "a", "b"), 0.8)
	checkExact(t, "b->c", retention(t, g, "b", "c"), 0.95)

	g = mustJSON(t, doc(`{"key":"a","attributes":{"name":"A"}}`, ""))
	_ = g.AddTask("b", taskgraph.NodeAttrs{Name: "B"})
	_ = g.AddDependency("a", "b")
	checkCounts(t, g, 2, 1)

	viaRecords, _ := taskgraph.FromRecords([]taskgraph.TaskInput{task("x", nil), task("y", nil)},
		[]taskgraph.DependencyEdge{{From: "x", To: "y"}})
	viaAdd := taskgraph.New()
	_ = viaAdd.AddTask("x", taskgraph.NodeAttrs{Name: "x"})
	_ = viaAdd.AddTask("y", taskgraph.NodeAttrs{Name: "y"})
	_ = viaAdd.AddDependency("x", "y")
	for name, g := range map[string]*taskgraph.TaskGraph{
		"tasks":   mustGraph(t, task("x", nil), task("y", deps("x"))),
		"records": viaRecords,
		"JSON": mustJSON(t, doc(`{"key":"x","attributes":{"name":"x"}},`+
			`{"key":"y","attributes":{"name":"y"}}`,
			`{"key":"k","source":"x","target":"y","attributes":{}}`)),
		"AddDependency": viaAdd,
	} {
		checkEqual(t, name+" edge key", edgeKeys(g), []string{"x->y"})
	}
}

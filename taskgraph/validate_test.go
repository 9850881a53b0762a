package taskgraph_test

import (
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestValidateSchema(t *testing.T) {
	for name, g := range map[string]*taskgraph.TaskGraph{
		"chain": jsonGraph(t, "QLIN"), "mixed": fixtureGraph(t, "MIX"), "empty": taskgraph.New(),
	} {
		checkEqual(t, name, g.ValidateSchema(), []taskgraph.Issue{})
	}

	tests := []struct {
		name  string
		nodes map[string]taskgraph.NodeAttrs
		order []string
		want  []taskgraph.Issue
	}{
		{"invalid risk", map[string]taskgraph.NodeAttrs{
			"bad-task": {Name: "Bad Task", Risk: "extreme"}}, []string{"bad-task"},
			[]taskgraph.Issue{{Type: "schema", TaskID: "bad-task", Field: "risk",
				Message: "Expected union value", Value: "extreme"}}},
		{"empty name", map[string]taskgraph.NodeAttrs{"no-name": {}}, []string{"no-name"},
			[]taskgraph.Issue{{Type: "schema", TaskID: "no-name", Field: "name",
				Message: "Expected required property"}}},
		{"two nodes in node order", map[string]taskgraph.NodeAttrs{
			"bad1": {Name: "x", Risk: "extreme"}, "bad2": {Name: "y", Scope: "invalid-scope"}},
			[]string{"bad1", "bad2"},
			[]taskgraph.Issue{
				{Type: "schema", TaskID: "bad1", Field: "risk", Message: "Expected union value",
					Value: "extreme"},
				{Type: "schema", TaskID: "bad2", Field: "scope", Message: "Expected union value",
					Value: "invalid-scope"},
			}},
		{"fields in order", map[string]taskgraph.NodeAttrs{
			"m": {Name: "m", Status: "done", Scope: "bogus"}}, []string{"m"},
			[]taskgraph.Issue{
				{Type: "schema", TaskID: "m", Field: "scope", Message: "Expected union value",
					Value: "bogus"},
				{Type: "schema", TaskID: "m", Field: "status", Message: "Expected union value",
					Value: "done"},
			}},
		{"every label", map[string]taskgraph.NodeAttrs{
			"all": {Scope: "s", Risk: "r", Impact: "i", Level: "l", Priority: "p", Status: "x"}},
			[]string{"all"},
			[]taskgraph.Issue{
				{Type: "schema", TaskID: "all", Field: "name", Message: "Expected required property"},
				{Type: "schema", TaskID: "all", Field: "scope", Message: "Expected union value", Value: "s"},
				{Type: "schema", TaskID: "all", Field: "risk", Message: "Expected union value", Value: "r"},
				{Type: "schema", TaskID: "all", Field: "impact", Message: "Expected union value", Value: "i"},
				{Type: "schema", TaskID: "all", Field: "level", Message: "Expected union value", Value: "l"},
				{Type: "schema", TaskID: "all", Field: "priority", Message: "Expected union value", Value: "p"},
				{Type: "schema", TaskID: "all", Field: "status", Message: "Expected union value", Value: "x"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := taskgraph.New()
			for _, id := range tc.order {
				if err := g.AddTask(id, tc.nodes[id]); err != nil {
					t.Fatal(err)
				}
			}
			issues := g.ValidateSchema()
			checkEqual(t, "issues", issues, tc.want)
			checkEqual(t, "Validate", g.Validate(), issues)
		})
	}
}

func TestValidateGraph(t *testing.T) {
	for name, g := range map[string]*taskgraph.TaskGraph{
		"chain": jsonGraph(t, "QLIN"), "diamond": jsonGraph(t, "QDIA"), "empty": taskgraph.New(),
	} {
		checkEqual(t, name, g.ValidateGraph(), []taskgraph.Issue{})
		checkEqual(t, name+" Validate", g.Validate(), []taskgraph.Issue{})
	}

	cyc := jsonGraph(t, "QCYC")
	checkEqual(t, "one cycle", cyc.ValidateGraph(), []taskgraph.Issue{{Type: "graph",
		Category: "cycle", Message: "Graph contains 1 cycle", Details: [][]string{{"A", "B", "C"}}}})
	checkEqual(t, "Validate of cycle", cyc.Validate(), cyc.ValidateGraph())

	checkEqual(t, "two cycles", jsonGraph(t, "Q2CYC").ValidateGraph(), []taskgraph.Issue{{
		Type: "graph", Category: "cycle", Message: "Graph contains 2 cycles",
		Details: [][]string{{"A", "B", "C"}, {"X", "Y"}}}})
}

func TestValidateSchemaThenGraph(t *testing.T) {
	g := taskgraph.New()
	_ = g.AddTask("A", taskgraph.NodeAttrs{Name: "A"})
	_ = g.AddTask("B", taskgraph.NodeAttrs{Name: "B"})
	_ = g.AddTask("C", taskgraph.NodeAttrs{Name: "C", Risk: "extreme"})
	_ = g.AddDependency("A", "B")
	_ = g.AddDependency("B", "C")
	_ = g.AddDependency("C", "A")
	want := []taskgraph.Issue{
		{Type: "schema", TaskID: "C", Field: "risk", Message: "Expected union value",
			Value: "extreme"},
		{Type: "graph", Category: "cycle", Message: "Graph contains 1 cycle",
			Details: [][]string{{"A", "B", "C"}}},
	}
	checkEqual(t, "issues", g.Validate(), want)
	checkEqual(t, "schema then graph", g.Validate(),
		append(g.ValidateSchema(), g.ValidateGraph()...))

	single := taskgraph.New()
	_ = single.AddTask("bad", taskgraph.NodeAttrs{Name: "bad", Risk: "extreme"})
	checkEqual(t, "schema only", single.Validate(), single.ValidateSchema())
}

func TestIssueJSON(t *testing.T) {
	checkMarshal(t, taskgraph.Issue{Type: "schema", TaskID: "task-1", Field: "risk",
		Message: "Invalid enum value", Value: "extreme"},
		`{"type":"schema","taskId":"task-1","field":"risk","message":"Invalid enum value",`+
			`"value":"extreme"}`)
	checkMarshal(t, taskgraph.Issue{Type: "graph", Category: "cycle",
		Message: "Graph contains 1 cycle", Details: [][]string{{"A", "B", "C"}}},
		`{"type":"graph","category":"cycle","message":"Graph contains 1 cycle",`+
			`"details":[["A","B","C"]]}`)
	checkMarshal(t, taskgraph.Issue{Type: "graph", Category: "dangling-reference",
		TaskID: "missing-node", Message: "Edge references non-existent source node: missing-node"},
		`{"type":"graph","taskId":"missing-node","category":"dangling-reference",`+
			`"message":"Edge references non-existent source node: missing-node"}`)
}

package taskgraph_test

import (
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestRemoveTask(t *testing.T) {
	g := jsonGraph(t, "SIMPLE")
	g.RemoveTask("a")
	if g.HasTask("a") {
		t.Error("a still present")
	}
	checkCounts(t, g, 1, 0)

	g = jsonGraph(t, "SIMPLE")
	g.RemoveTask("nonexistent")
	checkCounts(t, g, 2, 1)

	g = jsonGraph(t, "MDIA")
	g.RemoveTask("a")
	checkEqual(t, "IDs", g.IDs(), []string{"b", "c", "d"})
	checkEqual(t, "edges", edgeKeys(g), []string{"b->d", "c->d"})
	checkExact(t, "c->d retention", retention(t, g, "c", "d"), 0.8)
	dependencies, _ := g.Dependencies("d")
	checkEqual(t, "dependencies of d", dependencies, []string{"b", "c"})
	order, _ := g.TopologicalOrder()
	checkEqual(t, "topological order", order, []string{"b", "c", "d"})

	g = mustGraph(t, task("a", nil), task("b", deps("a")))
	g.RemoveTask("a")
	_ = g.AddTask("a", taskgraph.NodeAttrs{Name: "again"})
	if err := g.AddDependency("a", "b"); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "IDs after re-adding", g.IDs(), []string{"b", "a"})
	checkEqual(t, "edges after re-adding", edgeKeys(g), []string{"a->b"})
}

func TestRemoveTaskRenumbers(t *testing.T) {
	g := fixtureGraph(t, "L23")
	g.RemoveTask("data-layer")
	if g.HasTask("data-layer") || g.TaskCount() != 22 {
		t.Fatalf("data-layer not removed: %v", g.IDs())
	}
	for _, e := range g.Edges() {
		if !g.HasDependency(e.From, e.To) {
			t.Errorf("edge %s not found by HasDependency", e.Key())
		}
		dependents, _ := g.Dependents(e.From)
		found := false
		for _, d := range dependents {
			found = found || d == e.To
		}
		if !found {
			t.Errorf("edge %s missing from Dependents(%s) = %v", e.Key(), e.From, dependents)
		}
	}
	dependencies, _ := g.Dependencies("api-gateway")
	checkEqual(t, "dependencies of api-gateway", dependencies, []string{"auth-impl"})
	if _, err := g.TopologicalOrder(); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveDependency(t *testing.T) {
	g := jsonGraph(t, "SIMPLE")
	g.RemoveDependency("a", "b")
	checkCounts(t, g, 2, 0)
	if g.HasDependency("a", "b") {
		t.Error("edge still present")
	}
	if !g.HasTask("a") || !g.HasTask("b") {
		t.Error("nodes removed with the edge")
	}

	for _, pair := range [][2]string{{"b", "a"}, {"x", "y"}} {
		g := jsonGraph(t, "SIMPLE")
		g.RemoveDependency(pair[0], pair[1])
		checkCounts(t, g, 2, 1)
	}

	g = jsonGraph(t, "MDIA")
	g.RemoveDependency("a", "b")
	checkEqual(t, "edges", edgeKeys(g), []string{"a->c", "b->d", "c->d"})

	g = jsonGraph(t, "MDIA")
	g.RemoveDependency("a", "c")
	checkEqual(t, "edges", edgeKeys(g), []string{"a->b", "b->d", "c->d"})
	dependents, _ := g.Dependents("a")
	checkEqual(t, "dependents of a", dependents, []string{"b"})
}

func TestUpdateTask(t *testing.T) {
	g := jsonGraph(t, "SIMPLE")
	high, critical, blocked := taskgraph.RiskHigh, taskgraph.RiskCritical, taskgraph.StatusBlocked
	if err := g.UpdateTask("a", taskgraph.NodePatch{Risk: &high}); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "a", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "Task A", Risk: "high",
		Scope: "narrow"})

	_ = g.UpdateTask("a", taskgraph.NodePatch{Risk: &critical, Status: &blocked})
	checkEqual(t, "a", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "Task A",
		Risk: "critical", Scope: "narrow", Status: "blocked"})

	err := g.UpdateTask("nonexistent", taskgraph.NodePatch{Risk: &high})
	if e := asError[*taskgraph.TaskNotFoundError](t, err); e.TaskID != "nonexistent" {
		t.Errorf("TaskID = %q", e.TaskID)
	}

	broad, implementation := taskgraph.ScopeBroad, taskgraph.LevelImplementation
	_ = g.UpdateTask("b", taskgraph.NodePatch{Scope: &broad, Level: &implementation})
	checkEqual(t, "b", attrsOf(t, g, "b"), taskgraph.NodeAttrs{Name: "Task B", Risk: "medium",
		Impact: "component", Scope: "broad", Level: "implementation"})

	_ = g.UpdateTask("a", taskgraph.NodePatch{Name: ptr("Updated Task A")})
	checkEqual(t, "name", attrsOf(t, g, "a").Name, "Updated Task A")

	g = jsonGraph(t, "SIMPLE")
	_ = g.UpdateTask("a", taskgraph.NodePatch{Risk: ptr(taskgraph.Risk(""))})
	checkEqual(t, "cleared risk", attrsOf(t, g, "a"), taskgraph.NodeAttrs{Name: "Task A",
		Scope: "narrow"})
}

func TestUpdateEdge(t *testing.T) {
	g := jsonGraph(t, "SIMPLE")
	if err := g.UpdateEdge("a", "b", taskgraph.EdgeAttrs{QualityRetention: ptr(0.75)}); err != nil {
		t.Fatal(err)
	}
	checkExact(t, "a->b", retention(t, g, "a", "b"), 0.75)

	g = jsonGraph(t, "MDIA")
	_ = g.UpdateEdge("a", "c", taskgraph.EdgeAttrs{QualityRetention: ptr(0.5)})
	for _, want := range []struct {
		from, to string
		qr       float64
	}{{"a", "b", 0.9}, {"a", "c", 0.5}, {"b", "d", 0.9}, {"c", "d", 0.8}} {
		checkExact(t, want.from+"->"+want.to, retention(t, g, want.from, want.to), want.qr)
	}

	g = jsonGraph(t, "MDIA")
	_ = g.UpdateEdge("b", "d", taskgraph.EdgeAttrs{QualityRetention: ptr(0.5)})
	for _, want := range []struct {
		from, to string
		qr       float64
	}{{"a", "b", 0.9}, {"a", "c", 0.85}, {"b", "d", 0.5}, {"c", "d", 0.8}} {
		checkExact(t, want.from+"->"+want.to, retention(t, g, want.from, want.to), want.qr)
	}

	g = jsonGraph(t, "SIMPLE")
	_ = g.UpdateEdge("a", "b", taskgraph.EdgeAttrs{})
	checkExact(t, "empty patch keeps retention", retention(t, g, "a", "b"), 0.9)

	for _, pair := range [][2]string{{"b", "a"}, {"x", "y"}} {
		err := jsonGraph(t, "SIMPLE").UpdateEdge(pair[0], pair[1],
			taskgraph.EdgeAttrs{QualityRetention: ptr(0.5)})
		e := asError[*taskgraph.TaskNotFoundError](t, err)
		if want := pair[0] + "->" + pair[1]; e.TaskID != want {
			t.Errorf("TaskID = %q, want %q", e.TaskID, want)
		}
	}
}

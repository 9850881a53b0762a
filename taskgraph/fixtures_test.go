package taskgraph_test

import (
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

// expectedAnalyses are the results testdata/analyses.json records for a
// fixture of testdata/fixtures.json; absent fields are not checked.
type expectedAnalyses struct {
	TopologicalOrder []string
	ParallelGroups   [][]string
	CriticalPath     []string
	RiskPath         *struct {
		Path      []string
		TotalRisk float64
	}
	Bottlenecks                  []taskgraph.BottleneckResult
	WorkflowCost                 *expectedCost
	WorkflowCostIncludeCompleted *expectedCost
	WorkflowCostTotals           []struct {
		Mode      string
		TotalEV   float64 `json:"totalEv"`
		AverageEV float64 `json:"averageEv"`
	}
}

type expectedCost struct {
	TotalEV    float64 `json:"totalEv"`
	AverageEV  float64 `json:"averageEv"`
	EveryEV    *float64
	AllEntries bool
	Entries    []struct {
		TaskID     string
		PEffective float64
		EV         *float64
	}
}

func checkCost(t *testing.T, g *taskgraph.TaskGraph, opts taskgraph.WorkflowCostOptions,
	want *expectedCost) {
	t.Helper()
	got := workflowCost(t, g, opts)
	checkNear(t, "total", got.TotalEV, want.TotalEV)
	checkNear(t, "average", got.AverageEV, want.AverageEV)
	byID := map[string]taskgraph.WorkflowCostEntry{}
	var ids []string
	for _, e := range got.Tasks {
		byID[e.TaskID] = e
		ids = append(ids, e.TaskID)
		if want.EveryEV != nil {
			checkNear(t, e.TaskID+" ev", e.EV, *want.EveryEV)
		}
	}
	var wantIDs []string
	for _, w := range want.Entries {
		wantIDs = append(wantIDs, w.TaskID)
		e, ok := byID[w.TaskID]
		if !ok {
			t.Errorf("no entry for %s", w.TaskID)
			continue
		}
		checkNear(t, w.TaskID+" pEffective", e.PEffective, w.PEffective)
		if w.EV != nil {
			checkNear(t, w.TaskID+" ev", e.EV, *w.EV)
		}
	}
	if want.AllEntries {
		checkEqual(t, "entry order", ids, wantIDs)
	}
}

func TestFixtureAnalyses(t *testing.T) {
	var all map[string]expectedAnalyses
	readJSON(t, "analyses.json", &all)
	for name, want := range all {
		t.Run(name, func(t *testing.T) {
			g := fixtureGraph(t, name)
			if want.TopologicalOrder != nil {
				got, err := g.TopologicalOrder()
				if err != nil {
					t.Fatal(err)
				}
				checkEqual(t, "topological order", got, want.TopologicalOrder)
			}
			if want.ParallelGroups != nil {
				got, err := taskgraph.ParallelGroups(g)
				if err != nil {
					t.Fatal(err)
				}
				checkEqual(t, "parallel groups", got, want.ParallelGroups)
			}
			if want.CriticalPath != nil {
				got, err := taskgraph.CriticalPath(g)
				if err != nil {
					t.Fatal(err)
				}
				checkEqual(t, "critical path", got, want.CriticalPath)
			}
			if want.RiskPath != nil {
				got, err := taskgraph.RiskPath(g)
				if err != nil {
					t.Fatal(err)
				}
				checkEqual(t, "risk path", got.Path, want.RiskPath.Path)
				checkNear(t, "total risk", got.TotalRisk, want.RiskPath.TotalRisk)
			}
			if want.Bottlenecks != nil {
				checkBottlenecks(t, taskgraph.Bottlenecks(g), want.Bottlenecks)
			}
			if want.WorkflowCost != nil {
				checkCost(t, g, taskgraph.WorkflowCostOptions{}, want.WorkflowCost)
			}
			if want.WorkflowCostIncludeCompleted != nil {
				checkCost(t, g, taskgraph.WorkflowCostOptions{IncludeCompleted: true},
					want.WorkflowCostIncludeCompleted)
			}
			for _, totals := range want.WorkflowCostTotals {
				opts := taskgraph.WorkflowCostOptions{IncludeCompleted: totals.Mode ==
					"includeCompleted"}
				if totals.Mode == "independent" {
					opts.PropagationMode = taskgraph.PropagationIndependent
				}
				got := workflowCost(t, g, opts)
				checkNear(t, totals.Mode+" total", got.TotalEV, totals.TotalEV)
				checkNear(t, totals.Mode+" average", got.AverageEV, totals.AverageEV)
			}
		})
	}
}

func TestBottleneckTiesAreBitIdentical(t *testing.T) {
	results := taskgraph.Bottlenecks(fixtureGraph(t, "L23"))
	scores := map[string]float64{}
	for _, r := range results {
		scores[r.TaskID] = r.Score
	}
	for _, pair := range [][2]string{{"i18n", "accessibility"}, {"accessibility", "config-system"}} {
		checkExact(t, pair[0]+" against "+pair[1], scores[pair[0]], scores[pair[1]])
	}
}

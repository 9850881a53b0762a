package taskgraph_test

import (
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestRiskPath(t *testing.T) {
	tests := []struct {
		name  string
		g     *taskgraph.TaskGraph
		path  []string
		total float64
	}{
		{"empty", taskgraph.New(), []string{}, 0},
		{"single", mustGraph(t, task("A", nil, withRisk("high"), withImpact("phase"))),
			[]string{"A"}, 0.7},
		{"rising chain", mustGraph(t, task("A", nil, withRisk("medium"), withImpact("isolated")),
			task("B", deps("A"), withRisk("high"), withImpact("phase")),
			task("C", deps("B"), withRisk("critical"), withImpact("project"))),
			[]string{"A", "B", "C"}, 2.4},
		{"heavier branch", mustGraph(t, task("A", nil, withRisk("critical"), withImpact("isolated")),
			task("B", deps("A"), withRisk("low"), withImpact("isolated")),
			task("C", deps("A"), withRisk("high"), withImpact("project")),
			task("D", deps("B", "C"), withRisk("medium"), withImpact("component"))),
			[]string{"A", "C", "D"}, 1.8499999999999996},
		{"unassessed", mustGraph(t, task("A", nil), task("B", deps("A"))), []string{"A", "B"},
			0.3999999999999999},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := taskgraph.RiskPath(tc.g)
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, "path", got.Path, tc.path)
			checkNear(t, "total", got.TotalRisk, tc.total)
		})
	}

	g := threeCycle(t)
	_, err := taskgraph.RiskPath(g)
	asError[*taskgraph.CircularDependencyError](t, err)

	checkExact(t, "unassessed weight", taskgraph.RiskWeight(taskgraph.NodeAttrs{}),
		0.19999999999999996)
}

func TestRiskDistribution(t *testing.T) {
	empty := []string{}
	tests := []struct {
		name string
		g    *taskgraph.TaskGraph
		want taskgraph.RiskDistribution
	}{
		{"empty", taskgraph.New(), taskgraph.RiskDistribution{Trivial: empty, Low: empty,
			Medium: empty, High: empty, Critical: empty, Unspecified: empty}},
		{"one each", mustGraph(t, task("A", nil, withRisk("trivial")), task("B", nil, withRisk("low")),
			task("C", nil, withRisk("medium")), task("D", nil, withRisk("high")),
			task("E", nil, withRisk("critical"))), taskgraph.RiskDistribution{
			Trivial: []string{"A"}, Low: []string{"B"}, Medium: []string{"C"},
			High: []string{"D"}, Critical: []string{"E"}, Unspecified: empty}},
		{"unspecified", mustGraph(t, task("A", nil, withRisk("high")), task("B", nil),
			task("C", nil, withRisk("low"))), taskgraph.RiskDistribution{Trivial: empty,
			Low: []string{"C"}, Medium: empty, High: []string{"A"}, Critical: empty,
			Unspecified: []string{"B"}}},
		{"all unassessed", mustGraph(t, task("A", nil), task("B", deps("A"))),
			taskgraph.RiskDistribution{Trivial: empty, Low: empty, Medium: empty, High: empty,
				Critical: empty, Unspecified: []string{"A", "B"}}},
		{"mixed fixture", fixtureGraph(t, "MIX"), taskgraph.RiskDistribution{Trivial: empty,
			Low: []string{"tests"}, Medium: []string{"db"}, High: []string{"auth"},
			Critical: []string{"deploy"}, Unspecified: []string{"api"}}},
		{"invalid risk", mustGraph(t, task("x", nil, withRisk("extreme"))),
			taskgraph.RiskDistribution{Trivial: empty, Low: empty, Medium: empty, High: empty,
				Critical: empty, Unspecified: []string{"x"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkEqual(t, "distribution", taskgraph.RiskDistributionOf(tc.g), tc.want)
		})
	}

	d := taskgraph.RiskDistributionOf(mustGraph(t, task("auth", nil, withRisk("high")),
		task("db", nil, withRisk("medium")), task("api", deps("auth", "db")),
		task("tests", deps("api"), withRisk("low")), task("deploy", deps("tests"),
			withRisk("critical"))))
	seen := map[string]int{}
	for _, bucket := range [][]string{d.Trivial, d.Low, d.Medium, d.High, d.Critical,
		d.Unspecified} {
		for _, id := range bucket {
			seen[id]++
		}
	}
	if len(seen) != 5 {
		t.Errorf("distribution covers %d ids, want 5", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s appears %d times", id, n)
		}
	}
}

func TestShouldDecomposeTask(t *testing.T) {
	const (
		highReason     = "risk: high — failure probability 0.35"
		criticalReason = "risk: critical — failure probability 0.50"
		broadReason    = "scope: broad — cost estimate 4.0"
		systemReason   = "scope: system — cost estimate 5.0"
	)
	tests := []struct {
		name  string
		attrs taskgraph.NodeAttrs
		want  []string
	}{
		{"high risk", taskgraph.NodeAttrs{Name: "Auth module", Risk: "high"}, []string{highReason}},
		{"critical risk", taskgraph.NodeAttrs{Risk: "critical"}, []string{criticalReason}},
		{"broad scope", taskgraph.NodeAttrs{Scope: "broad"}, []string{broadReason}},
		{"system scope", taskgraph.NodeAttrs{Scope: "system"}, []string{systemReason}},
		{"risk before scope", taskgraph.NodeAttrs{Risk: "high", Scope: "broad"},
			[]string{highReason, broadReason}},
		{"medium risk", taskgraph.NodeAttrs{Risk: "medium"}, []string{}},
		{"low risk", taskgraph.NodeAttrs{Risk: "low"}, []string{}},
		{"trivial risk", taskgraph.NodeAttrs{Risk: "trivial"}, []string{}},
		{"narrow scope", taskgraph.NodeAttrs{Scope: "narrow"}, []string{}},
		{"moderate scope", taskgraph.NodeAttrs{Scope: "moderate"}, []string{}},
		{"single scope", taskgraph.NodeAttrs{Scope: "single"}, []string{}},
		{"name only", taskgraph.NodeAttrs{Name: "x"}, []string{}},
		{"defaults", taskgraph.NodeAttrs{Risk: "medium", Scope: "narrow"}, []string{}},
		{"high risk narrow scope", taskgraph.NodeAttrs{Risk: "high", Scope: "narrow"},
			[]string{highReason}},
		{"low risk broad scope", taskgraph.NodeAttrs{Risk: "low", Scope: "broad"},
			[]string{broadReason}},
		{"worst case", taskgraph.NodeAttrs{Risk: "critical", Scope: "system", Impact: "project"},
			[]string{criticalReason, systemReason}},
		{"standalone", taskgraph.NodeAttrs{Name: "Standalone task", Risk: "high"},
			[]string{highReason}},
		{"invalid labels", taskgraph.NodeAttrs{Risk: "extreme", Scope: "huge"}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := taskgraph.ShouldDecomposeTask(tc.attrs)
			checkEqual(t, "reasons", got.Reasons, tc.want)
			if got.ShouldDecompose != (len(tc.want) > 0) {
				t.Errorf("ShouldDecompose = %v", got.ShouldDecompose)
			}
		})
	}
}

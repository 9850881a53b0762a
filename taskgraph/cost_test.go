package taskgraph_test

import (
	"encoding/json"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestCalculateTaskEV(t *testing.T) {
	type cfg = taskgraph.EVConfig
	tests := []struct {
		name             string
		p, scope, impact float64
		cfg              cfg
		ev, retries      float64
		exactRetries     bool
	}{
		{"zero config", 0.8, 3.0, 1.5, cfg{}, 4.5, 0.24999999999999994, false},
		{"certain success", 1.0, 4.0, 2.0, cfg{}, 8.0, 0, false},
		{"zero probability", 0, 3.0, 1.5, cfg{}, 4.5, 0, true},
		{"zero probability with costs", 0, 3.0, 1.5, cfg{FallbackCost: 10, TimeLost: 5}, 14.5, 0,
			false},
		{"impact 1.0", 0.8, 3, 1.0, cfg{}, 3.0, 0.24999999999999994, false},
		{"impact 3.0", 0.8, 3, 3.0, cfg{}, 9.0, 0.24999999999999994, false},
		{"fallback", 0.5, 2, 1, cfg{FallbackCost: 20}, 12.0, 1, false},
		{"time lost", 0.5, 2, 1, cfg{TimeLost: 5}, 4.5, 1, false},
		{"fallback and time lost", 0.8, 3, 1.5, cfg{FallbackCost: 10, TimeLost: 5}, 6.75,
			0.24999999999999994, false},
		{"retries above expectation", 0.5, 2, 1, cfg{Retries: 3, TimeLost: 5}, 4.5, 1.0, false},
		{"retries cap", 0.2, 2, 1, cfg{Retries: 2, TimeLost: 5}, 10.000000000000002, 2, true},
		{"no cap without retries", 0.2, 2, 1, cfg{}, 2, 4.0, false},
		{"cap of one", 0.1, 2, 1, cfg{Retries: 1, TimeLost: 3}, 4.7, 1, true},
		{"value rate", 0.8, 3, 1, cfg{ValueRate: 100}, 300.0, 0.24999999999999994, false},
		{"no value rate", 0.8, 3, 1, cfg{}, 3.0, 0.24999999999999994, false},
		{"everything", 0.5, 2, 1, cfg{FallbackCost: 10, TimeLost: 5, ValueRate: 10}, 95.0, 1,
			false},
		{"defaults", 0.80, 2.0, 1.0, cfg{}, 2.0, 0.25, false},
		{"high risk config", 0.65, 4.0, 1.5, cfg{Retries: 3, TimeLost: 2, FallbackCost: 8},
			9.176923076923078, 0.5384615384615384, false},
		{"critical", 0.50, 5.0, 3.0, cfg{}, 15.0, 1.0, false},
		{"trivial", 0.98, 1.0, 1.0, cfg{}, 1.0, 0.02040816326530614, false},
		{"tiny probability", 0.01, 1.0, 1.0, cfg{}, 1.0, 99.0, false},
		{"near certain", 0.999, 1.0, 1.0, cfg{}, 1.0, 0.0010010010010010019, false},
		{"zero cost", 0.5, 0, 1.0, cfg{}, 0, 1, false},
		{"zero impact", 0.5, 5.0, 0, cfg{}, 0, 1, false},
		{"zero config record", 0.5, 2.0, 1.0, cfg{}, 2.0, 1.0, false},
		{"cap retries at one", 0.2, 2.0, 1.0, cfg{Retries: 1}, 2.0, 1, true},
		{"fallback five", 0.5, 2.0, 1.0, cfg{FallbackCost: 5}, 4.5, 1, false},
		{"time lost ten", 0.5, 2.0, 1.0, cfg{TimeLost: 10}, 7.0, 1, false},
		{"full config", 0.5, 2.0, 1.5, cfg{Retries: 2, FallbackCost: 10, TimeLost: 3,
			ValueRate: 50}, 475.0, 1.0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := taskgraph.CalculateTaskEV(tc.p, tc.scope, tc.impact, tc.cfg)
			checkExact(t, "pSuccess", got.PSuccess, tc.p)
			checkNear(t, "ev", got.EV, tc.ev)
			if tc.exactRetries {
				checkExact(t, "expectedRetries", got.ExpectedRetries, tc.retries)
			} else {
				checkNear(t, "expectedRetries", got.ExpectedRetries, tc.retries)
			}
		})
	}

	for _, tc := range []struct{ p, retries float64 }{
		{0.98, 0.02040816326530614}, {0.90, 0.11111111111111108}, {0.80, 0.24999999999999994},
		{0.65, 0.5384615384615384}, {0.50, 1.0},
	} {
		got := taskgraph.CalculateTaskEV(tc.p, 1, 1, taskgraph.EVConfig{})
		checkNear(t, "expectedRetries", got.ExpectedRetries, tc.retries)
	}
	zeroEV := taskgraph.CalculateTaskEV(0.5, 0, 1.0, taskgraph.EVConfig{})
	checkExact(t, "zero cost ev", zeroEV.EV, 0)
	for _, p := range []float64{0.75, 0, 1} {
		checkExact(t, "pSuccess", taskgraph.CalculateTaskEV(p, 1, 1, taskgraph.EVConfig{}).PSuccess, p)
	}

	var decoded taskgraph.EVConfig
	if err := json.Unmarshal([]byte(`{}`), &decoded); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "decoded config", taskgraph.CalculateTaskEV(0.5, 2.0, 1.0, decoded),
		taskgraph.CalculateTaskEV(0.5, 2.0, 1.0, taskgraph.EVConfig{}))
}

func TestEffectiveProbability(t *testing.T) {
	const dag, independent = taskgraph.PropagationDAG, taskgraph.PropagationIndependent
	ch := fixtureGraph(t, "CH")
	records := func(qr float64) *taskgraph.TaskGraph {
		g, err := taskgraph.FromRecords([]taskgraph.TaskInput{task("A", nil), task("B", nil)},
			[]taskgraph.DependencyEdge{{From: "A", To: "B", QualityRetention: ptr(qr)}})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	noRetention := mustJSON(t, doc(`{"key":"A","attributes":{"name":"A"}},`+
		`{"key":"B","attributes":{"name":"B"}}`,
		`{"key":"A->B","source":"A","target":"B","attributes":{}}`))
	tests := []struct {
		name      string
		g         *taskgraph.TaskGraph
		id        string
		upstream  map[string]float64
		defaultQR float64
		mode      taskgraph.PropagationMode
		pI, want  float64
	}{
		{"independent", ch, "B", map[string]float64{"A": 0.65}, 0.9, independent, 0.80, 0.80},
		{"root", ch, "A", map[string]float64{}, 0.9, dag, 0.80, 0.80},
		{"one parent", ch, "B", map[string]float64{"A": 0.65}, 0.9, dag, 0.80, 0.7720000000000001},
		{"root of chain", ch, "A", map[string]float64{}, 0.9, dag, 0.65, 0.65},
		{"end of chain", ch, "C", map[string]float64{"B": 0.7720000000000001}, 0.9, dag, 0.80,
			0.7817600000000001},
		{"edge retention", records(0.5), "B", map[string]float64{"A": 0.65}, 0.9, dag, 0.80, 0.66},
		{"default retention", noRetention, "B", map[string]float64{"A": 0.65}, 0.85, dag, 0.80,
			0.758},
		{"full retention", records(1.0), "B", map[string]float64{"A": 0.50}, 0.9, dag, 0.80, 0.80},
		{"no retention", records(0.0), "B", map[string]float64{"A": 0.65}, 0.9, dag, 0.80, 0.52},
		{"missing parent skipped", ch, "B", map[string]float64{}, 0.9, dag, 0.80, 0.80},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := taskgraph.EffectiveProbability(tc.g, tc.id, tc.upstream, tc.defaultQR, tc.mode,
				tc.pI)
			checkNear(t, "probability", got, tc.want)
		})
	}

	cd := fixtureGraph(t, "CD")
	upstream := map[string]float64{}
	for _, step := range []struct {
		id       string
		pI, want float64
	}{{"A", 0.65, 0.65}, {"B", 0.80, 0.7720000000000001}, {"C", 0.80, 0.7720000000000001},
		{"D", 0.80, 0.7639358720000002}} {
		got := taskgraph.EffectiveProbability(cd, step.id, upstream, 0.9, dag, step.pI)
		checkNear(t, "probability of "+step.id, got, step.want)
		upstream[step.id] = got
	}
}

type costCheck struct {
	id         string
	pI, pE, ev float64
}

func workflowCost(t *testing.T, g *taskgraph.TaskGraph,
	opts taskgraph.WorkflowCostOptions) taskgraph.WorkflowCostResult {
	t.Helper()
	r, err := taskgraph.WorkflowCost(g, opts)
	if err != nil {
		t.Fatalf("WorkflowCost: %v", err)
	}
	return r
}

// checkEntries compares ids in order and, where the expectation is not
// negative, the probabilities and costs.
func checkEntries(t *testing.T, got []taskgraph.WorkflowCostEntry, want []costCheck) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		e := got[i]
		if e.TaskID != w.id {
			t.Errorf("entry %d = %s, want %s", i, e.TaskID, w.id)
			continue
		}
		if w.pI >= 0 {
			checkNear(t, w.id+" pIntrinsic", e.PIntrinsic, w.pI)
		}
		if w.pE >= 0 {
			checkNear(t, w.id+" pEffective", e.PEffective, w.pE)
		}
		if w.ev >= 0 {
			checkNear(t, w.id+" ev", e.EV, w.ev)
		}
		checkExact(t, w.id+" probability", e.Probability, e.PEffective)
	}
}

func TestWorkflowCost(t *testing.T) {
	const dag, independent = taskgraph.PropagationDAG, taskgraph.PropagationIndependent
	const skip = -1.0
	planning := mustGraph(t,
		task("A", nil, withName("Planning"), withRisk("high"), withScope("narrow"),
			withImpact("phase")),
		task("B", deps("A"), withName("Implementation"), withRisk("medium"), withScope("broad"),
			withImpact("component")))

	t.Run("propagation", func(t *testing.T) {
		r := workflowCost(t, planning, taskgraph.WorkflowCostOptions{})
		checkEqual(t, "mode", r.PropagationMode, dag)
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.65, 0.65, 4.0}, {"B", 0.80,
			0.7720000000000001, 6.0}})
		checkEqual(t, "names", []string{r.Tasks[0].Name, r.Tasks[1].Name},
			[]string{"Planning", "Implementation"})
		checkExact(t, "A scope cost", r.Tasks[0].ScopeCost, 2.0)
		checkExact(t, "A impact", r.Tasks[0].ImpactWeight, 2.0)
		checkExact(t, "B scope cost", r.Tasks[1].ScopeCost, 4.0)
		checkExact(t, "B impact", r.Tasks[1].ImpactWeight, 1.5)
		checkNear(t, "total", r.TotalEV, 10.0)
		checkNear(t, "average", r.AverageEV, 5.0)

		r = workflowCost(t, planning, taskgraph.WorkflowCostOptions{PropagationMode: independent})
		checkEqual(t, "mode", r.PropagationMode, independent)
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.65, 0.65, 4.0}, {"B", 0.80, 0.80, 6.0}})
		checkNear(t, "total", r.TotalEV, 10.0)
		checkNear(t, "average", r.AverageEV, 5.0)
	})

	t.Run("three steps", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("critical"), withScope("broad"), withImpact("phase")),
			task("B", deps("A"), withRisk("medium"), withScope("moderate"), withImpact("component")),
			task("C", deps("B"), withRisk("low"), withScope("narrow"), withImpact("isolated")))
		r := workflowCost(t, g, taskgraph.WorkflowCostOptions{})
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.5, 0.5, skip}, {"B", skip, 0.76, skip},
			{"C", skip, 0.8784, skip}})
		checkNear(t, "total", r.TotalEV, 14.5)
		r = workflowCost(t, g, taskgraph.WorkflowCostOptions{PropagationMode: independent})
		checkEntries(t, r.Tasks, []costCheck{{"A", skip, 0.5, skip}, {"B", skip, 0.80, skip},
			{"C", skip, 0.90, skip}})
		checkNear(t, "total", r.TotalEV, 14.5)

		g = mustGraph(t, task("A", nil, withRisk("critical"), withScope("narrow"),
			withImpact("isolated")), task("B", deps("A"), withRisk("medium")),
			task("C", deps("B"), withRisk("medium")))
		checkEntries(t, workflowCost(t, g, taskgraph.WorkflowCostOptions{}).Tasks, []costCheck{
			{"A", 0.50, 0.50, skip}, {"B", skip, 0.76, skip}, {"C", skip, 0.7808, skip}})
	})

	t.Run("diamond", func(t *testing.T) {
		r := workflowCost(t, fixtureGraph(t, "CD"), taskgraph.WorkflowCostOptions{})
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.80, 0.80, skip}, {"B", 0.80, 0.784, skip},
			{"C", 0.80, 0.784, skip}, {"D", 0.80, 0.7658132480000002, skip}})
	})

	t.Run("completed tasks", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("high"), withScope("narrow"),
			withImpact("isolated"), withStatus("completed")), task("B", deps("A"), withRisk("medium")))
		for _, opts := range []taskgraph.WorkflowCostOptions{{}, {IncludeCompleted: false}} {
			checkEntries(t, workflowCost(t, g, opts).Tasks, []costCheck{{"B", 0.80, 0.80, skip}})
		}
		checkEntries(t, workflowCost(t, g, taskgraph.WorkflowCostOptions{IncludeCompleted: true}).Tasks,
			[]costCheck{{"A", 0.65, 0.65, skip}, {"B", skip, 0.7720000000000001, skip}})

		g = mustGraph(t, task("A", nil, withRisk("critical"), withStatus("completed")),
			task("B", deps("A"), withRisk("high")), task("C", deps("B"), withRisk("medium")))
		checkEntries(t, workflowCost(t, g, taskgraph.WorkflowCostOptions{}).Tasks, []costCheck{
			{"B", 0.65, 0.65, skip}, {"C", skip, 0.7720000000000001, skip}})

		g = mustGraph(t, task("A", nil, withRisk("medium"), withStatus("failed")),
			task("B", nil, withRisk("medium"), withStatus("blocked")))
		checkEntries(t, workflowCost(t, g, taskgraph.WorkflowCostOptions{}).Tasks, []costCheck{
			{"A", skip, skip, skip}, {"B", skip, skip, skip}})
	})

	t.Run("empty graph", func(t *testing.T) {
		r := workflowCost(t, taskgraph.New(), taskgraph.WorkflowCostOptions{})
		checkEqual(t, "result", r, taskgraph.WorkflowCostResult{
			Tasks: []taskgraph.WorkflowCostEntry{}, PropagationMode: dag})
	})

	t.Run("single task", func(t *testing.T) {
		r := workflowCost(t, mustGraph(t, task("A", nil, withRisk("medium"), withScope("narrow"),
			withImpact("isolated"))), taskgraph.WorkflowCostOptions{})
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.80, 0.80, skip}})
		r = workflowCost(t, mustGraph(t, task("A", nil)), taskgraph.WorkflowCostOptions{})
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.80, 0.80, 2.0}})
		checkExact(t, "scope cost", r.Tasks[0].ScopeCost, 2.0)
		checkExact(t, "impact", r.Tasks[0].ImpactWeight, 1.0)
	})

	t.Run("retention", func(t *testing.T) {
		g := mustJSON(t, doc(`{"key":"A","attributes":{"name":"A","risk":"critical"}},`+
			`{"key":"B","attributes":{"name":"B","risk":"medium"}}`,
			`{"key":"A->B","source":"A","target":"B","attributes":{}}`))
		r := workflowCost(t, g, taskgraph.WorkflowCostOptions{DefaultQualityRetention: ptr(1.0)})
		checkEntries(t, r.Tasks, []costCheck{{"A", skip, skip, skip}, {"B", 0.80, 0.80, skip}})

		rec, err := taskgraph.FromRecords([]taskgraph.TaskInput{task("A", nil, withRisk("critical")),
			task("B", nil, withRisk("medium"))},
			[]taskgraph.DependencyEdge{{From: "A", To: "B", QualityRetention: ptr(0.5)}})
		if err != nil {
			t.Fatal(err)
		}
		checkEntries(t, workflowCost(t, rec, taskgraph.WorkflowCostOptions{}).Tasks, []costCheck{
			{"A", skip, skip, skip}, {"B", skip, 0.6000000000000001, skip}})

		half := mustJSON(t, doc(`{"key":"a","attributes":{"name":"A"}},`+
			`{"key":"b","attributes":{"name":"B"}}`,
			`{"key":"a->b","source":"a","target":"b","attributes":{"qualityRetention":0.5}}`))
		checkExact(t, "retention", retention(t, half, "a", "b"), 0.5)
		checkEntries(t, workflowCost(t, half, taskgraph.WorkflowCostOptions{}).Tasks, []costCheck{
			{"a", skip, 0.8, skip}, {"b", skip, 0.8 * (0.8 + 0.2*0.5), skip}})
	})

	t.Run("limit", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("medium"), withScope("narrow")),
			task("B", deps("A"), withRisk("medium"), withScope("narrow")),
			task("C", deps("B"), withRisk("medium"), withScope("narrow")))
		r := workflowCost(t, g, taskgraph.WorkflowCostOptions{Limit: ptr(2)})
		checkEntries(t, r.Tasks, []costCheck{{"A", skip, skip, skip}, {"B", skip, 0.784, skip}})
		checkNear(t, "total", r.TotalEV, 4.0)
		checkNear(t, "average", r.AverageEV, 2.0)

		r = workflowCost(t, g, taskgraph.WorkflowCostOptions{Limit: ptr(0)})
		checkEqual(t, "limit 0", r, taskgraph.WorkflowCostResult{
			Tasks: []taskgraph.WorkflowCostEntry{}, PropagationMode: dag})
		r = workflowCost(t, g, taskgraph.WorkflowCostOptions{Limit: ptr(10)})
		if len(r.Tasks) != 3 {
			t.Errorf("limit above the count kept %d entries", len(r.Tasks))
		}

		_, err := taskgraph.WorkflowCost(g, taskgraph.WorkflowCostOptions{Limit: ptr(-1)})
		e := checkInvalidField(t, err, "limit")
		if e.Message != "must not be negative" {
			t.Errorf("Message = %q", e.Message)
		}
	})

	t.Run("probability equals effective", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("high")), task("B", deps("A"), withRisk("medium")))
		for _, e := range workflowCost(t, g, taskgraph.WorkflowCostOptions{}).Tasks {
			checkExact(t, "probability", e.Probability, e.PEffective)
			if e.TaskID == "" || e.Name == "" {
				t.Errorf("entry without id or name: %+v", e)
			}
		}
	})

	t.Run("unconnected tasks", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("medium"), withScope("narrow")),
			task("B", nil, withRisk("medium"), withScope("narrow")))
		for _, mode := range []taskgraph.PropagationMode{dag, independent} {
			r := workflowCost(t, g, taskgraph.WorkflowCostOptions{PropagationMode: mode})
			checkEntries(t, r.Tasks, []costCheck{{"A", skip, 0.80, skip}, {"B", skip, 0.80, skip}})
			checkNear(t, "total", r.TotalEV, 4.0)
			checkNear(t, "average", r.AverageEV, 2.0)
		}
	})

	t.Run("critical chain", func(t *testing.T) {
		g := mustGraph(t, task("A", nil, withRisk("critical"), withScope("broad"),
			withImpact("project")), task("B", deps("A"), withRisk("high"), withScope("moderate"),
			withImpact("component")), task("C", deps("B"), withRisk("low"), withScope("narrow"),
			withImpact("isolated")))
		r := workflowCost(t, g, taskgraph.WorkflowCostOptions{PropagationMode: independent})
		checkEntries(t, r.Tasks, []costCheck{{"A", 0.5, 0.5, skip}, {"B", 0.65, 0.65, skip},
			{"C", 0.9, 0.9, skip}})
		checkNear(t, "total", r.TotalEV, 18.5)
		r = workflowCost(t, g, taskgraph.WorkflowCostOptions{})
		checkEntries(t, r.Tasks, []costCheck{{"A", skip, 0.5, skip},
			{"B", skip, 0.6174999999999999, skip}, {"C", skip, 0.865575, skip}})
		checkNear(t, "total", r.TotalEV, 18.5)

		g = mustGraph(t, task("planning", nil, withRisk("critical"), withScope("broad"),
			withImpact("phase")), task("implementation", deps("planning"), withRisk("medium"),
			withScope("broad"), withImpact("component")))
		checkNear(t, "dag", workflowCost(t, g, taskgraph.WorkflowCostOptions{}).Tasks[1].PEffective,
			0.76)
		checkNear(t, "independent", workflowCost(t, g, taskgraph.WorkflowCostOptions{
			PropagationMode: independent}).Tasks[1].PEffective, 0.80)
	})

	t.Run("EV config", func(t *testing.T) {
		r := workflowCost(t, planning, taskgraph.WorkflowCostOptions{
			EV: &taskgraph.EVConfig{FallbackCost: 10}})
		checkEntries(t, r.Tasks, []costCheck{{"A", skip, 0.65, 7.5},
			{"B", skip, 0.7720000000000001, 8.279999999999998}})
		checkNear(t, "total", r.TotalEV, 15.779999999999998)
		checkNear(t, "average", r.AverageEV, 7.889999999999999)
	})

	t.Run("errors", func(t *testing.T) {
		_, err := taskgraph.WorkflowCost(mustGraph(t, task("A", nil)),
			taskgraph.WorkflowCostOptions{PropagationMode: "invalid"})
		checkInvalidField(t, err, "propagationMode")

		g := threeCycle(t)
		_, err = taskgraph.WorkflowCost(g, taskgraph.WorkflowCostOptions{})
		e := asError[*taskgraph.CircularDependencyError](t, err)
		checkEqual(t, "cycles", e.Cycles, [][]string{{"A", "B", "C"}})
	})
}

func TestWorkflowCostMatchesEffectiveProbability(t *testing.T) {
	g := fixtureGraph(t, "L23")
	r := workflowCost(t, g, taskgraph.WorkflowCostOptions{})
	upstream := map[string]float64{}
	for _, e := range r.Tasks {
		got := taskgraph.EffectiveProbability(g, e.TaskID, upstream, 0.9,
			taskgraph.PropagationDAG, e.PIntrinsic)
		checkExact(t, e.TaskID, got, e.PEffective)
		upstream[e.TaskID] = got
	}
}

func TestLegacyEV(t *testing.T) {
	scopes := []float64{1, 2, 3, 4, 5}
	rows := []struct {
		risk taskgraph.Risk
		want []float64
	}{
		{"trivial", []float64{1.0209600000000005, 2.0413600000000005, 3.0617600000000005,
			4.08216, 5.102560000000001}},
		{"low", []float64{1.1800000000000002, 2.29, 3.4, 4.51, 5.62}},
		{"medium", []float64{1.8000000000000005, 3.0400000000000005, 4.28, 5.5200000000000005,
			6.760000000000001}},
		{"high", []float64{4.47375, 5.94625, 7.418749999999999, 8.89125, 10.36375}},
		{"critical", []float64{10.5, 12.25, 14.0, 15.75, 17.5}},
	}
	for _, row := range rows {
		for i, cost := range scopes {
			got := taskgraph.LegacyEV(row.risk.SuccessProbability(), cost, 1.0)
			checkNear(t, string(row.risk), got, row.want[i])
			checkNear(t, string(row.risk)+" at impact 2", taskgraph.LegacyEV(
				row.risk.SuccessProbability(), cost, 2.0), 2*row.want[i])
		}
	}

	total := 0.0
	for _, p := range []float64{0.5, 0.65, 0.9, 0.8, 0.8} {
		total += taskgraph.LegacyEV(p, 2, 1)
	}
	checkNear(t, "total", total, 26.566249999999997)
	checkNear(t, "average", total/5, 5.313249999999999)
	checkExact(t, "certain success", taskgraph.LegacyEV(1, 2, 1), 2)
}

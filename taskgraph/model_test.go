package taskgraph_test

import (
	"encoding/json"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

// decodeInto unmarshals data into a new T.
func decodeInto[T any](data string) (T, error) {
	var v T
	err := json.Unmarshal([]byte(data), &v)
	return v, err
}

func checkEnumDecoding[T interface {
	~string
	Valid() bool
}](t *testing.T, valid []string) {
	t.Helper()
	for _, s := range valid {
		got, err := decodeInto[T](`"` + s + `"`)
		if err != nil {
			t.Errorf("decoding %q: %v", s, err)
		}
		if string(got) != s || !got.Valid() {
			t.Errorf("decoding %q gave %q (valid %v)", s, got, got.Valid())
		}
	}
	for _, bad := range []string{`"unknown"`, `""`, `42`, `null`} {
		_, err := decodeInto[T](bad)
		checkInvalidField(t, err, "")
	}
	for _, s := range []string{"unknown", ""} {
		if T(s).Valid() {
			t.Errorf("Valid(%q) = true", s)
		}
	}
}

func TestEnumDecoding(t *testing.T) {
	t.Run("scope", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Scope](t, []string{"single", "narrow", "moderate", "broad",
			"system"})
	})
	t.Run("risk", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Risk](t, []string{"trivial", "low", "medium", "high",
			"critical"})
	})
	t.Run("impact", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Impact](t, []string{"isolated", "component", "phase",
			"project"})
	})
	t.Run("level", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Level](t, []string{"planning", "decomposition",
			"implementation", "review", "research"})
	})
	t.Run("priority", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Priority](t, []string{"low", "medium", "high", "critical"})
	})
	t.Run("status", func(t *testing.T) {
		checkEnumDecoding[taskgraph.Status](t, []string{"pending", "in-progress", "completed",
			"failed", "blocked"})
	})
}

func TestEnumConstants(t *testing.T) {
	if taskgraph.ScopeSingle != "single" || taskgraph.RiskCritical != "critical" ||
		taskgraph.ImpactProject != "project" || taskgraph.LevelImplementation != "implementation" ||
		taskgraph.PriorityHigh != "high" || taskgraph.StatusInProgress != "in-progress" {
		t.Error("enum constants do not have their wire values")
	}
	checkEqual(t, "Scopes", taskgraph.Scopes(), []taskgraph.Scope{"single", "narrow",
		"moderate", "broad", "system"})
	checkEqual(t, "Risks", taskgraph.Risks(), []taskgraph.Risk{"trivial", "low", "medium",
		"high", "critical"})
	checkEqual(t, "Impacts", taskgraph.Impacts(), []taskgraph.Impact{"isolated", "component",
		"phase", "project"})
	checkEqual(t, "Levels", taskgraph.Levels(), []taskgraph.Level{"planning", "decomposition",
		"implementation", "review", "research"})
	checkEqual(t, "Priorities", taskgraph.Priorities(), []taskgraph.Priority{"low", "medium",
		"high", "critical"})
	checkEqual(t, "Statuses", taskgraph.Statuses(), []taskgraph.Status{"pending",
		"in-progress", "completed", "failed", "blocked"})
}

func TestOptDecoding(t *testing.T) {
	for _, s := range []string{"single", "system"} {
		o, err := decodeInto[taskgraph.Opt[taskgraph.Scope]](`"` + s + `"`)
		if err != nil {
			t.Fatalf("decoding %q: %v", s, err)
		}
		if v, ok := o.Get(); !ok || string(v) != s {
			t.Errorf("Get() = %q, %v; want %q, true", v, ok, s)
		}
	}
	o, err := decodeInto[taskgraph.Opt[taskgraph.Scope]](`null`)
	if err != nil || !o.IsNull() || !o.IsSet() {
		t.Errorf("null gave %+v, %v; want the null state", o, err)
	}
	for _, bad := range []string{`"invalid"`, `42`} {
		_, err := decodeInto[taskgraph.Opt[taskgraph.Scope]](bad)
		checkInvalidField(t, err, "")
	}
	var absent taskgraph.Opt[taskgraph.Scope]
	if absent.IsSet() || absent.IsNull() || !absent.IsZero() {
		t.Error("zero Opt is not absent")
	}
	if _, err := decodeInto[taskgraph.Opt[string]](`5`); err == nil {
		t.Error("Opt[string] accepted a number")
	}
}

func TestNumericTables(t *testing.T) {
	scopes := taskgraph.Scopes()
	for i, want := range []float64{1.0, 2.0, 3.0, 4.0, 5.0} {
		checkExact(t, string(scopes[i])+" cost", scopes[i].CostEstimate(), want)
	}
	for i, want := range []int{500, 1500, 3000, 6000, 10000} {
		if got := scopes[i].TokenEstimate(); got != want {
			t.Errorf("%s tokens = %d, want %d", scopes[i], got, want)
		}
	}
	risks := taskgraph.Risks()
	for i, want := range []float64{0.98, 0.90, 0.80, 0.65, 0.50} {
		checkExact(t, string(risks[i])+" probability", risks[i].SuccessProbability(), want)
	}
	for i, want := range []float64{0.020000000000000018, 0.09999999999999998,
		0.19999999999999996, 0.35, 0.5} {
		checkExact(t, string(risks[i])+" weight", risks[i].Weight(), want)
	}
	for _, r := range risks {
		p := r.SuccessProbability()
		checkExact(t, string(r)+" weight against 1-p", r.Weight(), 1-p)
	}
	impacts := taskgraph.Impacts()
	for i, want := range []float64{1.0, 1.5, 2.0, 3.0} {
		checkExact(t, string(impacts[i])+" weight", impacts[i].Weight(), want)
	}
}

func TestNumericDefaults(t *testing.T) {
	checkExact(t, "empty scope cost", taskgraph.Scope("").CostEstimate(), 2.0)
	checkExact(t, "invalid scope cost", taskgraph.Scope("huge").CostEstimate(), 2.0)
	checkExact(t, "empty risk probability", taskgraph.Risk("").SuccessProbability(), 0.8)
	checkExact(t, "invalid risk weight", taskgraph.Risk("extreme").Weight(),
		0.19999999999999996)
	checkExact(t, "invalid impact weight", taskgraph.Impact("galaxy").Weight(), 1.0)
}

func TestResolveDefaults(t *testing.T) {
	tests := []struct {
		name  string
		attrs taskgraph.NodeAttrs
		want  taskgraph.ResolvedAttrs
	}{
		{"unassessed", taskgraph.NodeAttrs{Name: "test-task"}, taskgraph.ResolvedAttrs{
			Name: "test-task", Scope: "narrow", Risk: "medium", Impact: "isolated",
			CostEstimate: 2.0, TokenEstimate: 1500, SuccessProbability: 0.80,
			RiskWeight: 0.19999999999999996, ImpactWeight: 1.0,
		}},
		{"fully assessed", taskgraph.NodeAttrs{Name: "big-task", Scope: "system",
			Risk: "critical", Impact: "project"}, taskgraph.ResolvedAttrs{
			Name: "big-task", Scope: "system", Risk: "critical", Impact: "project",
			CostEstimate: 5.0, TokenEstimate: 10000, SuccessProbability: 0.50, RiskWeight: 0.5,
			ImpactWeight: 3.0,
		}},
		{"other labels kept", taskgraph.NodeAttrs{Name: "labeled-task", Level: "implementation",
			Priority: "high", Status: "in-progress"}, taskgraph.ResolvedAttrs{
			Name: "labeled-task", Scope: "narrow", Risk: "medium", Impact: "isolated",
			Level: "implementation", Priority: "high", Status: "in-progress",
			CostEstimate: 2.0, TokenEstimate: 1500, SuccessProbability: 0.80,
			RiskWeight: 0.19999999999999996, ImpactWeight: 1.0,
		}},
		{"mixed", taskgraph.NodeAttrs{Name: "mixed-task", Scope: "broad", Impact: "component",
			Level: "planning"}, taskgraph.ResolvedAttrs{
			Name: "mixed-task", Scope: "broad", Risk: "medium", Impact: "component",
			Level: "planning", CostEstimate: 4.0, TokenEstimate: 6000,
			SuccessProbability: 0.80, RiskWeight: 0.19999999999999996, ImpactWeight: 1.5,
		}},
		{"invalid risk", taskgraph.NodeAttrs{Name: "x", Risk: "extreme"}, taskgraph.ResolvedAttrs{
			Name: "x", Scope: "narrow", Risk: "medium", Impact: "isolated",
			CostEstimate: 2.0, TokenEstimate: 1500, SuccessProbability: 0.80,
			RiskWeight: 0.19999999999999996, ImpactWeight: 1.0,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkEqual(t, "resolved", taskgraph.ResolveDefaults(tc.attrs), tc.want)
		})
	}
	high := taskgraph.ResolveDefaults(taskgraph.NodeAttrs{Name: "x", Risk: "high"})
	checkExact(t, "high risk weight", high.RiskWeight, 0.35)
}

func TestTaskInputDecoding(t *testing.T) {
	const base = `"id":"task-1","name":"My Task","dependsOn":[]`
	t.Run("base", func(t *testing.T) {
		got, err := decodeInto[taskgraph.TaskInput](`{` + base + `}`)
		if err != nil {
			t.Fatal(err)
		}
		want := taskgraph.TaskInput{ID: "task-1", Name: "My Task", DependsOn: []string{}}
		checkEqual(t, "task", got, want)
	})
	t.Run("dependency order", func(t *testing.T) {
		got, err := decodeInto[taskgraph.TaskInput](
			`{"id":"task-1","name":"My Task","dependsOn":["a","b","c"]}`)
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "dependsOn", got.DependsOn, []string{"a", "b", "c"})
	})
	t.Run("labels", func(t *testing.T) {
		for key, value := range map[string]string{"status": "pending", "scope": "narrow",
			"risk": "medium", "impact": "component", "level": "implementation",
			"priority": "high"} {
			got, err := decodeInto[taskgraph.TaskInput](`{` + base + `,"` + key + `":"` +
				value + `"}`)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			round, _ := json.Marshal(got)
			var m map[string]any
			_ = json.Unmarshal(round, &m)
			if m[key] != value {
				t.Errorf("%s = %v, want %s", key, m[key], value)
			}
		}
	})
	t.Run("null labels", func(t *testing.T) {
		for _, key := range []string{"status", "scope", "risk", "impact", "level", "priority",
			"assignee", "due", "created", "modified"} {
			got, err := decodeInto[taskgraph.TaskInput](`{` + base + `,"` + key + `":null}`)
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			round, _ := json.Marshal(got)
			var m map[string]any
			_ = json.Unmarshal(round, &m)
			if v, ok := m[key]; !ok || v != nil {
				t.Errorf("%s: marshalled as %v (present %v), want null", key, v, ok)
			}
		}
	})
	t.Run("labels absent", func(t *testing.T) {
		got, _ := decodeInto[taskgraph.TaskInput](`{` + base + `}`)
		if got.Status.IsSet() || got.Scope.IsSet() || got.Risk.IsSet() || got.Impact.IsSet() ||
			got.Level.IsSet() || got.Priority.IsSet() || got.Tags != nil {
			t.Errorf("optional fields set: %+v", got)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		for _, extra := range []string{`"tags":["a","b"]`, `"assignee":"alice"`,
			`"due":"2026-05-01"`, `"created":"2026-04-20"`, `"modified":"2026-04-25"`} {
			if _, err := decodeInto[taskgraph.TaskInput](`{` + base + `,` + extra + `}`); err != nil {
				t.Errorf("%s: %v", extra, err)
			}
		}
	})
	t.Run("all fields", func(t *testing.T) {
		got, err := decodeInto[taskgraph.TaskInput](`{"id":"task-1","name":"My Task",
			"dependsOn":["task-0"],"status":"in-progress","scope":"narrow","risk":"medium",
			"impact":"component","level":"implementation","priority":"high",
			"tags":["backend","api"],"assignee":"bob","due":"2026-06-01",
			"created":"2026-04-01","modified":"2026-04-27"}`)
		if err != nil {
			t.Fatal(err)
		}
		want := taskgraph.TaskInput{
			ID: "task-1", Name: "My Task", DependsOn: []string{"task-0"},
			Status: taskgraph.Some(taskgraph.StatusInProgress),
			Scope:  taskgraph.Some(taskgraph.ScopeNarrow), Risk: taskgraph.Some(taskgraph.RiskMedium),
			Impact:   taskgraph.Some(taskgraph.ImpactComponent),
			Level:    taskgraph.Some(taskgraph.LevelImplementation),
			Priority: taskgraph.Some(taskgraph.PriorityHigh), Tags: []string{"backend", "api"},
			Assignee: taskgraph.Some("bob"), Due: taskgraph.Some("2026-06-01"),
			Created: taskgraph.Some("2026-04-01"), Modified: taskgraph.Some("2026-04-27"),
		}
		checkEqual(t, "task", got, want)
		round, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeInto[taskgraph.TaskInput](string(round))
		if err != nil {
			t.Fatal(err)
		}
		checkEqual(t, "JSON round trip", again, want)
	})

	errorCases := []struct {
		name, input, field, message string
	}{
		{"unknown status", `{` + base + `,"status":"unknown"}`, "status", "Expected union value"},
		{"invalid scope", `{` + base + `,"scope":"invalid"}`, "scope", "Expected union value"},
		{"bad risk", `{` + base + `,"risk":"bad"}`, "risk", "Expected union value"},
		{"missing id", `{"name":"X","dependsOn":[]}`, "id", "Expected required property"},
		{"missing name", `{"id":"1","dependsOn":[]}`, "name", "Expected required property"},
		{"missing dependsOn", `{"id":"1","name":"X"}`, "dependsOn", "Expected required property"},
		{"numeric id", `{"id":1,"name":"My Task","dependsOn":[]}`, "id", "Expected string"},
		{"numeric name", `{"id":"task-1","name":2,"dependsOn":[]}`, "name", "Expected string"},
		{"dependsOn string", `{"id":"task-1","name":"My Task","dependsOn":"not-array"}`,
			"dependsOn", "Expected array"},
		{"first problem only", `{"id":1,"name":2,"dependsOn":"nope"}`, "id", "Expected string"},
		{"null dependsOn", `{"id":"1","name":"X","dependsOn":null}`, "dependsOn", "Expected array"},
		{"null tags", `{` + base + `,"tags":null}`, "tags", "Expected array"},
		{"number in tags", `{` + base + `,"tags":["a",1]}`, "tags/1", "Expected string"},
		{"not an object", `[1]`, "", "Expected object"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeInto[taskgraph.TaskInput](tc.input)
			e := checkInvalidField(t, err, tc.field)
			if e.Message != tc.message {
				t.Errorf("Message = %q, want %q", e.Message, tc.message)
			}
		})
	}
}

func TestDependencyEdgeDecoding(t *testing.T) {
	got, err := decodeInto[taskgraph.DependencyEdge](`{"from":"task-a","to":"task-b"}`)
	if err != nil || got.From != "task-a" || got.To != "task-b" || got.QualityRetention != nil {
		t.Errorf("base edge = %+v, %v", got, err)
	}
	for _, qr := range []float64{0.9, 0.0, 1.0} {
		got, err := decodeInto[taskgraph.DependencyEdge](
			`{"from":"task-a","to":"task-b","qualityRetention":` + jsonNumber(qr) + `}`)
		if err != nil || got.QualityRetention == nil || *got.QualityRetention != qr {
			t.Errorf("retention %v gave %+v, %v", qr, got, err)
		}
	}
	for _, tc := range []struct{ input, field string }{
		{`{"to":"task-b"}`, "from"},
		{`{"from":"task-a"}`, "to"},
		{`{"from":1,"to":"task-b"}`, "from"},
		{`{"from":"task-a","to":2}`, "to"},
		{`{"from":"task-a","to":"task-b","qualityRetention":"high"}`, "qualityRetention"},
		{`{"from":1,"to":2}`, "from"},
	} {
		_, err := decodeInto[taskgraph.DependencyEdge](tc.input)
		checkInvalidField(t, err, tc.field)
	}
	literal := taskgraph.DependencyEdge{From: "a", To: "b", QualityRetention: ptr(0.8)}
	if *literal.QualityRetention != 0.8 {
		t.Error("edge literal lost its retention")
	}
	if (taskgraph.DependencyEdge{From: "a", To: "b"}).QualityRetention != nil {
		t.Error("edge literal without retention is not nil")
	}
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func checkMarshal(t *testing.T, v any, want string) {
	t.Helper()
	got, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	if string(got) != want {
		t.Errorf("marshal %T = %s, want %s", v, got, want)
	}
}

func TestResultRecordsMarshal(t *testing.T) {
	checkMarshal(t, taskgraph.RiskPathResult{Path: []string{"a", "b", "c"}, TotalRisk: 0.75},
		`{"path":["a","b","c"],"totalRisk":0.75}`)
	empty, err := taskgraph.RiskPath(taskgraph.New())
	if err != nil {
		t.Fatal(err)
	}
	checkMarshal(t, empty, `{"path":[],"totalRisk":0}`)
	checkMarshal(t, taskgraph.DecomposeResult{ShouldDecompose: true,
		Reasons: []string{"high risk", "broad scope"}},
		`{"shouldDecompose":true,"reasons":["high risk","broad scope"]}`)
	checkMarshal(t, taskgraph.ShouldDecomposeTask(taskgraph.NodeAttrs{Name: "x"}),
		`{"shouldDecompose":false,"reasons":[]}`)

	entry := taskgraph.WorkflowCostEntry{TaskID: "task-1", Name: "My Task", EV: 3.5,
		PIntrinsic: 0.8, PEffective: 0.75, Probability: 0.75, ScopeCost: 2.0, ImpactWeight: 1.5}
	const entryJSON = `{"taskId":"task-1","name":"My Task","ev":3.5,"pIntrinsic":0.8,` +
		`"pEffective":0.75,"probability":0.75,"scopeCost":2,"impactWeight":1.5}`
	for _, mode := range []taskgraph.PropagationMode{taskgraph.PropagationIndependent,
		taskgraph.PropagationDAG} {
		checkMarshal(t, taskgraph.WorkflowCostResult{Tasks: []taskgraph.WorkflowCostEntry{entry},
			TotalEV: 3.5, AverageEV: 3.5, PropagationMode: mode},
			`{"tasks":[`+entryJSON+`],"totalEv":3.5,"averageEv":3.5,"propagationMode":"`+
				string(mode)+`"}`)
	}
	emptyCost, err := taskgraph.WorkflowCost(taskgraph.New(), taskgraph.WorkflowCostOptions{
		PropagationMode: taskgraph.PropagationIndependent})
	if err != nil {
		t.Fatal(err)
	}
	checkMarshal(t, emptyCost,
		`{"tasks":[],"totalEv":0,"averageEv":0,"propagationMode":"independent"}`)

	checkMarshal(t, taskgraph.EVResult{EV: 3.5, PSuccess: 0.8, ExpectedRetries: 1.2},
		`{"ev":3.5,"pSuccess":0.8,"expectedRetries":1.2}`)
	checkMarshal(t, taskgraph.RiskDistribution{Trivial: []string{"t1"},
		Low: []string{"t2", "t3"}, Medium: []string{}, High: []string{"t4"},
		Critical: []string{}, Unspecified: []string{"t5"}},
		`{"trivial":["t1"],"low":["t2","t3"],"medium":[],"high":["t4"],"critical":[],`+
			`"unspecified":["t5"]}`)
	checkMarshal(t, taskgraph.RiskDistributionOf(taskgraph.New()),
		`{"trivial":[],"low":[],"medium":[],"high":[],"critical":[],"unspecified":[]}`)
	checkMarshal(t, taskgraph.BottleneckResult{TaskID: "a", Score: 0.5},
		`{"taskId":"a","score":0.5}`)
}

func TestOptionRecordsDecoding(t *testing.T) {
	opts, err := decodeInto[taskgraph.WorkflowCostOptions](`{}`)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "empty options", opts, taskgraph.WorkflowCostOptions{})

	opts, err = decodeInto[taskgraph.WorkflowCostOptions](`{"includeCompleted":true,
		"limit":10,"propagationMode":"independent","defaultQualityRetention":0.9}`)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "full options", opts, taskgraph.WorkflowCostOptions{IncludeCompleted: true,
		Limit: ptr(10), PropagationMode: taskgraph.PropagationIndependent,
		DefaultQualityRetention: ptr(0.9)})

	opts, err = decodeInto[taskgraph.WorkflowCostOptions](`{"propagationMode":"dag-propagate",
		"ev":{"fallbackCost":10}}`)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "mode and EV", opts, taskgraph.WorkflowCostOptions{
		PropagationMode: taskgraph.PropagationDAG, EV: &taskgraph.EVConfig{FallbackCost: 10}})

	for _, tc := range []struct{ input, field string }{
		{`{"propagationMode":"invalid"}`, "propagationMode"},
		{`{"includeCompleted":"yes"}`, "includeCompleted"},
		{`{"limit":"ten"}`, "limit"},
		{`{"limit":2.5}`, "limit"},
		{`{"defaultQualityRetention":"high"}`, "defaultQualityRetention"},
		{`{"ev":{"retries":"three"}}`, "ev/retries"},
	} {
		_, err := decodeInto[taskgraph.WorkflowCostOptions](tc.input)
		checkInvalidField(t, err, tc.field)
	}

	cfg, err := decodeInto[taskgraph.EVConfig](`{}`)
	if err != nil || cfg != (taskgraph.EVConfig{}) {
		t.Errorf("empty EVConfig = %+v, %v", cfg, err)
	}
	cfg, err = decodeInto[taskgraph.EVConfig](
		`{"retries":3,"fallbackCost":10,"timeLost":5,"valueRate":0.5}`)
	if err != nil || cfg != (taskgraph.EVConfig{Retries: 3, FallbackCost: 10, TimeLost: 5,
		ValueRate: 0.5}) {
		t.Errorf("full EVConfig = %+v, %v", cfg, err)
	}
	for _, tc := range []struct{ input, field string }{
		{`{"retries":"three"}`, "retries"},
		{`{"fallbackCost":true}`, "fallbackCost"},
	} {
		_, err := decodeInto[taskgraph.EVConfig](tc.input)
		checkInvalidField(t, err, tc.field)
	}
	if _, err := decodeInto[taskgraph.EVConfig](`{"unknownField":42}`); err != nil {
		t.Errorf("unknown key rejected: %v", err)
	}
}

func TestGraphRecordsDecoding(t *testing.T) {
	attrs, err := decodeInto[taskgraph.NodeAttrs](`{"name":"my-task"}`)
	if err != nil || attrs != (taskgraph.NodeAttrs{Name: "my-task"}) {
		t.Errorf("name only = %+v, %v", attrs, err)
	}
	attrs, err = decodeInto[taskgraph.NodeAttrs](`{"name":"t","scope":"narrow","risk":"high",
		"impact":"component","level":"implementation","priority":"critical",
		"status":"in-progress"}`)
	want := taskgraph.NodeAttrs{Name: "t", Scope: "narrow", Risk: "high", Impact: "component",
		Level: "implementation", Priority: "critical", Status: "in-progress"}
	if err != nil || attrs != want {
		t.Errorf("all labels = %+v, %v", attrs, err)
	}
	attrs, err = decodeInto[taskgraph.NodeAttrs](
		`{"name":"t","tags":["x"],"assignee":"a","due":"d"}`)
	if err != nil || attrs != (taskgraph.NodeAttrs{Name: "t"}) {
		t.Errorf("extra keys = %+v, %v", attrs, err)
	}
	for _, tc := range []struct{ input, field string }{
		{`{"scope":"narrow"}`, "name"},
		{`{"name":"t","scope":"invalid"}`, "scope"},
		{`{"name":"t","risk":"unknown"}`, "risk"},
		{`{"name":"t","status":"done"}`, "status"},
		{`{"name":"t","risk":null}`, "risk"},
		{`null`, ""},
		{`"string"`, ""},
		{`42`, ""},
	} {
		_, err := decodeInto[taskgraph.NodeAttrs](tc.input)
		checkInvalidField(t, err, tc.field)
	}

	for _, input := range []string{`{}`, `{"name":"t"}`, `{"risk":"low","status":"pending"}`} {
		if _, err := decodeInto[taskgraph.NodePatch](input); err != nil {
			t.Errorf("patch %s: %v", input, err)
		}
	}
	patch, _ := decodeInto[taskgraph.NodePatch](`{"risk":"low"}`)
	if patch.Risk == nil || *patch.Risk != taskgraph.RiskLow || patch.Name != nil ||
		patch.Scope != nil {
		t.Errorf("patch = %+v, want only risk low", patch)
	}
	_, err = decodeInto[taskgraph.NodePatch](`{"risk":"invalid"}`)
	checkInvalidField(t, err, "risk")

	edge, err := decodeInto[taskgraph.EdgeAttrs](`{}`)
	if err != nil || edge.QualityRetention != nil {
		t.Errorf("empty edge attributes = %+v, %v", edge, err)
	}
	for _, qr := range []string{"0.9", "0.0", "1.0"} {
		if _, err := decodeInto[taskgraph.EdgeAttrs](`{"qualityRetention":` + qr + `}`); err != nil {
			t.Errorf("retention %s: %v", qr, err)
		}
	}
	for _, bad := range []string{`"high"`, `null`, `true`} {
		_, err := decodeInto[taskgraph.EdgeAttrs](`{"qualityRetention":` + bad + `}`)
		checkInvalidField(t, err, "qualityRetention")
	}
}

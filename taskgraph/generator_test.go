package taskgraph_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
	"github.com/alkdev/alkhub/taskgraph/internal/taskgen"
)

func generatedGraph(t testing.TB, n int) *taskgraph.TaskGraph {
	t.Helper()
	g, err := taskgraph.FromTasks(taskgen.Generate(n, 42))
	if err != nil {
		t.Fatalf("FromTasks: %v", err)
	}
	return g
}

type generatedTask struct {
	scope  taskgraph.Scope
	risk   taskgraph.Risk
	impact taskgraph.Impact
	status taskgraph.Status
	deps   []string
}

func checkGeneratedTask(t *testing.T, got taskgraph.TaskInput, want generatedTask) {
	t.Helper()
	checkEqual(t, got.ID+" labels", []string{string(got.Scope.Value()), string(got.Risk.Value()),
		string(got.Impact.Value()), string(got.Status.Value())}, []string{string(want.scope),
		string(want.risk), string(want.impact), string(want.status)})
	checkEqual(t, got.ID+" dependencies", got.DependsOn, want.deps)
}

func dependencyNumberSum(t *testing.T, tasks []taskgraph.TaskInput) int {
	t.Helper()
	sum := 0
	for _, task := range tasks {
		for _, dep := range task.DependsOn {
			n, err := strconv.Atoi(dep[1:])
			if err != nil {
				t.Fatalf("dependency id %q: %v", dep, err)
			}
			sum += n
		}
	}
	return sum
}

func TestGeneratorTasks(t *testing.T) {
	tasks := taskgen.Generate(10000, 42)
	if len(tasks) != 10000 {
		t.Fatalf("generated %d tasks", len(tasks))
	}
	completed := 0
	scopes := map[taskgraph.Scope]int{}
	for _, task := range tasks {
		if task.Status.Value() == taskgraph.StatusCompleted {
			completed++
		}
		scopes[task.Scope.Value()]++
	}
	if completed != 1023 {
		t.Errorf("completed = %d, want 1023", completed)
	}
	checkEqual(t, "scope counts", scopes, map[taskgraph.Scope]int{"single": 1954, "narrow": 1984,
		"moderate": 1987, "broad": 2019, "system": 2056})
	if sum := dependencyNumberSum(t, tasks); sum != 130499000 {
		t.Errorf("dependency number sum = %d, want 130499000", sum)
	}

	checkEqual(t, "first name", tasks[42].Name, "Generated task 42")
	first := []generatedTask{
		{"broad", "low", "phase", "pending", []string{}},
		{"single", "medium", "component", "pending", []string{"t00000"}},
		{"moderate", "low", "phase", "pending", []string{"t00000", "t00001"}},
		{"moderate", "low", "component", "pending", []string{"t00000", "t00001", "t00002"}},
		{"narrow", "medium", "component", "pending", []string{"t00000", "t00002", "t00001"}},
		{"broad", "trivial", "phase", "pending", []string{"t00004", "t00001", "t00002"}},
	}
	for i, want := range first {
		checkGeneratedTask(t, tasks[i], want)
	}
	checkGeneratedTask(t, tasks[9999], generatedTask{"system", "high", "phase", "completed",
		[]string{"t09958", "t08985", "t00148"}})

	g := generatedGraph(t, 10000)
	checkCounts(t, g, 10000, 29994)
}

func TestGeneratorAnalyses(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("analyses of 10,000 tasks skipped in short mode and under the race detector")
	}
	g := generatedGraph(t, 10000)

	order, err := g.TopologicalOrder()
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "order start", order[:5], []string{"t00000", "t00001", "t00002", "t00003",
		"t00004"})
	checkEqual(t, "order end", order[len(order)-1], "t09995")

	groups, err := taskgraph.ParallelGroups(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 911 {
		t.Errorf("%d groups, want 911", len(groups))
	}
	largest := 0
	for _, group := range groups {
		largest = max(largest, len(group))
	}
	if largest != 21 {
		t.Errorf("largest group has %d ids, want 21", largest)
	}
	checkEqual(t, "first groups", groups[:2], [][]string{{"t00000"}, {"t00001"}})
	checkEqual(t, "last group", groups[len(groups)-1], []string{"t09995"})

	path, err := taskgraph.CriticalPath(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(path) != 911 {
		t.Errorf("critical path has %d ids, want 911", len(path))
	}
	checkEqual(t, "critical path start", path[:5], []string{"t00000", "t00001", "t00002",
		"t00004", "t00005"})
	checkEqual(t, "critical path end", path[len(path)-3:], []string{"t09986", "t09993",
		"t09995"})

	risk, err := taskgraph.RiskPath(g)
	if err != nil {
		t.Fatal(err)
	}
	if len(risk.Path) != 763 {
		t.Errorf("risk path has %d ids, want 763", len(risk.Path))
	}
	checkEqual(t, "risk path start", risk.Path[:3], []string{"t00000", "t00001", "t00002"})
	checkEqual(t, "risk path end", risk.Path[len(risk.Path)-3:], []string{"t09984", "t09988",
		"t09995"})
	checkNear(t, "total risk", risk.TotalRisk, 482.69000000000017)

	cost := workflowCost(t, g, taskgraph.WorkflowCostOptions{})
	if len(cost.Tasks) != 8977 {
		t.Errorf("%d cost entries, want 8977", len(cost.Tasks))
	}
	checkNear(t, "total EV", cost.TotalEV, 50800.5)
	checkNear(t, "average EV", cost.AverageEV, 5.658961791244291)

	checkBottlenecks(t, taskgraph.Bottlenecks(g)[:3], []taskgraph.BottleneckResult{
		{TaskID: "t08169", Score: 0.0020321677063288575},
		{TaskID: "t05647", Score: 0.0019421718343068392},
		{TaskID: "t07948", Score: 0.0016323200828860037},
	})
}

func TestGeneratorSmallGraph(t *testing.T) {
	tasks := taskgen.Generate(1000, 42)
	completed := 0
	for _, task := range tasks {
		if task.Status.Value() == taskgraph.StatusCompleted {
			completed++
		}
	}
	if completed != 94 {
		t.Errorf("completed = %d, want 94", completed)
	}
	checkGeneratedTask(t, tasks[42], generatedTask{"single", "critical", "component", "pending",
		[]string{"t00011", "t00012", "t00030"}})
	checkGeneratedTask(t, tasks[999], generatedTask{"moderate", "critical", "isolated",
		"pending", []string{"t00163", "t00716", "t00964"}})
	if sum := dependencyNumberSum(t, tasks); sum != 1251514 {
		t.Errorf("dependency number sum = %d, want 1251514", sum)
	}

	g := generatedGraph(t, 1000)
	checkCounts(t, g, 1000, 2994)
	order, _ := g.TopologicalOrder()
	checkEqual(t, "order end", order[len(order)-1], "t00998")
	groups, _ := taskgraph.ParallelGroups(g)
	if len(groups) != 100 {
		t.Errorf("%d groups, want 100", len(groups))
	}
	path, _ := taskgraph.CriticalPath(g)
	if len(path) != 100 || path[len(path)-1] != "t00989" {
		t.Errorf("critical path has %d ids ending %s, want 100 ending t00989", len(path),
			path[len(path)-1])
	}
	cost := workflowCost(t, g, taskgraph.WorkflowCostOptions{})
	if len(cost.Tasks) != 906 {
		t.Errorf("%d cost entries, want 906", len(cost.Tasks))
	}
	checkNear(t, "total EV", cost.TotalEV, 5264.0)
	checkNear(t, "average EV", cost.AverageEV, 5.810154525386314)
	checkBottlenecks(t, taskgraph.Bottlenecks(g)[:3], []taskgraph.BottleneckResult{
		{TaskID: "t00825", Score: 0.009561221644355142},
		{TaskID: "t00400", Score: 0.00836915174410254},
		{TaskID: "t00514", Score: 0.008002722464240997},
	})
}

func TestGeneratorDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := taskgen.WriteDir(dir, 1000, 42); err != nil {
		t.Fatal(err)
	}
	parsed, err := taskgraph.ParseTaskDirectory(dir, taskgraph.Strict())
	if err != nil {
		t.Fatal(err)
	}
	want := taskgen.Generate(1000, 42)
	for i := range want {
		want[i].Tags = []string{"bench", "generated"}
	}
	checkEqual(t, "parsed tasks", parsed, want)
	g, err := taskgraph.FromTasks(parsed)
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, g, 1000, 2994)
	if !slices.IsSortedFunc(parsed, func(a, b taskgraph.TaskInput) int {
		return strings.Compare(a.ID, b.ID)
	}) {
		t.Error("tasks not in id order")
	}

	content, err := os.ReadFile(filepath.Join(dir, "d0", "t00042.md"))
	if err != nil {
		t.Fatal(err)
	}
	wantContent := "---\nid: t00042\nname: Generated task 42\nstatus: pending\n" +
		"scope: single\nrisk: critical\nimpact: component\ndepends_on:\n  - t00011\n" +
		"  - t00012\n  - t00030\ntags:\n  - bench\n  - generated\n---\n" +
		"# Generated task 42\n\n" +
		strings.Repeat("This file belongs to the taskgraph parsing benchmark.\n", 20)
	checkEqual(t, "file content", string(content), wantContent)

	root, err := os.ReadFile(filepath.Join(dir, "d0", "t00000.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(root), "\ndepends_on: []\n") {
		t.Errorf("root task file lacks depends_on: []:\n%s", root)
	}
	readme, err := os.ReadFile(filepath.Join(dir, "d9", "README.txt"))
	if err != nil || string(readme) != "not a task\n" {
		t.Errorf("README.txt = %q, %v", readme, err)
	}
}

package taskgraph_test

import (
	"fmt"

	"github.com/alkdev/alkhub/taskgraph"
)

func Example() {
	doc := "---\nid: impl\nname: Implementation\ndepends_on: [design]\nrisk: high\n---\n"
	impl, err := taskgraph.ParseFrontmatter(doc)
	if err != nil {
		fmt.Println(err)
		return
	}
	design := taskgraph.TaskInput{ID: "design", Name: "Design"}
	review := taskgraph.TaskInput{ID: "review", Name: "Review", DependsOn: []string{"impl"}}

	g, err := taskgraph.FromTasks([]taskgraph.TaskInput{design, impl, review})
	if err != nil {
		fmt.Println(err)
		return
	}
	path, _ := taskgraph.CriticalPath(g)
	fmt.Println("critical path:", path)

	cost, _ := taskgraph.WorkflowCost(g, taskgraph.WorkflowCostOptions{})
	for _, e := range cost.Tasks {
		fmt.Printf("%s: p=%.3f ev=%.1f\n", e.TaskID, e.PEffective, e.EV)
	}
	attrs, _ := g.Task("impl")
	fmt.Println(taskgraph.ShouldDecomposeTask(attrs).Reasons)
	// Output:
	// critical path: [design impl review]
	// design: p=0.800 ev=2.0
	// impl: p=0.637 ev=2.0
	// review: p=0.771 ev=2.0
	// [risk: high — failure probability 0.35]
}

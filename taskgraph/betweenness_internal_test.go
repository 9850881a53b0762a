package taskgraph

import (
	"fmt"
	"testing"
)

// layeredGraph returns a graph of width*depth tasks in which every task
// depends on two tasks of the layer before it.
func layeredGraph(t *testing.T, width, depth int) *TaskGraph {
	t.Helper()
	var tasks []TaskInput
	id := func(layer, i int) string { return fmt.Sprintf("n%d-%d", layer, i) }
	for layer := range depth {
		for i := range width {
			task := TaskInput{ID: id(layer, i), Name: id(layer, i)}
			if layer > 0 {
				task.DependsOn = []string{id(layer-1, i), id(layer-1, (i*7+3)%width)}
			}
			tasks = append(tasks, task)
		}
	}
	g, err := FromTasks(tasks)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestBetweennessWorkersAgree(t *testing.T) {
	g := layeredGraph(t, 40, 15)
	want := g.betweenness(1)
	for _, workers := range []int{2, 3, 8} {
		got := g.betweenness(workers)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d workers: score of %s = %v, want exactly %v", workers, g.ids[i],
					got[i], want[i])
			}
		}
	}
}

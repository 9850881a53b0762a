package taskgraph_test

import (
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
	"github.com/alkdev/alkhub/taskgraph/internal/taskgen"
)

// The benchmarks run on the generated graph of 10,000 tasks and 29,994
// edges (seed 42) and on a directory of 1,000 generated task files.

const (
	benchTasks = 10000
	benchFiles = 1000
	benchSeed  = 42
)

func BenchmarkFromTasks10k(b *testing.B) {
	tasks := taskgen.Generate(benchTasks, benchSeed)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := taskgraph.FromTasks(tasks); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTopologicalOrder10k(b *testing.B) {
	g := generatedGraph(b, benchTasks)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := g.TopologicalOrder(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCriticalPath10k(b *testing.B) {
	g := generatedGraph(b, benchTasks)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := taskgraph.CriticalPath(g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParallelGroups10k(b *testing.B) {
	g := generatedGraph(b, benchTasks)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := taskgraph.ParallelGroups(g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBottlenecks10k(b *testing.B) {
	g := generatedGraph(b, benchTasks)
	b.ReportAllocs()
	for b.Loop() {
		taskgraph.Bottlenecks(g)
	}
}

func BenchmarkWorkflowCost10k(b *testing.B) {
	g := generatedGraph(b, benchTasks)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := taskgraph.WorkflowCost(g, taskgraph.WorkflowCostOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTaskDirectory1k(b *testing.B) {
	dir := b.TempDir()
	if err := taskgen.WriteDir(dir, benchFiles, benchSeed); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		tasks, err := taskgraph.ParseTaskDirectory(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(tasks) != benchFiles {
			b.Fatalf("parsed %d tasks, want %d", len(tasks), benchFiles)
		}
	}
}

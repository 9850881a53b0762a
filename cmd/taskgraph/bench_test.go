package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// writeBenchProject writes n task files into dir: ten subdirectories, each
// task with up to three prerequisites among the earlier tasks, labels
// cycling through every value and one task in ten completed. The numbers
// come from a fixed linear congruential sequence, so every run writes the
// same project.
func writeBenchProject(tb testing.TB, dir string, n int) {
	tb.Helper()
	scopes := []string{"single", "narrow", "moderate", "broad", "system"}
	risks := []string{"trivial", "low", "medium", "high", "critical"}
	impacts := []string{"isolated", "component", "phase", "project"}
	state := uint64(42)
	next := func(bound int) int {
		state = state*6364136223846793005 + 1442695040888963407
		return int((state >> 33) % uint64(bound))
	}

	for i := range n {
		var b strings.Builder
		fmt.Fprintf(&b, "---\nid: t%05d\nname: Task %d\n", i, i)
		status := "pending"
		if next(10) == 0 {
			status = "completed"
		}
		fmt.Fprintf(&b, "status: %s\nscope: %s\nrisk: %s\nimpact: %s\n",
			status, scopes[next(len(scopes))], risks[next(len(risks))], impacts[next(len(impacts))])
		b.WriteString("depends_on:")
		if i == 0 {
			b.WriteString(" []")
		}
		b.WriteString("\n")
		for range min(i, 3) {
			fmt.Fprintf(&b, "  - t%05d\n", i-1-next(min(i, 50)))
		}
		b.WriteString("tags: [bench]\n---\n\n# Task body\n\nGenerated for the CLI benchmarks.\n")
		writeTaskFile(tb, dir, filepath.Join(fmt.Sprintf("d%d", i%10), fmt.Sprintf("t%05d.md", i)),
			b.String())
	}
}

func BenchmarkLoadProject1k(b *testing.B) {
	dir := b.TempDir()
	writeBenchProject(b, dir, 1000)
	b.ReportAllocs()
	for b.Loop() {
		p, err := readProject(dir)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.tasks) != 1000 {
			b.Fatalf("loaded %d tasks, want 1000", len(p.tasks))
		}
	}
}

// BenchmarkCommand1k runs whole commands, loading included, over a project
// of 1,000 task files.
func BenchmarkCommand1k(b *testing.B) {
	dir := b.TempDir()
	writeBenchProject(b, dir, 1000)
	commands := [][]string{
		{"list"}, {"validate"}, {"topo"}, {"parallel"}, {"critical"}, {"bottleneck"},
		{"risk-path"}, {"workflow-cost"}, {"graph"}, {"-f", "json", "graph"},
	}
	for _, args := range commands {
		b.Run(strings.Join(args, " "), func(b *testing.B) {
			c := &cli{stdout: io.Discard, stderr: io.Discard, now: fixedNow}
			full := append([]string{"-p", dir}, args...)
			b.ReportAllocs()
			for b.Loop() {
				if code := c.run(full); code != exitOK {
					b.Fatalf("exit code %d", code)
				}
			}
		})
	}
}

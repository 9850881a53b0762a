// Package taskgen generates deterministic task sets for the benchmarks and
// scale tests of package taskgraph: the same n and seed always give the
// same tasks, on every platform.
package taskgen

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// splitMix64 is the SplitMix64 generator; all arithmetic wraps modulo 2^64.
type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	z := r.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// ID returns the id of generated task i: "t" and i as five digits.
func ID(i int) string { return fmt.Sprintf("t%05d", i) }

// Generate returns n tasks named "Generated task <i>" with random labels
// and up to three prerequisites among the earlier tasks, so the graph is
// acyclic. Each task draws, in this order: scope, risk, impact, status
// (completed with probability 1/10, else pending), then prerequisites until
// it has min(i, 3) distinct ones. A prerequisite is a uniformly chosen
// earlier task with probability 1/4 and otherwise one of the 50 tasks
// before it. Ten thousand tasks give 29,994 edges.
func Generate(n int, seed uint64) []taskgraph.TaskInput {
	rng := splitMix64{state: seed}
	scopes := taskgraph.Scopes()
	risks := taskgraph.Risks()
	impacts := taskgraph.Impacts()

	tasks := make([]taskgraph.TaskInput, n)
	for i := range n {
		t := taskgraph.TaskInput{ID: ID(i), Name: fmt.Sprintf("Generated task %d", i)}
		t.Scope = taskgraph.Some(scopes[rng.next()%uint64(len(scopes))])
		t.Risk = taskgraph.Some(risks[rng.next()%uint64(len(risks))])
		t.Impact = taskgraph.Some(impacts[rng.next()%uint64(len(impacts))])
		status := taskgraph.StatusPending
		if rng.next()%10 == 0 {
			status = taskgraph.StatusCompleted
		}
		t.Status = taskgraph.Some(status)

		want := min(i, 3)
		parents := make([]int, 0, want)
		for len(parents) < want {
			var p int
			if rng.next()%4 == 0 {
				p = int(rng.next() % uint64(i))
			} else {
				p = i - 1 - int(rng.next()%uint64(min(i, 50)))
			}
			if !slices.Contains(parents, p) {
				parents = append(parents, p)
			}
		}
		t.DependsOn = make([]string, len(parents))
		for k, p := range parents {
			t.DependsOn[k] = ID(p)
		}
		tasks[i] = t
	}
	return tasks
}

// benchmarkBodyLine is repeated in the body of every file WriteDir writes.
const benchmarkBodyLine = "This file belongs to the taskgraph parsing benchmark.\n"

// WriteDir writes the first n tasks of Generate(n, seed) below dir, task i
// as d<i/100>/t<i:05d>.md, plus a README.txt of one line in each
// subdirectory. Every file has the frontmatter keys id, name, status,
// scope, risk, impact, depends_on and tags (bench, generated), a heading
// and 20 lines of body text.
func WriteDir(dir string, n int, seed uint64) error {
	for i, t := range Generate(n, seed) {
		sub := filepath.Join(dir, fmt.Sprintf("d%d", i/100))
		if i%100 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return fmt.Errorf("creating %s: %w", sub, err)
			}
			readme := filepath.Join(sub, "README.txt")
			if err := os.WriteFile(readme, []byte("not a task\n"), 0o644); err != nil {
				return fmt.Errorf("writing %s: %w", readme, err)
			}
		}
		path := filepath.Join(sub, t.ID+".md")
		if err := os.WriteFile(path, []byte(fileContent(t)), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

func fileContent(t taskgraph.TaskInput) string {
	var b strings.Builder
	fmt.Fprintf(&b, "---\nid: %s\nname: %s\nstatus: %s\nscope: %s\nrisk: %s\nimpact: %s\n",
		t.ID, t.Name, t.Status.Value(), t.Scope.Value(), t.Risk.Value(), t.Impact.Value())
	if len(t.DependsOn) == 0 {
		b.WriteString("depends_on: []\n")
	} else {
		b.WriteString("depends_on:\n")
		for _, dep := range t.DependsOn {
			fmt.Fprintf(&b, "  - %s\n", dep)
		}
	}
	b.WriteString("tags:\n  - bench\n  - generated\n---\n")
	fmt.Fprintf(&b, "# %s\n\n", t.Name)
	b.WriteString(strings.Repeat(benchmarkBodyLine, 20))
	return b.String()
}

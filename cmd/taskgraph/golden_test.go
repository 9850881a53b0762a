package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenCase is one command line whose complete result is pinned by the
// file testdata/golden/<name>.txt.
type goldenCase struct {
	name string
	args []string
}

// projectCommands returns the command lines run over the sample project,
// each in plain and in JSON output.
func projectCommands() []goldenCase {
	return []goldenCase{
		{"list", []string{"list"}},
		{"list-pending", []string{"list", "--status", "pending"}},
		{"list-tag-backend", []string{"list", "-t", "backend"}},
		{"show-shortener-api", []string{"show", "shortener-api"}},
		{"show-api-docs", []string{"show", "api-docs"}},
		{"show-security-review", []string{"show", "security-review"}},
		{"deps-release", []string{"deps", "release"}},
		{"deps-ci-pipeline", []string{"deps", "ci-pipeline"}},
		{"dependents-auth", []string{"dependents", "auth"}},
		{"dependents-release", []string{"dependents", "release"}},
		{"topo", []string{"topo"}},
		{"topo-completed", []string{"topo", "-s", "completed"}},
		{"cycles", []string{"cycles"}},
		{"parallel", []string{"parallel"}},
		{"critical", []string{"critical"}},
		{"bottleneck", []string{"bottleneck"}},
		{"bottleneck-all", []string{"bottleneck", "-l", "0"}},
		{"risk", []string{"risk"}},
		{"decompose", []string{"decompose"}},
		{"workflow-cost", []string{"workflow-cost"}},
		{"workflow-cost-completed-limit", []string{"workflow-cost", "--include-completed", "-l", "5"}},
		{"workflow-cost-independent", []string{"workflow-cost", "--mode", "independent"}},
		{"workflow-cost-retention", []string{"workflow-cost", "--quality-retention", "0.5"}},
		{"workflow-cost-legacy", []string{"workflow-cost", "--model", "legacy", "-l", "0"}},
		{"risk-path", []string{"risk-path"}},
		{"graph", []string{"graph"}},
		{"validate", []string{"validate", "--strict"}},
	}
}

// goldenCases returns every pinned command line.
func goldenCases() []goldenCase {
	var cases []goldenCase
	for _, c := range projectCommands() {
		args := append([]string{"-p", fxProject}, c.args...)
		cases = append(cases,
			goldenCase{"project/" + c.name, args},
			goldenCase{"project/" + c.name + ".json", append([]string{"-f", "json"}, args...)})
	}
	for _, c := range []goldenCase{
		{"validate", []string{"validate"}},
		{"validate-strict", []string{"validate", "--strict"}},
		{"list", []string{"list"}},
		{"cycles", []string{"cycles"}},
		{"topo", []string{"topo"}},
		{"deps-needs-ghost", []string{"deps", "needs-ghost"}},
	} {
		args := append([]string{"-p", fxMalformed}, c.args...)
		cases = append(cases,
			goldenCase{"malformed/" + c.name, args},
			goldenCase{"malformed/" + c.name + ".json", append([]string{"-f", "json"}, args...)})
	}
	return append(cases,
		goldenCase{"help/root", []string{"--help"}},
		goldenCase{"help/init", []string{"help", "init"}},
		goldenCase{"help/workflow-cost", []string{"workflow-cost", "-h"}},
		goldenCase{"completions/bash", []string{"completions", "bash"}},
		goldenCase{"completions/zsh", []string{"completions", "zsh"}},
		goldenCase{"completions/fish", []string{"completions", "fish"}},
	)
}

// renderResult formats a run as the golden file stores it.
func renderResult(args []string, r result) string {
	quoted := make([]string, len(args))
	for i, arg := range args {
		quoted[i] = arg
		if arg == "" || strings.ContainsAny(arg, " \t\n\"'\\") {
			quoted[i] = strconv.Quote(arg)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "$ taskgraph %s\n", strings.Join(quoted, " "))
	fmt.Fprintf(&b, "exit %d\n", r.code)
	fmt.Fprintf(&b, "-- stdout --\n%s", r.stdout)
	fmt.Fprintf(&b, "-- stderr --\n%s", r.stderr)
	return b.String()
}

// TestGolden pins the complete output of every command over the sample
// project and the malformed folder. Run go test -update to rewrite the
// files, then review the diff.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, gc := range goldenCases() {
		t.Run(gc.name, func(t *testing.T) {
			t.Parallel()
			got := renderResult(gc.args, runCLI(t, gc.args...))
			path := filepath.Join("testdata", "golden", gc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run go test -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (run go test -update and review the diff)\n"+
					"got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestGoldenFilesUsed fails when a golden file no longer belongs to a case,
// so renamed cases do not leave stale files behind.
func TestGoldenFilesUsed(t *testing.T) {
	t.Parallel()
	used := map[string]bool{}
	for _, gc := range goldenCases() {
		used[filepath.Join("testdata", "golden", gc.name+".txt")] = true
	}
	err := filepath.WalkDir(filepath.Join("testdata", "golden"),
		func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !used[path] {
				t.Errorf("golden file %s belongs to no case", path)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
}

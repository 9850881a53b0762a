package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Fixture directories, relative to the package directory where go test runs.
const (
	fxTasks     = "testdata/cases/tasks"
	fxInvalid   = "testdata/cases/invalid"
	fxCycles    = "testdata/cases/cycles"
	fxDecompose = "testdata/cases/decompose"
	fxRisk      = "testdata/cases/risk"
	fxLoadError = "testdata/cases/load-errors"
	fxSelf      = "testdata/cases/self"
	fxNoStatus  = "testdata/cases/no-status"
	fxQuote     = "testdata/cases/quote"
	fxProject   = "testdata/project"
	fxMalformed = "testdata/malformed"
)

// fixedNow is the clock of in-process runs, so init writes stable files.
func fixedNow() time.Time { return time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC) }

// result is what one CLI run produced.
type result struct {
	code   int
	stdout string
	stderr string
}

// runCLI runs the CLI in-process with a fixed clock.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := &cli{stdout: &stdout, stderr: &stderr, now: fixedNow}
	code := c.run(args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// lines joins lines with a newline after each, as plain output ends.
func lines(ls ...string) string {
	return strings.Join(ls, "\n") + "\n"
}

// wantRun checks the exit code, stdout and stderr of a run.
func wantRun(t *testing.T, got result, code int, stdout, stderr string) {
	t.Helper()
	if got.code != code {
		t.Errorf("exit code = %d, want %d (stderr %q)", got.code, code, got.stderr)
	}
	if got.stdout != stdout {
		t.Errorf("stdout:\n%s\nwant:\n%s", got.stdout, stdout)
	}
	if got.stderr != stderr {
		t.Errorf("stderr = %q, want %q", got.stderr, stderr)
	}
}

// writeTaskFile writes a file below dir, creating parent directories.
func writeTaskFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

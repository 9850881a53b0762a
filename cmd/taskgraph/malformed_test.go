package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestMalformedFilesNamed checks that validate names the file and the field
// of every broken task file, and that --strict turns the report into a
// failure.
func TestMalformedFilesNamed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		file string
		want string
	}{
		{"bad YAML", "bad-yaml.md", "YAML parse error: "},
		{"duplicate YAML key", "dup-key.md", `YAML parse error: line 3: mapping key "name" already defined`},
		{"wrong enum", "wrong-enum.md", `Invalid input for field "risk": Expected union value`},
		{"missing id", "missing-id.md", `Invalid input for field "id": Expected required property`},
		{"numeric id", "numeric-id.md", `Invalid input for field "id": Expected string`},
		{"duplicate id", "duplicate-b.md", "Duplicate task ID: twice"},
		{"self dependency", "self.md",
			`Invalid input for field "dependsOn": task cannot depend on itself: selfish`},
	}
	report := runCLI(t, "-p", fxMalformed, "validate")
	if report.code != exitOK {
		t.Errorf("validate exit code = %d, want 0 without --strict", report.code)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			line := "  - " + filepath.Join(fxMalformed, tt.file) + ": " + tt.want
			if !strings.Contains(report.stdout, line) {
				t.Errorf("validate report lacks %q:\n%s", line, report.stdout)
			}
		})
	}
	if !strings.Contains(report.stdout, "\nMissing dependencies:\n  - needs-ghost depends on missing: ghost\n") {
		t.Errorf("validate report lacks the missing dependency:\n%s", report.stdout)
	}
	if !strings.Contains(report.stdout, "\nCycles:\n  - cycle-a → cycle-b\n") {
		t.Errorf("validate report lacks the cycle:\n%s", report.stdout)
	}
	if !strings.HasPrefix(report.stdout, "✗ Found 9 issue(s)\n") {
		t.Errorf("validate report does not count 7 load errors, 1 missing dependency and 1 cycle:\n%s",
			report.stdout)
	}

	strict := runCLI(t, "-p", fxMalformed, "validate", "--strict")
	wantRun(t, strict, exitFailure, report.stdout, "Error: Validation failed with 9 issues\n")
}

// TestMalformedSingleFile runs validate --strict on folders that each hold
// one kind of breakage next to a valid task.
func TestMalformedSingleFile(t *testing.T) {
	t.Parallel()
	good := "---\nid: good\nname: Good\n---\n"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"bad YAML", "---\nid: [unclosed\nname: X\n---\n", "broken.md: YAML parse error: "},
		{"tab indentation", "---\nid: x\n\tname: X\n---\n", "broken.md: YAML parse error: "},
		{"wrong status", "---\nid: x\nname: X\nstatus: done\n---\n",
			`broken.md: Invalid input for field "status": Expected union value`},
		{"wrong scope type", "---\nid: x\nname: X\nscope: [broad]\n---\n",
			`broken.md: Invalid input for field "scope": Expected union value`},
		{"missing id", "---\nname: X\n---\n",
			`broken.md: Invalid input for field "id": Expected required property`},
		{"missing name", "---\nid: x\n---\n",
			`broken.md: Invalid input for field "name": Expected required property`},
		{"dependency not a string", "---\nid: x\nname: X\ndepends_on: [good, {a: 1}]\n---\n",
			`broken.md: Invalid input for field "dependsOn/1": Expected string`},
		{"tags null", "---\nid: x\nname: X\ntags:\n---\n",
			`broken.md: Invalid input for field "tags": Expected array`},
		{"frontmatter not a mapping", "---\n- a\n- b\n---\n",
			"broken.md: YAML frontmatter must be a mapping (object), not a scalar or array"},
		{"unclosed frontmatter is skipped", "---\nid: x\nname: X\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeTaskFile(t, dir, "good.md", good)
			writeTaskFile(t, dir, "broken.md", tt.content)

			got := runCLI(t, "-p", dir, "validate", "--strict")
			if tt.want == "" {
				wantRun(t, got, exitOK, "✓ Valid: 1 tasks\n", "")
				return
			}
			if got.code != exitFailure {
				t.Errorf("exit code = %d, want %d", got.code, exitFailure)
			}
			if !strings.Contains(got.stdout, "  - "+filepath.Join(dir, tt.want)) {
				t.Errorf("stdout:\n%s\nwant a line naming %q", got.stdout, tt.want)
			}
			if got.stderr != "Error: Validation failed with 1 issues\n" {
				t.Errorf("stderr = %q", got.stderr)
			}

			list := runCLI(t, "-p", dir, "list")
			if list.code != exitOK {
				t.Errorf("list exit code = %d, want 0", list.code)
			}
			if !strings.Contains(list.stdout, "good ") {
				t.Errorf("list lost the valid task:\n%s", list.stdout)
			}
			if !strings.HasPrefix(list.stderr, "Warning: 1 task file(s) could not be loaded") {
				t.Errorf("list stderr = %q, want the load warning", list.stderr)
			}
		})
	}
}

// TestMalformedEveryCommand runs every command with plain and JSON output
// over the malformed folder: nothing panics, and each run ends with a
// documented exit code.
func TestMalformedEveryCommand(t *testing.T) {
	t.Parallel()
	argsOf := map[string][]string{
		"show": {"good"}, "deps": {"needs-ghost"}, "dependents": {"good"},
		"completions": {"bash"}, "help": {"list"},
	}
	dagCommands := map[string]bool{
		"topo": true, "parallel": true, "critical": true, "risk-path": true, "workflow-cost": true,
	}
	for _, cmd := range commands() {
		if cmd.name == "init" {
			continue
		}
		for _, format := range []string{formatPlain, formatJSON} {
			t.Run(cmd.name+" "+format, func(t *testing.T) {
				t.Parallel()
				args := append([]string{"-p", fxMalformed, "-f", format, cmd.name}, argsOf[cmd.name]...)
				got := runCLI(t, args...)
				want := exitOK
				if dagCommands[cmd.name] {
					want = exitFailure
				}
				if got.code != want {
					t.Errorf("exit code = %d, want %d (stderr %q)", got.code, want, got.stderr)
				}
				if dagCommands[cmd.name] &&
					!strings.Contains(got.stderr, "Error: Circular dependency detected: cycle-a → cycle-b\n") {
					t.Errorf("stderr = %q, want the cycle error", got.stderr)
				}
			})
		}
	}
}

func FuzzCommandLine(f *testing.F) {
	seeds := [][]string{
		{"-p", "x", "list", "--status", "pending"},
		{"show", "a", "-f", "json", "--", "-x"},
		{"--path=dir", "init", "new", "-d", "a,b", "--name", "--"},
		{"-l"},
		{"workflow-cost", "--include-completed=false", "--mode", "independent"},
	}
	for _, seed := range seeds {
		f.Add(strings.Join(seed, "\x00"))
	}
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		name, rest, err := splitCommand(args)
		if err != nil {
			return
		}
		var commandFlags []string
		if cmd := findCommand(name); cmd != nil {
			commandFlags = cmd.flags
		}
		opts := &options{}
		positional, err := parseFlags(opts, name, commandFlags, rest)
		if err != nil {
			return
		}
		if len(positional) > len(rest) {
			t.Fatalf("%d positional arguments from %d arguments", len(positional), len(rest))
		}
	})
}

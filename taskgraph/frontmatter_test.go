package taskgraph_test

import (
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestSplitFrontmatter(t *testing.T) {
	var cases []struct {
		Name    string
		Input   string
		OK      bool
		Data    string
		Content string
	}
	readJSON(t, "split.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			data, content, ok := taskgraph.SplitFrontmatter(tc.Input)
			if ok != tc.OK {
				t.Fatalf("ok = %v, want %v", ok, tc.OK)
			}
			if data != tc.Data {
				t.Errorf("data = %q, want %q", data, tc.Data)
			}
			if content != tc.Content {
				t.Errorf("content = %q, want %q", content, tc.Content)
			}
		})
	}
}

func TestParseFrontmatter(t *testing.T) {
	var cases []struct {
		Name       string
		Input      string
		Strict     bool
		Want       *taskgraph.TaskInput
		ErrField   string
		ErrMessage string
		ErrPrefix  string
	}
	readJSON(t, "parse.json", &cases)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			var opts []taskgraph.ParseOption
			if tc.Strict {
				opts = append(opts, taskgraph.Strict())
			}
			got, err := taskgraph.ParseFrontmatter(tc.Input, opts...)
			if tc.Want != nil {
				if err != nil {
					t.Fatalf("ParseFrontmatter: %v", err)
				}
				checkEqual(t, "task", got, *tc.Want)
				return
			}
			e := checkInvalidField(t, err, tc.ErrField)
			if tc.ErrMessage != "" && e.Message != tc.ErrMessage {
				t.Errorf("Message = %q, want %q", e.Message, tc.ErrMessage)
			}
			if !strings.HasPrefix(e.Message, tc.ErrPrefix) {
				t.Errorf("Message = %q, want prefix %q", e.Message, tc.ErrPrefix)
			}
			if e.Message == "" {
				t.Error("Message is empty")
			}
		})
	}
}

func TestParseFrontmatterEmptyDependsOnIsNotNil(t *testing.T) {
	got, err := taskgraph.ParseFrontmatter("---\nid: t\nname: T\ndependsOn: []\n---\n")
	if err != nil {
		t.Fatal(err)
	}
	if got.DependsOn == nil {
		t.Error("DependsOn is nil, want an empty list")
	}
	if got.Tags != nil {
		t.Errorf("Tags = %#v, want nil", got.Tags)
	}
}

func fullTask(id string) taskgraph.TaskInput {
	return taskgraph.TaskInput{
		ID:        id,
		Name:      "Full Task",
		DependsOn: []string{"task-a", "task-b"},
		Status:    taskgraph.Some(taskgraph.StatusInProgress),
		Scope:     taskgraph.Some(taskgraph.ScopeNarrow),
		Risk:      taskgraph.Some(taskgraph.RiskHigh),
		Impact:    taskgraph.Some(taskgraph.ImpactComponent),
		Level:     taskgraph.Some(taskgraph.LevelImplementation),
		Priority:  taskgraph.Some(taskgraph.PriorityCritical),
		Tags:      []string{"urgent", "backend"},
		Assignee:  taskgraph.Some("alice"),
		Due:       taskgraph.Some("2026-06-01"),
		Created:   taskgraph.Some("2026-04-01"),
		Modified:  taskgraph.Some("2026-04-20"),
	}
}

func serialize(t *testing.T, task taskgraph.TaskInput, body string,
	opts ...taskgraph.SerializeOption) string {
	t.Helper()
	s, err := taskgraph.SerializeFrontmatter(task, body, opts...)
	if err != nil {
		t.Fatalf("SerializeFrontmatter: %v", err)
	}
	return s
}

func roundTrip(t *testing.T, task taskgraph.TaskInput, body string) taskgraph.TaskInput {
	t.Helper()
	got, err := taskgraph.ParseFrontmatter(serialize(t, task, body), taskgraph.Strict())
	if err != nil {
		t.Fatalf("parsing serialised task: %v", err)
	}
	return got
}

func TestSerializeFrontmatterExactOutput(t *testing.T) {
	tests := []struct {
		name string
		task taskgraph.TaskInput
		opts []taskgraph.SerializeOption
		want string
	}{
		{
			name: "minimal",
			task: taskgraph.TaskInput{ID: "minimal", Name: "Minimal Task", DependsOn: []string{}},
			want: "---\nid: minimal\nname: Minimal Task\ndependsOn: []\n---\n",
		},
		{
			name: "nil dependsOn written as empty list",
			task: taskgraph.TaskInput{ID: "minimal", Name: "Minimal Task"},
			want: "---\nid: minimal\nname: Minimal Task\ndependsOn: []\n---\n",
		},
		{
			name: "snake case block list",
			task: taskgraph.TaskInput{ID: "minimal", Name: "Minimal Task", DependsOn: []string{"a"}},
			opts: []taskgraph.SerializeOption{taskgraph.SnakeCaseKeys()},
			want: "---\nid: minimal\nname: Minimal Task\ndepends_on:\n  - a\n---\n",
		},
		{
			name: "full record in schema order",
			task: fullTask("full"),
			want: "---\nid: full\nname: Full Task\ndependsOn:\n  - task-a\n  - task-b\n" +
				"status: in-progress\nscope: narrow\nrisk: high\nimpact: component\n" +
				"level: implementation\npriority: critical\ntags:\n  - urgent\n  - backend\n" +
				"assignee: alice\ndue: \"2026-06-01\"\ncreated: \"2026-04-01\"\n" +
				"modified: \"2026-04-20\"\n---\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := serialize(t, tc.task, "", tc.opts...)
			if got != tc.want {
				t.Errorf("output = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSerializeFrontmatterContent(t *testing.T) {
	lines := func(s string) []string { return strings.Split(s, "\n") }
	hasLine := func(s, line string) bool {
		for _, l := range lines(s) {
			if l == line {
				return true
			}
		}
		return false
	}

	full := serialize(t, fullTask("full"), "")
	for _, line := range []string{"id: full", "status: in-progress", "risk: high",
		"assignee: alice"} {
		if !hasLine(full, line) {
			t.Errorf("full record lacks line %q:\n%s", line, full)
		}
	}

	partial := serialize(t, taskgraph.TaskInput{ID: "partial", Name: "Partial",
		DependsOn: []string{}}, "")
	for _, key := range []string{"status:", "risk:", "scope:", "impact:", "tags:"} {
		if strings.Contains(partial, key) {
			t.Errorf("partial record contains %q:\n%s", key, partial)
		}
	}

	nulls := serialize(t, taskgraph.TaskInput{ID: "n", Name: "N", DependsOn: []string{},
		Risk: taskgraph.Null[taskgraph.Risk](), Scope: taskgraph.Null[taskgraph.Scope](),
		Status: taskgraph.Null[taskgraph.Status]()}, "")
	for _, line := range []string{"status: null", "scope: null", "risk: null"} {
		if !hasLine(nulls, line) {
			t.Errorf("null record lacks line %q:\n%s", line, nulls)
		}
	}

	if !strings.HasPrefix(full, "---\n") {
		t.Errorf("output does not start with ---: %q", full)
	}
	delimiters := 0
	for _, l := range lines(full) {
		if l == "---" {
			delimiters++
		}
	}
	if delimiters < 2 {
		t.Errorf("output has %d delimiter lines, want at least 2", delimiters)
	}

	withBody := serialize(t, fullTask("b"), "# My Heading\n\nSome content.")
	if !strings.HasSuffix(withBody, "---\n# My Heading\n\nSome content.") {
		t.Errorf("body not appended after closing line: %q", withBody)
	}
	if !strings.HasSuffix(full, "---\n") {
		t.Errorf("output without body does not end with ---: %q", full)
	}

	emptyTags := serialize(t, taskgraph.TaskInput{ID: "t", Name: "T", DependsOn: []string{},
		Tags: []string{}}, "")
	if !hasLine(emptyTags, "tags: []") {
		t.Errorf("empty tags not written as []: %q", emptyTags)
	}
	noTags := serialize(t, taskgraph.TaskInput{ID: "t", Name: "T", DependsOn: []string{}}, "")
	if strings.Contains(noTags, "tags:") {
		t.Errorf("nil tags written: %q", noTags)
	}
}

func TestSerializeFrontmatterRoundTrip(t *testing.T) {
	long := strings.Repeat("word ", 60) + "end"
	tests := []struct {
		name string
		task taskgraph.TaskInput
	}{
		{"minimal", taskgraph.TaskInput{ID: "rt-minimal", Name: "RT Minimal", DependsOn: []string{}}},
		{"every field", func() taskgraph.TaskInput {
			task := fullTask("rt-full")
			task.Tags = []string{"urgent"}
			task.Assignee = taskgraph.Some("bob")
			return task
		}()},
		{"nulls", taskgraph.TaskInput{ID: "rt-null", Name: "RT Null", DependsOn: []string{},
			Risk: taskgraph.Null[taskgraph.Risk](), Status: taskgraph.Null[taskgraph.Status](),
			Assignee: taskgraph.Null[string]()}},
		{"list order", taskgraph.TaskInput{ID: "rt-deps", Name: "RT", DependsOn: []string{
			"alpha", "beta", "gamma"}, Tags: []string{"urgent", "backend", "security"}}},
		{"long name on one line", taskgraph.TaskInput{ID: "rt-long", Name: long,
			DependsOn: []string{}}},
		{"strings that look like other values", taskgraph.TaskInput{ID: "123", Name: "true",
			DependsOn: []string{"null", "- x", "a: b", "#c", ""},
			Assignee:  taskgraph.Some("yes"), Due: taskgraph.Some("2024-01-15T10:00:00Z"),
			Created: taskgraph.Some(" padded "), Modified: taskgraph.Some("line\nbreak\r\n")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkEqual(t, "round trip", roundTrip(t, tc.task, ""), tc.task)
		})
	}

	t.Run("long name is not folded", func(t *testing.T) {
		out := serialize(t, taskgraph.TaskInput{ID: "x", Name: long, DependsOn: []string{}}, "")
		if !strings.Contains(out, "\nname: "+long+"\n") {
			t.Errorf("name not written on one line:\n%s", out)
		}
	})

	t.Run("body", func(t *testing.T) {
		body := "# Implementation Notes\n\nSome details here."
		task := taskgraph.TaskInput{ID: "rt-body", Name: "RT Body", DependsOn: []string{}}
		out := serialize(t, task, body)
		if !strings.Contains(out, "\n# Implementation Notes\n") {
			t.Errorf("heading missing:\n%s", out)
		}
		if got := roundTrip(t, task, body); got.ID != "rt-body" {
			t.Errorf("ID = %q, want rt-body", got.ID)
		}
		_, content, _ := taskgraph.SplitFrontmatter(out)
		if content != body {
			t.Errorf("body = %q, want %q", content, body)
		}
	})
}

func TestSerializeFrontmatterInvalidUTF8(t *testing.T) {
	_, err := taskgraph.SerializeFrontmatter(taskgraph.TaskInput{ID: "bad\xff", Name: "x"}, "")
	if err == nil {
		t.Fatal("SerializeFrontmatter accepted invalid UTF-8")
	}
}

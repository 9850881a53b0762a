package taskgraph_test

import (
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/alkdev/alkhub/taskgraph"
)

func TestOptYAML(t *testing.T) {
	type record struct {
		Risk     taskgraph.Opt[taskgraph.Risk]  `yaml:"risk,omitempty"`
		Scope    taskgraph.Opt[taskgraph.Scope] `yaml:"scope,omitempty"`
		Assignee taskgraph.Opt[string]          `yaml:"assignee,omitempty"`
	}
	out, err := yaml.Marshal(record{Risk: taskgraph.Some(taskgraph.RiskHigh),
		Scope: taskgraph.Null[taskgraph.Scope]()})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "YAML", string(out), "risk: high\nscope: null\n")

	var got record
	if err := yaml.Unmarshal([]byte("risk: low\nscope: ~\n"), &got); err != nil {
		t.Fatal(err)
	}
	// yaml.v3 skips unmarshalers for null values, so scope stays absent.
	checkEqual(t, "decoded", got, record{Risk: taskgraph.Some(taskgraph.RiskLow)})

	var scope taskgraph.Opt[taskgraph.Scope]
	if err := yaml.Unmarshal([]byte("broad"), &scope); err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "top-level value", scope, taskgraph.Some(taskgraph.ScopeBroad))

	err = yaml.Unmarshal([]byte("risk: extreme\n"), &got)
	checkInvalidField(t, err, "")
}

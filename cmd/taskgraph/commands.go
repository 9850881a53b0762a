package main

import (
	"fmt"
	"strings"
)

// command is one subcommand of the CLI.
type command struct {
	name string
	// args is the usage text of the positional arguments, such as "<id>".
	args    string
	summary string
	// flags are the long names of the command's own flags.
	flags            []string
	minArgs, maxArgs int
	// run executes the command; flags and the argument count are checked
	// before it is called.
	run func(c *cli, inv *invocation) error
}

// argCountError returns the usage error for a wrong number of positional
// arguments.
func (cmd *command) argCountError(got []string) error {
	var expected string
	switch {
	case cmd.maxArgs == 0:
		expected = "no arguments"
	case cmd.minArgs == cmd.maxArgs:
		expected = fmt.Sprintf("%d argument %s", cmd.minArgs, cmd.args)
	default:
		expected = fmt.Sprintf("%d to %d arguments %s", cmd.minArgs, cmd.maxArgs, cmd.args)
	}
	if len(got) == 0 {
		return usageErrorf("%q expects %s, got none", cmd.name, expected)
	}
	return usageErrorf("%q expects %s, got %d: %s", cmd.name, expected, len(got),
		strings.Join(got, " "))
}

// commands returns the subcommands in the order the help lists them.
func commands() []*command {
	return []*command{
		{name: "init", args: "<id>", summary: "Create a task file",
			flags:   []string{"name", "scope", "risk", "impact", "depends-on"},
			minArgs: 1, maxArgs: 1, run: (*cli).runInit},
		{name: "validate", summary: "Report unloadable files, missing dependencies and cycles",
			flags: []string{"strict"}, run: (*cli).runValidate},
		{name: "list", summary: "List tasks",
			flags: []string{"status", "tag"}, run: (*cli).runList},
		{name: "show", args: "<id>", summary: "Show one task",
			minArgs: 1, maxArgs: 1, run: (*cli).runShow},
		{name: "deps", args: "<id>", summary: "List the prerequisites of a task",
			minArgs: 1, maxArgs: 1, run: (*cli).runDeps},
		{name: "dependents", args: "<id>", summary: "List the tasks that depend on a task",
			minArgs: 1, maxArgs: 1, run: (*cli).runDependents},
		{name: "topo", summary: "Print the tasks in topological order",
			flags: []string{"status"}, run: (*cli).runTopo},
		{name: "cycles", summary: "Find dependency cycles", run: (*cli).runCycles},
		{name: "parallel", summary: "Group tasks that can run concurrently",
			run: (*cli).runParallel},
		{name: "critical", summary: "Print the longest dependency chain",
			run: (*cli).runCritical},
		{name: "bottleneck", summary: "Rank tasks by betweenness centrality",
			flags: []string{"limit"}, run: (*cli).runBottleneck},
		{name: "risk", summary: "Show the risk distribution", run: (*cli).runRisk},
		{name: "decompose", summary: "List tasks too risky or too broad to do in one piece",
			run: (*cli).runDecompose},
		{name: "workflow-cost", summary: "Estimate the expected cost of the remaining work",
			flags: []string{"include-completed", "limit", "mode", "quality-retention", "model"},
			run:   (*cli).runWorkflowCost},
		{name: "risk-path", summary: "Print the dependency chain with the highest risk",
			run: (*cli).runRiskPath},
		{name: "graph", summary: "Print the graph as DOT (plain) or as the export document (json)",
			flags: []string{"output"}, run: (*cli).runGraph},
		{name: "completions", args: "<bash|zsh|fish>", summary: "Print a shell completion script",
			minArgs: 1, maxArgs: 1, run: (*cli).runCompletions},
		{name: "help", args: "[command]", summary: "Show help for a command",
			minArgs: 0, maxArgs: 1, run: (*cli).runHelp},
	}
}

// findCommand returns the command called name, or nil.
func findCommand(name string) *command {
	for _, cmd := range commands() {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

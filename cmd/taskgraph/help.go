package main

import (
	"fmt"
	"io"
	"strings"
)

// writeHelp writes the root help when cmd is nil, else the help of cmd.
func writeHelp(w io.Writer, cmd *command) error {
	var b strings.Builder
	if cmd == nil {
		writeRootHelp(&b)
	} else {
		writeCommandHelp(&b, cmd)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRootHelp(b *strings.Builder) {
	b.WriteString("taskgraph - CLI tool for managing task dependencies\n\n")
	b.WriteString("Reads Markdown task files with YAML frontmatter and analyses their\n")
	b.WriteString("dependency graph.\n\n")
	b.WriteString("Usage:\n  taskgraph [global flags] <command> [arguments] [flags]\n\n")

	b.WriteString("Commands:\n")
	width := 0
	for _, cmd := range commands() {
		width = max(width, len(commandUsage(cmd)))
	}
	for _, cmd := range commands() {
		fmt.Fprintf(b, "  %-*s  %s\n", width, commandUsage(cmd), cmd.summary)
	}

	b.WriteString("\nGlobal flags:\n")
	writeFlagList(b, globalFlags())
	b.WriteString("\nFlags may appear before or after the command and its arguments.\n")
	b.WriteString("Run 'taskgraph help <command>' for the flags of a command.\n")
}

func writeCommandHelp(b *strings.Builder, cmd *command) {
	fmt.Fprintf(b, "%s\n\nUsage:\n  taskgraph %s [flags]\n", cmd.summary, commandUsage(cmd))
	if note := commandNote(cmd.name); note != "" {
		fmt.Fprintf(b, "\n%s\n", note)
	}
	if len(cmd.flags) > 0 {
		b.WriteString("\nFlags:\n")
		writeFlagList(b, cmd.flags)
	}
	b.WriteString("\nGlobal flags:\n")
	writeFlagList(b, globalFlags())
}

func commandUsage(cmd *command) string {
	if cmd.args == "" {
		return cmd.name
	}
	return cmd.name + " " + cmd.args
}

// commandNote returns the defaults and rules of a command that do not fit
// its one-line summary.
func commandNote(name string) string {
	switch name {
	case "init":
		return "Writes <dir>/<id>.md with status pending. Labels are case-insensitive."
	case "validate":
		return "Exits with status 0 even when it reports issues, unless --strict is given."
	case "bottleneck":
		return "--limit defaults to 10."
	case "workflow-cost":
		return "--limit defaults to 15. Totals cover every costed task, not only the rows shown.\n" +
			"The library model costs a task as scope cost times impact weight and propagates\n" +
			"upstream failure into p_effective. The legacy model is the retry formula of the\n" +
			"earlier taskgraph CLI (2 retries, fallback cost 20, 0.5 time lost at rate 100)\n" +
			"without propagation, so it ignores --mode and --quality-retention."
	case "graph":
		return "Render the DOT output with: dot -Tpng <file> -o <image>.png"
	case "completions":
		return "Load in bash with: source <(taskgraph completions bash)"
	}
	return ""
}

func writeFlagList(b *strings.Builder, longNames []string) {
	labels := make([]string, len(longNames))
	width := 0
	for i, long := range longNames {
		spec, _ := findFlagSpec(long)
		label := "    "
		if spec.short != "" {
			label = "-" + spec.short + ", "
		}
		label += "--" + spec.long
		if spec.arg != "" {
			label += " <" + spec.arg + ">"
		}
		labels[i] = label
		width = max(width, len(label))
	}
	for i, long := range longNames {
		spec, _ := findFlagSpec(long)
		fmt.Fprintf(b, "  %-*s  %s\n", width, labels[i], spec.usage)
	}
}

func (c *cli) runHelp(inv *invocation) error {
	if len(inv.args) == 0 {
		return writeHelp(inv.out, nil)
	}
	cmd := findCommand(inv.args[0])
	if cmd == nil {
		return usageErrorf("unknown command %q (run 'taskgraph --help' for the list of commands)",
			inv.args[0])
	}
	return writeHelp(inv.out, cmd)
}

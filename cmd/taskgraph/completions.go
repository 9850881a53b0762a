package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// The scripts are generated from the command and flag tables, so they stay
// in step with the parser. Task ids of show, deps and dependents are
// completed by running "taskgraph list" at completion time.

func (c *cli) runCompletions(inv *invocation) error {
	shell := inv.args[0]
	var script string
	switch shell {
	case "bash":
		script = bashCompletion()
	case "zsh":
		script = zshCompletion()
	case "fish":
		script = fishCompletion()
	default:
		return usageErrorf("unsupported shell %q (expected one of: bash, zsh, fish)", shell)
	}

	if inv.jsonOutput() {
		return writeJSON(inv.out, struct {
			Shell  string `json:"shell"`
			Script string `json:"script"`
		}{shell, script})
	}
	_, err := inv.out.WriteString(script)
	return err
}

// flagChoices returns the values a flag accepts when they form a fixed set.
func flagChoices(long string) []string {
	switch long {
	case "format":
		return []string{formatPlain, formatJSON}
	case "status":
		return stringsOf(taskgraph.Statuses())
	case "scope":
		return stringsOf(taskgraph.Scopes())
	case "risk":
		return stringsOf(taskgraph.Risks())
	case "impact":
		return stringsOf(taskgraph.Impacts())
	case "mode":
		return []string{string(taskgraph.PropagationDAG), string(taskgraph.PropagationIndependent)}
	case "model":
		return []string{costModelLibrary, costModelLegacy}
	}
	return nil
}

// stringsOf converts enum values to plain strings.
func stringsOf[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// commandsTakingID returns the commands whose argument is a task id.
func commandsTakingID() []string { return []string{"show", "deps", "dependents"} }

func commandNames() []string {
	var names []string
	for _, cmd := range commands() {
		names = append(names, cmd.name)
	}
	return names
}

// flagWords returns "-s --long" for each flag, for word lists.
func flagWords(longNames []string) string {
	var words []string
	for _, long := range longNames {
		spec, _ := findFlagSpec(long)
		if spec.short != "" {
			words = append(words, "-"+spec.short)
		}
		words = append(words, "--"+spec.long)
	}
	return strings.Join(words, " ")
}

// shortUsage returns the usage of a flag without its parenthesised remark
// and without characters that completion syntaxes treat specially.
func shortUsage(usage string) string {
	if i := strings.Index(usage, " ("); i >= 0 {
		usage = usage[:i]
	}
	return strings.NewReplacer("'", "", "[", "", "]", "", ":", " -").Replace(usage)
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString("# bash completion for taskgraph\n")
	b.WriteString("# Load with: source <(taskgraph completions bash)\n\n")
	b.WriteString("_taskgraph() {\n")
	b.WriteString("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	fmt.Fprintf(&b, "    local commands=%q\n", strings.Join(commandNames(), " "))
	fmt.Fprintf(&b, "    local global_flags=%q\n\n", flagWords(globalFlags()))

	var valueFlags []string
	b.WriteString("    case \"$prev\" in\n")
	for _, spec := range flagSpecs() {
		if spec.arg == "" {
			continue
		}
		pattern := "--" + spec.long
		if spec.short != "" {
			pattern = "-" + spec.short + "|" + pattern
		}
		if spec.long != "path" {
			valueFlags = append(valueFlags, pattern)
		}
		switch choices := flagChoices(spec.long); {
		case choices != nil:
			fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return ;;\n",
				pattern, strings.Join(choices, " "))
		case spec.long == "path":
			fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n", pattern)
		case spec.long == "output":
			fmt.Fprintf(&b, "        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", pattern)
		default:
			fmt.Fprintf(&b, "        %s) return ;;\n", pattern)
		}
	}
	b.WriteString("    esac\n\n")

	b.WriteString("    local cmd=\"\" i\n    local -a path_args=()\n")
	b.WriteString("    for ((i = 1; i < COMP_CWORD; i++)); do\n")
	b.WriteString("        case \"${COMP_WORDS[i]}\" in\n")
	b.WriteString("            -p|--path) path_args=(--path \"${COMP_WORDS[i+1]}\"); ((i++)) ;;\n")
	fmt.Fprintf(&b, "            %s) ((i++)) ;;\n", strings.Join(valueFlags, "|"))
	b.WriteString("            -*) ;;\n")
	b.WriteString("            *) cmd=\"${COMP_WORDS[i]}\"; break ;;\n")
	b.WriteString("        esac\n    done\n\n")

	b.WriteString("    if [[ -z \"$cmd\" ]]; then\n")
	b.WriteString("        if [[ \"$cur\" == -* ]]; then\n")
	b.WriteString("            COMPREPLY=($(compgen -W \"$global_flags\" -- \"$cur\"))\n")
	b.WriteString("        else\n")
	b.WriteString("            COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\"))\n")
	b.WriteString("        fi\n        return\n    fi\n\n")

	b.WriteString("    local flags=\"\"\n    case \"$cmd\" in\n")
	for _, cmd := range commands() {
		if len(cmd.flags) > 0 {
			fmt.Fprintf(&b, "        %s) flags=%q ;;\n", cmd.name, flagWords(cmd.flags))
		}
	}
	b.WriteString("    esac\n")
	b.WriteString("    if [[ \"$cur\" == -* ]]; then\n")
	b.WriteString("        COMPREPLY=($(compgen -W \"$flags $global_flags\" -- \"$cur\"))\n")
	b.WriteString("        return\n    fi\n\n")

	b.WriteString("    case \"$cmd\" in\n")
	fmt.Fprintf(&b, "        %s)\n", strings.Join(commandsTakingID(), "|"))
	b.WriteString("            local ids\n")
	b.WriteString("            ids=$(\"${COMP_WORDS[0]}\" \"${path_args[@]}\" list 2>/dev/null" +
		" | tail -n +3 | cut -d' ' -f1)\n")
	b.WriteString("            COMPREPLY=($(compgen -W \"$ids\" -- \"$cur\")) ;;\n")
	b.WriteString("        completions) COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\")) ;;\n")
	b.WriteString("        help) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")) ;;\n")
	b.WriteString("    esac\n}\n\n")
	b.WriteString("complete -F _taskgraph taskgraph\n")
	return b.String()
}

// zshFlagSpecs returns the _arguments specs of the named flags.
func zshFlagSpecs(longNames []string) []string {
	var specs []string
	for _, long := range longNames {
		spec, _ := findFlagSpec(long)
		action := ""
		if spec.arg != "" {
			switch choices := flagChoices(long); {
			case choices != nil:
				action = fmt.Sprintf(":%s:(%s)", spec.arg, strings.Join(choices, " "))
			case long == "path":
				action = fmt.Sprintf(":%s:_files -/", spec.arg)
			case long == "output":
				action = fmt.Sprintf(":%s:_files", spec.arg)
			default:
				action = fmt.Sprintf(":%s: ", spec.arg)
			}
		}
		description := "[" + shortUsage(spec.usage) + "]"
		if spec.short == "" {
			specs = append(specs, fmt.Sprintf("'--%s%s%s'", spec.long, description, action))
			continue
		}
		specs = append(specs, fmt.Sprintf("'(-%s --%s)'{-%s,--%s}'%s%s'",
			spec.short, spec.long, spec.short, spec.long, description, action))
	}
	return specs
}

func zshCompletion() string {
	var b strings.Builder
	b.WriteString("#compdef taskgraph\n")
	b.WriteString("# zsh completion for taskgraph\n")
	b.WriteString("# Load with: source <(taskgraph completions zsh)\n\n")
	b.WriteString("_taskgraph_ids() {\n")
	b.WriteString("  local -a ids\n")
	b.WriteString("  ids=(${(f)\"$(taskgraph list 2>/dev/null | tail -n +3 | cut -d' ' -f1)\"})\n")
	b.WriteString("  _describe -t task-ids 'task id' ids\n}\n\n")
	b.WriteString("_taskgraph() {\n")
	b.WriteString("  local -a commands global_flags\n  local state\n")
	b.WriteString("  commands=(\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "    '%s:%s'\n", cmd.name, shortUsage(cmd.summary))
	}
	b.WriteString("  )\n")

	b.WriteString("  global_flags=(\n")
	for _, spec := range zshFlagSpecs(globalFlags()) {
		fmt.Fprintf(&b, "    %s\n", spec)
	}
	b.WriteString("  )\n\n")
	b.WriteString("  _arguments -C $global_flags '1: :->command' '*:: :->argument'\n")

	b.WriteString("  case $state in\n")
	b.WriteString("    command) _describe -t commands 'taskgraph command' commands ;;\n")
	b.WriteString("    argument)\n      case $words[1] in\n")
	for _, cmd := range commands() {
		args := zshFlagSpecs(cmd.flags)
		switch {
		case slices.Contains(commandsTakingID(), cmd.name):
			args = append(args, "'1:task id:_taskgraph_ids'")
		case cmd.name == "init":
			args = append(args, "'1:task id: '")
		case cmd.name == "completions":
			args = append(args, "'1:shell:(bash zsh fish)'")
		case cmd.name == "help":
			args = append(args, "'1:command:("+strings.Join(commandNames(), " ")+")'")
		}
		fmt.Fprintf(&b, "        %s) _arguments $global_flags", cmd.name)
		for _, arg := range args {
			fmt.Fprintf(&b, " \\\n          %s", arg)
		}
		b.WriteString(" ;;\n")
	}

	b.WriteString("      esac ;;\n  esac\n}\n\n")
	b.WriteString("if [[ \"${zsh_eval_context[-1]}\" == loadautofunc ]]; then\n")
	b.WriteString("  _taskgraph \"$@\"\nelse\n  compdef _taskgraph taskgraph\nfi\n")
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for taskgraph\n")
	b.WriteString("# Load with: taskgraph completions fish | source\n\n")
	b.WriteString("complete -c taskgraph -f\n")
	for _, cmd := range commands() {
		fmt.Fprintf(&b, "complete -c taskgraph -n __fish_use_subcommand -a %s -d '%s'\n",
			cmd.name, shortUsage(cmd.summary))
	}
	for _, long := range globalFlags() {
		fmt.Fprintf(&b, "complete -c taskgraph%s\n", fishFlag(long))
	}
	for _, cmd := range commands() {
		for _, long := range cmd.flags {
			fmt.Fprintf(&b, "complete -c taskgraph -n '__fish_seen_subcommand_from %s'%s\n",
				cmd.name, fishFlag(long))
		}
	}
	fmt.Fprintf(&b, "complete -c taskgraph -n '__fish_seen_subcommand_from %s' "+
		"-a '(taskgraph list 2>/dev/null | tail -n +3 | string split -f1 \" \")'\n",
		strings.Join(commandsTakingID(), " "))
	b.WriteString("complete -c taskgraph -n '__fish_seen_subcommand_from completions' " +
		"-a 'bash zsh fish'\n")
	fmt.Fprintf(&b, "complete -c taskgraph -n '__fish_seen_subcommand_from help' -a '%s'\n",
		strings.Join(commandNames(), " "))
	return b.String()
}

// fishFlag returns the options of a fish complete line for one flag.
func fishFlag(long string) string {
	spec, _ := findFlagSpec(long)
	var b strings.Builder
	if spec.short != "" {
		fmt.Fprintf(&b, " -s %s", spec.short)
	}
	fmt.Fprintf(&b, " -l %s", spec.long)
	switch choices := flagChoices(long); {
	case spec.arg == "":
	case choices != nil:
		fmt.Fprintf(&b, " -x -a '%s'", strings.Join(choices, " "))
	case long == "path":
		b.WriteString(" -x -a '(__fish_complete_directories)'")
	case long == "output":
		b.WriteString(" -r -F")
	default:
		b.WriteString(" -x")
	}
	fmt.Fprintf(&b, " -d '%s'", shortUsage(spec.usage))
	return b.String()
}

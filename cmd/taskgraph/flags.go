package main

import (
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// options holds every flag value of one invocation. Value flags are kept as
// the text the user typed and checked by the command that uses them, so that
// each invalid value gets one message naming the flag and the accepted
// values. An empty string means the flag was not given.
type options struct {
	path    string
	format  string
	help    bool
	version bool

	name             string
	dependsOn        []string
	status           string
	tag              string
	limit            string
	output           string
	scope            string
	risk             string
	impact           string
	strict           bool
	includeCompleted bool
	mode             string
	qualityRetention string
	model            string
}

// flagSpec describes one flag. Boolean flags have an empty arg.
type flagSpec struct {
	short string
	long  string
	arg   string
	usage string
	// value binds the flag to its field of options.
	value func(o *options) flag.Value
}

// globalFlags returns the long names of the flags every command accepts,
// before or after its name.
func globalFlags() []string {
	return []string{"path", "format", "help", "version"}
}

// flagSpecs returns every flag of the CLI. A short name has one meaning
// across all commands, which is what lets the command word be found before
// the command's own flags are known.
func flagSpecs() []flagSpec {
	return []flagSpec{
		{"p", "path", "dir", "tasks directory (default: tasks_dir of the nearest " +
			configFileName + ", else ./" + defaultTasksDir + ")",
			func(o *options) flag.Value { return (*stringFlag)(&o.path) }},
		{"f", "format", "format", "output format: plain or json (default plain)",
			func(o *options) flag.Value { return (*stringFlag)(&o.format) }},
		{"h", "help", "", "show help",
			func(o *options) flag.Value { return (*boolFlag)(&o.help) }},
		{"", "version", "", "print the version and exit",
			func(o *options) flag.Value { return (*boolFlag)(&o.version) }},
		{"n", "name", "name", "task name (default: the id)",
			func(o *options) flag.Value { return (*stringFlag)(&o.name) }},
		{"d", "depends-on", "id", "prerequisite task id; repeatable, commas separate ids",
			func(o *options) flag.Value { return (*listFlag)(&o.dependsOn) }},
		{"s", "status", "status", "only tasks with this status (unset counts as pending)",
			func(o *options) flag.Value { return (*stringFlag)(&o.status) }},
		{"t", "tag", "tag", "only tasks carrying this tag",
			func(o *options) flag.Value { return (*stringFlag)(&o.tag) }},
		{"l", "limit", "n", "rows to show; 0 shows all",
			func(o *options) flag.Value { return (*stringFlag)(&o.limit) }},
		{"o", "output", "file", "write to this file instead of stdout",
			func(o *options) flag.Value { return (*stringFlag)(&o.output) }},
		{"", "scope", "scope", "scope: single, narrow, moderate, broad or system",
			func(o *options) flag.Value { return (*stringFlag)(&o.scope) }},
		{"", "risk", "risk", "risk: trivial, low, medium, high or critical",
			func(o *options) flag.Value { return (*stringFlag)(&o.risk) }},
		{"", "impact", "impact", "impact: isolated, component, phase or project",
			func(o *options) flag.Value { return (*stringFlag)(&o.impact) }},
		{"", "strict", "", "exit with status 1 when any issue is found",
			func(o *options) flag.Value { return (*boolFlag)(&o.strict) }},
		{"", "include-completed", "", "also cost tasks whose status is completed",
			func(o *options) flag.Value { return (*boolFlag)(&o.includeCompleted) }},
		{"", "mode", "mode", "failure propagation: dag-propagate or independent " +
			"(default dag-propagate)",
			func(o *options) flag.Value { return (*stringFlag)(&o.mode) }},
		{"", "quality-retention", "x", "share of an upstream failure that does not carry over, " +
			"0 to 1 (default 0.9)",
			func(o *options) flag.Value { return (*stringFlag)(&o.qualityRetention) }},
		{"", "model", "model", "cost model: library or legacy (default library)",
			func(o *options) flag.Value { return (*stringFlag)(&o.model) }},
	}
}

// findFlagSpec returns the spec whose short or long name is name.
func findFlagSpec(name string) (flagSpec, bool) {
	for _, spec := range flagSpecs() {
		if name != "" && (spec.short == name || spec.long == name) {
			return spec, true
		}
	}
	return flagSpec{}, false
}

// splitCommand finds the command word in args: the first argument that is
// neither a flag nor the value of a flag. It returns the word ("" when there
// is none) and the other arguments in their original order. Any flag of any
// command may stand before the command word; whether the command accepts it
// is checked when the command's flags are parsed.
func splitCommand(args []string) (name string, rest []string, err error) {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if i+1 < len(args) {
				name = args[i+1]
				rest = append(append(rest, args[:i]...), args[i+2:]...)
				return name, rest, nil
			}
			return "", args[:i], nil
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			rest = append(append(rest, args[:i]...), args[i+1:]...)
			return arg, rest, nil
		}

		flagName, _, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		spec, ok := findFlagSpec(flagName)
		if !ok {
			return "", nil, usageErrorf("unknown flag %s (run 'taskgraph --help' for the list of "+
				"commands)", displayFlag(flagName))
		}
		if spec.arg != "" && !hasValue {
			i++
		}
	}
	return "", args, nil
}

// parseFlags parses args against the global flags and the named command
// flags, allowing flags before, between and after positional arguments. It
// returns the positional arguments. Everything after "--" is positional.
// commandName only names the command in error messages.
func parseFlags(o *options, commandName string, commandFlags []string,
	args []string) ([]string, error) {
	fs := flag.NewFlagSet("taskgraph", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, long := range append(globalFlags(), commandFlags...) {
		spec, _ := findFlagSpec(long)
		value := spec.value(o)
		fs.Var(value, spec.long, spec.usage)
		if spec.short != "" {
			fs.Var(value, spec.short, spec.usage)
		}
	}

	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, flagError(err, commandName)
		}
		consumed := len(args) - fs.NArg()
		if consumed > 0 && args[consumed-1] == "--" && !isFlagValue(args, consumed-1) {
			return append(positional, fs.Args()...), nil
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagError rewrites an error of the flag package into a usage error that
// spells flags as the help does ("--status", "-s") and points to the help
// that lists the accepted flags.
func flagError(err error, commandName string) error {
	helpHint := "run 'taskgraph --help' for the global flags"
	if commandName != "" {
		helpHint = fmt.Sprintf("run 'taskgraph help %s' for its flags", commandName)
	}

	message := err.Error()
	if name, found := strings.CutPrefix(message, "flag provided but not defined: -"); found {
		if commandName == "" {
			return usageErrorf("unknown flag %s (%s)", displayFlag(name), helpHint)
		}
		return usageErrorf("unknown flag %s for %q (%s)", displayFlag(name), commandName, helpHint)
	}
	if name, found := strings.CutPrefix(message, "flag needs an argument: -"); found {
		return usageErrorf("missing value for %s (%s)", displayFlag(name), helpHint)
	}
	// The flag package reports a bad boolean as
	// invalid boolean value "x" for -name: <cause>.
	if rest, found := strings.CutPrefix(message, "invalid boolean value "); found {
		quoted, after, ok := strings.Cut(rest, " for -")
		name, _, _ := strings.Cut(after, ":")
		if value, err := strconv.Unquote(quoted); ok && err == nil {
			return usageErrorf("invalid value %q for %s (expected true or false)",
				value, displayFlag(name))
		}
	}
	return usageErrorf("%s (%s)", message, helpHint)
}

// displayFlag returns a flag name with one dash for a single letter and
// two dashes otherwise.
func displayFlag(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// isFlagValue reports whether args[i] is the separate value of the value
// flag in args[i-1], as in "--name --".
func isFlagValue(args []string, i int) bool {
	if i == 0 {
		return false
	}
	prev := args[i-1]
	if !strings.HasPrefix(prev, "-") || strings.Contains(prev, "=") {
		return false
	}
	spec, ok := findFlagSpec(strings.TrimLeft(prev, "-"))
	return ok && spec.arg != ""
}

// stringFlag is a flag.Value that stores the last value given.
type stringFlag string

func (f *stringFlag) String() string { return string(*f) }

func (f *stringFlag) Set(s string) error {
	*f = stringFlag(s)
	return nil
}

// boolFlag is a boolean flag.Value. "--flag" alone sets it to true.
type boolFlag bool

func (f *boolFlag) String() string {
	if *f {
		return "true"
	}
	return "false"
}

func (f *boolFlag) Set(s string) error {
	switch strings.ToLower(s) {
	case "true", "1":
		*f = true
	case "false", "0":
		*f = false
	default:
		return usageErrorf("invalid boolean %q", s)
	}
	return nil
}

func (f *boolFlag) IsBoolFlag() bool { return true }

// listFlag is a repeatable flag.Value. Each value may hold several items
// separated by commas, and blank items are dropped.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(s string) error {
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*f = append(*f, item)
		}
	}
	return nil
}

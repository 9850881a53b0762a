package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"
)

// Exit codes of the CLI.
const (
	exitOK      = 0
	exitFailure = 1 // I/O, unknown id, existing task, bad config, cycle, validate --strict
	exitUsage   = 2 // unknown command or flag, wrong argument count, invalid flag value
)

// cli is one run of the command line tool. Output is buffered per run, so a
// failing command leaves stdout empty.
type cli struct {
	stdout io.Writer
	stderr io.Writer
	// now returns the time written into the created and modified fields of a
	// new task file.
	now func() time.Time
}

// run executes the command line args (without the program name) and
// returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	c := &cli{stdout: stdout, stderr: stderr, now: time.Now}
	return c.run(args)
}

func (c *cli) run(args []string) int {
	var out bytes.Buffer
	err := c.dispatch(args, &out)

	var report *reportedError
	if err == nil || errors.As(err, &report) {
		if _, werr := c.stdout.Write(out.Bytes()); werr != nil && err == nil {
			err = fmt.Errorf("writing output: %w", werr)
		}
	}
	if err == nil {
		return exitOK
	}

	fmt.Fprintf(c.stderr, "Error: %s\n", err)
	var usage *usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitFailure
}

// invocation is the input of one command: its parsed flags, its positional
// arguments and the buffer for its output.
type invocation struct {
	opts *options
	args []string
	out  *bytes.Buffer
}

// jsonOutput reports whether --format json was given.
func (inv *invocation) jsonOutput() bool { return inv.opts.format == formatJSON }

// Output formats accepted by --format.
const (
	formatPlain = "plain"
	formatJSON  = "json"
)

func (c *cli) dispatch(args []string, out *bytes.Buffer) error {
	name, rest, err := splitCommand(args)
	if err != nil {
		return err
	}
	var cmd *command
	var commandFlags []string
	if name != "" {
		if cmd = findCommand(name); cmd == nil {
			return usageErrorf("unknown command %q (run 'taskgraph --help' for the list of commands)",
				name)
		}
		commandFlags = cmd.flags
	}

	opts := &options{}
	positional, err := parseFlags(opts, name, commandFlags, rest)
	if err != nil {
		return err
	}
	switch {
	case opts.help:
		return writeHelp(out, cmd)
	case opts.version:
		_, err := fmt.Fprintf(out, "taskgraph %s\n", version())
		return err
	case cmd == nil:
		return writeHelp(out, nil)
	}

	if err := checkFormat(opts); err != nil {
		return err
	}
	if len(positional) < cmd.minArgs || len(positional) > cmd.maxArgs {
		return cmd.argCountError(positional)
	}
	return cmd.run(c, &invocation{opts: opts, args: positional, out: out})
}

func checkFormat(opts *options) error {
	switch opts.format {
	case "":
		opts.format = formatPlain
	case formatPlain, formatJSON:
	default:
		return invalidFlagValue("format", opts.format, "one of: plain, json")
	}
	return nil
}

// version returns the module version from the build information, or "dev"
// for a build outside a released module (go run, go build in the checkout).
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "dev"
	}
	return info.Main.Version
}

// usageError is a mistake in the command line. It exits with status 2.
type usageError struct{ message string }

func (e *usageError) Error() string { return e.message }

func usageErrorf(format string, args ...any) error {
	return &usageError{message: fmt.Sprintf(format, args...)}
}

// invalidFlagValue returns the usage error for a flag value outside the
// accepted set, for example
// invalid value "huge" for --scope (expected one of: single, narrow, ...).
func invalidFlagValue(flagName, value, expected string) error {
	return usageErrorf("invalid value %q for --%s (expected %s)", value, flagName, expected)
}

// reportedError is a failure whose command output still goes to stdout,
// as for validate --strict, which prints its report and then fails.
type reportedError struct{ message string }

func (e *reportedError) Error() string { return e.message }

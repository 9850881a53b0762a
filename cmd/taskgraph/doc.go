// Command taskgraph analyses a folder of Markdown task files: each file has
// a YAML frontmatter block with an id, a name, the ids it depends on and
// optional labels (status, scope, risk, impact, level, priority). The
// commands list and show tasks, check the folder, and run the analyses of
// package taskgraph: topological order, cycles, parallel generations,
// critical path, bottlenecks, risk distribution and risk path,
// decomposition advice and workflow cost. graph prints the dependency graph
// as Graphviz DOT or as the graph's JSON export.
//
// Usage:
//
//	taskgraph [global flags] <command> [arguments] [flags]
//	taskgraph -p ./tasks validate
//	taskgraph critical -f json
//	taskgraph init new-task --name "New task" -d design --risk high
//
// # Tasks directory
//
// The folder is --path when given. Otherwise the CLI looks for the nearest
// .taskgraph.toml from the working directory up to the root and uses the
// tasks_dir key of its [project] table, resolved against the directory that
// contains the file. Without a config file the folder is ./tasks. Other keys
// of the file are ignored, but the whole file must be valid TOML.
//
// Every command rescans the folder. Files are parsed leniently: a task
// without depends_on has no dependencies. A file that fails to parse, a
// second file with an id already loaded, and a task that depends on itself
// are load errors. The graph holds every loaded task and only the
// dependencies between loaded tasks, so prerequisites that were not loaded
// show up in validate and in deps (as MISSING) but never as graph nodes.
// Commands other than validate, init and completions print a one-line
// warning on stderr when load errors exist. A task without a status is
// shown as pending.
//
// # Output and exit codes
//
// --format plain (the default) prints tables and lists; --format json
// prints one JSON document indented by two spaces. Errors go to stderr as
// "Error: <message>" and leave stdout empty, except validate --strict,
// which prints its report before failing. The exit status is:
//
//   - 0 on success, including cycles and validate reporting issues;
//   - 1 on a runtime failure: I/O, unknown task id, existing task, bad
//     config, a cycle in an analysis that needs a DAG, or validate --strict
//     with issues;
//   - 2 on a usage error: unknown command or flag, wrong argument count or
//     invalid flag value.
//
// # Decisions
//
// Flags are parsed with the standard library's flag package. A command
// line may put any flag before or after the command word and between
// positional arguments: the command word is found first, using the fact
// that each short flag has one meaning across all commands, and the rest is
// parsed in a loop that collects positional arguments between flags. Both
// -name and --name spellings work, as the flag package accepts both.
//
// The config file is read by a small TOML 1.0 parser in this package,
// because the CLI depends only on the standard library and package
// taskgraph; it checks the whole syntax so that a broken config fails even
// in keys the CLI ignores.
//
// Label flags of init (--scope, --risk, --impact) are case-insensitive and
// written lower case; --depends-on may not name the new task itself. The
// --status filter of list and topo must be a valid status. deps leaves out
// a task's own id, which validate reports as a load error. completions
// honours --format json by wrapping the script in {"shell", "script"}.
//
// Task files cannot give a dependency its own quality retention, so
// workflow-cost sets the --quality-retention value (0.9 by default) on every
// dependency before it propagates upstream failure.
package main

// Package taskgraph models tasks and their dependencies and analyses the
// resulting graph: topological order, cycles, parallel generations, critical
// and risk paths, betweenness bottlenecks, risk distribution, decomposition
// advice and expected workflow cost.
//
// # Tasks
//
// A task is a TaskInput: an id, a name, prerequisite ids and optional labels
// (Scope, Risk, Impact, Level, Priority, Status) plus free metadata. Optional
// fields are Opt values that keep absent, null and set apart, so a parsed
// record serialises back as it was written. Labels map to numbers: scope to
// cost and tokens, risk to success probability, impact to weight. An
// unassessed or invalid label resolves to scope narrow, risk medium and
// impact isolated (see ResolveDefaults).
//
// Tasks come from Markdown files with YAML frontmatter (ParseFrontmatter,
// ParseTaskFile, ParseTaskDirectory, LoadTaskDirectory and their fs.FS
// variants), from records (FromTasks, FromRecords) or from the graph's JSON
// form (FromJSON). Parsing is lenient by default: a task file without
// dependsOn (or depends_on) has no prerequisites. Strict requires the key,
// as the original TypeScript library did. Every other check is the same in
// both modes and fails with *InvalidInputError naming the field.
//
// # Graph
//
// A TaskGraph has an edge from each prerequisite to its dependent. Every
// order it reports, and so every tie-break of the analyses, follows
// insertion order; no result depends on map iteration. Ids that look like
// numbers get no special order. The analyses are package functions that
// take the graph first; those that need an acyclic graph fail with
// *CircularDependencyError, which lists the cycles FindCycles finds.
//
// The formulas are evaluated in float64 in a fixed operation order, with
// products rounded before they are added, so results are bit-identical
// across platforms and match the TypeScript original.
//
// # Errors
//
// Every error type of the package matches ErrTaskgraph with errors.Is; use
// errors.As for the concrete type: *TaskNotFoundError,
// *CircularDependencyError, *InvalidInputError, *DuplicateNodeError and
// *DuplicateEdgeError. I/O errors of the file functions are wrapped and
// keep their cause for errors.Is.
//
// # Concurrency
//
// A TaskGraph is not safe for concurrent mutation. Read methods and
// analyses keep no hidden caches, so any number of goroutines may read a
// graph at the same time as long as no goroutine modifies it. Bottlenecks starts
// worker goroutines of its own and waits for them before it returns.
//
// # Decisions of this port
//
// Where the TypeScript original had quirks, this package decides:
//   - a task that depends on itself is rejected with *InvalidInputError;
//   - FromJSON reports duplicate nodes, unknown edge endpoints and repeated
//     edges with typed errors, replaces edge keys by "source->target",
//     drops unknown node attributes, and Export always writes edge
//     attributes so that its output can be imported again;
//   - ValidateSchema reports an empty name as a missing name;
//   - WorkflowCost rejects a negative limit and can use a probability-aware
//     cost through WorkflowCostOptions.EV;
//   - betweenness counts shortest paths in float64;
//   - frontmatter with more than one YAML document is a YAML parse error, and
//     scalars with tags outside the YAML core schema read as strings;
//   - malformed JSON gives *InvalidInputError with an empty Field and a
//     message starting with "Invalid JSON: ";
//   - JSON objects report missing required keys before any other problem,
//     and the limit of WorkflowCostOptions must be a whole number.
package taskgraph

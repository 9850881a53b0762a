// Package storage persists the hub's state: accounts and API keys, the
// audit trail, projects, spokes with the operations they register, the
// runtime call graph and the hub instances that share a database.
//
// # Dialects
//
// SQLite is the default: a pure-Go driver, a file under ./data, one
// writer connection and a pool of read-only connections, WAL journal, and
// a lock file beside the database so that only one process opens it
// (ErrLocked). Postgres 15 or newer serves production and scale-out; its
// DSN may set search_path. Every behaviour holds on both, which the
// conformance suite in storagetest checks.
//
// # Schema
//
// The schema is hand-written SQL per dialect, embedded and applied in
// order by Migrate (Open runs it unless Config.SkipMigrateOnStart). A
// migration that has been applied is never edited: a change is a new
// numbered file in both dialect directories. An edited file fails startup
// with ErrMigrationChecksum and a database migrated by a newer binary with
// ErrSchemaTooNew. On Postgres an advisory lock lets one process migrate
// while the others wait. Times are written in UTC with millisecond
// precision from the store clock (Options.Now), never by the database.
//
// # Repositories and transactions
//
// Repos gives one repository per domain. *Store implements it outside any
// transaction; InTx passes an implementation bound to a transaction, and
// InTx on that value opens a savepoint. Management actions append their
// audit row inside the same InTx as the change. Rows are plain structs:
// callers convert them to their own types.
//
// High-rate bookkeeping goes through write-behind queues that never block
// the caller: call-graph snapshots (CallGraph.Enqueue), dependency edges,
// and last-used and heartbeat times. Queues are bounded, merge snapshots
// of one key, retry transient failures, isolate rows the database rejects,
// and are flushed by Store.Flush and Close.
//
// # Decisions
//
//   - Config.SkipMigrateOnStart replaces a MigrateOnStart flag defaulting
//     to true, so the zero Config migrates.
//   - Models carry GORM default tags, and GORM inserts the column default
//     for a zero value: a false Enabled is stored as true. Create the row
//     and call SetEnabled to store a disabled one.
//   - Spokes.Register derives the remapped ids itself (prefix of the spoke
//     type, the spoke id, the offered id), because a new spoke's id exists
//     only inside the registration transaction.
//   - SpecHash defines the canonical spec JSON; the sentinel's seeded hash
//     is computed with it, and a remapped definition shares the hash of the
//     spec the spoke sent with its plain alias.
//   - Dependency edges are written after the nodes of a flush, in a
//     transaction of their own.
//   - Postgres advisory locks (migration, reaper) are database-wide, so
//     stores on different schemas of one database share them.
//
// Tables of later features (sessions' messages, tasks, workflows, usage,
// roles, client secrets) arrive in later migrations together with their
// repositories; Repos grows with them.
package storage

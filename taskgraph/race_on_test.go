//go:build race

package taskgraph_test

// raceEnabled reports whether the tests run under the race detector, which
// slows the 10,000-task analyses down by more than an order of magnitude.
const raceEnabled = true

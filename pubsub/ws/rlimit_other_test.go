//go:build !unix

package ws

import "testing"

// raiseFileLimit does nothing where the limit of open files is not a process rlimit.
func raiseFileLimit(*testing.B, uint64) {}

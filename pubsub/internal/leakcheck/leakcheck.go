// Package leakcheck finds goroutines left running by a test, with the standard library only.
package leakcheck

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Timeout is how long Check waits for matching goroutines to exit.
const Timeout = 2 * time.Second

// Check waits up to Timeout until no goroutine other than the caller's has a stack that
// contains any of substrs (function names such as "ws.(*Client)"), and fails t listing the
// remaining stacks otherwise.
func Check(t testing.TB, substrs ...string) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		left := Matching(substrs...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines still running %v after %v:\n\n%s",
				len(left), substrs, Timeout, strings.Join(left, "\n\n"))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Matching returns the stacks of the goroutines, except the caller's, that contain any of
// substrs.
func Matching(substrs ...string) []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	stacks := strings.Split(string(buf), "\n\n")
	var out []string
	// The first stack is the calling goroutine's.
	for _, st := range stacks[1:] {
		for _, s := range substrs {
			if strings.Contains(st, s) {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// Widths of the separator lines under table headers.
const (
	wideRule   = 70
	narrowRule = 60
)

// writeJSON writes v as one JSON document indented by two spaces, with
// '<', '>' and '&' left unescaped, followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding JSON output: %w", err)
	}
	return nil
}

// rule returns a separator line of n dashes.
func rule(n int) string { return strings.Repeat("-", n) }

// label returns the text of an optional label or enum value, and whether it
// is set. An absent and a null value are both unset.
func label[T ~string](o taskgraph.Opt[T]) (string, bool) {
	v, ok := o.Get()
	return string(v), ok
}

// textOrDash returns *s for a plain table, "-" when s is nil.
func textOrDash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// labelJSON returns the value of o for JSON output, nil (null) when unset.
func labelJSON[T ~string](o taskgraph.Opt[T]) *string {
	if v, ok := label(o); ok {
		return &v
	}
	return nil
}

// displayStatus returns the status shown for a task: its own, or pending
// when it has none.
func displayStatus(o taskgraph.Opt[taskgraph.Status]) string {
	if v, ok := label(o); ok {
		return v
	}
	return string(taskgraph.StatusPending)
}

// nodeStatus returns the status shown for a graph node, pending when unset.
func nodeStatus(a taskgraph.NodeAttrs) string {
	if a.Status == "" {
		return string(taskgraph.StatusPending)
	}
	return string(a.Status)
}

// attrText returns a node label for a plain table, "-" when unset.
func attrText[T ~string](v T) string {
	if v == "" {
		return "-"
	}
	return string(v)
}

// attrJSON returns a node label for JSON output, nil (null) when unset.
func attrJSON[T ~string](v T) *string {
	if v == "" {
		return nil
	}
	s := string(v)
	return &s
}

// nonNil returns s, or an empty slice when s is nil, so that JSON output
// writes [] and never null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// joinValues returns the enum values joined by ", ", as used in the
// messages for invalid flag values.
func joinValues[T ~string](values []T) string {
	return strings.Join(stringsOf(values), ", ")
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/alkdev/alkhub/taskgraph"
)

// writeDOT writes g as a Graphviz digraph: one quoted node statement per
// task in node order, then one edge statement per dependency in edge order.
func writeDOT(w io.Writer, g *taskgraph.TaskGraph) error {
	var b strings.Builder
	b.WriteString("digraph taskgraph {\n  rankdir=LR;\n")
	for _, id := range g.IDs() {
		fmt.Fprintf(&b, "  %s;\n", quoteDOT(id))
	}
	for _, edge := range g.Edges() {
		fmt.Fprintf(&b, "  %s -> %s;\n", quoteDOT(edge.From), quoteDOT(edge.To))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// quoteDOT returns id as a DOT quoted string, escaping backslashes, quotes
// and newlines.
func quoteDOT(id string) string {
	var b strings.Builder
	b.Grow(len(id) + 2)
	b.WriteByte('"')
	for i := 0; i < len(id); i++ {
		switch c := id[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (c *cli) runGraph(inv *invocation) error {
	p, err := c.loadProject(inv)
	if err != nil {
		return err
	}

	var doc bytes.Buffer
	if inv.jsonOutput() {
		err = writeJSON(&doc, p.graph.Export())
	} else {
		err = writeDOT(&doc, p.graph)
	}
	if err != nil {
		return err
	}

	file := inv.opts.output
	if file == "" {
		_, err := inv.out.Write(doc.Bytes())
		return err
	}
	if err := os.WriteFile(file, doc.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing graph: %w", err)
	}
	if inv.jsonOutput() {
		return writeJSON(inv.out, struct {
			Path string `json:"path"`
		}{file})
	}
	image := strings.TrimSuffix(file, filepath.Ext(file)) + ".png"
	fmt.Fprintf(inv.out, "Graph written to: %s\n", file)
	fmt.Fprintf(inv.out, "Render with: dot -Tpng %s -o %s\n", file, image)
	return nil
}

package taskgraph_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/taskgraph"
)

// addFrontmatterSeeds adds the inputs of the split and parse tables.
func addFrontmatterSeeds(f *testing.F) {
	var split, parse []struct{ Input string }
	readJSON(f, "split.json", &split)
	readJSON(f, "parse.json", &parse)
	for _, c := range append(split, parse...) {
		f.Add(c.Input)
	}
}

func FuzzSplitFrontmatter(f *testing.F) {
	addFrontmatterSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		data, content, ok := taskgraph.SplitFrontmatter(s)
		if !ok {
			if data != "" || content != "" {
				t.Fatalf("not ok but returned %q, %q", data, content)
			}
			return
		}
		if !strings.Contains(s, data) || !strings.HasSuffix(s, content) {
			t.Fatalf("data %q or content %q not taken from the input", data, content)
		}
		if data != "" && !strings.Contains(s, data+"\n---") {
			t.Fatalf("data %q is not followed by the closing line", data)
		}
	})
}

func FuzzParseFrontmatter(f *testing.F) {
	addFrontmatterSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		for _, opts := range [][]taskgraph.ParseOption{nil, {taskgraph.Strict()}} {
			task, err := taskgraph.ParseFrontmatter(s, opts...)
			if err != nil {
				if _, ok := errors.AsType[*taskgraph.InvalidInputError](err); !ok {
					t.Fatalf("error %v (%T) is not an *InvalidInputError", err, err)
				}
				continue
			}
			out, err := taskgraph.SerializeFrontmatter(task, "")
			if err != nil {
				t.Fatalf("serialising a parsed task: %v", err)
			}
			again, err := taskgraph.ParseFrontmatter(out, taskgraph.Strict())
			if err != nil {
				t.Fatalf("parsing the serialised task: %v\n%s", err, out)
			}
			checkEqual(t, "round trip", again, task)
		}
	})
}

func FuzzFromJSON(f *testing.F) {
	var graphs map[string]json.RawMessage
	readJSON(f, "graphs.json", &graphs)
	for _, doc := range graphs {
		f.Add([]byte(doc))
	}
	f.Add([]byte(`{"options":{"type":"directed","multi":false,"allowSelfLoops":false},` +
		`"attributes":{"x":[1,{"y":null}]},"nodes":[{"key":"a","attributes":{"name":"A"}}],` +
		`"edges":[{"key":"e","source":"a","target":"a","attributes":{}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := taskgraph.FromJSON(data)
		if err != nil {
			if !errors.Is(err, taskgraph.ErrTaskgraph) {
				t.Fatalf("error %v (%T) is not a package error", err, err)
			}
			return
		}
		exported, err := json.Marshal(g)
		if err != nil {
			t.Fatalf("marshalling an imported graph: %v", err)
		}
		again, err := taskgraph.FromJSON(exported)
		if err != nil {
			t.Fatalf("importing an export: %v\n%s", err, exported)
		}
		checkEqual(t, "export round trip", again.Export(), g.Export())
	})
}

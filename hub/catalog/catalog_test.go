package catalog

import (
	"slices"
	"testing"

	"github.com/alkdev/alkhub/operations"
)

func spec(ns, name, title, desc string, tags ...string) operations.OperationSpec {
	return operations.OperationSpec{
		Namespace: ns, Name: name, Version: "1.0.0", Type: operations.TypeQuery,
		Title: title, Description: desc, Tags: tags,
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"fs.read", []string{"fs", "read"}},
		{"git.worktreeCreate", []string{"git", "worktree", "create"}},
		{"HTTPServer", []string{"http", "server"}},
		{"dev.6f0e-2a.fs", []string{"dev", "6f0e", "2a", "fs"}},
		{"  ", nil},
		{"Read a file", []string{"read", "a", "file"}},
	}
	for _, tt := range tests {
		if got := Tokenize(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchWeightsAndTies(t *testing.T) {
	c := New()
	c.Put(Entry{Spec: spec("fs", "read", "", "read a file"), Available: true})
	c.Put(Entry{Spec: spec("text", "upper", "Read aloud", ""), Available: true})
	c.Put(Entry{Spec: spec("math", "add", "", "adds numbers", "reader"), Available: true})
	c.Put(Entry{Spec: spec("zz", "read", "", ""), Available: false})

	hits := c.Search("read", 10, nil)
	var ids []string
	var scores []float64
	for _, h := range hits {
		ids = append(ids, h.ID())
		scores = append(scores, h.Score)
	}
	wantIDs := []string{"fs.read", "text.upper", "math.add"}
	wantScores := []float64{3, 2, 1}
	if !slices.Equal(ids, wantIDs) {
		t.Errorf("ids = %v, want %v", ids, wantIDs)
	}
	if !slices.Equal(scores, wantScores) {
		t.Errorf("scores = %v, want %v (name 3, title 2, tag prefix 2/2)", scores, wantScores)
	}
}

func TestSearchSumsTermsAndFilters(t *testing.T) {
	c := New()
	c.Put(Entry{Spec: spec("fs", "read", "", "read a file from disk"), Available: true})
	c.Put(Entry{Spec: spec("fs", "write", "", "write a file"), Available: true})

	hits := c.Search("fs file", 10, nil)
	if len(hits) != 2 || hits[0].Score != 4 || hits[1].Score != 4 {
		t.Fatalf("hits = %+v, want two hits scoring 3+1", hits)
	}
	if hits[0].ID() != "fs.read" {
		t.Errorf("tie not broken by id: first = %s", hits[0].ID())
	}

	hits = c.Search("file", 10, func(e Entry) bool { return e.Spec.Name != "read" })
	if len(hits) != 1 || hits[0].ID() != "fs.write" {
		t.Errorf("filtered hits = %+v, want only fs.write", hits)
	}
}

func TestSearchSeesRemovalsAndUpdates(t *testing.T) {
	c := New()
	c.Put(Entry{Spec: spec("fs", "read", "", ""), Available: true})
	if len(c.Search("read", 10, nil)) != 1 {
		t.Fatal("missing hit")
	}
	c.Remove("fs.read")
	if hits := c.Search("read", 10, nil); len(hits) != 0 {
		t.Errorf("removed entry still found: %+v", hits)
	}
	c.Put(Entry{Spec: spec("fs", "stat", "", ""), Available: true})
	c.Update("fs.stat", func(e *Entry) { e.Available = false })
	if hits := c.Search("stat", 10, nil); len(hits) != 0 {
		t.Errorf("unavailable entry found: %+v", hits)
	}
}

func TestListPagesInIDOrder(t *testing.T) {
	c := New()
	for _, name := range []string{"e", "b", "d", "a", "c"} {
		c.Put(Entry{Spec: spec("ns", name, "", ""), Available: name != "d"})
	}
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		entries, next, err := c.List(ListOptions{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			got = append(got, e.ID())
		}
		if next == "" {
			break
		}
		if page > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	want := []string{"ns.a", "ns.b", "ns.c", "ns.e"}
	if !slices.Equal(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}

	all, _, err := c.List(ListOptions{Limit: 10, IncludeUnavailable: true})
	if err != nil || len(all) != 5 {
		t.Errorf("IncludeUnavailable listed %d entries (err %v), want 5", len(all), err)
	}
	for _, bad := range []string{"%%", "garbage", "YWZ0ZXI6"} {
		if _, _, err := c.List(ListOptions{Limit: 1, Cursor: bad}); err != ErrBadCursor {
			t.Errorf("cursor %q: error = %v, want ErrBadCursor", bad, err)
		}
	}
}

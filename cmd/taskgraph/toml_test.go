package main

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// plainTOML converts decoded TOML into plain Go values for comparison.
func plainTOML(v any) any {
	switch v := v.(type) {
	case *tomlTable:
		m := map[string]any{}
		for k, item := range v.entries {
			m[k] = plainTOML(item)
		}
		return m
	case *tomlArray:
		items := []any{}
		for _, item := range v.items {
			items = append(items, plainTOML(item))
		}
		return items
	}
	return v
}

func TestParseTOMLValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want map[string]any
	}{
		{"empty", "", map[string]any{}},
		{"comments and blank lines", "# top\n\n  # indented\n", map[string]any{}},
		{"basic string escapes", `s = "a\tb\n\"q\" \\ \u00e9 \U0001F600"`,
			map[string]any{"s": "a\tb\n\"q\" \\ é 😀"}},
		{"literal string", `s = 'C:\path\no escapes'`, map[string]any{"s": `C:\path\no escapes`}},
		{"multi-line basic", "s = \"\"\"\nline one\nline two \\\n    continued\"\"\"",
			map[string]any{"s": "line one\nline two continued"}},
		{"line-ending backslash keeps hash", "s = \"\"\"a \\\n\n   # kept\"\"\"",
			map[string]any{"s": "a # kept"}},
		{"multi-line basic with quotes at the end", `s = """say ""hi"""""`,
			map[string]any{"s": `say ""hi""`}},
		{"multi-line literal", "s = '''\nraw \\n\r\nline'''", map[string]any{"s": "raw \\n\nline"}},
		{"integers", "a = 42\nb = -17\nc = 1_000\nd = 0xDEAD_beef\ne = 0o755\nf = 0b1010\ng = +0",
			map[string]any{"a": int64(42), "b": int64(-17), "c": int64(1000),
				"d": int64(0xdeadbeef), "e": int64(0o755), "f": int64(10), "g": int64(0)}},
		{"floats", "a = 3.14\nb = -0.5e-3\nc = 1e6\nd = 6.626_07e-34\ne = inf\nf = -inf",
			map[string]any{"a": 3.14, "b": -0.0005, "c": 1e6, "d": 6.62607e-34,
				"e": math.Inf(1), "f": math.Inf(-1)}},
		{"booleans", "t = true\nf = false", map[string]any{"t": true, "f": false}},
		{"date-times",
			"a = 1979-05-27T07:32:00Z\nb = 1979-05-27 07:32:00.999-07:00\nc = 1979-05-27\nd = 07:32:00",
			map[string]any{"a": tomlDateTime("1979-05-27T07:32:00Z"),
				"b": tomlDateTime("1979-05-27 07:32:00.999-07:00"),
				"c": tomlDateTime("1979-05-27"), "d": tomlDateTime("07:32:00")}},
		{"arrays", "a = [1, 2, 3]\nb = [\n  'x', # first\n  \"y\",\n]\nc = [[1], ['mixed']]\nd = []",
			map[string]any{"a": []any{int64(1), int64(2), int64(3)}, "b": []any{"x", "y"},
				"c": []any{[]any{int64(1)}, []any{"mixed"}}, "d": []any{}}},
		{"inline tables", "p = { x = 1, y.z = 'deep' }\ne = {}",
			map[string]any{"p": map[string]any{"x": int64(1), "y": map[string]any{"z": "deep"}},
				"e": map[string]any{}}},
		{"tables and dotted keys",
			"top = 1\n[a.b]\nc = 2\n[a]\nd = 3\n[\"quoted key\".'lit']\ne.f = 4",
			map[string]any{"top": int64(1),
				"a":          map[string]any{"b": map[string]any{"c": int64(2)}, "d": int64(3)},
				"quoted key": map[string]any{"lit": map[string]any{"e": map[string]any{"f": int64(4)}}}}},
		{"array of tables", "[[item]]\nn = 1\n[item.sub]\nx = true\n[[item]]\nn = 2",
			map[string]any{"item": []any{
				map[string]any{"n": int64(1), "sub": map[string]any{"x": true}},
				map[string]any{"n": int64(2)},
			}}},
		{"subtable of dotted table", "[fruit]\napple.color = 'red'\n[fruit.apple.texture]\nsmooth = true",
			map[string]any{"fruit": map[string]any{"apple": map[string]any{
				"color": "red", "texture": map[string]any{"smooth": true}}}}},
		{"CRLF line endings", "[project]\r\ntasks_dir = \"t\"\r\n",
			map[string]any{"project": map[string]any{"tasks_dir": "t"}}},
		{"bare keys", "key-with_dash = 1\n1234 = 2",
			map[string]any{"key-with_dash": int64(1), "1234": int64(2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := parseTOML(tt.doc)
			if err != nil {
				t.Fatalf("parseTOML: %v", err)
			}
			if got := plainTOML(doc); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decoded %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestParseTOMLNaN(t *testing.T) {
	t.Parallel()
	doc, err := parseTOML("n = nan")
	if err != nil {
		t.Fatal(err)
	}
	v, _ := doc.lookup("n")
	if f, ok := v.(float64); !ok || !math.IsNaN(f) {
		t.Errorf("n = %#v, want NaN", v)
	}
}

func TestParseTOMLErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		want string
	}{
		{"unclosed table", "[project\n", `line 1: missing "]"`},
		{"missing equals", "key value", "line 1: missing '='"},
		{"missing value", "a =\n", "line 1: missing value"},
		{"bare word value", "a = word", `line 1: invalid value "word"`},
		{"two values on a line", "a = 1 b = 2", "line 1: unexpected 'b'"},
		{"duplicate key", "a = 1\na = 2", `line 2: key "a" is defined twice`},
		{"table defined twice", "[a]\n[a]", `line 2: table "a" is defined twice`},
		{"table over value", "a = 1\n[a]", `key "a" is already defined as a value`},
		{"dotted key over value", "a = 1\na.b = 2", `key "a" is already defined as a value`},
		{"header after dotted table", "[x]\ny.z = 1\n[x.y]", `table "x.y" is defined twice`},
		{"dotted key into header table", "[a.b]\n[a]\nb.c = 1", "cannot be extended by a dotted key"},
		{"extend inline table", "a = {b = 1}\n[a.c]", `inline table "a" cannot be extended`},
		{"inline table redefined", "a = {b = 1}\n[a]", `table "a" is defined twice`},
		{"extend static array", "a = [1]\n[[a]]", "static array"},
		{"unterminated string", `a = "abc`, "unterminated string"},
		{"newline in string", "a = \"ab\ncd\"", "unterminated string"},
		{"unterminated multi-line", `a = """abc`, "unterminated multi-line string"},
		{"unterminated literal", "a = 'abc", "unterminated literal string"},
		{"bad escape", `a = "\q"`, `invalid escape sequence \q`},
		{"bad unicode escape", `a = "\uD800"`, "invalid unicode escape"},
		{"control character", "a = \"\x01\"", "control character"},
		{"leading zero", "a = 007", `invalid value "007"`},
		{"double underscore", "a = 1__0", `invalid value "1__0"`},
		{"integer overflow", "a = 9223372036854775808", "does not fit in 64 bits"},
		{"unclosed array", "a = [1, 2", "missing ',' or ']'"},
		{"unclosed inline table", "a = {b = 1", "missing ',' or '}'"},
		{"trailing comma in inline table", "a = {b = 1,}", "invalid character '}'"},
		{"empty key", "= 1", "invalid character '='"},
		{"multi-line key", `"""k""" = 1`, "a key cannot be a multi-line string"},
		{"invalid UTF-8", "a = \"\xff\"", "not valid UTF-8"},
		{"error line counts multi-line strings", "a = \"\"\"\n\n\"\"\"\nb = ?", "line 4:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseTOML(tt.doc)
			if err == nil {
				t.Fatalf("parseTOML(%q) succeeded, want an error", tt.doc)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestTOMLLookup(t *testing.T) {
	t.Parallel()
	doc, err := parseTOML("[project]\ntasks_dir = 'x'\nlist = [1]")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := doc.lookup("project", "tasks_dir"); !ok || v != "x" {
		t.Errorf("project.tasks_dir = %v, %v; want x, true", v, ok)
	}
	if _, ok := doc.lookup("project", "missing"); ok {
		t.Error("project.missing found, want absent")
	}
	if _, ok := doc.lookup("project", "list", "deeper"); ok {
		t.Error("lookup through an array succeeded, want absent")
	}
}

func FuzzParseTOML(f *testing.F) {
	seeds := []string{
		"", "[project]\ntasks_dir = \"tasks\"\n", "[project\n", "a = [1, [2, {b = 'c'}]]",
		"s = \"\"\"\nx\\\n  y\"\"\"", "[[a]]\n[a.b]\nc = 1979-05-27T07:32:00Z", "a = {b.c = 1}\n[a.d]",
		"x = 0x_1", "k = '''\n'''", "\"\\u00e9\" = 1e+5",
	}
	for _, seed := range seeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		table, err := parseTOML(doc)
		if err != nil {
			var tomlErr *tomlError
			if !errors.As(err, &tomlErr) || tomlErr.Line < 1 {
				t.Fatalf("error %v is not a *tomlError with a line", err)
			}
			return
		}
		if table == nil {
			t.Fatal("nil table without an error")
		}
	})
}

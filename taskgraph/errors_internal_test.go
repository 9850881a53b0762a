package taskgraph

import "testing"

func TestInvalidInputFromPointer(t *testing.T) {
	tests := []struct{ pointer, field string }{
		{"/dependsOn", "dependsOn"},
		{"/risk", "risk"},
		{"/attributes/risk", "attributes/risk"},
		{"name", "name"},
		{"", ""},
	}
	for _, tc := range tests {
		e := invalidInput(tc.pointer, "Expected array, received string")
		if e.Field != tc.field {
			t.Errorf("pointer %q: Field = %q, want %q", tc.pointer, e.Field, tc.field)
		}
		if e.Message != "Expected array, received string" {
			t.Errorf("pointer %q: Message = %q", tc.pointer, e.Message)
		}
	}
}

package cow

import "testing"

func TestAddAndRemoveKeepOldSlices(t *testing.T) {
	table := map[string][]*int{}
	a, b := new(int), new(int)
	if !Add(table, "k", a) {
		t.Error("Add of the first entry reported first = false")
	}
	before := table["k"]
	if Add(table, "k", b) {
		t.Error("Add of the second entry reported first = true")
	}
	if len(before) != 1 || before[0] != a {
		t.Errorf("slice read before the second Add changed to %v", before)
	}
	if got := table["k"]; len(got) != 2 || got[0] != a || got[1] != b {
		t.Errorf("table[k] = %v, want [a b]", got)
	}

	full := table["k"]
	if Remove(table, "k", a) {
		t.Error("Remove with an entry left reported emptied = true")
	}
	if len(full) != 2 || full[0] != a {
		t.Errorf("slice read before Remove changed to %v", full)
	}
	if !Remove(table, "k", b) {
		t.Error("Remove of the last entry reported emptied = false")
	}
	if _, ok := table["k"]; ok {
		t.Error("key still present after its last entry was removed")
	}
	if Remove(table, "missing", a) {
		t.Error("Remove on a missing key reported emptied = true")
	}
}

// Package cow maintains the copy-on-write tables of the pubsub transports: maps from a key to
// an immutable slice of entries, replaced on every change so that readers can use a slice
// after releasing the lock that guarded the lookup.
package cow

// Add stores in table[key] a new slice with the old entries followed by e, and reports
// whether e is the key's first entry. The caller holds the table's lock.
func Add[K comparable, T any](table map[K][]*T, key K, e *T) (first bool) {
	old := table[key]
	next := make([]*T, len(old), len(old)+1)
	copy(next, old)
	table[key] = append(next, e)
	return len(old) == 0
}

// Remove stores in table[key] a new slice without e, deletes the key when no entry remains,
// and reports whether it did. The caller holds the table's lock.
func Remove[K comparable, T any](table map[K][]*T, key K, e *T) (emptied bool) {
	old, ok := table[key]
	if !ok {
		return false
	}
	next := make([]*T, 0, len(old))
	for _, x := range old {
		if x != e {
			next = append(next, x)
		}
	}
	if len(next) == 0 {
		delete(table, key)
		return true
	}
	table[key] = next
	return false
}

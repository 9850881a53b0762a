// Package catalog keeps the hub's view of every callable operation: its
// spec, who provides it and whether it is available, with listing in id
// order and a weighted full-text search over ids, names, titles, tags and
// descriptions.
//
// The catalog holds no handlers and does no access control: callers pass a
// filter that keeps only the entries the caller may call.
package catalog

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/alkdev/alkhub/operations"
)

// Kind is where an operation's handler lives.
type Kind string

// Provider kinds.
const (
	KindHub    Kind = "hub"    // a handler inside the hub process
	KindImport Kind = "import" // an imported MCP server or OpenAPI service
	KindSpoke  Kind = "spoke"  // one spoke, under its remapped id
	KindAlias  Kind = "alias"  // the plain id, served by a selected spoke
)

// Provider describes who serves an entry.
type Provider struct {
	Kind       Kind   `json:"kind"`
	SpokeID    string `json:"spokeId,omitempty"`
	SpokeName  string `json:"spokeName,omitempty"`
	OriginalID string `json:"originalId,omitempty"`
	// Providers counts the active providers of an alias.
	Providers int `json:"providers,omitempty"`
}

// Entry is one operation as the catalog stores it. Entries are values: the
// catalog stores copies and returns copies, but the spec's slices and maps
// are shared and must not be modified.
type Entry struct {
	Spec      operations.OperationSpec
	Provider  Provider
	Available bool
	// OwnerID is the account owning the providing spoke ("" for hub and
	// import entries). Public marks a spoke registered with public
	// visibility. Both feed the hub's visibility check.
	OwnerID string
	Public  bool
}

// ID returns the entry's operation id.
func (e Entry) ID() string { return e.Spec.ID() }

// Catalog is safe for concurrent use.
type Catalog struct {
	mu      sync.RWMutex
	entries map[string]Entry
	index   *searchIndex
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{entries: make(map[string]Entry), index: newSearchIndex()}
}

// Put adds or replaces the entry with e's id.
func (c *Catalog) Put(e Entry) {
	id := e.ID()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[id] = e
	c.index.put(id, e.Spec)
}

// Update applies fn to the entry with the id, if there is one, and reports
// whether there was.
func (c *Catalog) Update(id string, fn func(*Entry)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[id]
	if !ok {
		return false
	}
	fn(&e)
	c.entries[id] = e
	c.index.put(id, e.Spec)
	return true
}

// Remove deletes the entry with the id and reports whether it existed.
func (c *Catalog) Remove(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[id]; !ok {
		return false
	}
	delete(c.entries, id)
	c.index.remove(id)
	return true
}

// Get returns the entry with the id.
func (c *Catalog) Get(id string) (Entry, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.entries[id]
	return e, ok
}

// Len returns the number of entries.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.entries)
}

// ListOptions selects and pages a listing.
type ListOptions struct {
	Namespace string // exact namespace; "" for all
	Type      operations.OperationType
	// IncludeUnavailable keeps entries that have no usable provider.
	IncludeUnavailable bool
	// Limit is the page size; it must be positive.
	Limit int
	// Cursor is the NextCursor of the previous page; "" for the first.
	Cursor string
	// Keep, when set, drops the entries it returns false for (the
	// caller's access check).
	Keep func(Entry) bool
}

// cursorPrefix marks cursors List made, so arbitrary base64 is refused.
const cursorPrefix = "after:"

// ErrBadCursor is returned for a cursor that List did not produce.
var ErrBadCursor = errors.New("invalid cursor")

// List returns one page of entries sorted by id, and the cursor of the next
// page ("" on the last one).
func (c *Catalog) List(o ListOptions) ([]Entry, string, error) {
	after := ""
	if o.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(o.Cursor)
		id, ok := strings.CutPrefix(string(b), cursorPrefix)
		if err != nil || !ok || id == "" {
			return nil, "", ErrBadCursor
		}
		after = id
	}

	c.mu.RLock()
	ids := make([]string, 0, len(c.entries))
	for id := range c.entries {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	page := make([]Entry, 0, min(o.Limit, len(ids)))
	next := ""
	for _, id := range ids {
		e := c.entries[id]
		if !o.matches(e) {
			continue
		}
		if len(page) == o.Limit {
			next = base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + page[len(page)-1].ID()))
			break
		}
		page = append(page, e)
	}
	c.mu.RUnlock()
	return page, next, nil
}

func (o ListOptions) matches(e Entry) bool {
	switch {
	case o.Namespace != "" && e.Spec.Namespace != o.Namespace:
		return false
	case o.Type != "" && e.Spec.Type != o.Type:
		return false
	case !o.IncludeUnavailable && !e.Available:
		return false
	case o.Keep != nil && !o.Keep(e):
		return false
	}
	return true
}

// Scored is a search hit.
type Scored struct {
	Entry
	Score float64
}

// Search returns up to limit available entries that match the query, best
// score first and ties by id. keep filters entries as in ListOptions.
func (c *Catalog) Search(query string, limit int, keep func(Entry) bool) []Scored {
	terms := Tokenize(query)
	if len(terms) == 0 || limit <= 0 {
		return nil
	}

	c.mu.RLock()
	dirty := c.index.dirty
	c.mu.RUnlock()
	if dirty {
		c.mu.Lock()
		c.index.sortTokens()
		c.mu.Unlock()
	}

	c.mu.RLock()
	scores := c.index.score(terms)
	hits := make([]Scored, 0, len(scores))
	for id, s := range scores {
		e := c.entries[id]
		if !e.Available || (keep != nil && !keep(e)) {
			continue
		}
		hits = append(hits, Scored{Entry: e, Score: s})
	}
	c.mu.RUnlock()

	slices.SortFunc(hits, func(a, b Scored) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID(), b.ID())
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

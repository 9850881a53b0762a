package storage

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Order is the direction of a keyset page.
type Order string

// Page directions; the empty Order means OrderAsc.
const (
	OrderAsc  Order = "asc"
	OrderDesc Order = "desc"
)

// Page size limits.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
)

// PageRequest asks for one page of a list.
type PageRequest struct {
	// Limit is the page size: <= 0 means 50, larger than 200 means 200.
	Limit int
	// Cursor is the NextCursor of the previous page; empty for the first.
	Cursor string
	// Order is asc (default) or desc.
	Order Order
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T `json:"items"`
	// NextCursor continues the list; empty on the last page.
	NextCursor string `json:"nextCursor,omitempty"`
}

func (p PageRequest) limit() int {
	switch {
	case p.Limit <= 0:
		return DefaultPageLimit
	case p.Limit > MaxPageLimit:
		return MaxPageLimit
	}
	return p.Limit
}

func (p PageRequest) order() (Order, error) {
	switch p.Order {
	case "", OrderAsc:
		return OrderAsc, nil
	case OrderDesc:
		return OrderDesc, nil
	}
	return "", fmt.Errorf("%w: page order %q (want asc or desc)", ErrInvalid, p.Order)
}

// cursorDoc is the decoded form of a cursor: version, order, the key of the
// last item and a hash of the table and filter it was made for.
type cursorDoc struct {
	V int       `json:"v"`
	O Order     `json:"o"`
	K [2]string `json:"k"`
	F string    `json:"f"`
}

// keyset is a position in a (time, id) ordered list.
type keyset struct {
	At time.Time
	ID string
}

// filterHash returns the first 8 hex characters of the SHA-256 of the table
// name and the canonical JSON of filter.
func filterHash(table string, filter any) string {
	b, _ := json.Marshal(filter)
	sum := sha256.Sum256(append([]byte(table+"\x00"), b...))
	return hex.EncodeToString(sum[:])[:8]
}

func encodeCursor(o Order, k keyset, fh string) string {
	doc := cursorDoc{V: 1, O: o, K: [2]string{k.At.UTC().Format(timeLayoutMillis), k.ID}, F: fh}
	b, _ := json.Marshal(doc)
	return base64.RawURLEncoding.EncodeToString(b)
}

// timeLayoutMillis is RFC 3339 with exactly three fractional digits.
const timeLayoutMillis = "2006-01-02T15:04:05.000Z07:00"

// decodeCursor returns the position a cursor encodes, or nil for an empty
// cursor. It fails with ErrInvalidCursor when the cursor does not decode,
// has another version or order, or was made for another filter.
func decodeCursor(cursor string, o Order, fh string) (*keyset, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrInvalidCursor)
	}
	var doc cursorDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a cursor document", ErrInvalidCursor)
	}
	switch {
	case doc.V != 1:
		return nil, fmt.Errorf("%w: version %d", ErrInvalidCursor, doc.V)
	case doc.O != o:
		return nil, fmt.Errorf("%w: made for order %q, requested %q", ErrInvalidCursor, doc.O, o)
	case doc.F != fh:
		return nil, fmt.Errorf("%w: made for another list or filter", ErrInvalidCursor)
	}
	at, err := time.Parse(time.RFC3339Nano, doc.K[0])
	if err != nil || doc.K[1] == "" {
		return nil, fmt.Errorf("%w: bad position", ErrInvalidCursor)
	}
	return &keyset{At: at.UTC(), ID: doc.K[1]}, nil
}

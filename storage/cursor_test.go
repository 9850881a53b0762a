package storage

import (
	"errors"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 100_000_000, time.UTC)
	fh := filterHash("audit_logs", map[string]string{"ownerId": "a"})
	c := encodeCursor(OrderDesc, keyset{At: at, ID: "0190-x"}, fh)
	got, err := decodeCursor(c, OrderDesc, fh)
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	if !got.At.Equal(at) || got.ID != "0190-x" {
		t.Errorf("decoded %+v, want %v 0190-x", got, at)
	}
	if _, err := decodeCursor(c, OrderAsc, fh); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("other order: %v", err)
	}
	if _, err := decodeCursor(c, OrderDesc, filterHash("audit_logs", nil)); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("other filter: %v", err)
	}
	if _, err := (PageRequest{Order: "sideways"}).order(); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown order: %v", err)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	fh := filterHash("t", nil)
	f.Add(encodeCursor(OrderAsc, keyset{At: time.Unix(0, 0), ID: "x"}, fh))
	f.Add("")
	f.Add("eyJ2IjoxfQ")
	f.Fuzz(func(t *testing.T, cursor string) {
		pos, err := decodeCursor(cursor, OrderAsc, fh)
		if err != nil && !errors.Is(err, ErrInvalidCursor) {
			t.Fatalf("decoding %q: error %v is not ErrInvalidCursor", cursor, err)
		}
		if err == nil && cursor != "" && (pos == nil || pos.ID == "") {
			t.Fatalf("decoding %q: accepted without a position", cursor)
		}
	})
}

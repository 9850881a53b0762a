package auth

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// memoryKeys is an in-memory KeyStore that counts lookups.
type memoryKeys struct {
	mu      sync.Mutex
	keys    map[string]KeyRecord
	lookups int
	err     error
}

func (m *memoryKeys) KeyByHash(_ context.Context, hash string) (KeyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lookups++
	if m.err != nil {
		return KeyRecord{}, m.err
	}
	rec, ok := m.keys[hash]
	if !ok {
		return KeyRecord{}, ErrKeyNotFound
	}
	return rec, nil
}

func (m *memoryKeys) set(rec KeyRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys[rec.KeyHash] = rec
}

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newFixture(t *testing.T) (*Authenticator, *memoryKeys, *fakeClock, NewKey) {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	store := &memoryKeys{keys: map[string]KeyRecord{}}
	store.set(KeyRecord{
		ID: "key-1", OwnerID: "acct-1", KeyHash: k.Hash, Scopes: []string{ScopeOpsCall},
		Enabled: true, OwnerAccessLevel: AccessLevelUser, OwnerEnabled: true,
	})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := NewAuthenticator(store, AuthenticatorOptions{Now: clock.now})
	return a, store, clock, k
}

func TestAuthenticateValidKey(t *testing.T) {
	a, store, _, k := newFixture(t)
	p, err := a.Authenticate(context.Background(), k.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if p.KeyID != "key-1" || p.AccountID != "acct-1" || p.Identity.ID != "acct-1" {
		t.Errorf("principal = %+v", p)
	}
	if !slices.Equal(p.Identity.Scopes, []string{ScopeOpsCall}) {
		t.Errorf("scopes = %v", p.Identity.Scopes)
	}
	if _, err := a.Authenticate(context.Background(), k.Plaintext); err != nil {
		t.Fatal(err)
	}
	if store.lookups != 1 {
		t.Errorf("lookups = %d, want 1 (second use served from cache)", store.lookups)
	}
}

func TestAuthenticateRejects(t *testing.T) {
	past := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		mutate func(*KeyRecord)
	}{
		{"disabled", func(r *KeyRecord) { r.Enabled = false }},
		{"revoked", func(r *KeyRecord) { r.RevokedAt = &past }},
		{"expired", func(r *KeyRecord) { r.ExpiresAt = &past }},
		{"account disabled", func(r *KeyRecord) { r.OwnerEnabled = false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, store, _, k := newFixture(t)
			rec := store.keys[k.Hash]
			tt.mutate(&rec)
			store.set(rec)
			if _, err := a.Authenticate(context.Background(), k.Plaintext); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("err = %v, want ErrUnauthenticated", err)
			}
		})
	}
}

func TestAuthenticateMalformedSkipsLookup(t *testing.T) {
	a, store, _, _ := newFixture(t)
	for _, token := range []string{"", "Bearer x", "alk_short"} {
		if _, err := a.Authenticate(context.Background(), token); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) err = %v", token, err)
		}
	}
	if store.lookups != 0 {
		t.Errorf("lookups = %d, want 0 for malformed tokens", store.lookups)
	}
}

func TestAuthenticateNegativeCache(t *testing.T) {
	a, store, clock, _ := newFixture(t)
	unknown, _ := GenerateKey()
	for range 3 {
		if _, err := a.Authenticate(context.Background(), unknown.Plaintext); !errors.Is(err, ErrUnauthenticated) {
			t.Fatalf("err = %v", err)
		}
	}
	if store.lookups != 1 {
		t.Errorf("lookups = %d, want 1 within the negative TTL", store.lookups)
	}
	clock.advance(11 * time.Second)
	_, _ = a.Authenticate(context.Background(), unknown.Plaintext)
	if store.lookups != 2 {
		t.Errorf("lookups = %d, want 2 after the negative TTL", store.lookups)
	}
}

func TestAuthenticateCachedKeyExpires(t *testing.T) {
	a, store, clock, k := newFixture(t)
	exp := clock.t.Add(30 * time.Second)
	rec := store.keys[k.Hash]
	rec.ExpiresAt = &exp
	store.set(rec)

	if _, err := a.Authenticate(context.Background(), k.Plaintext); err != nil {
		t.Fatal(err)
	}
	clock.advance(31 * time.Second)
	if _, err := a.Authenticate(context.Background(), k.Plaintext); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("cached key past its expiry: err = %v, want ErrUnauthenticated", err)
	}
}

func TestInvalidateRechecksStore(t *testing.T) {
	a, store, clock, k := newFixture(t)
	if _, err := a.Authenticate(context.Background(), k.Plaintext); err != nil {
		t.Fatal(err)
	}
	revoked := clock.t
	rec := store.keys[k.Hash]
	rec.RevokedAt = &revoked
	store.set(rec)

	if _, err := a.Authenticate(context.Background(), k.Plaintext); err != nil {
		t.Fatalf("cached key rejected before invalidation: %v", err)
	}
	a.Invalidate(k.Hash)
	if _, err := a.Authenticate(context.Background(), k.Plaintext); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("revoked key after Invalidate: err = %v, want ErrUnauthenticated", err)
	}
}

func TestAuthenticateStoreFailureIsNotUnauthenticated(t *testing.T) {
	a, store, _, k := newFixture(t)
	store.err = errors.New("database is down")
	_, err := a.Authenticate(context.Background(), k.Plaintext)
	if err == nil || errors.Is(err, ErrUnauthenticated) {
		t.Errorf("err = %v, want a store error distinct from ErrUnauthenticated", err)
	}
}

func TestEffectiveScopesAdmin(t *testing.T) {
	got := EffectiveScopes([]string{ScopeAdmin, "custom:x"}, AccessLevelAdmin)
	for _, want := range append(Catalogue(), "custom:x") {
		if !slices.Contains(got, want) {
			t.Errorf("admin account scopes %v lack %s", got, want)
		}
	}
	got = EffectiveScopes([]string{ScopeAdmin, ScopeOpsList}, AccessLevelUser)
	if !slices.Equal(got, []string{ScopeOpsList}) {
		t.Errorf("admin scope on a user account = %v, want only ops:list", got)
	}
}

func TestOnUsedThrottled(t *testing.T) {
	k, _ := GenerateKey()
	store := &memoryKeys{keys: map[string]KeyRecord{}}
	store.set(KeyRecord{ID: "key-1", OwnerID: "a", KeyHash: k.Hash, Enabled: true, OwnerEnabled: true})
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var touches int
	a := NewAuthenticator(store, AuthenticatorOptions{Now: clock.now, OnUsed: func(string, time.Time) { touches++ }})
	for range 5 {
		_, _ = a.Authenticate(context.Background(), k.Plaintext)
	}
	clock.advance(61 * time.Second)
	_, _ = a.Authenticate(context.Background(), k.Plaintext)
	if touches != 2 {
		t.Errorf("touches = %d, want 2 (once per minute)", touches)
	}
}

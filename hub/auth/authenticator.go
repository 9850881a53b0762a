package auth

import (
	"container/list"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/alkdev/alkhub/operations"
)

// ErrUnauthenticated is returned for a missing, malformed, unknown,
// disabled, revoked or expired key, and for a key whose account is
// disabled. Callers never learn which check failed.
var ErrUnauthenticated = errors.New("invalid API key")

// ErrKeyNotFound is the error a KeyStore returns when no key has the hash.
var ErrKeyNotFound = errors.New("API key not found")

// KeyRecord is the stored key and owning account data the authenticator
// checks.
type KeyRecord struct {
	ID        string
	OwnerID   string
	KeyHash   string
	Scopes    []string
	Resources map[string][]string
	Enabled   bool
	ExpiresAt *time.Time
	RevokedAt *time.Time

	OwnerAccessLevel string
	OwnerEnabled     bool
}

// KeyStore looks keys up by hash. It returns ErrKeyNotFound (possibly
// wrapped) when no key has the hash.
type KeyStore interface {
	KeyByHash(ctx context.Context, hash string) (KeyRecord, error)
}

// Principal is the result of authenticating a request.
type Principal struct {
	KeyID     string
	AccountID string
	KeyHash   string
	Identity  operations.Identity
	// ExpiresAt is the key's expiry; nil when it never expires.
	ExpiresAt *time.Time
}

// AuthenticatorOptions configures an Authenticator. Zero values take the
// defaults shown.
type AuthenticatorOptions struct {
	// PositiveTTL is how long a valid key stays cached (60 s).
	PositiveTTL time.Duration
	// NegativeTTL is how long an unknown hash stays cached (10 s).
	NegativeTTL time.Duration
	// NegativeEntries bounds the negative cache (10,000 hashes, LRU).
	NegativeEntries int
	// TouchInterval is the minimum gap between two OnUsed calls for one
	// key (1 min).
	TouchInterval time.Duration
	// OnUsed, when set, is called after a successful authentication, at
	// most once per TouchInterval per key; it must not block.
	OnUsed func(keyID string, at time.Time)
	Now    func() time.Time
	Logger *slog.Logger
}

// Authenticator validates API keys with a positive and a negative cache.
// It is safe for concurrent use.
type Authenticator struct {
	store KeyStore
	opts  AuthenticatorOptions

	mu        sync.Mutex
	positive  map[string]cachedKey // by key hash
	negative  map[string]*list.Element
	negOrder  *list.List // front = newest; values are negativeEntry
	lastTouch map[string]time.Time
}

type cachedKey struct {
	principal Principal
	cachedAt  time.Time
}

type negativeEntry struct {
	hash     string
	cachedAt time.Time
}

// NewAuthenticator returns an Authenticator over store.
func NewAuthenticator(store KeyStore, o AuthenticatorOptions) *Authenticator {
	if o.PositiveTTL <= 0 {
		o.PositiveTTL = time.Minute
	}
	if o.NegativeTTL <= 0 {
		o.NegativeTTL = 10 * time.Second
	}
	if o.NegativeEntries <= 0 {
		o.NegativeEntries = 10_000
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{
		store:     store,
		opts:      o,
		positive:  make(map[string]cachedKey),
		negative:  make(map[string]*list.Element),
		negOrder:  list.New(),
		lastTouch: make(map[string]time.Time),
	}
}

// Authenticate resolves a key to a principal. Every failure is
// ErrUnauthenticated, except a store failure, which is returned wrapped so
// the caller can respond with 503 rather than 401.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !WellFormed(token) {
		return Principal{}, ErrUnauthenticated
	}
	hash := HashKey(token)
	now := a.opts.Now()

	if p, ok, known := a.cached(hash, now); known {
		if !ok {
			return Principal{}, ErrUnauthenticated
		}
		a.touch(p.KeyID, now)
		return p, nil
	}

	rec, err := a.store.KeyByHash(ctx, hash)
	if errors.Is(err, ErrKeyNotFound) {
		a.rememberUnknown(hash, now)
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("looking up API key %s: %w", DisplayPrefix(token), err)
	}
	if subtle.ConstantTimeCompare([]byte(rec.KeyHash), []byte(hash)) != 1 {
		return Principal{}, ErrUnauthenticated
	}
	if !usable(rec, now) {
		a.rememberUnknown(hash, now)
		return Principal{}, ErrUnauthenticated
	}

	p := Principal{
		KeyID:     rec.ID,
		AccountID: rec.OwnerID,
		KeyHash:   hash,
		Identity: operations.Identity{
			ID:        rec.OwnerID,
			Scopes:    EffectiveScopes(rec.Scopes, rec.OwnerAccessLevel),
			Resources: rec.Resources,
		},
		ExpiresAt: rec.ExpiresAt,
	}
	a.mu.Lock()
	a.positive[hash] = cachedKey{principal: p, cachedAt: now}
	a.mu.Unlock()
	a.touch(p.KeyID, now)
	return p, nil
}

// usable applies the rejection rules to a stored key.
func usable(rec KeyRecord, now time.Time) bool {
	switch {
	case !rec.Enabled, rec.RevokedAt != nil, !rec.OwnerEnabled:
		return false
	case rec.ExpiresAt != nil && !now.Before(*rec.ExpiresAt):
		return false
	}
	return true
}

// cached returns (principal, valid, found). An expired cache entry counts
// as not found; a cached key past its expiry is rejected on every hit.
func (a *Authenticator) cached(hash string, now time.Time) (Principal, bool, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()

	if c, ok := a.positive[hash]; ok {
		if now.Sub(c.cachedAt) < a.opts.PositiveTTL {
			exp := c.principal.ExpiresAt
			if exp != nil && !now.Before(*exp) {
				return Principal{}, false, true
			}
			return c.principal, true, true
		}
		delete(a.positive, hash)
	}
	if el, ok := a.negative[hash]; ok {
		if now.Sub(el.Value.(negativeEntry).cachedAt) < a.opts.NegativeTTL {
			return Principal{}, false, true
		}
		a.negOrder.Remove(el)
		delete(a.negative, hash)
	}
	return Principal{}, false, false
}

func (a *Authenticator) rememberUnknown(hash string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if el, ok := a.negative[hash]; ok {
		a.negOrder.Remove(el)
	}
	a.negative[hash] = a.negOrder.PushFront(negativeEntry{hash: hash, cachedAt: now})
	for a.negOrder.Len() > a.opts.NegativeEntries {
		oldest := a.negOrder.Back()
		a.negOrder.Remove(oldest)
		delete(a.negative, oldest.Value.(negativeEntry).hash)
	}
}

func (a *Authenticator) touch(keyID string, now time.Time) {
	if a.opts.OnUsed == nil {
		return
	}
	a.mu.Lock()
	last, ok := a.lastTouch[keyID]
	due := !ok || now.Sub(last) >= a.opts.TouchInterval
	if due {
		a.lastTouch[keyID] = now
	}
	a.mu.Unlock()
	if due {
		a.opts.OnUsed(keyID, now)
	}
}

// Invalidate drops a key from both caches, so its next use is checked
// against the store. The hub calls it when a key is revoked, updated or
// rotated, or its account is disabled.
func (a *Authenticator) Invalidate(keyHash string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.positive, keyHash)
	if el, ok := a.negative[keyHash]; ok {
		a.negOrder.Remove(el)
		delete(a.negative, keyHash)
	}
}

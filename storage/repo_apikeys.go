package storage

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"
)

// APIKeys reads and writes api_keys.
type APIKeys interface {
	// Create inserts k. KeyHash must be the lowercase hex SHA-256 of the
	// whole key (ErrInvalid otherwise); a hash that exists fails with
	// ErrDuplicate.
	Create(ctx context.Context, k *APIKey) error
	// Authenticate finds the key with keyHash together with its owner in
	// one query, or fails with ErrNotFound. It does not judge validity:
	// see APIKeyWithOwner.Valid.
	Authenticate(ctx context.Context, keyHash string) (APIKeyWithOwner, error)
	// Get returns the key with id, or ErrNotFound.
	Get(ctx context.Context, id string) (APIKey, error)
	// List pages keys in (created_at, id) order.
	List(ctx context.Context, f APIKeyFilter, p PageRequest) (Page[APIKey], error)
	// Rotate inserts next and, atomically with it, ends the old key: with a
	// positive grace its expiry moves to now+grace (never later than it
	// already was), with zero grace it is revoked at once. A revoked or
	// missing old key fails with ErrConflict or ErrNotFound.
	Rotate(ctx context.Context, oldID string, next *APIKey, grace time.Duration) error
	// Revoke sets revoked_at; revoking a revoked key changes nothing.
	Revoke(ctx context.Context, id string) error
	// SetEnabled enables or disables a key.
	SetEnabled(ctx context.Context, id string, enabled bool) error
	// Delete removes a key row; audit rows keep existing with key_id NULL.
	Delete(ctx context.Context, id string) error
	// TouchLastUsed records a use of the key through the write-behind
	// queue, at most once a minute per key. It never blocks and never
	// touches the database on the caller's goroutine.
	TouchLastUsed(id string, at time.Time)
}

// APIKeyFilter narrows APIKeys.List; zero fields do not filter.
type APIKeyFilter struct {
	OwnerID string `json:"ownerId,omitempty"`
	// IncludeRevoked lists revoked keys too.
	IncludeRevoked bool `json:"includeRevoked,omitempty"`
}

var keyHashPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

type apiKeysRepo struct{ rp *repos }

func (r apiKeysRepo) Create(ctx context.Context, k *APIKey) error {
	if !keyHashPattern.MatchString(k.KeyHash) {
		return fmt.Errorf("%w: key hash must be 64 lowercase hex characters", ErrInvalid)
	}
	k.ExpiresAt = normPtr(k.ExpiresAt)
	k.RevokedAt = normPtr(k.RevokedAt)
	if err := r.rp.w.WithContext(ctx).Create(k).Error; err != nil {
		return fmt.Errorf("creating API key %s: %w", k.Prefix, mapError(err, "api_keys", stmtWrite))
	}
	return nil
}

// apiKeyAuthRow reads a key and its owner through one join.
type apiKeyAuthRow struct {
	APIKey
	Owner Account `gorm:"foreignKey:OwnerID"`
}

func (apiKeyAuthRow) TableName() string { return "api_keys" }

func (r apiKeysRepo) Authenticate(ctx context.Context, keyHash string) (APIKeyWithOwner, error) {
	var row apiKeyAuthRow
	err := r.rp.r.WithContext(ctx).Joins("Owner").Where("api_keys.key_hash = ?", keyHash).Take(&row).Error
	if err != nil {
		return APIKeyWithOwner{}, fmt.Errorf("authenticating API key: %w", mapError(err, "api_keys", stmtWrite))
	}
	return APIKeyWithOwner{Key: row.APIKey, Owner: row.Owner}, nil
}

func (r apiKeysRepo) Get(ctx context.Context, id string) (APIKey, error) {
	return getByID[APIKey](ctx, r.rp.r, "api_keys", id)
}

func (r apiKeysRepo) List(ctx context.Context, f APIKeyFilter, p PageRequest) (Page[APIKey], error) {
	q := r.rp.r
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	if !f.IncludeRevoked {
		q = q.Where("revoked_at IS NULL")
	}
	return listPage(ctx, q, "api_keys", f, p, "created_at", func(k *APIKey) keyset { return createdKey(&k.Common) })
}

func (r apiKeysRepo) Rotate(ctx context.Context, oldID string, next *APIKey, grace time.Duration) error {
	return r.rp.inTxInternal(ctx, func(tx *repos) error {
		old, err := tx.APIKeys().Get(ctx, oldID)
		if err != nil {
			return err
		}
		if old.RevokedAt != nil {
			return fmt.Errorf("%w: API key %s is revoked", ErrConflict, oldID)
		}
		if err := tx.APIKeys().Create(ctx, next); err != nil {
			return err
		}
		now := tx.s.now()
		if grace <= 0 {
			return tx.APIKeys().Revoke(ctx, oldID)
		}
		end := Norm(now.Add(grace))
		if old.ExpiresAt != nil && old.ExpiresAt.Before(end) {
			end = *old.ExpiresAt
		}
		err = tx.w.WithContext(ctx).Exec("UPDATE api_keys SET expires_at = ?, updated_at = ? WHERE id = ?",
			end, now, oldID).Error
		if err != nil {
			return fmt.Errorf("expiring rotated API key %s: %w", oldID, mapError(err, "api_keys", stmtWrite))
		}
		return nil
	})
}

func (r apiKeysRepo) Revoke(ctx context.Context, id string) error {
	now := r.rp.s.now()
	res := r.rp.w.WithContext(ctx).Exec(
		"UPDATE api_keys SET revoked_at = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL", now, now, id)
	if res.Error != nil {
		return fmt.Errorf("revoking API key %s: %w", id, mapError(res.Error, "api_keys", stmtWrite))
	}
	if res.RowsAffected == 0 {
		return r.requireExists(ctx, id)
	}
	return nil
}

func (r apiKeysRepo) SetEnabled(ctx context.Context, id string, enabled bool) error {
	res := r.rp.w.WithContext(ctx).Exec("UPDATE api_keys SET enabled = ?, updated_at = ? WHERE id = ?",
		enabled, r.rp.s.now(), id)
	if res.Error != nil {
		return fmt.Errorf("setting API key %s enabled: %w", id, mapError(res.Error, "api_keys", stmtWrite))
	}
	if res.RowsAffected == 0 {
		return notFound("api_keys", id)
	}
	return nil
}

func (r apiKeysRepo) Delete(ctx context.Context, id string) error {
	return deleteByID(ctx, r.rp.w, "api_keys", id)
}

func (r apiKeysRepo) TouchLastUsed(id string, at time.Time) {
	r.rp.s.touches.enqueue(touchAPIKey, id, at)
}

// requireExists returns nil when the key exists and ErrNotFound otherwise.
func (r apiKeysRepo) requireExists(ctx context.Context, id string) error {
	var n int64
	err := r.rp.w.WithContext(ctx).Table("api_keys").Where("id = ?", id).Count(&n).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("reading API key %s: %w", id, mapError(err, "api_keys", stmtWrite))
	}
	if n == 0 {
		return notFound("api_keys", id)
	}
	return nil
}

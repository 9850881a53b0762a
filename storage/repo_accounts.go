package storage

import (
	"context"
	"fmt"
	"strings"
)

// Accounts reads and writes accounts.
type Accounts interface {
	// Create inserts a, lowercasing its email and filling its id, times
	// and defaults. A taken email fails with ErrDuplicate.
	Create(ctx context.Context, a *Account) error
	// Get returns the account with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Account, error)
	// GetByEmail finds an account by email, compared case-insensitively.
	GetByEmail(ctx context.Context, email string) (Account, error)
	// List pages accounts in (created_at, id) order.
	List(ctx context.Context, f AccountFilter, p PageRequest) (Page[Account], error)
	// SetEnabled enables or disables an account; disabled accounts fail
	// authentication.
	SetEnabled(ctx context.Context, id string, enabled bool) error
	// Delete removes an account. It fails with ErrReferenced while keys,
	// audit rows, clients or organizations reference it, and with
	// ErrProtected for the system account.
	Delete(ctx context.Context, id string) error
}

// AccountFilter narrows Accounts.List; zero fields do not filter.
type AccountFilter struct {
	AccessLevel AccessLevel `json:"accessLevel,omitempty"`
	Enabled     *bool       `json:"enabled,omitempty"`
}

type accountsRepo struct{ rp *repos }

func (r accountsRepo) Create(ctx context.Context, a *Account) error {
	a.Email = strings.ToLower(a.Email)
	if a.AccessLevel != "" && !a.AccessLevel.Valid() {
		return fmt.Errorf("%w: access level %q (want one of %v)", ErrInvalid, a.AccessLevel, a.AccessLevel.Values())
	}
	if err := r.rp.w.WithContext(ctx).Create(a).Error; err != nil {
		return fmt.Errorf("creating account %s: %w", a.Email, mapError(err, "accounts", stmtWrite))
	}
	return nil
}

func (r accountsRepo) Get(ctx context.Context, id string) (Account, error) {
	return getByID[Account](ctx, r.rp.r, "accounts", id)
}

func (r accountsRepo) GetByEmail(ctx context.Context, email string) (Account, error) {
	var a Account
	err := r.rp.r.WithContext(ctx).Where("email = ?", strings.ToLower(email)).Take(&a).Error
	if err != nil {
		return Account{}, fmt.Errorf("reading account by email: %w", mapError(err, "accounts", stmtWrite))
	}
	return a, nil
}

func (r accountsRepo) List(ctx context.Context, f AccountFilter, p PageRequest) (Page[Account], error) {
	q := r.rp.r
	if f.AccessLevel != "" {
		q = q.Where("access_level = ?", f.AccessLevel)
	}
	if f.Enabled != nil {
		q = q.Where("enabled = ?", *f.Enabled)
	}
	return listPage(ctx, q, "accounts", f, p, "created_at", func(a *Account) keyset { return createdKey(&a.Common) })
}

func (r accountsRepo) SetEnabled(ctx context.Context, id string, enabled bool) error {
	res := r.rp.w.WithContext(ctx).Exec(
		"UPDATE accounts SET enabled = ?, row_version = row_version + 1, updated_at = ? WHERE id = ?",
		enabled, r.rp.s.now(), id)
	if res.Error != nil {
		return fmt.Errorf("setting account %s enabled: %w", id, mapError(res.Error, "accounts", stmtWrite))
	}
	if res.RowsAffected == 0 {
		return notFound("accounts", id)
	}
	return nil
}

func (r accountsRepo) Delete(ctx context.Context, id string) error {
	if id == SystemAccountID {
		return fmt.Errorf("%w: the system account cannot be deleted", ErrProtected)
	}
	return deleteByID(ctx, r.rp.w, "accounts", id)
}

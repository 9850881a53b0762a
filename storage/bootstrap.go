package storage

import (
	"context"
	"errors"
	"fmt"
)

// BootstrapInput describes the first administrator of a fresh hub.
type BootstrapInput struct {
	// Email of the admin account; required.
	Email string
	// Name is the display name; optional.
	Name *string
	// KeyHash and KeyPrefix describe the admin's first API key, which the
	// hub generated and prints once; the plaintext never reaches storage.
	KeyHash   string
	KeyPrefix string
	// KeyName names the key row; optional.
	KeyName *string
	// Scopes of the key; nil means ["admin"].
	Scopes []string
}

// BootstrapResult names the rows Bootstrap created.
type BootstrapResult struct {
	AccountID string
	KeyID     string
	ProjectID string
}

// DefaultProjectName is the name of the project Bootstrap creates.
const DefaultProjectName = "default"

// Bootstrap prepares a fresh database in one transaction: when no admin
// account exists it creates one, its API key row, the project "default"
// owned by it, and an account.created audit row owned by the system
// account, and reports created = true. When an admin exists it changes
// nothing and reports false, so calling it at every start is safe, also
// from several processes at once.
func (s *Store) Bootstrap(ctx context.Context, in BootstrapInput) (res BootstrapResult, created bool, err error) {
	if in.Email == "" {
		return res, false, fmt.Errorf("%w: bootstrap needs an admin email", ErrInvalid)
	}
	scopes := in.Scopes
	if scopes == nil {
		scopes = []string{"admin"}
	}

	err = s.InTx(ctx, func(r Repos) error {
		tx := r.(*repos)
		if s.dialect == DialectPostgres {
			// Serialises concurrent first starts, which would otherwise each
			// see no admin and create one.
			if err := tx.w.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock(?)", lockBootstrap).Error; err != nil {
				return fmt.Errorf("taking the bootstrap lock: %w", err)
			}
		}
		exists, err := tx.adminExists(ctx)
		if err != nil || exists {
			return err
		}

		admin := Account{Email: in.Email, Name: in.Name, AccessLevel: AccessAdmin}
		if err := r.Accounts().Create(ctx, &admin); err != nil {
			return err
		}
		key := APIKey{OwnerID: admin.ID, Name: in.KeyName, Prefix: in.KeyPrefix, KeyHash: in.KeyHash,
			Scopes: NewJSON(scopes)}
		if err := r.APIKeys().Create(ctx, &key); err != nil {
			return err
		}
		project := Project{Name: DefaultProjectName, OwnerID: &admin.ID}
		if err := r.Projects().Create(ctx, &project); err != nil {
			return err
		}
		resourceType := "account"
		entry := AuditLog{OwnerID: SystemAccountID, Action: "account.created",
			ResourceType: &resourceType, ResourceID: &admin.ID,
			Data: NewJSON(map[string]any{"email": admin.Email, "accessLevel": admin.AccessLevel,
				"bootstrap": true})}
		if err := r.Audit().Append(ctx, &entry); err != nil {
			return err
		}
		res = BootstrapResult{AccountID: admin.ID, KeyID: key.ID, ProjectID: project.ID}
		created = true
		return nil
	})
	if errors.Is(err, ErrDuplicate) {
		// Another process bootstrapped at the same moment and committed
		// first; its admin is the admin.
		if exists, xerr := s.root.adminExists(ctx); xerr == nil && exists {
			return BootstrapResult{}, false, nil
		}
	}
	if err != nil {
		return BootstrapResult{}, false, fmt.Errorf("bootstrapping: %w", err)
	}
	if created {
		s.log.Info("bootstrapped the first admin account", "account", res.AccountID, "key_prefix", in.KeyPrefix)
	}
	return res, created, nil
}

func (rp *repos) adminExists(ctx context.Context) (bool, error) {
	var n int64
	err := rp.w.WithContext(ctx).Table("accounts").Where("access_level = ?", AccessAdmin).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("looking for an admin account: %w", mapError(err, "accounts", stmtWrite))
	}
	return n > 0, nil
}

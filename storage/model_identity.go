package storage

import "time"

// SystemAccountID is the id of the seeded __system__ account: the owner of
// audit rows of actions no person made. It is disabled and can never
// authenticate.
const SystemAccountID = "__system__"

// Account is a row of accounts: a person, a service or an LLM agent known
// to the hub. Accounts are disabled rather than deleted.
type Account struct {
	Common
	Versioned
	// Email is unique and stored lowercase.
	Email string `gorm:"not null" json:"email"`
	// Name is the display name.
	Name *string `json:"name"`
	// AccessLevel is admin, user or service; empty on insert means user.
	AccessLevel AccessLevel `gorm:"not null;default:user" json:"accessLevel"`
	// Enabled is false for accounts that fail authentication. GORM inserts
	// the column default (true) for a false value, so create the account
	// and call SetEnabled to store a disabled one.
	Enabled bool `gorm:"not null;default:true" json:"enabled"`
}

// TableName returns the table of Account rows.
func (Account) TableName() string { return "accounts" }

// APIKey is a row of api_keys: a credential the hub issued, stored only as
// the SHA-256 of the whole key.
type APIKey struct {
	Common
	// OwnerID is the account the key acts as.
	OwnerID string `gorm:"not null" json:"ownerId"`
	// OrgID scopes the key to an organization.
	OrgID *string `json:"orgId"`
	Name  *string `json:"name"`
	// Prefix is "alk_" plus the first 8 characters after it, for listings.
	Prefix string `gorm:"not null" json:"prefix"`
	// KeyHash is the lowercase hex SHA-256 of the whole key; unique.
	KeyHash string `gorm:"not null" json:"-"`
	// Scopes granted to the key; nil stores [].
	Scopes JSON[[]string] `gorm:"not null;default:'[]'" json:"scopes"`
	// Resources maps "type:id" to the actions allowed on it; nil stores {}.
	Resources JSON[map[string][]string] `gorm:"not null;default:'{}'" json:"resources"`
	Tags      JSON[[]string]            `gorm:"not null;default:'[]'" json:"tags"`
	// Enabled is false for a disabled key; inserted as true (see
	// Account.Enabled).
	Enabled   bool       `gorm:"not null;default:true" json:"enabled"`
	ExpiresAt *time.Time `json:"expiresAt"`
	// RevokedAt is set by Revoke; a revoked row is never reused.
	RevokedAt *time.Time `json:"revokedAt"`
	// LastUsedAt is written behind, at most once a minute per key.
	LastUsedAt *time.Time `json:"lastUsedAt" storage:"managed"`
}

// TableName returns the table of APIKey rows.
func (APIKey) TableName() string { return "api_keys" }

// APIKeyWithOwner is a key together with its owner account, as
// Authenticate returns them.
type APIKeyWithOwner struct {
	Key   APIKey
	Owner Account
}

// Valid reports whether the key authenticates at now: enabled, not
// revoked, not expired, and owned by an enabled account.
func (k APIKeyWithOwner) Valid(now time.Time) bool {
	switch {
	case !k.Key.Enabled, k.Key.RevokedAt != nil, !k.Owner.Enabled:
		return false
	case k.Key.ExpiresAt != nil && !now.Before(*k.Key.ExpiresAt):
		return false
	}
	return true
}

// AuditLog is a row of audit_logs: one management action. Rows are only
// ever appended.
type AuditLog struct {
	Common
	// OwnerID is the acting account; SystemAccountID for system actions.
	OwnerID   string  `gorm:"not null" json:"ownerId"`
	KeyID     *string `json:"keyId"`
	SessionID *string `json:"sessionId"`
	OrgID     *string `json:"orgId"`
	// Action is a dotted verb such as "api_key.revoked" (an open set).
	Action       string  `gorm:"not null" json:"action"`
	ResourceType *string `json:"resourceType"`
	ResourceID   *string `json:"resourceId"`
	// Outcome is success or failure; empty on insert means success.
	Outcome AuditOutcome `gorm:"not null;default:success" json:"outcome"`
	// RequestID correlates the row with logs and the call graph.
	RequestID *string `json:"requestId"`
	// Data holds details, never secrets or key material; nil stores {}.
	Data JSON[map[string]any] `gorm:"not null;default:'{}'" json:"data"`
}

// TableName returns the table of AuditLog rows.
func (AuditLog) TableName() string { return "audit_logs" }

// Project is a row of projects.
type Project struct {
	Common
	Versioned
	OrgID *string `json:"orgId"`
	// OwnerID is the account that created the project.
	OwnerID   *string `json:"ownerId"`
	Name      string  `gorm:"not null" json:"name"`
	Directory *string `json:"directory"`
	RepoURL   *string `json:"repoUrl"`
	// VCS defaults to "git" when nil on insert.
	VCS       *string `gorm:"column:vcs;default:git" json:"vcs"`
	IconURL   *string `json:"iconUrl"`
	IconColor *string `json:"iconColor"`
}

// TableName returns the table of Project rows.
func (Project) TableName() string { return "projects" }

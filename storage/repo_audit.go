package storage

import (
	"context"
	"fmt"
)

// Audit appends to and reads audit_logs. It has no update or delete: the
// trail is append-only. A management action appends its row in the same
// transaction as the change (see Store.InTx), so no change commits
// without its row.
type Audit interface {
	// Append inserts e; empty Outcome means success.
	Append(ctx context.Context, e *AuditLog) error
	// List pages audit rows in (created_at, id) order.
	List(ctx context.Context, f AuditFilter, p PageRequest) (Page[AuditLog], error)
}

// AuditFilter narrows Audit.List; zero fields do not filter.
type AuditFilter struct {
	OwnerID      string `json:"ownerId,omitempty"`
	OrgID        string `json:"orgId,omitempty"`
	KeyID        string `json:"keyId,omitempty"`
	Action       string `json:"action,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
	ResourceID   string `json:"resourceId,omitempty"`
}

type auditRepo struct{ rp *repos }

func (r auditRepo) Append(ctx context.Context, e *AuditLog) error {
	if e.Action == "" {
		return fmt.Errorf("%w: audit row without an action", ErrInvalid)
	}
	if err := r.rp.w.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("appending audit row %s: %w", e.Action, mapError(err, "audit_logs", stmtWrite))
	}
	return nil
}

func (r auditRepo) List(ctx context.Context, f AuditFilter, p PageRequest) (Page[AuditLog], error) {
	q := r.rp.r
	for col, v := range map[string]string{
		"owner_id": f.OwnerID, "org_id": f.OrgID, "key_id": f.KeyID, "action": f.Action,
		"resource_type": f.ResourceType, "resource_id": f.ResourceID,
	} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return listPage(ctx, q, "audit_logs", f, p, "created_at", func(e *AuditLog) keyset { return createdKey(&e.Common) })
}

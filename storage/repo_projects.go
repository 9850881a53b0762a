package storage

import (
	"context"
	"fmt"
)

// Projects reads and writes projects.
type Projects interface {
	// Create inserts p.
	Create(ctx context.Context, p *Project) error
	// Get returns the project with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Project, error)
	// List pages projects in (created_at, id) order.
	List(ctx context.Context, f ProjectFilter, p PageRequest) (Page[Project], error)
	// Delete removes a project with its workspaces and sessions; spokes
	// keep existing with project_id NULL.
	Delete(ctx context.Context, id string) error
	// Lock serialises writers of one project's rows until the enclosing
	// transaction ends: SELECT … FOR UPDATE on Postgres, nothing on SQLite,
	// whose single writer already serialises transactions. Outside InTx it
	// only checks that the project exists.
	Lock(ctx context.Context, id string) error
}

// ProjectFilter narrows Projects.List; zero fields do not filter.
type ProjectFilter struct {
	OrgID   string `json:"orgId,omitempty"`
	OwnerID string `json:"ownerId,omitempty"`
}

type projectsRepo struct{ rp *repos }

func (r projectsRepo) Create(ctx context.Context, p *Project) error {
	if err := r.rp.w.WithContext(ctx).Create(p).Error; err != nil {
		return fmt.Errorf("creating project %s: %w", p.Name, mapError(err, "projects", stmtWrite))
	}
	return nil
}

func (r projectsRepo) Get(ctx context.Context, id string) (Project, error) {
	return getByID[Project](ctx, r.rp.r, "projects", id)
}

func (r projectsRepo) List(ctx context.Context, f ProjectFilter, p PageRequest) (Page[Project], error) {
	q := r.rp.r
	if f.OrgID != "" {
		q = q.Where("org_id = ?", f.OrgID)
	}
	if f.OwnerID != "" {
		q = q.Where("owner_id = ?", f.OwnerID)
	}
	return listPage(ctx, q, "projects", f, p, "created_at", func(x *Project) keyset { return createdKey(&x.Common) })
}

func (r projectsRepo) Delete(ctx context.Context, id string) error {
	return deleteByID(ctx, r.rp.w, "projects", id)
}

func (r projectsRepo) Lock(ctx context.Context, id string) error {
	q := "SELECT id FROM projects WHERE id = ?"
	if r.rp.s.dialect == DialectPostgres {
		q += " FOR UPDATE"
	}
	var ids []string
	if err := r.rp.w.WithContext(ctx).Raw(q, id).Scan(&ids).Error; err != nil {
		return fmt.Errorf("locking project %s: %w", id, mapError(err, "projects", stmtWrite))
	}
	if len(ids) == 0 {
		return notFound("projects", id)
	}
	return nil
}

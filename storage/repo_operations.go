package storage

import (
	"context"
	"fmt"
)

// Operations reads and writes operation definitions.
type Operations interface {
	// Upsert inserts or updates definitions by id in one transaction. An
	// empty ID becomes namespace + "." + name and an empty SpecHash is
	// computed with SpecHash. A definition whose stored hash equals the new
	// one is not written at all. An id that exists with another namespace
	// and name (a.b + c against a + b.c) fails with ErrDuplicate, and the
	// sentinel RemovedOperationID with ErrProtected.
	Upsert(ctx context.Context, defs []Operation) (UpsertReport, error)
	// Get returns the definition with id, or ErrNotFound.
	Get(ctx context.Context, id string) (Operation, error)
	// List pages definitions in (created_at, id) order.
	List(ctx context.Context, f OperationFilter, p PageRequest) (Page[Operation], error)
	// Providers returns the active registrations of a definition, oldest
	// registration first.
	Providers(ctx context.Context, operationID string) ([]Registration, error)
	// Delete removes a definition that call nodes may still reference. It
	// re-points those nodes to RemovedOperationID in batches of 10,000, each
	// its own transaction when called outside InTx. Then, in one
	// transaction, it re-points what was flushed meanwhile, deletes the row
	// (its registrations cascade) and appends an operation.deleted audit row
	// owned by the system account. The nodes keep their operation_ref.
	Delete(ctx context.Context, id string) error
}

// UpsertReport lists the ids Operations.Upsert inserted, updated and left
// unchanged.
type UpsertReport struct {
	Inserted  []string
	Updated   []string
	Unchanged []string
}

// OperationFilter narrows Operations.List; zero fields do not filter.
type OperationFilter struct {
	Source    OperationSource `json:"source,omitempty"`
	Namespace string          `json:"namespace,omitempty"`
}

type operationsRepo struct{ rp *repos }

// repointBatch is the number of call nodes one re-pointing statement moves.
const repointBatch = 10000

const upsertOperationSQL = `INSERT INTO operations (id, metadata, created_at, updated_at, namespace,
  name, version, type, title, description, tags, input_schema, output_schema, error_schemas,
  access_control, spec_meta, source, spec_hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET metadata = excluded.metadata, updated_at = excluded.updated_at,
  version = excluded.version, type = excluded.type, title = excluded.title,
  description = excluded.description, tags = excluded.tags, input_schema = excluded.input_schema,
  output_schema = excluded.output_schema, error_schemas = excluded.error_schemas,
  access_control = excluded.access_control, spec_meta = excluded.spec_meta,
  source = excluded.source, spec_hash = excluded.spec_hash
WHERE operations.spec_hash <> excluded.spec_hash`

func (r operationsRepo) Upsert(ctx context.Context, defs []Operation) (UpsertReport, error) {
	var report UpsertReport
	err := r.rp.inTxInternal(ctx, func(tx *repos) error {
		report = UpsertReport{}
		for i := range defs {
			outcome, err := tx.upsertOperation(ctx, &defs[i])
			if err != nil {
				return err
			}
			switch outcome {
			case upsertInserted:
				report.Inserted = append(report.Inserted, defs[i].ID)
			case upsertUpdated:
				report.Updated = append(report.Updated, defs[i].ID)
			default:
				report.Unchanged = append(report.Unchanged, defs[i].ID)
			}
		}
		return nil
	})
	return report, err
}

type upsertOutcome int

const (
	upsertUnchanged upsertOutcome = iota
	upsertInserted
	upsertUpdated
)

// upsertOperation writes one definition unless its stored hash is equal.
func (rp *repos) upsertOperation(ctx context.Context, o *Operation) (upsertOutcome, error) {
	if o.ID == "" {
		o.ID = o.Namespace + "." + o.Name
	}
	if o.ID == RemovedOperationID {
		return 0, fmt.Errorf("%w: the sentinel operation %s cannot be written", ErrProtected, o.ID)
	}
	o.normalize()
	if o.SpecHash == "" {
		h, err := SpecHash(*o)
		if err != nil {
			return 0, err
		}
		o.SpecHash = h
	}

	var existing []Operation
	err := rp.w.WithContext(ctx).Select("id", "namespace", "name", "spec_hash").
		Where("id = ?", o.ID).Find(&existing).Error
	if err != nil {
		return 0, fmt.Errorf("reading operation %s: %w", o.ID, mapError(err, "operations", stmtWrite))
	}
	if len(existing) == 1 {
		e := existing[0]
		if e.Namespace != o.Namespace || e.Name != o.Name {
			return 0, &Error{Kind: ErrDuplicate, Table: "operations", Constraint: "pk_operations",
				Err: fmt.Errorf("id %s already names namespace %q and name %q", o.ID, e.Namespace, e.Name)}
		}
		if e.SpecHash == o.SpecHash {
			return upsertUnchanged, nil
		}
	}

	if err := o.fill(rp.s.now()); err != nil {
		return 0, err
	}
	err = rp.w.WithContext(ctx).Exec(upsertOperationSQL, o.ID, o.Metadata, o.CreatedAt, o.UpdatedAt,
		o.Namespace, o.Name, o.Version, o.Type, o.Title, o.Description, o.Tags, o.InputSchema,
		o.OutputSchema, o.ErrorSchemas, o.AccessControl, o.SpecMeta, o.Source, o.SpecHash).Error
	if err != nil {
		return 0, fmt.Errorf("writing operation %s: %w", o.ID, mapError(err, "operations", stmtWrite))
	}
	if len(existing) == 1 {
		return upsertUpdated, nil
	}
	return upsertInserted, nil
}

func (r operationsRepo) Get(ctx context.Context, id string) (Operation, error) {
	return getByID[Operation](ctx, r.rp.r, "operations", id)
}

func (r operationsRepo) List(ctx context.Context, f OperationFilter, p PageRequest) (Page[Operation], error) {
	q := r.rp.r
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	if f.Namespace != "" {
		q = q.Where("namespace = ?", f.Namespace)
	}
	return listPage(ctx, q, "operations", f, p, "created_at", func(o *Operation) keyset { return createdKey(&o.Common) })
}

func (r operationsRepo) Providers(ctx context.Context, operationID string) ([]Registration, error) {
	var regs []Registration
	err := r.rp.r.WithContext(ctx).Where("operation_id = ? AND status = ?", operationID, RegistrationActive).
		Order("registered_at, id").Find(&regs).Error
	if err != nil {
		return nil, fmt.Errorf("reading providers of %s: %w", operationID, mapError(err, "operation_registrations", stmtWrite))
	}
	return regs, nil
}

func (r operationsRepo) Delete(ctx context.Context, id string) error {
	if id == RemovedOperationID {
		return fmt.Errorf("%w: the sentinel operation %s cannot be deleted", ErrProtected, id)
	}
	for {
		n, err := r.rp.repointCallNodes(ctx, id)
		if err != nil {
			return err
		}
		if n < repointBatch {
			break
		}
	}
	return r.rp.inTxInternal(ctx, func(tx *repos) error {
		if _, err := tx.repointCallNodes(ctx, id); err != nil {
			return err
		}
		if err := deleteByID(ctx, tx.w, "operations", id); err != nil {
			return err
		}
		resourceType := "operation"
		return tx.Audit().Append(ctx, &AuditLog{OwnerID: SystemAccountID, Action: "operation.deleted",
			ResourceType: &resourceType, ResourceID: &id})
	})
}

// repointCallNodes moves up to repointBatch call nodes of an operation to
// the sentinel and returns how many it moved.
func (rp *repos) repointCallNodes(ctx context.Context, operationID string) (int64, error) {
	res := rp.w.WithContext(ctx).Exec(`UPDATE call_graph_nodes SET operation_id = ?, updated_at = ?
WHERE id IN (SELECT id FROM call_graph_nodes WHERE operation_id = ? LIMIT ?)`,
		RemovedOperationID, rp.s.now(), operationID, repointBatch)
	if res.Error != nil {
		return 0, fmt.Errorf("re-pointing call nodes of %s: %w", operationID,
			mapError(res.Error, "call_graph_nodes", stmtWrite))
	}
	return res.RowsAffected, nil
}

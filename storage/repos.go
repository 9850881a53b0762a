package storage

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Repos gives access to the repositories of one store: *Store implements
// it outside any transaction, and InTx passes an implementation bound to
// the transaction. Every method takes a context first. Interfaces of
// domains that later migrations add (sessions, messages, tasks, …) join
// this one with their tables.
type Repos interface {
	// InTx runs fn in a transaction; called inside InTx it runs fn in a
	// savepoint. See Store.InTx.
	InTx(ctx context.Context, fn func(r Repos) error) error
	Accounts() Accounts
	APIKeys() APIKeys
	Audit() Audit
	Projects() Projects
	Spokes() Spokes
	Operations() Operations
	CallGraph() CallGraph
	Instances() Instances
}

// repos implements Repos over a writer and a reader session: the store's
// pools outside transactions, the transaction inside one.
type repos struct {
	s    *Store
	w    *gorm.DB
	r    *gorm.DB
	inTx bool
}

func (rp *repos) InTx(ctx context.Context, fn func(r Repos) error) error {
	return rp.s.runTx(ctx, rp.w, rp.inTx, func(tx *gorm.DB) error {
		return fn(&repos{s: rp.s, w: tx, r: tx, inTx: true})
	})
}

// inTxInternal runs fn in a transaction of its own, or in a savepoint when rp is
// already inside one. It serves the repository methods that are atomic by
// themselves.
func (rp *repos) inTxInternal(ctx context.Context, fn func(tx *repos) error) error {
	return rp.InTx(ctx, func(r Repos) error { return fn(r.(*repos)) })
}

func (rp *repos) Accounts() Accounts     { return accountsRepo{rp} }
func (rp *repos) APIKeys() APIKeys       { return apiKeysRepo{rp} }
func (rp *repos) Audit() Audit           { return auditRepo{rp} }
func (rp *repos) Projects() Projects     { return projectsRepo{rp} }
func (rp *repos) Spokes() Spokes         { return spokesRepo{rp} }
func (rp *repos) Operations() Operations { return operationsRepo{rp} }
func (rp *repos) CallGraph() CallGraph   { return callGraphRepo{rp} }
func (rp *repos) Instances() Instances   { return instancesRepo{rp} }

// Accounts returns the accounts repository outside any transaction.
func (s *Store) Accounts() Accounts { return s.root.Accounts() }

// APIKeys returns the API-key repository outside any transaction.
func (s *Store) APIKeys() APIKeys { return s.root.APIKeys() }

// Audit returns the audit-log repository outside any transaction.
func (s *Store) Audit() Audit { return s.root.Audit() }

// Projects returns the project repository outside any transaction.
func (s *Store) Projects() Projects { return s.root.Projects() }

// Spokes returns the spoke repository outside any transaction.
func (s *Store) Spokes() Spokes { return s.root.Spokes() }

// Operations returns the operation repository outside any transaction.
func (s *Store) Operations() Operations { return s.root.Operations() }

// CallGraph returns the call-graph repository; its queue is shared by
// every Repos of the store.
func (s *Store) CallGraph() CallGraph { return s.root.CallGraph() }

// Instances returns the hub-instance repository outside any transaction.
func (s *Store) Instances() Instances { return s.root.Instances() }

// listPage reads one keyset page of rows ordered by (timeCol, id) from q,
// which already carries the filter. filter is hashed into the cursor, so a
// cursor only continues the list it was made for.
func listPage[T any](ctx context.Context, q *gorm.DB, table string, filter any,
	p PageRequest, timeCol string, key func(*T) keyset) (Page[T], error) {
	order, err := p.order()
	if err != nil {
		return Page[T]{}, err
	}
	fh := filterHash(table, filter)
	pos, err := decodeCursor(p.Cursor, order, fh)
	if err != nil {
		return Page[T]{}, err
	}

	cmp, dir := ">", "ASC"
	if order == OrderDesc {
		cmp, dir = "<", "DESC"
	}
	q = q.WithContext(ctx).Table(table)
	if pos != nil {
		q = q.Where(fmt.Sprintf("(%s.%s, %s.id) %s (?, ?)", table, timeCol, table, cmp), pos.At, pos.ID)
	}
	limit := p.limit()
	var rows []T
	err = q.Order(fmt.Sprintf("%s.%s %s, %s.id %s", table, timeCol, dir, table, dir)).
		Limit(limit + 1).Find(&rows).Error
	if err != nil {
		return Page[T]{}, fmt.Errorf("listing %s: %w", table, mapError(err, table, stmtWrite))
	}

	page := Page[T]{Items: rows}
	if len(rows) > limit {
		page.Items = rows[:limit]
		page.NextCursor = encodeCursor(order, key(&page.Items[limit-1]), fh)
	}
	if page.Items == nil {
		page.Items = []T{}
	}
	return page, nil
}

// createdKey is the keyset of rows listed by (created_at, id).
func createdKey(c *Common) keyset { return keyset{At: c.CreatedAt, ID: c.ID} }

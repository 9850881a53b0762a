package storagetest

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/alkdev/alkhub/storage"
)

var errRollback = errors.New("roll back on purpose")

var identityCases = []conformanceCase{
	{"seeds exist after migration", func(e *Env) {
		sys, err := e.Store.Accounts().Get(e.Ctx, storage.SystemAccountID)
		noErr(e.T, "reading the system account", err)
		if sys.Enabled || sys.AccessLevel != storage.AccessService || sys.Email != "system@alkhub.invalid" {
			e.T.Errorf("system account = %+v", sys)
		}
		op, err := e.Store.Operations().Get(e.Ctx, storage.RemovedOperationID)
		noErr(e.T, "reading the sentinel", err)
		hash, err := storage.SpecHash(op)
		noErr(e.T, "hashing the sentinel", err)
		if op.SpecHash != hash {
			e.T.Errorf("sentinel spec_hash = %s, want %s", op.SpecHash, hash)
		}
		if op.Source != storage.SourceSystem || op.Namespace != "system" || op.Name != "removed" {
			e.T.Errorf("sentinel = %+v", op)
		}
		wantErr(e.T, "deleting the sentinel", e.Store.Operations().Delete(e.Ctx, storage.RemovedOperationID),
			storage.ErrProtected)
		wantErr(e.T, "deleting the system account", e.Store.Accounts().Delete(e.Ctx, storage.SystemAccountID),
			storage.ErrProtected)
	}},
	{"account with references cannot be deleted", func(e *Env) {
		a := e.mustAccount("owner@example.com")
		e.mustKey(a.ID, "alk_ownerownerowner")
		wantErr(e.T, "deleting", e.Store.Accounts().Delete(e.Ctx, a.ID), storage.ErrReferenced)
		noErr(e.T, "disabling", e.Store.Accounts().SetEnabled(e.Ctx, a.ID, false))

		b := e.mustAccount("auditor@example.com")
		noErr(e.T, "appending", e.Store.Audit().Append(e.Ctx, &storage.AuditLog{OwnerID: b.ID, Action: "account.updated"}))
		wantErr(e.T, "deleting an audit owner", e.Store.Accounts().Delete(e.Ctx, b.ID), storage.ErrReferenced)
	}},
	{"deleting project owner clears owner id", func(e *Env) {
		a := e.mustAccount("creator@example.com")
		p := storage.Project{Name: "p", OwnerID: &a.ID}
		noErr(e.T, "creating project", e.Store.Projects().Create(e.Ctx, &p))
		noErr(e.T, "deleting account", e.Store.Accounts().Delete(e.Ctx, a.ID))
		got, err := e.Store.Projects().Get(e.Ctx, p.ID)
		noErr(e.T, "reading project", err)
		if got.OwnerID != nil {
			e.T.Errorf("owner_id = %v, want NULL", *got.OwnerID)
		}
		if got.VCS == nil || *got.VCS != "git" {
			e.T.Errorf("vcs = %v, want the default git", got.VCS)
		}
	}},
	{"project lock inside a transaction", func(e *Env) {
		p := storage.Project{Name: "locked"}
		noErr(e.T, "creating project", e.Store.Projects().Create(e.Ctx, &p))
		err := e.Store.InTx(e.Ctx, func(r storage.Repos) error {
			if err := r.Projects().Lock(e.Ctx, p.ID); err != nil {
				return err
			}
			return r.Projects().Lock(e.Ctx, "missing")
		})
		wantErr(e.T, "locking a missing project", err, storage.ErrNotFound)
		noErr(e.T, "deleting project", e.Store.Projects().Delete(e.Ctx, p.ID))
		_, err = e.Store.Projects().Get(e.Ctx, p.ID)
		wantErr(e.T, "reading a deleted project", err, storage.ErrNotFound)
	}},
	{"authenticate returns key and owner by hash", func(e *Env) {
		a := e.mustAccount("auth@example.com")
		plain := "alk_" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
		k := e.mustKey(a.ID, plain)
		got, err := e.Store.APIKeys().Authenticate(e.Ctx, HashKey(plain))
		noErr(e.T, "authenticating", err)
		if got.Key.ID != k.ID || got.Owner.ID != a.ID || got.Owner.Email != a.Email {
			e.T.Errorf("authenticate = key %s owner %s, want %s %s", got.Key.ID, got.Owner.ID, k.ID, a.ID)
		}
		if got.Key.KeyHash != HashKey(plain) {
			e.T.Errorf("stored hash = %q, want the SHA-256 of the key", got.Key.KeyHash)
		}
		if !got.Valid(e.Clock.Now()) {
			e.T.Error("fresh key is not valid")
		}
		if got.Owner.CreatedAt.Location() != time.UTC || !got.Owner.CreatedAt.Equal(a.CreatedAt) {
			e.T.Errorf("owner created_at = %v, want %v in UTC", got.Owner.CreatedAt, a.CreatedAt)
		}
		_, err = e.Store.APIKeys().Authenticate(e.Ctx, HashKey("alk_other"))
		wantErr(e.T, "unknown hash", err, storage.ErrNotFound)

		again := storage.APIKey{OwnerID: a.ID, Prefix: "alk_abcdefgh", KeyHash: HashKey(plain)}
		wantErr(e.T, "second key with the hash", e.Store.APIKeys().Create(e.Ctx, &again), storage.ErrDuplicate)

		noErr(e.T, "disabling owner", e.Store.Accounts().SetEnabled(e.Ctx, a.ID, false))
		got, err = e.Store.APIKeys().Authenticate(e.Ctx, HashKey(plain))
		noErr(e.T, "authenticating", err)
		if got.Valid(e.Clock.Now()) {
			e.T.Error("key of a disabled account is valid")
		}
	}},
	{"revoke and rotate end old keys", func(e *Env) {
		a := e.mustAccount("rot@example.com")
		old := e.mustKey(a.ID, "alk_rotaterotaterotate")
		next := storage.APIKey{OwnerID: a.ID, Prefix: "alk_nextnext", KeyHash: HashKey("next")}
		noErr(e.T, "rotating with grace", e.Store.APIKeys().Rotate(e.Ctx, old.ID, &next, time.Hour))
		got, err := e.Store.APIKeys().Get(e.Ctx, old.ID)
		noErr(e.T, "reading old key", err)
		if got.ExpiresAt == nil || !got.ExpiresAt.Equal(e.Clock.Now().Add(time.Hour)) || got.RevokedAt != nil {
			e.T.Errorf("old key after grace rotation: expires %v revoked %v", got.ExpiresAt, got.RevokedAt)
		}
		third := storage.APIKey{OwnerID: a.ID, Prefix: "alk_thirdthi", KeyHash: HashKey("third")}
		noErr(e.T, "rotating without grace", e.Store.APIKeys().Rotate(e.Ctx, next.ID, &third, 0))
		got, err = e.Store.APIKeys().Get(e.Ctx, next.ID)
		noErr(e.T, "reading rotated key", err)
		if got.RevokedAt == nil {
			e.T.Error("rotation without grace did not revoke")
		}
		failed := storage.APIKey{OwnerID: a.ID, Prefix: "alk_failfail", KeyHash: HashKey("fail")}
		wantErr(e.T, "rotating a revoked key", e.Store.APIKeys().Rotate(e.Ctx, next.ID, &failed, 0), storage.ErrConflict)
		_, err = e.Store.APIKeys().Authenticate(e.Ctx, HashKey("fail"))
		wantErr(e.T, "key of a failed rotation", err, storage.ErrNotFound)

		noErr(e.T, "revoking", e.Store.APIKeys().Revoke(e.Ctx, third.ID))
		noErr(e.T, "revoking again", e.Store.APIKeys().Revoke(e.Ctx, third.ID))
		wantErr(e.T, "revoking a missing key", e.Store.APIKeys().Revoke(e.Ctx, "missing"), storage.ErrNotFound)

		page, err := e.Store.APIKeys().List(e.Ctx, storage.APIKeyFilter{OwnerID: a.ID}, storage.PageRequest{})
		noErr(e.T, "listing", err)
		if len(page.Items) != 1 || page.Items[0].ID != old.ID {
			e.T.Errorf("unrevoked keys = %d, want only the grace key", len(page.Items))
		}
		page, err = e.Store.APIKeys().List(e.Ctx, storage.APIKeyFilter{OwnerID: a.ID, IncludeRevoked: true},
			storage.PageRequest{})
		noErr(e.T, "listing", err)
		if len(page.Items) != 3 {
			e.T.Errorf("all keys = %d, want 3", len(page.Items))
		}
	}},
	{"touch last used writes behind", func(e *Env) {
		a := e.mustAccount("touch@example.com")
		k := e.mustKey(a.ID, "alk_touchtouchtouch")
		at := e.Clock.Now().Add(time.Second)
		e.Store.APIKeys().TouchLastUsed(k.ID, at)
		noErr(e.T, "flushing", e.Store.Flush(e.Ctx))
		got, err := e.Store.APIKeys().Get(e.Ctx, k.ID)
		noErr(e.T, "reading key", err)
		if got.LastUsedAt == nil || !got.LastUsedAt.Equal(at) {
			e.T.Errorf("last_used_at = %v, want %v", got.LastUsedAt, at)
		}
		if !got.UpdatedAt.Equal(k.UpdatedAt) {
			e.T.Errorf("touch changed updated_at: %v → %v", k.UpdatedAt, got.UpdatedAt)
		}
		e.Store.APIKeys().TouchLastUsed(k.ID, at.Add(30*time.Second))
		noErr(e.T, "flushing", e.Store.Flush(e.Ctx))
		got, _ = e.Store.APIKeys().Get(e.Ctx, k.ID)
		if !got.LastUsedAt.Equal(at) {
			e.T.Errorf("touch inside the minute was written: %v", got.LastUsedAt)
		}
		e.Store.APIKeys().TouchLastUsed(k.ID, at.Add(61*time.Second))
		noErr(e.T, "flushing", e.Store.Flush(e.Ctx))
		got, _ = e.Store.APIKeys().Get(e.Ctx, k.ID)
		if !got.LastUsedAt.Equal(at.Add(61 * time.Second)) {
			e.T.Errorf("touch after the minute = %v, want %v", got.LastUsedAt, at.Add(61*time.Second))
		}
	}},
	{"audit rows commit with their transaction", func(e *Env) {
		a := e.mustAccount("tx@example.com")
		k := e.mustKey(a.ID, "alk_txtxtxtxtxtxtx")
		err := e.Store.InTx(e.Ctx, func(r storage.Repos) error {
			if err := r.APIKeys().Revoke(e.Ctx, k.ID); err != nil {
				return err
			}
			if err := r.Audit().Append(e.Ctx, &storage.AuditLog{OwnerID: a.ID, Action: "api_key.revoked",
				KeyID: &k.ID}); err != nil {
				return err
			}
			return errRollback
		})
		wantErr(e.T, "rolled back transaction", err, errRollback)
		page, err := e.Store.Audit().List(e.Ctx, storage.AuditFilter{KeyID: k.ID}, storage.PageRequest{})
		noErr(e.T, "listing audit", err)
		if len(page.Items) != 0 {
			e.T.Errorf("rolled back transaction left %d audit rows", len(page.Items))
		}
		got, _ := e.Store.APIKeys().Get(e.Ctx, k.ID)
		if got.RevokedAt != nil {
			e.T.Error("rolled back revocation persisted")
		}

		err = e.Store.InTx(e.Ctx, func(r storage.Repos) error {
			if err := r.APIKeys().Revoke(e.Ctx, k.ID); err != nil {
				return err
			}
			// A failing savepoint leaves the outer transaction usable.
			inner := r.InTx(e.Ctx, func(r storage.Repos) error {
				_ = r.Audit().Append(e.Ctx, &storage.AuditLog{OwnerID: a.ID, Action: "inner"})
				return errRollback
			})
			if !errors.Is(inner, errRollback) {
				return fmt.Errorf("savepoint: %w", inner)
			}
			return r.Audit().Append(e.Ctx, &storage.AuditLog{OwnerID: a.ID, Action: "api_key.revoked", KeyID: &k.ID})
		})
		noErr(e.T, "committed transaction", err)
		page, _ = e.Store.Audit().List(e.Ctx, storage.AuditFilter{OwnerID: a.ID}, storage.PageRequest{})
		if len(page.Items) != 1 || page.Items[0].Action != "api_key.revoked" {
			e.T.Errorf("audit rows after commit = %+v, want exactly the revocation", page.Items)
		}
	}},
	{"bootstrap creates admin once", func(e *Env) {
		in := storage.BootstrapInput{Email: "Admin@Example.com", KeyHash: HashKey("alk_admin"), KeyPrefix: "alk_admin123"}
		res, created, err := e.Store.Bootstrap(e.Ctx, in)
		noErr(e.T, "bootstrapping", err)
		if !created {
			e.T.Fatal("first bootstrap created nothing")
		}
		key, err := e.Store.APIKeys().Authenticate(e.Ctx, in.KeyHash)
		noErr(e.T, "authenticating the admin key", err)
		if key.Owner.ID != res.AccountID || key.Owner.AccessLevel != storage.AccessAdmin ||
			key.Owner.Email != "admin@example.com" {
			e.T.Errorf("admin = %+v", key.Owner)
		}
		p, err := e.Store.Projects().Get(e.Ctx, res.ProjectID)
		noErr(e.T, "reading the default project", err)
		if p.Name != storage.DefaultProjectName || p.OwnerID == nil || *p.OwnerID != res.AccountID {
			e.T.Errorf("default project = %+v", p)
		}
		audit, err := e.Store.Audit().List(e.Ctx, storage.AuditFilter{Action: "account.created"}, storage.PageRequest{})
		noErr(e.T, "listing audit", err)
		if len(audit.Items) != 1 || audit.Items[0].OwnerID != storage.SystemAccountID {
			e.T.Errorf("bootstrap audit rows = %+v", audit.Items)
		}

		_, created, err = e.Store.Bootstrap(e.Ctx, storage.BootstrapInput{Email: "second@example.com",
			KeyHash: HashKey("alk_second"), KeyPrefix: "alk_second12"})
		noErr(e.T, "bootstrapping again", err)
		if created {
			e.T.Error("second bootstrap created another admin")
		}
	}},
	{"pages walk every row once", func(e *Env) {
		a := e.mustAccount("pages@example.com")
		const rows = 1000
		err := e.Store.InTx(e.Ctx, func(r storage.Repos) error {
			for i := range rows {
				if i%7 == 0 {
					e.Clock.Advance(time.Millisecond)
				}
				if err := r.Audit().Append(e.Ctx, &storage.AuditLog{OwnerID: a.ID, Action: fmt.Sprint(i)}); err != nil {
					return err
				}
			}
			return nil
		})
		noErr(e.T, "appending", err)
		f := storage.AuditFilter{OwnerID: a.ID}
		for _, order := range []storage.Order{storage.OrderAsc, storage.OrderDesc} {
			seen := map[string]bool{}
			var numbers []int
			req := storage.PageRequest{Limit: 50, Order: order}
			for pages := 0; ; pages++ {
				page, err := e.Store.Audit().List(e.Ctx, f, req)
				noErr(e.T, "listing", err)
				if pages == 0 && order == storage.OrderAsc {
					// A row appended while walking appears on a later page.
					noErr(e.T, "appending", e.Store.Audit().Append(e.Ctx,
						&storage.AuditLog{OwnerID: a.ID, Action: "late"}))
				}
				for _, it := range page.Items {
					if seen[it.ID] {
						e.T.Fatalf("%s: row %s seen twice", order, it.ID)
					}
					seen[it.ID] = true
					if n, err := strconv.Atoi(it.Action); err == nil {
						numbers = append(numbers, n)
					}
				}
				if page.NextCursor == "" {
					break
				}
				req.Cursor = page.NextCursor
			}
			if len(seen) != rows+1 {
				e.T.Errorf("%s: walked %d rows, want %d", order, len(seen), rows+1)
			}
			for i := 1; i < len(numbers); i++ {
				if (order == storage.OrderAsc) != (numbers[i] > numbers[i-1]) {
					e.T.Fatalf("%s: row %d listed after row %d", order, numbers[i], numbers[i-1])
				}
			}
		}

		first, err := e.Store.Audit().List(e.Ctx, f, storage.PageRequest{Limit: 500})
		noErr(e.T, "listing", err)
		if len(first.Items) != storage.MaxPageLimit {
			e.T.Errorf("limit 500 returned %d, want %d", len(first.Items), storage.MaxPageLimit)
		}
		zero, err := e.Store.Audit().List(e.Ctx, f, storage.PageRequest{})
		noErr(e.T, "listing", err)
		if len(zero.Items) != storage.DefaultPageLimit {
			e.T.Errorf("limit 0 returned %d, want %d", len(zero.Items), storage.DefaultPageLimit)
		}
		_, err = e.Store.Audit().List(e.Ctx, f, storage.PageRequest{Cursor: "%%%"})
		wantErr(e.T, "corrupt cursor", err, storage.ErrInvalidCursor)
		_, err = e.Store.Audit().List(e.Ctx, storage.AuditFilter{OwnerID: "other"}, storage.PageRequest{Cursor: zero.NextCursor})
		wantErr(e.T, "cursor of another filter", err, storage.ErrInvalidCursor)
		_, err = e.Store.Audit().List(e.Ctx, f, storage.PageRequest{Cursor: zero.NextCursor, Order: storage.OrderDesc})
		wantErr(e.T, "cursor of another order", err, storage.ErrInvalidCursor)
	}},
}

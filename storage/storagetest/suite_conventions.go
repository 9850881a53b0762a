package storagetest

import (
	"encoding/json"
	"reflect"
	"time"

	"github.com/alkdev/alkhub/storage"
	"github.com/google/uuid"
)

var conventionCases = []conformanceCase{
	{"insert assigns uuidv7 and clock times", func(e *Env) {
		a := e.mustAccount("first@example.com")
		id, err := uuid.Parse(a.ID)
		noErr(e.T, "parsing id", err)
		if id.Version() != 7 {
			e.T.Errorf("id version = %d, want 7", id.Version())
		}
		got, err := e.Store.Accounts().Get(e.Ctx, a.ID)
		noErr(e.T, "reading account", err)
		if !got.CreatedAt.Equal(e.Clock.Now()) {
			e.T.Errorf("created_at = %v, want the clock %v", got.CreatedAt, e.Clock.Now())
		}
		if !got.UpdatedAt.Equal(got.CreatedAt) {
			e.T.Errorf("updated_at = %v, want created_at %v", got.UpdatedAt, got.CreatedAt)
		}
		if got.CreatedAt.Location() != time.UTC {
			e.T.Errorf("created_at location = %v, want UTC", got.CreatedAt.Location())
		}
		if got.Metadata.V == nil || len(got.Metadata.V) != 0 {
			e.T.Errorf("metadata = %#v, want {}", got.Metadata.V)
		}
		if got.AccessLevel != storage.AccessUser || !got.Enabled || got.RowVersion != 1 {
			e.T.Errorf("defaults: level %q enabled %v version %d, want user true 1",
				got.AccessLevel, got.Enabled, got.RowVersion)
		}
	}},
	{"update advances updated_at and row version", func(e *Env) {
		a := e.mustAccount("upd@example.com")
		e.Clock.Advance(1500 * time.Millisecond)
		noErr(e.T, "disabling", e.Store.Accounts().SetEnabled(e.Ctx, a.ID, false))
		got, err := e.Store.Accounts().Get(e.Ctx, a.ID)
		noErr(e.T, "reading account", err)
		if !got.CreatedAt.Equal(a.CreatedAt) {
			e.T.Errorf("created_at changed: %v → %v", a.CreatedAt, got.CreatedAt)
		}
		if !got.UpdatedAt.Equal(e.Clock.Now()) {
			e.T.Errorf("updated_at = %v, want %v", got.UpdatedAt, e.Clock.Now())
		}
		if got.RowVersion != 2 {
			e.T.Errorf("row_version = %d, want 2", got.RowVersion)
		}
		if got.Enabled {
			e.T.Error("account still enabled")
		}
	}},
	{"sub-second times read back equal", func(e *Env) {
		a := e.mustAccount("times@example.com")
		at := time.Date(2026, 5, 6, 7, 8, 9, 100_000_000, time.UTC)
		k := storage.APIKey{OwnerID: a.ID, Prefix: "alk_timetime", KeyHash: HashKey("time"), ExpiresAt: &at}
		noErr(e.T, "creating key", e.Store.APIKeys().Create(e.Ctx, &k))
		got, err := e.Store.APIKeys().Get(e.Ctx, k.ID)
		noErr(e.T, "reading key", err)
		if got.ExpiresAt == nil || !got.ExpiresAt.Equal(at) || got.ExpiresAt.Location() != time.UTC {
			e.T.Errorf("expires_at = %v, want %v in UTC", got.ExpiresAt, at)
		}
	}},
	{"json columns round trip", func(e *Env) {
		a := e.mustAccount("json@example.com")
		meta := map[string]any{"b": []any{1.5, "x", nil, true}, "a": map[string]any{"nested": "é\"<>"}}
		k := storage.APIKey{OwnerID: a.ID, Prefix: "alk_jsonjson", KeyHash: HashKey("json"),
			Scopes:    storage.NewJSON([]string{"ops:list", "ops:call"}),
			Resources: storage.NewJSON(map[string][]string{"project:1": {"read"}})}
		k.Metadata = storage.NewJSON(meta)
		noErr(e.T, "creating key", e.Store.APIKeys().Create(e.Ctx, &k))
		got, err := e.Store.APIKeys().Get(e.Ctx, k.ID)
		noErr(e.T, "reading key", err)
		if !reflect.DeepEqual(got.Metadata.V, meta) {
			e.T.Errorf("metadata = %#v, want %#v", got.Metadata.V, meta)
		}
		if !reflect.DeepEqual(got.Scopes.V, []string{"ops:list", "ops:call"}) {
			e.T.Errorf("scopes = %#v", got.Scopes.V)
		}
		if !reflect.DeepEqual(got.Resources.V, map[string][]string{"project:1": {"read"}}) {
			e.T.Errorf("resources = %#v", got.Resources.V)
		}
		if got.Tags.V == nil || len(got.Tags.V) != 0 {
			e.T.Errorf("tags = %#v, want []", got.Tags.V)
		}
		b, err := json.Marshal(got.Scopes)
		noErr(e.T, "encoding scopes", err)
		if string(b) != `["ops:list","ops:call"]` {
			e.T.Errorf("scopes encode as %s, want the bare array", b)
		}
	}},
	{"json with nul escape is invalid", func(e *Env) {
		a := e.mustAccount("nul@example.com")
		k := storage.APIKey{OwnerID: a.ID, Prefix: "alk_nulnulnu", KeyHash: HashKey("nul")}
		k.Metadata = storage.NewJSON(map[string]any{"bad": "a\x00b"})
		wantErr(e.T, "creating key with \\u0000", e.Store.APIKeys().Create(e.Ctx, &k), storage.ErrInvalid)
	}},
	{"caller supplied id that exists is duplicate", func(e *Env) {
		a := e.mustAccount("dup@example.com")
		b := storage.Account{Email: "other@example.com"}
		b.ID = a.ID
		wantErr(e.T, "inserting an existing id", e.Store.Accounts().Create(e.Ctx, &b), storage.ErrDuplicate)
		c := storage.Account{Email: "DUP@example.com"}
		wantErr(e.T, "inserting a taken email", e.Store.Accounts().Create(e.Ctx, &c), storage.ErrDuplicate)
	}},
	{"constraint violations map to storage errors", func(e *Env) {
		a := e.mustAccount("map@example.com")
		e.mustKey(a.ID, "alk_mapmapmapmapmap")
		wantErr(e.T, "deleting a referenced account", e.Store.Accounts().Delete(e.Ctx, a.ID), storage.ErrReferenced)

		orphan := storage.APIKey{OwnerID: "no-such-account", Prefix: "alk_orphanor", KeyHash: HashKey("orphan")}
		wantErr(e.T, "key of a missing account", e.Store.APIKeys().Create(e.Ctx, &orphan), storage.ErrInvalidRef)

		bad := storage.AuditLog{OwnerID: a.ID, Action: "account.updated", Outcome: "maybe"}
		err := e.Store.Audit().Append(e.Ctx, &bad)
		wantErr(e.T, "audit row with a bad outcome", err, storage.ErrInvalid)
		var se *storage.Error
		if !errorsAs(err, &se) || se.Constraint != "ck_audit_logs_outcome" {
			e.T.Errorf("constraint of %v = %q, want ck_audit_logs_outcome", err, constraintOf(err))
		}

		_, err = e.Store.Accounts().Get(e.Ctx, "missing")
		wantErr(e.T, "reading a missing account", err, storage.ErrNotFound)
	}},
}

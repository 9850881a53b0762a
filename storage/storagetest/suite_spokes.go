package storagetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/alkdev/alkhub/storage"
)

// spec returns a minimal operation spec as a spoke offers it.
func spec(ns, name, desc string) storage.Operation {
	return storage.Operation{Namespace: ns, Name: name, Version: "1.0.0", Type: storage.OperationQuery,
		Description:   desc,
		InputSchema:   storage.RawJSON{V: json.RawMessage(`{"type":"object"}`)},
		OutputSchema:  storage.RawJSON{V: json.RawMessage(`{"type":"string"}`)},
		AccessControl: storage.NewJSON(storage.AccessControl{RequiredScopes: []string{"ops:call"}})}
}

func (e *Env) register(owner, name, conn string, ops ...storage.Operation) storage.RegisterResult {
	e.T.Helper()
	res, err := e.Store.Spokes().Register(e.Ctx, storage.SpokeRegistration{OwnerID: owner, Name: name,
		Type: storage.SpokeDevEnv, ConnectionID: conn, Operations: ops})
	if err != nil {
		e.T.Fatalf("registering spoke %s: %v", name, err)
	}
	return res
}

func activeOps(e *Env, spokeID string) []string {
	e.T.Helper()
	regs, err := e.Store.Spokes().Registrations(e.Ctx, spokeID)
	noErr(e.T, "reading registrations", err)
	var out []string
	for _, r := range regs {
		if r.Status == storage.RegistrationActive {
			out = append(out, r.OperationID)
		}
	}
	return out
}

var spokeCases = []conformanceCase{
	{"register creates spoke definitions and registrations", func(e *Env) {
		a := e.mustAccount("spoke@example.com")
		res := e.register(a.ID, "devbox", "conn-1", spec("fs", "read", "reads"), spec("git", "status", "st"))
		if !res.Created {
			e.T.Error("first registration did not create the spoke")
		}
		sp, err := e.Store.Spokes().Get(e.Ctx, res.SpokeID)
		noErr(e.T, "reading spoke", err)
		if sp.Status != storage.SpokeConnected || sp.ConnectionID == nil || *sp.ConnectionID != "conn-1" ||
			sp.ConnectedAt == nil || sp.InstanceID == nil || *sp.InstanceID != e.Store.InstanceID() {
			e.T.Errorf("spoke after register = %+v", sp)
		}
		remapped := "dev." + res.SpokeID + ".fs.read"
		if res.Operations["fs.read"] != remapped || res.Aliases["fs.read"] != "fs.read" {
			e.T.Errorf("operations %v aliases %v", res.Operations, res.Aliases)
		}
		op, err := e.Store.Operations().Get(e.Ctx, remapped)
		noErr(e.T, "reading remapped definition", err)
		if op.Namespace != "dev."+res.SpokeID+".fs" || op.Name != "read" || op.Source != storage.SourceSpoke {
			e.T.Errorf("remapped definition = %s %s %s", op.Namespace, op.Name, op.Source)
		}
		want := []string{"dev." + res.SpokeID + ".fs.read", "dev." + res.SpokeID + ".git.status", "fs.read", "git.status"}
		if got := activeOps(e, res.SpokeID); !slices.Equal(got, want) {
			e.T.Errorf("active registrations = %v, want %v", got, want)
		}
		provs, err := e.Store.Operations().Providers(e.Ctx, "fs.read")
		noErr(e.T, "reading providers", err)
		if len(provs) != 1 || provs[0].PreRemapName != "fs.read" || provs[0].SpokeID == nil || *provs[0].SpokeID != res.SpokeID {
			e.T.Errorf("providers of fs.read = %+v", provs)
		}
	}},
	{"failing definition rolls registration back", func(e *Env) {
		a := e.mustAccount("rollback@example.com")
		bad := spec("fs", "write", "bad")
		bad.Type = "sideways"
		_, err := e.Store.Spokes().Register(e.Ctx, storage.SpokeRegistration{OwnerID: a.ID, Name: "box",
			Type: storage.SpokeDevEnv, ConnectionID: "c", Operations: []storage.Operation{spec("fs", "read", ""), bad}})
		wantErr(e.T, "registering an invalid type", err, storage.ErrInvalid)
		_, err = e.Store.Spokes().GetByName(e.Ctx, a.ID, "box")
		wantErr(e.T, "spoke of a failed registration", err, storage.ErrNotFound)
		_, err = e.Store.Operations().Get(e.Ctx, "fs.read")
		wantErr(e.T, "definition of a failed registration", err, storage.ErrNotFound)
	}},
	{"registering again reuses the spoke", func(e *Env) {
		a := e.mustAccount("again@example.com")
		first := e.register(a.ID, "box", "conn-1", spec("fs", "read", ""), spec("fs", "list", ""))
		noErr(e.T, "disconnecting", disconnect(e, first.SpokeID, "conn-1"))
		e.Clock.Advance(5_000_000_000)
		second := e.register(a.ID, "box", "conn-2", spec("fs", "read", ""))
		if second.SpokeID != first.SpokeID || second.Created {
			e.T.Errorf("second registration: id %s created %v, want %s false", second.SpokeID, second.Created, first.SpokeID)
		}
		sp, _ := e.Store.Spokes().Get(e.Ctx, first.SpokeID)
		if sp.Status != storage.SpokeConnected || sp.DisconnectedAt != nil || !sp.ConnectedAt.Equal(e.Clock.Now()) {
			e.T.Errorf("spoke after reconnect = status %s disconnected %v connected %v", sp.Status, sp.DisconnectedAt, sp.ConnectedAt)
		}
		want := []string{"dev." + first.SpokeID + ".fs.read", "fs.read"}
		if got := activeOps(e, first.SpokeID); !slices.Equal(got, want) {
			e.T.Errorf("active after re-register = %v, want %v", got, want)
		}
		if !slices.Contains(second.Deactivated, "fs.list") && len(second.Deactivated) != 0 {
			e.T.Errorf("deactivated = %v", second.Deactivated)
		}

		third := e.register(a.ID, "box", "conn-3", spec("fs", "read", ""))
		if third.PreviousConnectionID != "conn-2" {
			e.T.Errorf("previous connection = %q, want conn-2", third.PreviousConnectionID)
		}
		if len(third.Activated) != 0 || len(third.Deactivated) != 0 {
			e.T.Errorf("unchanged set: activated %v deactivated %v", third.Activated, third.Deactivated)
		}
	}},
	{"disconnect only for the live connection", func(e *Env) {
		a := e.mustAccount("disc@example.com")
		res := e.register(a.ID, "box", "conn-1", spec("fs", "read", ""))
		e.register(a.ID, "box", "conn-2", spec("fs", "read", ""))
		ok, err := e.Store.Spokes().Disconnect(e.Ctx, res.SpokeID, "conn-1")
		noErr(e.T, "stale disconnect", err)
		if ok {
			e.T.Error("stale connection id disconnected the spoke")
		}
		if got := activeOps(e, res.SpokeID); len(got) != 2 {
			e.T.Errorf("active after stale disconnect = %v", got)
		}
		ok, err = e.Store.Spokes().Disconnect(e.Ctx, res.SpokeID, "conn-2")
		noErr(e.T, "disconnect", err)
		if !ok {
			e.T.Error("live connection id did not disconnect")
		}
		sp, _ := e.Store.Spokes().Get(e.Ctx, res.SpokeID)
		if sp.Status != storage.SpokeDisconnected || sp.DisconnectedAt == nil || sp.ConnectionID != nil || sp.InstanceID != nil {
			e.T.Errorf("spoke after disconnect = %+v", sp)
		}
		if got := activeOps(e, res.SpokeID); len(got) != 0 {
			e.T.Errorf("active after disconnect = %v", got)
		}
		_, err = e.Store.Spokes().Disconnect(e.Ctx, "missing", "x")
		wantErr(e.T, "disconnecting a missing spoke", err, storage.ErrNotFound)
	}},
	{"heartbeat touch writes behind", func(e *Env) {
		a := e.mustAccount("beat@example.com")
		res := e.register(a.ID, "box", "conn-1")
		before, _ := e.Store.Spokes().Get(e.Ctx, res.SpokeID)
		at := e.Clock.Now().Add(time.Second)
		e.Store.Spokes().TouchHeartbeat(res.SpokeID, at)
		e.Store.Spokes().TouchHeartbeat(res.SpokeID, at.Add(10*time.Second)) // inside 30 s: skipped
		noErr(e.T, "flushing", e.Store.Flush(e.Ctx))
		sp, err := e.Store.Spokes().Get(e.Ctx, res.SpokeID)
		noErr(e.T, "reading spoke", err)
		if sp.LastHeartbeat == nil || !sp.LastHeartbeat.Equal(at) {
			e.T.Errorf("last_heartbeat = %v, want %v", sp.LastHeartbeat, at)
		}
		if !sp.UpdatedAt.Equal(before.UpdatedAt) {
			e.T.Errorf("heartbeat changed updated_at: %v → %v", before.UpdatedAt, sp.UpdatedAt)
		}
	}},
	{"deleting spoke keeps definitions", func(e *Env) {
		a := e.mustAccount("del@example.com")
		res := e.register(a.ID, "box", "conn-1", spec("fs", "read", ""))
		noErr(e.T, "deleting", e.Store.Spokes().Delete(e.Ctx, res.SpokeID))
		regs, err := e.Store.Spokes().Registrations(e.Ctx, res.SpokeID)
		noErr(e.T, "reading registrations", err)
		if len(regs) != 0 {
			e.T.Errorf("%d registrations survived the spoke", len(regs))
		}
		_, err = e.Store.Operations().Get(e.Ctx, res.Operations["fs.read"])
		noErr(e.T, "reading the remapped definition", err)
	}},
	{"unchanged spec is not rewritten", func(e *Env) {
		op := spec("hubx", "ping", "first")
		op.Source = storage.SourceHub
		rep, err := e.Store.Operations().Upsert(e.Ctx, []storage.Operation{op})
		noErr(e.T, "upserting", err)
		if len(rep.Inserted) != 1 {
			e.T.Fatalf("report = %+v, want one insert", rep)
		}
		before, _ := e.Store.Operations().Get(e.Ctx, "hubx.ping")
		e.Clock.Advance(1_000_000_000)
		rep, err = e.Store.Operations().Upsert(e.Ctx, []storage.Operation{op})
		noErr(e.T, "upserting again", err)
		after, _ := e.Store.Operations().Get(e.Ctx, "hubx.ping")
		if len(rep.Unchanged) != 1 || !after.UpdatedAt.Equal(before.UpdatedAt) {
			e.T.Errorf("unchanged spec: report %+v, updated_at %v → %v", rep, before.UpdatedAt, after.UpdatedAt)
		}
		changed := spec("hubx", "ping", "second")
		changed.Source = storage.SourceHub
		rep, err = e.Store.Operations().Upsert(e.Ctx, []storage.Operation{changed})
		noErr(e.T, "upserting a changed spec", err)
		after, _ = e.Store.Operations().Get(e.Ctx, "hubx.ping")
		if len(rep.Updated) != 1 || after.Description != "second" || !after.UpdatedAt.Equal(e.Clock.Now()) {
			e.T.Errorf("changed spec: report %+v, description %q", rep, after.Description)
		}
		clash := spec("hubx.ping", "", "")
		clash.ID, clash.Namespace, clash.Name = "hubx.ping", "hubx", "ping2"
		_, err = e.Store.Operations().Upsert(e.Ctx, []storage.Operation{clash})
		wantErr(e.T, "id of another namespace and name", err, storage.ErrDuplicate)
		sentinel := spec("system", "removed", "")
		sentinel.ID = storage.RemovedOperationID
		_, err = e.Store.Operations().Upsert(e.Ctx, []storage.Operation{sentinel})
		wantErr(e.T, "overwriting the sentinel", err, storage.ErrProtected)
	}},
	{"alias conflicts keep remapped ids", func(e *Env) {
		a := e.mustAccount("alias@example.com")
		one := e.register(a.ID, "one", "c1", spec("fs", "read", "v1"))
		two := e.register(a.ID, "two", "c2", spec("fs", "read", "v2"))
		if len(two.AliasConflicts) != 1 || two.AliasConflicts[0].Operation != "fs.read" {
			e.T.Errorf("conflicts = %+v, want fs.read", two.AliasConflicts)
		}
		if _, ok := two.Aliases["fs.read"]; ok {
			e.T.Error("conflicting spoke got the alias")
		}
		op, _ := e.Store.Operations().Get(e.Ctx, "fs.read")
		if op.Description != "v1" {
			e.T.Errorf("alias definition = %q, want v1", op.Description)
		}
		same := e.register(a.ID, "three", "c3", spec("fs", "read", "v1"))
		if same.Aliases["fs.read"] != "fs.read" || len(same.AliasConflicts) != 0 {
			e.T.Errorf("same spec: aliases %v conflicts %v", same.Aliases, same.AliasConflicts)
		}
		// With no active provider left the alias may be rewritten.
		noErr(e.T, "disconnecting one", disconnect(e, one.SpokeID, "c1"))
		noErr(e.T, "disconnecting three", disconnect(e, same.SpokeID, "c3"))
		again := e.register(a.ID, "two", "c4", spec("fs", "read", "v2"))
		if again.Aliases["fs.read"] != "fs.read" {
			e.T.Errorf("re-register after providers left: conflicts %v", again.AliasConflicts)
		}
		op, _ = e.Store.Operations().Get(e.Ctx, "fs.read")
		if op.Description != "v2" {
			e.T.Errorf("alias definition = %q, want v2", op.Description)
		}
		res, err := e.Store.Spokes().Register(e.Ctx, storage.SpokeRegistration{OwnerID: a.ID, Name: "five",
			Type: storage.SpokeCompute, ConnectionID: "c6", NoAlias: []string{"fs.read"},
			Operations: []storage.Operation{spec("fs", "read", "v2")}})
		noErr(e.T, "registering with NoAlias", err)
		if len(res.AliasConflicts) != 1 || res.Operations["fs.read"] != "compute."+res.SpokeID+".fs.read" {
			e.T.Errorf("NoAlias: operations %v conflicts %v", res.Operations, res.AliasConflicts)
		}
	}},
}

func disconnect(e *Env, spokeID, conn string) error {
	ok, err := e.Store.Spokes().Disconnect(e.Ctx, spokeID, conn)
	if err == nil && !ok {
		e.T.Fatalf("disconnect of %s with %s changed nothing", spokeID, conn)
	}
	return err
}

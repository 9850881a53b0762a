package storagetest

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/alkdev/alkhub/storage"
)

var instanceCases = []conformanceCase{
	{"open registers a running instance", func(e *Env) {
		inst, err := e.Store.Instances().Get(e.Ctx, e.Store.InstanceID())
		noErr(e.T, "reading own instance", err)
		if inst.Status != storage.InstanceRunning || inst.PID == 0 || inst.Hostname == "" ||
			!inst.LastSeenAt.Equal(e.Clock.Now()) {
			e.T.Errorf("own instance = %+v", inst)
		}
		e.Clock.Advance(5 * time.Second)
		noErr(e.T, "heartbeat", e.Store.Heartbeat(e.Ctx))
		inst, _ = e.Store.Instances().Get(e.Ctx, e.Store.InstanceID())
		if !inst.LastSeenAt.Equal(e.Clock.Now()) {
			e.T.Errorf("last_seen_at = %v, want %v", inst.LastSeenAt, e.Clock.Now())
		}
	}},
	{"concurrent bootstrap creates one admin", func(e *Env) {
		stores := []*storage.Store{e.Store}
		if e.Target.Dialect == storage.DialectPostgres {
			stores = append(stores, e.Target.Open(e.T, storage.Options{Now: e.Clock.Now}))
		}
		var wg sync.WaitGroup
		created := make([]bool, 4)
		errs := make([]error, 4)
		for i := range created {
			s := stores[i%len(stores)]
			wg.Go(func() {
				plain := fmt.Sprintf("alk_boot%039d", i)
				_, created[i], errs[i] = s.Bootstrap(e.Ctx, storage.BootstrapInput{
					Email: fmt.Sprintf("admin%d@example.com", i), KeyHash: HashKey(plain), KeyPrefix: plain[:12]})
			})
		}
		wg.Wait()
		n := 0
		for i := range created {
			noErr(e.T, "bootstrapping", errs[i])
			if created[i] {
				n++
			}
		}
		if n != 1 {
			e.T.Errorf("%d bootstraps created an admin, want 1", n)
		}
		admins, err := e.Store.Accounts().List(e.Ctx, storage.AccountFilter{AccessLevel: storage.AccessAdmin},
			storage.PageRequest{})
		noErr(e.T, "listing admins", err)
		if len(admins.Items) != 1 {
			e.T.Errorf("%d admin accounts, want 1", len(admins.Items))
		}
	}},
	{"dead instance is reaped and fenced", func(e *Env) {
		if e.Target.Dialect != storage.DialectPostgres {
			// One SQLite process at a time: its recovery runs at Open
			// (see the SQLite restart test).
			e.T.Skip("several live instances need Postgres")
		}
		peerClock := NewClock()
		var mu sync.Mutex
		var fenced []string
		peer := e.Target.Open(e.T, storage.Options{Now: peerClock.Now, OnFenced: func(old string) {
			mu.Lock()
			fenced = append(fenced, old)
			mu.Unlock()
		}})
		peerID := peer.InstanceID()
		a := e.mustAccount("reap@example.com")
		res, err := peer.Spokes().Register(e.Ctx, storage.SpokeRegistration{OwnerID: a.ID, Name: "box",
			Type: storage.SpokeDevEnv, ConnectionID: "c1", Operations: []storage.Operation{spec("fs", "read", "")}})
		noErr(e.T, "registering on the peer", err)
		call := newID()
		if !peer.CallGraph().Enqueue(storage.CallNodeWrite{RequestID: call, OperationRef: "x.y",
			Status: storage.CallRunning, StartedAt: peerClock.Now()}) {
			e.T.Fatal("enqueue dropped")
		}
		noErr(e.T, "flushing the peer", peer.Flush(e.Ctx))
		live := e.register(a.ID, "live", "c2", spec("fs", "list", ""))

		e.Clock.Advance(61 * time.Second)
		noErr(e.T, "own heartbeat", e.Store.Heartbeat(e.Ctx))
		// The reaper lock is database-wide, so a parallel test may hold it
		// for a moment; ReapDead then reaps nothing and is tried again.
		var reaped []string
		for try := 0; try < 100 && len(reaped) == 0; try++ {
			var err error
			reaped, err = e.Store.Instances().ReapDead(e.Ctx, 60*time.Second)
			noErr(e.T, "reaping", err)
			if len(reaped) == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		if len(reaped) != 1 || reaped[0] != peerID {
			e.T.Fatalf("reaped = %v, want [%s]", reaped, peerID)
		}

		inst, _ := e.Store.Instances().Get(e.Ctx, peerID)
		if inst.Status != storage.InstanceDead {
			e.T.Errorf("peer status = %s, want dead", inst.Status)
		}
		sp, _ := e.Store.Spokes().Get(e.Ctx, res.SpokeID)
		if sp.Status != storage.SpokeDisconnected || sp.ConnectionID != nil {
			e.T.Errorf("peer spoke = %s conn %v", sp.Status, sp.ConnectionID)
		}
		if got := activeOps(e, res.SpokeID); len(got) != 0 {
			e.T.Errorf("peer registrations still active: %v", got)
		}
		n, _ := e.Store.CallGraph().Get(e.Ctx, call)
		if n.Status != storage.CallFailed || n.Error == nil || !containsAll(string(n.Error.V), "ABORTED", "instance-lost") {
			e.T.Errorf("peer call = %s %v", n.Status, n.Error)
		}
		sp, _ = e.Store.Spokes().Get(e.Ctx, live.SpokeID)
		if sp.Status != storage.SpokeConnected {
			e.T.Error("spoke of the live instance was reset")
		}

		noErr(e.T, "peer heartbeat", peer.Heartbeat(e.Ctx))
		mu.Lock()
		defer mu.Unlock()
		if len(fenced) != 1 || fenced[0] != peerID {
			e.T.Errorf("OnFenced calls = %v, want [%s]", fenced, peerID)
		}
		if peer.InstanceID() == peerID {
			e.T.Error("fenced instance kept its id")
		}
	}},
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

package spokes

import (
	"context"
	"encoding/json"
	"iter"
	"maps"
	"slices"

	"github.com/alkdev/alkhub/hub/catalog"
	"github.com/alkdev/alkhub/operations"
)

// alias is a plain operation id served by any spoke that registered the
// same definition.
type alias struct {
	id   string
	hash string
	spec operations.OperationSpec
	// providers are the spokes with an active registration for the alias.
	providers map[string]bool
	// next is the round-robin cursor among equally loaded providers.
	next uint64
}

// apply updates the in-memory routing after a registration committed. It
// returns whether this was the connection's first registration.
func (m *Manager) apply(c *conn, in registerInput, res RegistrationResult,
	specs map[string]operations.OperationSpec) bool {
	var replaced *conn
	spokeID := res.SpokeID

	m.mu.Lock()
	info := m.spokes[spokeID]
	if info == nil {
		info = &spokeInfo{id: spokeID, ops: map[string]string{}, aliasOf: map[string]string{}}
		m.spokes[spokeID] = info
	}
	related := relatedIDs(info, res)
	before := m.availability(related)

	info.ownerID = c.principal.AccountID
	info.name = in.Name
	info.spokeType = in.SpokeType
	info.visibility = in.Visibility
	info.maxInFlight = in.MaxConcurrency
	info.projectID = in.ProjectID
	if old := m.live[spokeID]; old != nil && old != c {
		replaced = old
	}
	m.live[spokeID] = c

	// Operations the spoke no longer offers keep their definitions but lose
	// this provider.
	for orig, hubID := range info.ops {
		if _, still := res.Operations[orig]; !still {
			m.setTargetActive(hubID, false)
		}
	}
	for orig, aliasID := range info.aliasOf {
		if _, still := res.Aliases[orig]; !still {
			if a := m.aliases[aliasID]; a != nil {
				delete(a.providers, spokeID)
			}
		}
	}

	info.ops = maps.Clone(res.Operations)
	info.aliasOf = maps.Clone(res.Aliases)
	for orig, hubID := range res.Operations {
		m.remapped[hubID] = &remapTarget{
			spokeID: spokeID, originalID: orig, active: true,
			spec: remapSpec(specs[orig], hubID),
		}
	}
	for orig := range res.Aliases {
		spec := specs[orig]
		hash, _ := SpecHash(spec)
		a := m.aliases[orig]
		if a == nil || a.hash != hash {
			// A new alias, or one whose definition this spoke replaces
			// because it had no other active provider.
			providers := map[string]bool{}
			if a != nil {
				providers = a.providers
			}
			a = &alias{id: orig, hash: hash, spec: spec, providers: providers}
			m.aliases[orig] = a
		}
		a.providers[spokeID] = true
	}
	after := m.availability(related)
	m.mu.Unlock()

	c.mu.Lock()
	first := c.spokeID == ""
	c.spokeID = spokeID
	c.spokeName = in.Name
	c.mu.Unlock()

	if replaced != nil {
		replaced.setReason(reasonReplaced)
		_ = replaced.ws.Close(CloseReplaced, "replaced by a newer connection of the same spoke")
	}
	m.syncEntries(spokeID)
	m.publishAvailabilityChanges(before, after)
	return first
}

// relatedIDs returns the hub ids a registration may change: the spoke's
// current and new remapped ids and aliases.
func relatedIDs(info *spokeInfo, res RegistrationResult) []string {
	set := map[string]bool{}
	for _, id := range info.ops {
		set[id] = true
	}
	for _, id := range info.aliasOf {
		set[id] = true
	}
	for _, id := range res.Operations {
		set[id] = true
	}
	for _, id := range res.Aliases {
		set[id] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// availability reports, for each id, whether it has a usable provider. The
// caller holds mu.
func (m *Manager) availability(ids []string) map[string]bool {
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		if t := m.remapped[id]; t != nil {
			out[id] = t.active && m.live[t.spokeID] != nil
			continue
		}
		if a := m.aliases[id]; a != nil {
			out[id] = m.liveProviders(a) > 0
		}
	}
	return out
}

// setTargetActive marks a remapped id served or not. The caller holds mu.
func (m *Manager) setTargetActive(hubID string, active bool) {
	if t := m.remapped[hubID]; t != nil {
		t.active = active
	}
}

// restore makes a stored spoke's ids known while it is away: calls to them
// fail with SPOKE_UNAVAILABLE until it registers again.
func (m *Manager) restore(s StoredSpoke) {
	m.mu.Lock()
	info := &spokeInfo{
		id: s.ID, ownerID: s.OwnerID, name: s.Name, spokeType: s.SpokeType,
		visibility: s.Visibility, maxInFlight: s.MaxInFlight, projectID: s.ProjectID,
		ops: map[string]string{}, aliasOf: map[string]string{},
	}
	if info.maxInFlight <= 0 {
		info.maxInFlight = m.opts.DefaultMaxInFlight
	}
	m.spokes[s.ID] = info
	for _, d := range s.Definitions {
		if d.Alias {
			if _, ok := m.aliases[d.Spec.ID()]; !ok {
				hash, _ := SpecHash(d.Spec)
				m.aliases[d.Spec.ID()] = &alias{id: d.Spec.ID(), hash: hash, spec: d.Spec, providers: map[string]bool{}}
			}
			continue
		}
		m.remapped[d.Spec.ID()] = &remapTarget{spokeID: s.ID, originalID: d.PreRemapName, spec: d.Spec}
		info.ops[d.PreRemapName] = d.Spec.ID()
	}
	m.mu.Unlock()
	m.syncEntries(s.ID)
}

// syncEntries brings the registry and the catalog in line with the
// in-memory state of one spoke's remapped ids and every alias it touches.
func (m *Manager) syncEntries(spokeID string) {
	type item struct {
		op    operations.Operation
		entry catalog.Entry
	}
	var items []item

	m.mu.Lock()
	info := m.spokes[spokeID]
	for hubID, t := range m.remapped {
		if t.spokeID != spokeID {
			continue
		}
		live := t.active && m.live[spokeID] != nil
		items = append(items, item{
			op: m.remappedOperation(hubID, t.spec),
			entry: catalog.Entry{
				Spec:      t.spec,
				Available: live,
				Provider: catalog.Provider{Kind: catalog.KindSpoke, SpokeID: spokeID, SpokeName: info.name,
					OriginalID: t.originalID},
				OwnerID: info.ownerID,
				Public:  info.visibility == visibilityPublic,
			},
		})
	}
	for _, a := range m.aliases {
		n := m.liveProviders(a)
		items = append(items, item{
			op: m.aliasOperation(a.id, a.spec),
			entry: catalog.Entry{
				Spec:      a.spec,
				Available: n > 0,
				Provider:  catalog.Provider{Kind: catalog.KindAlias, OriginalID: a.id, Providers: n},
			},
		})
	}
	m.mu.Unlock()

	for _, it := range items {
		id := it.entry.ID()
		if cur, ok := m.opts.Registry.GetSpec(id); !ok || !sameSpec(cur, it.op.Spec) {
			if err := m.opts.Registry.Register(it.op); err != nil {
				m.log.Error("registering a spoke operation", "operationId", id, "spokeId", spokeID, "error", err)
				continue
			}
		}
		m.opts.Catalog.Put(it.entry)
	}
}

func sameSpec(a, b operations.OperationSpec) bool {
	ha, err1 := SpecHash(a)
	hb, err2 := SpecHash(b)
	return err1 == nil && err2 == nil && ha == hb
}

// liveProviders counts an alias's providers with a live connection. The
// caller holds mu.
func (m *Manager) liveProviders(a *alias) int {
	n := 0
	for id := range a.providers {
		if m.live[id] != nil {
			n++
		}
	}
	return n
}

// remappedOperation returns the registry entry that forwards a remapped id
// to its spoke.
func (m *Manager) remappedOperation(hubID string, spec operations.OperationSpec) operations.Operation {
	op := operations.Operation{Spec: spec}
	if spec.Type == operations.TypeSubscription {
		op.Stream = func(ctx context.Context, input json.RawMessage, oc *operations.OperationContext) (iter.Seq2[any, error], error) {
			c, info, orig, err := m.resolveRemapped(hubID, oc)
			if err != nil {
				return nil, err
			}
			return m.forwardStream(ctx, c, info, hubID, orig, input, oc)
		}
		return op
	}
	op.Handler = func(ctx context.Context, input json.RawMessage, oc *operations.OperationContext) (any, error) {
		c, info, orig, err := m.resolveRemapped(hubID, oc)
		if err != nil {
			return nil, err
		}
		return m.forwardUnary(ctx, c, info, hubID, orig, input, oc)
	}
	return op
}

// resolveRemapped finds the live connection behind a remapped id and
// applies spoke visibility.
func (m *Manager) resolveRemapped(hubID string, oc *operations.OperationContext) (*conn, *spokeInfo, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.remapped[hubID]
	if t == nil {
		return nil, nil, "", operations.NewCallError(operations.CodeOperationNotFound,
			"Operation not found: "+hubID, map[string]any{"operationId": hubID})
	}
	info := m.spokes[t.spokeID]
	if !oc.Trusted() && !visibleTo(info, oc.Identity) {
		return nil, nil, "", accessDenied(hubID)
	}
	c := m.live[t.spokeID]
	if c == nil || !t.active {
		return nil, nil, "", spokeUnavailable(hubID, reasonNoProvider)
	}
	return c, info, t.originalID, nil
}

// aliasOperation returns the registry entry that forwards a plain id to a
// selected provider.
func (m *Manager) aliasOperation(id string, spec operations.OperationSpec) operations.Operation {
	op := operations.Operation{Spec: spec}
	if spec.Type == operations.TypeSubscription {
		op.Stream = func(ctx context.Context, input json.RawMessage, oc *operations.OperationContext) (iter.Seq2[any, error], error) {
			var seq iter.Seq2[any, error]
			err := m.withProvider(id, oc, func(c *conn, info *spokeInfo) error {
				var err error
				seq, err = m.forwardStream(ctx, c, info, id, id, input, oc)
				return err
			})
			return seq, err
		}
		return op
	}
	op.Handler = func(ctx context.Context, input json.RawMessage, oc *operations.OperationContext) (any, error) {
		var out any
		err := m.withProvider(id, oc, func(c *conn, info *spokeInfo) error {
			var err error
			out, err = m.forwardUnary(ctx, c, info, id, id, input, oc)
			return err
		})
		return out, err
	}
	return op
}

// withProvider selects a provider for an alias and runs fn with it. When
// the chosen spoke turns out busy before the call reached it, the next
// candidate is tried.
func (m *Manager) withProvider(id string, oc *operations.OperationContext, fn func(*conn, *spokeInfo) error) error {
	tried := map[string]bool{}
	for {
		c, info, err := m.selectProvider(id, oc, tried)
		if err != nil {
			return err
		}
		err = fn(c, info)
		if ce, ok := err.(*operations.CallError); ok && ce.Code == operations.CodeSpokeUnavailable && !tried[info.id] {
			tried[info.id] = true
			continue
		}
		return err
	}
}

// selectProvider picks the spoke for an alias call: visible live providers,
// metadata.spokeId affinity, then metadata.projectId preference, then the
// fewest calls in flight, ties by round robin. Spokes at their concurrency
// limit and those in skip are passed over.
func (m *Manager) selectProvider(id string, oc *operations.OperationContext, skip map[string]bool) (*conn, *spokeInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.aliases[id]
	if a == nil {
		return nil, nil, spokeUnavailable(id, reasonNoProvider)
	}

	var candidates []string
	for spokeID := range a.providers {
		info := m.spokes[spokeID]
		if m.live[spokeID] == nil || info == nil || skip[spokeID] {
			continue
		}
		if !oc.Trusted() && !visibleTo(info, oc.Identity) {
			continue
		}
		candidates = append(candidates, spokeID)
	}
	slices.Sort(candidates)

	if want, ok := oc.Metadata["spokeId"].(string); ok && want != "" {
		if !slices.Contains(candidates, want) {
			return nil, nil, spokeUnavailable(id, reasonNoProvider)
		}
		candidates = []string{want}
	} else if project, ok := oc.Metadata["projectId"].(string); ok && project != "" {
		var inProject []string
		for _, sid := range candidates {
			if m.spokes[sid].projectID == project {
				inProject = append(inProject, sid)
			}
		}
		if len(inProject) > 0 {
			candidates = inProject
		}
	}
	if len(candidates) == 0 {
		return nil, nil, spokeUnavailable(id, reasonNoProvider)
	}

	var best []string
	bestLoad := -1
	for _, sid := range candidates {
		load := m.live[sid].inFlight()
		if load >= m.spokes[sid].maxInFlight {
			continue
		}
		switch {
		case bestLoad < 0 || load < bestLoad:
			best, bestLoad = []string{sid}, load
		case load == bestLoad:
			best = append(best, sid)
		}
	}
	if len(best) == 0 {
		return nil, nil, spokeUnavailable(id, reasonBusy)
	}
	pick := best[a.next%uint64(len(best))]
	a.next++
	return m.live[pick], m.spokes[pick], nil
}

// publishAvailabilityChanges announces operations that gained their first
// or lost their last provider.
func (m *Manager) publishAvailabilityChanges(before, after map[string]bool) {
	for _, id := range slices.Sorted(maps.Keys(after)) {
		switch {
		case after[id] && !before[id]:
			m.publish("operation.available", map[string]any{"operationId": id})
		case !after[id] && before[id]:
			m.publish("operation.unavailable", map[string]any{"operationId": id})
		}
	}
}

func (m *Manager) publishRegistered(res RegistrationResult, in registerInput, first bool, ownerID string) {
	spokeID := res.SpokeID
	if first {
		m.publish("spoke.connected", map[string]any{
			"spokeId": spokeID, "name": in.Name, "spokeType": in.SpokeType, "ownerId": ownerID,
		})
	}
	ids := make([]string, 0, len(res.Operations))
	for _, orig := range slicesSortedKeys(res.Operations) {
		ids = append(ids, res.Operations[orig])
	}
	m.publish("spoke.registered", map[string]any{"spokeId": spokeID, "operations": ids})
}

func (m *Manager) publish(eventType string, payload any) {
	if m.opts.Events == nil {
		return
	}
	if err := m.opts.Events.Publish(m.ctx, eventType, "", payload); err != nil && m.ctx.Err() == nil {
		m.log.Warn("publishing a spoke lifecycle event", "type", eventType, "error", err)
	}
}

// Visible reports whether an identity may see and call a catalogue entry
// as far as spokes are concerned: a remapped id when its spoke is visible
// to the identity, an alias when one of its active providers is (or, with
// none, for admins only). Entries of other kinds are always visible here.
func (m *Manager) Visible(e catalog.Entry, id *operations.Identity) bool {
	switch e.Provider.Kind {
	case catalog.KindSpoke:
		m.mu.Lock()
		defer m.mu.Unlock()
		info := m.spokes[e.Provider.SpokeID]
		return info != nil && visibleTo(info, id)
	case catalog.KindAlias:
		m.mu.Lock()
		defer m.mu.Unlock()
		a := m.aliases[e.ID()]
		if a == nil || len(a.providers) == 0 {
			return isAdmin(id)
		}
		for spokeID := range a.providers {
			if info := m.spokes[spokeID]; info != nil && visibleTo(info, id) {
				return true
			}
		}
		return false
	}
	return true
}

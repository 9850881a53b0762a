package spokes

import (
	"context"
	"encoding/json"
	"time"

	"github.com/alkdev/alkhub/operations"
	"github.com/alkdev/alkhub/pubsub/ws"
)

// storeTimeout bounds the store writes of disconnect handling, which run
// after the connection's goroutines have ended.
const storeTimeout = 10 * time.Second

// onDisconnect runs once per connection after its goroutines exited:
// routing first, then the calls forwarded to it, the calls it made, the
// stored state and the lifecycle events.
func (m *Manager) onDisconnect(wc *ws.Conn, cause error) {
	m.mu.Lock()
	c := m.conns[wc.ID()]
	delete(m.conns, wc.ID())
	m.mu.Unlock()
	if c == nil {
		return
	}
	m.release(c.principal.KeyID)

	c.mu.Lock()
	c.gone = true
	reason := c.reason
	if reason == "" {
		reason = reasonDisconnected
	}
	spokeID := c.spokeID
	forwarded := make([]*forwarded, 0, len(c.forwarded))
	for _, f := range c.forwarded {
		forwarded = append(forwarded, f)
	}
	inbound := make([]*inboundCall, 0, len(c.inbound))
	for _, in := range c.inbound {
		inbound = append(inbound, in)
	}
	c.mu.Unlock()

	wasLive := spokeID != "" && m.detach(spokeID, c)

	for _, f := range forwarded {
		f.stream.Stop(spokeDisconnected(spokeID, reason))
	}
	for _, in := range inbound {
		in.cancel()
	}

	m.log.Info("websocket client disconnected", "connectionId", c.id, "spokeId", spokeID,
		"reason", reason, "forwardedCalls", len(forwarded), "inboundCalls", len(inbound), "cause", cause)
	if !wasLive {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := m.opts.Store.MarkDisconnected(ctx, spokeID, c.id, m.opts.Now()); err != nil {
		m.log.Error("marking a spoke disconnected", "spokeId", spokeID, "connectionId", c.id, "error", err)
	}
	m.publish("spoke.disconnected", map[string]any{"spokeId": spokeID, "reason": reason})
}

// detach removes a connection from the routing of its spoke if it is still
// the spoke's live connection, updating the registry entries and
// announcing operations that lost their last provider. It reports whether
// the connection was live.
func (m *Manager) detach(spokeID string, c *conn) bool {
	m.mu.Lock()
	if m.live[spokeID] != c {
		m.mu.Unlock()
		return false
	}
	info := m.spokes[spokeID]
	related := relatedIDs(info, RegistrationResult{})
	before := m.availability(related)
	delete(m.live, spokeID)
	for _, aliasID := range info.aliasOf {
		if a := m.aliases[aliasID]; a != nil {
			delete(a.providers, spokeID)
		}
	}
	for _, hubID := range info.ops {
		m.setTargetActive(hubID, false)
	}
	after := m.availability(related)
	m.mu.Unlock()

	m.syncEntries(spokeID)
	m.publishAvailabilityChanges(before, after)
	return true
}

func (m *Manager) unregister(ctx context.Context, _ json.RawMessage, oc *operations.OperationContext) (any, error) {
	c := m.connForRequest(oc.RequestID)
	if c == nil {
		return nil, notOverWebSocket(opUnregister)
	}
	m.regMu.Lock()
	defer m.regMu.Unlock()

	c.mu.Lock()
	spokeID := c.spokeID
	c.spokeID, c.spokeName = "", ""
	c.mu.Unlock()
	if spokeID == "" {
		return map[string]any{"ok": true}, nil
	}
	if m.detach(spokeID, c) {
		if err := m.opts.Store.MarkDisconnected(ctx, spokeID, c.id, m.opts.Now()); err != nil {
			return nil, err
		}
		m.publish("spoke.disconnected", map[string]any{"spokeId": spokeID, "reason": "unregistered"})
	}
	m.log.Info("spoke unregistered", "spokeId", spokeID, "connectionId", c.id)
	return map[string]any{"ok": true}, nil
}

func (m *Manager) heartbeat(_ context.Context, _ json.RawMessage, oc *operations.OperationContext) (any, error) {
	c := m.connForRequest(oc.RequestID)
	if c == nil {
		return nil, notOverWebSocket(opHeartbeat)
	}
	now := m.opts.Now()
	if spokeID, _ := c.spoke(); spokeID != "" {
		m.opts.Store.TouchHeartbeat(spokeID, now)
	}
	return map[string]any{"ok": true, "serverTime": now.UnixMilli()}, nil
}

// SpokeView is the listing shape of a spoke.
type SpokeView struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	SpokeType   string   `json:"spokeType"`
	Status      string   `json:"status"`
	Visibility  string   `json:"visibility"`
	ProjectID   string   `json:"projectId,omitempty"`
	InFlight    int      `json:"inFlight"`
	MaxInFlight int      `json:"maxInFlight"`
	Operations  []string `json:"operations"`
}

// Spokes returns the spokes this hub has records of, for owners (or all, when
// ownerID is ""), sorted by id.
func (m *Manager) Spokes(ownerID string) []SpokeView {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []SpokeView{}
	for _, id := range sortedKeys(m.spokes) {
		info := m.spokes[id]
		if ownerID != "" && info.ownerID != ownerID {
			continue
		}
		v := SpokeView{
			ID: info.id, Name: info.name, SpokeType: info.spokeType, Status: "disconnected",
			Visibility: info.visibility, ProjectID: info.projectID, MaxInFlight: info.maxInFlight,
			Operations: []string{},
		}
		if c := m.live[id]; c != nil {
			v.Status = "connected"
			v.InFlight = c.inFlight()
		}
		for _, orig := range slicesSortedKeys(info.ops) {
			v.Operations = append(v.Operations, info.ops[orig])
		}
		out = append(out, v)
	}
	return out
}

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slicesSort(keys)
	return keys
}

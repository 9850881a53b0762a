package spokes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/operations"
)

// Operation ids of the spoke protocol.
const (
	opRegister   = "hub.register"
	opUnregister = "hub.unregister"
	opHeartbeat  = "hub.heartbeat"
)

type registerInput struct {
	Name            string            `json:"name"`
	SpokeType       string            `json:"spokeType"`
	ProtocolVersion int               `json:"protocolVersion"`
	ProjectID       string            `json:"projectId"`
	Visibility      string            `json:"visibility"`
	MaxConcurrency  int               `json:"maxConcurrency"`
	HostInfo        json.RawMessage   `json:"hostInfo"`
	Operations      []json.RawMessage `json:"operations"`
}

// RegisterOutput is the result of hub.register.
type RegisterOutput struct {
	SpokeID             string            `json:"spokeId"`
	Operations          map[string]string `json:"operations"`
	Aliases             map[string]string `json:"aliases"`
	AliasConflicts      []AliasConflict   `json:"aliasConflicts"`
	Rejected            []Rejection       `json:"rejected"`
	HeartbeatIntervalMs int64             `json:"heartbeatIntervalMs"`
	ServerTime          int64             `json:"serverTime"`
}

// AliasConflict reports an operation that did not join its plain-id alias.
type AliasConflict struct {
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
}

// Rejection reports an operation spec that was not registered.
type Rejection struct {
	Operation string                  `json:"operation"`
	Code      string                  `json:"code"`
	Message   string                  `json:"message"`
	Details   []operations.ValueError `json:"details,omitempty"`
}

var registerInputSchema = json.RawMessage(`{
  "type": "object",
  "required": ["name", "spokeType"],
  "properties": {
    "name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
    "spokeType": {"enum": ["dev-env", "client", "compute"]},
    "protocolVersion": {"const": 1},
    "projectId": {"type": "string", "minLength": 1},
    "visibility": {"enum": ["private", "public"]},
    "maxConcurrency": {"type": "integer", "minimum": 1, "maximum": 1024},
    "hostInfo": {"type": "object"},
    "operations": {"type": "array", "maxItems": 1000, "items": {"type": "object"}}
  }
}`)

var registerOutputSchema = json.RawMessage(`{
  "type": "object",
  "required": ["spokeId", "operations", "aliases", "aliasConflicts", "rejected", "heartbeatIntervalMs", "serverTime"],
  "properties": {
    "spokeId": {"type": "string"},
    "operations": {"type": "object", "additionalProperties": {"type": "string"}},
    "aliases": {"type": "object", "additionalProperties": {"type": "string"}},
    "aliasConflicts": {"type": "array"},
    "rejected": {"type": "array"},
    "heartbeatIntervalMs": {"type": "integer"},
    "serverTime": {"type": "integer"}
  }
}`)

// Operations returns hub.register, hub.unregister and hub.heartbeat, bound
// to this manager.
func (m *Manager) Operations() []operations.Operation {
	spokeConnect := operations.AccessControl{RequiredScopes: []string{auth.ScopeSpokeConnect}}
	return []operations.Operation{
		{
			Spec: operations.OperationSpec{
				Namespace: "hub", Name: "register", Version: "1.0.0", Type: operations.TypeMutation,
				Title:         "Register a spoke",
				Description:   "Registers the calling WebSocket connection as a spoke and publishes its operations under remapped ids and, where free, their plain ids.",
				InputSchema:   registerInputSchema,
				OutputSchema:  registerOutputSchema,
				AccessControl: spokeConnect,
			},
			Handler: m.register,
		},
		{
			Spec: operations.OperationSpec{
				Namespace: "hub", Name: "unregister", Version: "1.0.0", Type: operations.TypeMutation,
				Title:         "Unregister a spoke",
				Description:   "Withdraws the calling connection's operations; the socket stays open as a plain client.",
				InputSchema:   json.RawMessage(`{"type":"object"}`),
				OutputSchema:  json.RawMessage(`{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}`),
				AccessControl: spokeConnect,
			},
			Handler: m.unregister,
		},
		{
			Spec: operations.OperationSpec{
				Namespace: "hub", Name: "heartbeat", Version: "1.0.0", Type: operations.TypeMutation,
				Title:       "Spoke heartbeat",
				Description: "Records that the calling spoke is alive and returns the hub's clock (epoch ms) so the spoke can detect clock skew.",
				InputSchema: json.RawMessage(`{"type":"object","properties":{"load":{"type":"object",
					"properties":{"inFlight":{"type":"integer"},"cpu":{"type":"number"},"memBytes":{"type":"integer"}}}}}`),
				OutputSchema: json.RawMessage(`{"type":"object","properties":{"ok":{"type":"boolean"},"serverTime":{"type":"integer"}},
					"required":["ok","serverTime"]}`),
				AccessControl: spokeConnect,
			},
			Handler: m.heartbeat,
		},
	}
}

func notOverWebSocket(opID string) *operations.CallError {
	return operations.NewCallError(operations.CodeValidation, opID+" must be called over a /ws connection",
		[]operations.ValueError{{Path: "", Message: "call " + opID + " over a WebSocket connection to /ws"}})
}

func (m *Manager) register(ctx context.Context, raw json.RawMessage, oc *operations.OperationContext) (any, error) {
	c := m.connForRequest(oc.RequestID)
	if c == nil {
		return nil, notOverWebSocket(opRegister)
	}
	var in registerInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, operations.NewCallError(operations.CodeValidation, "hub.register input does not decode",
			[]operations.ValueError{{Path: "", Message: err.Error()}})
	}
	if ce := m.checkHeader(ctx, c, &in); ce != nil {
		return nil, ce
	}

	accepted, rejected := checkSpecs(in.Operations)

	m.regMu.Lock()
	defer m.regMu.Unlock()

	now := m.opts.Now()
	res, err := m.opts.Store.SaveRegistration(ctx, Registration{
		OwnerID:      c.principal.AccountID,
		Name:         in.Name,
		SpokeType:    in.SpokeType,
		Visibility:   in.Visibility,
		ProjectID:    in.ProjectID,
		MaxInFlight:  in.MaxConcurrency,
		HostInfo:     in.HostInfo,
		ConnectionID: c.id,
		Specs:        accepted,
		NoAlias:      m.hubOwnedIDs(accepted),
	})
	if err != nil {
		m.log.Error("saving a spoke registration", "connectionId", c.id, "name", in.Name, "error", err)
		return nil, fmt.Errorf("saving the registration of spoke %s: %w", in.Name, err)
	}

	specs := make(map[string]operations.OperationSpec, len(accepted))
	for _, s := range accepted {
		specs[s.ID()] = s
	}
	firstOnConn := m.apply(c, in, res, specs)
	m.log.Info("spoke registered", "spokeId", res.SpokeID, "name", in.Name, "spokeType", in.SpokeType,
		"connectionId", c.id, "operations", len(res.Operations), "rejected", len(rejected))
	m.publishRegistered(res, in, firstOnConn, c.principal.AccountID)

	if res.AliasConflicts == nil {
		res.AliasConflicts = []AliasConflict{}
	}
	return RegisterOutput{
		SpokeID:             res.SpokeID,
		Operations:          nonNil(res.Operations),
		Aliases:             nonNil(res.Aliases),
		AliasConflicts:      res.AliasConflicts,
		Rejected:            rejected,
		HeartbeatIntervalMs: m.opts.PingInterval.Milliseconds(),
		ServerTime:          now.UnixMilli(),
	}, nil
}

func nonNil(mp map[string]string) map[string]string {
	if mp == nil {
		return map[string]string{}
	}
	return mp
}

// hubOwnedIDs returns the plain ids among specs that a hub operation (not
// an alias) already uses; those never become aliases.
func (m *Manager) hubOwnedIDs(specs []operations.OperationSpec) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, s := range specs {
		id := s.ID()
		if _, isAlias := m.aliases[id]; isAlias {
			continue
		}
		if _, taken := m.opts.Registry.GetSpec(id); taken {
			out = append(out, id)
		}
	}
	return out
}

// checkHeader applies the rules of the registration's own fields and fills
// defaults.
func (m *Manager) checkHeader(ctx context.Context, c *conn, in *registerInput) *operations.CallError {
	invalid := func(path, msg string) *operations.CallError {
		return operations.NewCallError(operations.CodeValidation, "Validation failed for hub.register input: "+msg,
			[]operations.ValueError{{Path: path, Message: msg}})
	}
	if len(in.HostInfo) > maxHostInfoBytes {
		return invalid("/hostInfo", fmt.Sprintf("hostInfo is larger than %d bytes", maxHostInfoBytes))
	}
	if len(in.Operations) > maxOperations {
		return invalid("/operations", fmt.Sprintf("at most %d operations may be registered", maxOperations))
	}
	if in.Visibility == "" {
		in.Visibility = visibilityPrivate
	}
	if in.Visibility == visibilityPublic && !c.principal.HasScope(auth.ScopeAdmin) {
		return operations.NewCallError(operations.CodeAccessDenied, "registering a public spoke requires scope admin",
			map[string]any{"operationId": opRegister, "requiredScopes": []string{auth.ScopeAdmin}})
	}
	if in.MaxConcurrency == 0 {
		in.MaxConcurrency = m.opts.DefaultMaxInFlight
	}
	if in.ProjectID != "" {
		ok, err := m.opts.Store.CanWriteProject(ctx, c.principal.Identity, in.ProjectID)
		if err != nil {
			return operations.MapError(fmt.Errorf("checking access to project %s: %w", in.ProjectID, err), nil)
		}
		if !ok {
			return operations.NewCallError(operations.CodeAccessDenied, "no write access to project "+in.ProjectID,
				map[string]any{"operationId": opRegister, "projectId": in.ProjectID})
		}
	}
	if _, name := c.spoke(); name != "" && name != in.Name {
		return operations.NewCallError(operations.CodeConflict,
			"this connection is registered as "+name+"; the name cannot change while registered",
			map[string]any{"name": name})
	}
	return nil
}

// checkSpecs validates each spec on its own: the valid ones are accepted
// (first occurrence of an id wins), the others come back as rejections.
func checkSpecs(raws []json.RawMessage) ([]operations.OperationSpec, []Rejection) {
	accepted := []operations.OperationSpec{}
	rejected := []Rejection{}
	seen := map[string]bool{}
	for i, raw := range raws {
		spec, id, problem := checkSpec(raw)
		if id == "." || id == "" {
			id = fmt.Sprintf("operations[%d]", i)
		}
		switch {
		case problem != nil:
			rejected = append(rejected, Rejection{Operation: id, Code: operations.CodeValidation,
				Message: problem.message, Details: problem.details})
		case seen[id]:
			rejected = append(rejected, Rejection{Operation: id, Code: operations.CodeValidation,
				Message: "operation " + id + " appears twice in one registration"})
		default:
			seen[id] = true
			accepted = append(accepted, spec)
		}
	}
	return accepted, rejected
}

func slicesSortedKeys(mp map[string]string) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

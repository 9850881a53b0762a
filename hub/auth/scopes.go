package auth

// Scopes of the hub's catalogue. Scopes match by exact string: there are no
// wildcards and no hierarchy, except that ScopeAdmin on an admin account is
// expanded into all of them at the edge.
const (
	ScopeOpsList        = "ops:list"
	ScopeOpsCall        = "ops:call"
	ScopeSpokeConnect   = "spoke:connect"
	ScopeSessionsRead   = "sessions:read"
	ScopeSessionsWrite  = "sessions:write"
	ScopeCoordUse       = "coord:use"
	ScopeCoordAdmin     = "coord:admin"
	ScopeCallsRead      = "calls:read"
	ScopeKeysManage     = "keys:manage"
	ScopeTaskgraphRead  = "taskgraph:read"
	ScopeTaskgraphWrite = "taskgraph:write"
	ScopeWorkflowsRun   = "workflows:run"
	ScopeWorkflowsWrite = "workflows:write"
	ScopeInferenceUse   = "inference:use"
	ScopeAdmin          = "admin"
)

// EdgeScope returns the baseline scope a call from an external edge needs
// before the operation's own access control: ops:list for hub.list,
// hub.search and hub.schema, spoke:connect for hub.register,
// hub.unregister and hub.heartbeat, and ops:call for every other
// operation. /api/call and /api/subscribe need ops:call in any case.
// Listings apply the baseline too, so they show only what the caller may
// call.
func EdgeScope(operationID string) string {
	switch operationID {
	case "hub.list", "hub.search", "hub.schema":
		return ScopeOpsList
	case "hub.register", "hub.unregister", "hub.heartbeat":
		return ScopeSpokeConnect
	}
	return ScopeOpsCall
}

// Catalogue returns every scope the hub defines, ScopeAdmin last.
func Catalogue() []string {
	return []string{
		ScopeOpsList, ScopeOpsCall, ScopeSpokeConnect,
		ScopeSessionsRead, ScopeSessionsWrite,
		ScopeCoordUse, ScopeCoordAdmin,
		ScopeCallsRead, ScopeKeysManage,
		ScopeTaskgraphRead, ScopeTaskgraphWrite,
		ScopeWorkflowsRun, ScopeWorkflowsWrite,
		ScopeInferenceUse, ScopeAdmin,
	}
}

// DefaultKeyScopes returns the scopes of a key created without any.
func DefaultKeyScopes() []string {
	return []string{ScopeOpsList, ScopeOpsCall}
}

// IsKnownScope reports whether s is in the hub's catalogue.
func IsKnownScope(s string) bool {
	for _, c := range Catalogue() {
		if c == s {
			return true
		}
	}
	return false
}

// EffectiveScopes returns the scopes an identity carries at the edge. The
// admin scope counts only on an account whose access level is "admin"; there
// it expands into the whole catalogue (other scopes of the key are kept, so
// scopes defined by spokes or importers still need to be granted by name).
// On any other account "admin" is dropped.
func EffectiveScopes(keyScopes []string, accountAccessLevel string) []string {
	hasAdmin := false
	out := make([]string, 0, len(keyScopes))
	seen := make(map[string]bool, len(keyScopes))
	for _, s := range keyScopes {
		if s == ScopeAdmin {
			hasAdmin = true
			continue
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if !hasAdmin || accountAccessLevel != AccessLevelAdmin {
		return out
	}
	for _, s := range Catalogue() {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Account access levels.
const (
	AccessLevelAdmin   = "admin"
	AccessLevelUser    = "user"
	AccessLevelService = "service"
)

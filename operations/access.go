package operations

import (
	"slices"
	"strings"
)

// CheckAccess reports whether id satisfies ac. The checks run in order and
// fail fast:
//  1. every entry of RequiredScopes must be in id.Scopes;
//  2. when RequiredScopesAny is non-empty, one of its entries must be;
//  3. when ResourceType and ResourceAction are both set, id.Resources must
//     have some key "<ResourceType>:<any id>" whose actions include
//     ResourceAction.
//
// Scopes match exactly, without wildcards or hierarchy. Resource checks are
// type-level: any resource id of the type grants the action, and checks on
// one instance belong to the handler. ResourceAction without ResourceType is
// ignored, and ResourceType without ResourceAction only demands an identity.
// A nil identity fails every check that applies.
func CheckAccess(ac AccessControl, id *Identity) bool {
	if len(ac.RequiredScopes) > 0 {
		if id == nil {
			return false
		}
		for _, s := range ac.RequiredScopes {
			if !slices.Contains(id.Scopes, s) {
				return false
			}
		}
	}
	if len(ac.RequiredScopesAny) > 0 {
		if id == nil || !slices.ContainsFunc(ac.RequiredScopesAny, func(s string) bool {
			return slices.Contains(id.Scopes, s)
		}) {
			return false
		}
	}
	if ac.ResourceType != "" {
		if id == nil {
			return false
		}
		if ac.ResourceAction != "" && !hasResourceAction(id, ac.ResourceType, ac.ResourceAction) {
			return false
		}
	}
	return true
}

func hasResourceAction(id *Identity, resourceType, action string) bool {
	for key, actions := range id.Resources {
		if len(key) > len(resourceType) && key[len(resourceType)] == ':' &&
			strings.HasPrefix(key, resourceType) && slices.Contains(actions, action) {
			return true
		}
	}
	return false
}

// IsProtected reports whether ac demands anything: required scopes, any-of
// scopes or a resource type.
func IsProtected(ac AccessControl) bool {
	return len(ac.RequiredScopes) > 0 || len(ac.RequiredScopesAny) > 0 || ac.ResourceType != ""
}

// EnforceAccess returns nil when a caller with identity id may call
// operationID, else an ACCESS_DENIED *CallError. Trusted callers (nested
// calls through an Env) and unprotected operations pass without identity.
// A protected operation without identity fails with message
// "Access denied for operation: <id> — identity required" and details
// {"operationId", "requiredScopes"}; a failed check with "Access denied for
// operation: <id>" and details {"requiredScopes"}.
func EnforceAccess(ac AccessControl, id *Identity, operationID string, trusted bool) error {
	if trusted || !IsProtected(ac) {
		return nil
	}
	required := ac.RequiredScopes
	if required == nil {
		required = []string{}
	}
	if id == nil {
		return NewCallError(CodeAccessDenied,
			"Access denied for operation: "+operationID+" — identity required",
			map[string]any{"operationId": operationID, "requiredScopes": required})
	}
	if !CheckAccess(ac, id) {
		return NewCallError(CodeAccessDenied, "Access denied for operation: "+operationID,
			map[string]any{"requiredScopes": required})
	}
	return nil
}

package operations

import (
	"context"
	"testing"
)

func guardedOp(ac AccessControl) Operation {
	op := testOp()
	op.Spec.AccessControl = ac
	return op
}

func executeAs(t *testing.T, ac AccessControl, oc *OperationContext) error {
	t.Helper()
	r := NewRegistry()
	mustRegister(t, r, guardedOp(ac))
	_, err := r.Execute(context.Background(), "test.testOp", map[string]any{"value": "x"}, oc)
	return err
}

func withIdentity(scopes []string, resources map[string][]string) *OperationContext {
	return &OperationContext{RequestID: "r", Identity: &Identity{ID: "u", Scopes: scopes, Resources: resources}}
}

func TestExecuteAccessControl(t *testing.T) {
	project := AccessControl{ResourceType: "project", ResourceAction: "read"}
	tests := []struct {
		name    string
		ac      AccessControl
		oc      *OperationContext
		allowed bool
	}{
		{"scope without identity", AccessControl{RequiredScopes: []string{"admin"}}, nil, false},
		{"all scopes held", AccessControl{RequiredScopes: []string{"read", "write"}},
			withIdentity([]string{"read", "write", "admin"}, nil), true},
		{"no scopes required", AccessControl{RequiredScopes: []string{}}, nil, true},
		{"any scope missing", AccessControl{RequiredScopesAny: []string{"admin", "write"}},
			withIdentity([]string{"read"}, nil), false},
		{"any scope held", AccessControl{RequiredScopesAny: []string{"admin", "write"}},
			withIdentity([]string{"write"}, nil), true},
		{"resource missing", project, withIdentity(nil, nil), false},
		{"resource held", project, withIdentity(nil, map[string][]string{"project:abc": {"read", "write"}}), true},
		{"empty resources", project, withIdentity(nil, map[string][]string{}), false},
		{"other resource type", project, withIdentity(nil, map[string][]string{"document:abc": {"read"}}), false},
		{"other action", project, withIdentity(nil, map[string][]string{"project:abc": {"write"}}), false},
		{"prefix is not a type", project, withIdentity(nil, map[string][]string{"projectx:abc": {"read"}}), false},
		{"unguarded op, no scopes", AccessControl{}, withIdentity(nil, nil), true},
		{"scope and resource", project,
			withIdentity([]string{"some:scope"}, map[string][]string{"project:xyz": {"read", "write"}}), true},
		{"type without action needs identity", AccessControl{ResourceType: "project"}, nil, false},
		{"type without action", AccessControl{ResourceType: "project"}, withIdentity(nil, nil), true},
		{"trusted lacking scope", AccessControl{RequiredScopes: []string{"admin"}},
			&OperationContext{Identity: &Identity{ID: "u", Scopes: []string{"read"}}, trusted: true}, true},
		{"trusted without identity", AccessControl{RequiredScopes: []string{"admin"}},
			&OperationContext{trusted: true}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := executeAs(t, tc.ac, tc.oc)
			if tc.allowed && err != nil {
				t.Errorf("denied: %v", err)
			}
			if !tc.allowed {
				assertCode(t, err, CodeAccessDenied)
			}
		})
	}
}

func TestAccessDeniedMessages(t *testing.T) {
	err := executeAs(t, AccessControl{RequiredScopes: []string{"admin", "write"}},
		withIdentity([]string{"read"}, nil))
	ce := assertCode(t, err, CodeAccessDenied)
	if ce.Message != "Access denied for operation: test.testOp" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"requiredScopes":["admin","write"]}`)

	err = executeAs(t, AccessControl{RequiredScopes: []string{"read"}}, &OperationContext{})
	ce = assertCode(t, err, CodeAccessDenied)
	if ce.Message != "Access denied for operation: test.testOp — identity required" {
		t.Errorf("message = %q", ce.Message)
	}
	assertJSON(t, ce.Details, `{"operationId":"test.testOp","requiredScopes":["read"]}`)
}

func TestIsProtected(t *testing.T) {
	for _, tc := range []struct {
		ac   AccessControl
		want bool
	}{
		{AccessControl{}, false},
		{AccessControl{RequiredScopes: []string{}}, false},
		{AccessControl{ResourceAction: "read"}, false},
		{AccessControl{RequiredScopes: []string{"a"}}, true},
		{AccessControl{RequiredScopesAny: []string{"a"}}, true},
		{AccessControl{ResourceType: "p"}, true},
	} {
		if got := IsProtected(tc.ac); got != tc.want {
			t.Errorf("IsProtected(%+v) = %v", tc.ac, got)
		}
	}
}

func TestCheckAccessNilIdentity(t *testing.T) {
	if !CheckAccess(AccessControl{}, nil) {
		t.Error("empty access control denied a nil identity")
	}
	if CheckAccess(AccessControl{RequiredScopesAny: []string{"a"}}, nil) {
		t.Error("any-of scopes granted to a nil identity")
	}
}

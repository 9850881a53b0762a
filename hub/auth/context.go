package auth

import "context"

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// HasScope reports whether the principal's effective scopes include s.
func (p Principal) HasScope(s string) bool {
	for _, have := range p.Identity.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

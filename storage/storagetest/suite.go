package storagetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/alkdev/alkhub/storage"
)

// Env is the fixture of one conformance case: a fresh database, a store on
// it driven by a manual clock, and a context that fails the case when it
// hangs.
type Env struct {
	T      *testing.T
	Ctx    context.Context
	Target Target
	Clock  *Clock
	Store  *storage.Store
}

// caseTimeout bounds one case, so a deadlock (for example writing through
// the Store inside InTx on SQLite) fails fast.
const caseTimeout = 60 * time.Second

type conformanceCase struct {
	name string
	run  func(e *Env)
}

// Run runs the conformance suite on fresh databases of dialect d, one per
// case, in parallel.
func Run(t *testing.T, d storage.Dialect) {
	var cases []conformanceCase
	cases = append(cases, conventionCases...)
	cases = append(cases, identityCases...)
	cases = append(cases, spokeCases...)
	cases = append(cases, callGraphCases...)
	cases = append(cases, instanceCases...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			tg := NewTarget(t, d)
			clock := NewClock()
			e := &Env{T: t, Ctx: ctx, Target: tg, Clock: clock}
			e.Store = tg.Open(t, storage.Options{Now: clock.Now})
			c.run(e)
		})
	}
}

// mustAccount creates an enabled user account with a unique email.
func (e *Env) mustAccount(email string) storage.Account {
	e.T.Helper()
	a := storage.Account{Email: email}
	if err := e.Store.Accounts().Create(e.Ctx, &a); err != nil {
		e.T.Fatalf("creating account %s: %v", email, err)
	}
	return a
}

// mustKey creates an API key of owner for the given plaintext.
func (e *Env) mustKey(ownerID, plaintext string) storage.APIKey {
	e.T.Helper()
	k := storage.APIKey{OwnerID: ownerID, Prefix: plaintext[:12], KeyHash: HashKey(plaintext)}
	if err := e.Store.APIKeys().Create(e.Ctx, &k); err != nil {
		e.T.Fatalf("creating API key: %v", err)
	}
	return k
}

// HashKey returns the lowercase hex SHA-256 of an API key.
func HashKey(plaintext string) string {
	sum := sha256.Sum256([]byte(plaintext))
	return hex.EncodeToString(sum[:])
}

// wantErr fails the test unless err matches target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// noErr fails the test on err.
func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ptr[T any](v T) *T { return &v }

func errorsAs(err error, target **storage.Error) bool { return errors.As(err, target) }

func constraintOf(err error) string {
	var se *storage.Error
	if errors.As(err, &se) {
		return se.Constraint
	}
	return ""
}

package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alkdev/alkhub/storage"
)

// Open a SQLite store, then create an account and its audit row in one
// transaction.
func ExampleOpen() {
	dir, err := os.MkdirTemp("", "alkhub-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	s, err := storage.Open(ctx, storage.Config{SQLitePath: filepath.Join(dir, "hub.db")}, storage.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close(ctx)

	err = s.InTx(ctx, func(r storage.Repos) error {
		a := storage.Account{Email: "Ada@Example.com"}
		if err := r.Accounts().Create(ctx, &a); err != nil {
			return err
		}
		return r.Audit().Append(ctx, &storage.AuditLog{OwnerID: storage.SystemAccountID,
			Action: "account.created", ResourceID: &a.ID})
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	a, err := s.Accounts().GetByEmail(ctx, "ada@example.com")
	fmt.Println(a.Email, a.AccessLevel, a.Enabled, err)
	// Output: ada@example.com user true <nil>
}

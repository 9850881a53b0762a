package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/storage"
)

// bootstrapAdmin creates the admin account, its first key and the default
// project when no admin account exists. In zero-config and dev mode the key
// is printed once to standard error; otherwise it is written to the
// configured key file (mode 0600) and only the path is logged.
func (h *Hub) bootstrapAdmin(ctx context.Context) error {
	key, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	name := "bootstrap"
	res, created, err := h.store.Bootstrap(ctx, storage.BootstrapInput{
		Email:     h.cfg.Bootstrap.AdminEmail,
		KeyHash:   key.Hash,
		KeyPrefix: key.Prefix,
		KeyName:   &name,
		Scopes:    []string{auth.ScopeAdmin},
	})
	if err != nil {
		return fmt.Errorf("bootstrapping the admin account: %w", err)
	}
	if !created {
		return nil
	}
	h.log.Info("created the admin account", "accountId", res.AccountID, "email", h.cfg.Bootstrap.AdminEmail,
		"keyId", res.KeyID, "keyPrefix", key.Prefix, "projectId", res.ProjectID)

	if h.cfg.ZeroConfig || h.cfg.Dev {
		print := h.printAdminKey
		if print == nil {
			print = printAdminKeyBanner
		}
		print(key.Plaintext)
		return nil
	}
	path := h.cfg.Bootstrap.AdminKeyFile
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the directory of %s: %w", path, err)
	}
	if err := os.WriteFile(path, []byte(key.Plaintext+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the admin key to %s: %w", path, err)
	}
	h.log.Warn("wrote the bootstrap admin key; read it, store it safely and delete the file", "path", path)
	return nil
}

func printAdminKeyBanner(key string) {
	fmt.Fprintf(os.Stderr, `
================================================================
  alkhub admin API key (shown once, store it now):

    %s

  Use it as: Authorization: Bearer <key>
================================================================

`, key)
}

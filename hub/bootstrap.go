package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/storage"
)

// bootstrapAdmin creates the admin account, its first key and the default
// project when no admin account exists. In zero-config and dev mode the key
// is printed once to standard error. Otherwise it goes to the configured key
// file (mode 0600) and only the path is logged; the file is written before
// the account is committed, so a failure to write it leaves no key that
// nobody can read.
func (h *Hub) bootstrapAdmin(ctx context.Context) error {
	key, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	printKey := h.cfg.ZeroConfig || h.cfg.Dev

	var staged string
	if !printKey {
		staged, err = stageKeyFile(h.cfg.Bootstrap.AdminKeyFile, key.Plaintext)
		if err != nil {
			return err
		}
		defer os.Remove(staged) // a no-op once renamed
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
		"keyId", res.KeyID, "projectId", res.ProjectID)

	if printKey {
		print := h.printAdminKey
		if print == nil {
			print = printAdminKeyBanner
		}
		print(key.Plaintext)
		return nil
	}
	path := h.cfg.Bootstrap.AdminKeyFile
	if err := os.Rename(staged, path); err != nil {
		return fmt.Errorf("moving the admin key to %s: %w (create another admin key with "+
			"`hub keys create --account %s --scopes admin` while the hub is stopped)",
			path, err, h.cfg.Bootstrap.AdminEmail)
	}
	h.log.Warn("wrote the bootstrap admin key; read it, store it safely and delete the file", "path", path)
	return nil
}

// stageKeyFile writes the key to a temporary file beside path, so the
// directory is known to be writable before the key is committed anywhere.
func stageKeyFile(path, key string) (string, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the directory of the admin key file %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, ".admin-key-*")
	if err != nil {
		return "", fmt.Errorf("preparing the admin key file %s: %w", path, err)
	}
	_, werr := f.WriteString(key + "\n")
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("writing the admin key file %s: %w", path, err)
	}
	return f.Name(), nil
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

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/alkdev/alkhub/hub"
	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/storage"
)

// openStore opens the configured database for an operator command. On
// SQLite this fails while a hub process holds the database.
func openStore(ctx context.Context, o hub.RunOptions, stderr io.Writer) (*storage.Store, error) {
	cfg, err := hub.LoadConfig(o)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errConfig, err)
	}
	st, err := hub.OpenStorage(ctx, cfg, hub.NewLogger(cfg, stderr))
	if errors.Is(err, storage.ErrLocked) {
		return nil, fmt.Errorf("%w (stop the running hub first: SQLite allows one process)", err)
	}
	return st, err
}

func closeStore(st *storage.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = st.Close(ctx)
}

func migrate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, false)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openStore(ctx, c.opts, stderr)
	if err != nil {
		return err
	}
	defer closeStore(st)
	applied, pending, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema is up to date: %d migrations applied, %d pending\n", len(applied), len(pending))
	return nil
}

func checkConfig(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub check-config", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, true)
	if err := noArgs(fs, args); err != nil {
		return err
	}
	cfg, err := hub.LoadConfig(c.opts)
	if err != nil {
		return fmt.Errorf("%w: %v", errConfig, err)
	}
	source := cfg.Path
	if cfg.ZeroConfig {
		source = "zero-config defaults"
	}
	fmt.Fprintf(stdout, "configuration is valid (%s)\n", source)
	return nil
}

func keys(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: keys needs a subcommand: create, list or revoke", errUsage)
	}
	switch args[0] {
	case "create":
		return keysCreate(args[1:], stdout, stderr)
	case "list":
		return keysList(args[1:], stdout, stderr)
	case "revoke":
		return keysRevoke(args[1:], stdout, stderr)
	}
	return fmt.Errorf("%w: unknown keys subcommand %q", errUsage, args[0])
}

// findAccount resolves an account by id or, when ref contains "@", email.
func findAccount(ctx context.Context, st *storage.Store, ref string) (storage.Account, error) {
	if strings.Contains(ref, "@") {
		return st.Accounts().GetByEmail(ctx, ref)
	}
	return st.Accounts().Get(ctx, ref)
}

func keysCreate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub keys create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, false)
	account := fs.String("account", "", "owning account `id or email` (required)")
	name := fs.String("name", "", "key `name` shown in listings")
	scopes := fs.String("scopes", "", "comma-separated `scopes` (default ops:list,ops:call)")
	expires := fs.Duration("expires", 0, "lifetime of the key, such as 720h (default: never expires)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	if *account == "" {
		return fmt.Errorf("%w: --account is required", errUsage)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	scopeList := auth.DefaultKeyScopes()
	if set["scopes"] {
		scopeList = nil
		for _, s := range strings.Split(*scopes, ",") {
			if s = strings.TrimSpace(s); s != "" {
				scopeList = append(scopeList, s)
			}
		}
		if len(scopeList) == 0 {
			return fmt.Errorf("%w: --scopes is empty; leave it out for the defaults %s",
				errUsage, strings.Join(auth.DefaultKeyScopes(), ","))
		}
	}
	if set["expires"] && *expires <= 0 {
		return fmt.Errorf("%w: --expires must be a positive duration such as 720h", errUsage)
	}

	ctx := context.Background()
	st, err := openStore(ctx, c.opts, stderr)
	if err != nil {
		return err
	}
	defer closeStore(st)
	acct, err := findAccount(ctx, st, *account)
	if err != nil {
		return fmt.Errorf("finding account %s: %w", *account, err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		return err
	}
	row := &storage.APIKey{
		OwnerID: acct.ID,
		Prefix:  key.Prefix,
		KeyHash: key.Hash,
		Scopes:  storage.NewJSON(scopeList),
		Enabled: true,
	}
	if *name != "" {
		row.Name = name
	}
	if *expires > 0 {
		at := time.Now().Add(*expires).UTC()
		row.ExpiresAt = &at
	}
	if err := st.APIKeys().Create(ctx, row); err != nil {
		return fmt.Errorf("creating the key: %w", err)
	}
	if err := st.Audit().Append(ctx, &storage.AuditLog{
		OwnerID: acct.ID, KeyID: &row.ID, Action: "api_key.created", ResourceType: strPtr("api_key"), ResourceID: &row.ID,
	}); err != nil {
		return fmt.Errorf("recording the key in the audit log: %w", err)
	}
	fmt.Fprintf(stderr, "created key %s (%s) for %s with scopes %s; it is shown once:\n",
		row.ID, key.Prefix, acct.Email, strings.Join(scopeList, ","))
	fmt.Fprintln(stdout, key.Plaintext)
	return nil
}

func strPtr(s string) *string { return &s }

// noArgs parses flags and rejects positional arguments.
func noArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0])
	}
	return nil
}

func keysList(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub keys list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, false)
	account := fs.String("account", "", "only keys of this account `id or email`")
	all := fs.Bool("all", false, "include revoked keys")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	ctx := context.Background()
	st, err := openStore(ctx, c.opts, stderr)
	if err != nil {
		return err
	}
	defer closeStore(st)

	filter := storage.APIKeyFilter{IncludeRevoked: *all}
	if *account != "" {
		acct, err := findAccount(ctx, st, *account)
		if err != nil {
			return fmt.Errorf("finding account %s: %w", *account, err)
		}
		filter.OwnerID = acct.ID
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tOWNER\tSCOPES\tSTATE\tEXPIRES")
	page := storage.PageRequest{Limit: 200}
	for {
		res, err := st.APIKeys().List(ctx, filter, page)
		if err != nil {
			return err
		}
		for _, k := range res.Items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, deref(k.Name), k.OwnerID,
				strings.Join(k.Scopes.V, ","), keyState(k), timeOrNever(k.ExpiresAt))
		}
		if res.NextCursor == "" {
			break
		}
		page.Cursor = res.NextCursor
	}
	return tw.Flush()
}

func keyState(k storage.APIKey) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case !k.Enabled:
		return "disabled"
	case k.ExpiresAt != nil && !time.Now().Before(*k.ExpiresAt):
		return "expired"
	}
	return "active"
}

func deref(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

func timeOrNever(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func keysRevoke(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hub keys revoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, false)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return fmt.Errorf("%w: keys revoke takes exactly one key id", errUsage)
	}
	id := rest[0]
	ctx := context.Background()
	st, err := openStore(ctx, c.opts, stderr)
	if err != nil {
		return err
	}
	defer closeStore(st)
	k, err := st.APIKeys().Get(ctx, id)
	if err != nil {
		return fmt.Errorf("finding key %s: %w", id, err)
	}
	if err := st.APIKeys().Revoke(ctx, id); err != nil {
		return fmt.Errorf("revoking key %s: %w", id, err)
	}
	if err := st.Audit().Append(ctx, &storage.AuditLog{
		OwnerID: k.OwnerID, KeyID: &k.ID, Action: "api_key.revoked", ResourceType: strPtr("api_key"), ResourceID: &k.ID,
	}); err != nil {
		return fmt.Errorf("recording the revocation in the audit log: %w", err)
	}
	fmt.Fprintf(stdout, "revoked key %s (%s)\n", id, k.Prefix)
	return nil
}

func accounts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: accounts needs the subcommand create", errUsage)
	}
	fs := flag.NewFlagSet("hub accounts create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, false)
	email := fs.String("email", "", "account `email` (required)")
	name := fs.String("name", "", "display `name`")
	level := fs.String("access-level", "user", "access `level`: admin, user or service")
	if err := noArgs(fs, args[1:]); err != nil {
		return err
	}
	if *email == "" || !strings.Contains(*email, "@") {
		return fmt.Errorf("%w: --email must be an email address", errUsage)
	}
	al := storage.AccessLevel(*level)
	if !al.Valid() {
		return fmt.Errorf("%w: --access-level must be admin, user or service", errUsage)
	}
	ctx := context.Background()
	st, err := openStore(ctx, c.opts, stderr)
	if err != nil {
		return err
	}
	defer closeStore(st)
	a := &storage.Account{Email: *email, AccessLevel: al, Enabled: true}
	if *name != "" {
		a.Name = name
	}
	if err := st.Accounts().Create(ctx, a); err != nil {
		if errors.Is(err, storage.ErrDuplicate) {
			return fmt.Errorf("an account with email %s exists already", *email)
		}
		return err
	}
	fmt.Fprintf(stdout, "created account %s (%s, %s)\n", a.ID, a.Email, a.AccessLevel)
	return nil
}

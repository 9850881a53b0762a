// Command hub runs the alkhub server and its operator commands.
//
//	hub [serve] [--config path] [--data-dir dir] [--addr host:port] [--dev] [--log-level level]
//	hub migrate [--config path] [--data-dir dir]
//	hub keys create --account <id|email> [--name n] [--scopes a,b] [--expires 720h]
//	hub keys list [--account <id|email>] [--all]
//	hub keys revoke <keyId>
//	hub accounts create --email e [--name n] [--access-level admin|user|service]
//	hub check-config [--config path]
//	hub --version
//
// With no configuration file the hub starts in zero-config mode: SQLite under
// ./data, a listener on 127.0.0.1:8080, and an admin API key printed once on
// first start. Exit codes: 0 clean, 1 startup or runtime failure, 2 bad flags
// or invalid configuration, 130 a second interrupt.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alkdev/alkhub/hub"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks bad flags or arguments (exit 2).
var errUsage = errors.New("usage")

// errConfig marks an invalid configuration (exit 2).
var errConfig = errors.New("invalid configuration")

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(stdout, "alkhub", hub.Version)
		return 0
	}
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "migrate":
		err = migrate(args, stdout, stderr)
	case "check-config":
		err = checkConfig(args, stdout, stderr)
	case "keys":
		err = keys(args, stdout, stderr)
	case "accounts":
		err = accounts(args, stdout, stderr)
	case "help":
		printUsage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "hub: unknown command %q\n", cmd)
		printUsage(stderr)
		return 2
	}
	return exitCode(err, stderr)
}

func exitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage), errors.Is(err, errConfig):
		fmt.Fprintln(stderr, "hub:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "hub:", err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  hub [serve] [--config path] [--data-dir dir] [--addr host:port] [--dev] [--log-level level]
  hub migrate [--config path] [--data-dir dir]
  hub keys create --account <id|email> [--name n] [--scopes a,b] [--expires 720h]
  hub keys list [--account <id|email>] [--all]
  hub keys revoke <keyId>
  hub accounts create --email e [--name n] [--access-level admin|user|service]
  hub check-config [--config path]
  hub --version
`)
}

// commonFlags are the flags every command that loads the configuration
// takes.
type commonFlags struct {
	opts hub.RunOptions
}

func (c *commonFlags) register(fs *flag.FlagSet, withServe bool) {
	fs.StringVar(&c.opts.ConfigPath, "config", "", "configuration `file` (default: $ALKHUB_CONFIG_PATH, ./alkhub.json, /etc/alkhub/config.json, else zero-config)")
	fs.StringVar(&c.opts.DataDir, "data-dir", "", "data `directory` for SQLite and generated keys (default ./data)")
	fs.BoolVar(&c.opts.Dev, "dev", false, "development mode: allow plaintext secrets in the config file and print the bootstrap admin key")
	fs.StringVar(&c.opts.LogLevel, "log-level", "", "log `level`: debug, info, warn or error")
	if withServe {
		fs.StringVar(&c.opts.Addr, "addr", "", "listen `address` host:port (default 127.0.0.1:8080)")
	}
}

// parseFlags parses args, allowing flags after positional arguments
// ("keys revoke <id> --config f"); the positional arguments are left in
// the returned slice.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("hub serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c commonFlags
	c.register(fs, true)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return exitCode(err, stderr)
	}
	if len(rest) > 0 {
		return exitCode(fmt.Errorf("%w: unexpected argument %q", errUsage, rest[0]), stderr)
	}

	cfg, err := hub.LoadConfig(c.opts)
	if err != nil {
		return exitCode(fmt.Errorf("%w: %v", errConfig, err), stderr)
	}
	c.opts.LogOutput = stderr
	log := hub.NewLogger(cfg, stderr)

	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{})
	var h *hub.Hub
	var startErr error
	go func() {
		defer close(started)
		h, startErr = hub.Run(ctx, c.opts)
	}()

	select {
	case <-started:
		if startErr != nil {
			log.Error("hub failed to start", "error", startErr)
			return 1
		}
	case <-signals:
		cancel()
		<-started
		if h != nil {
			_ = h.Shutdown(context.Background())
		}
		return 1
	}

	<-signals
	log.Info("shutting down", "timeout", cfg.Server.ShutdownTimeout.D().String())
	done := make(chan error, 1)
	sctx, scancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownTimeout.D())
	defer scancel()
	go func() { done <- h.Shutdown(sctx) }()
	select {
	case err := <-done:
		if err != nil {
			log.Error("shutdown did not finish cleanly", "error", err)
			return 1
		}
		return 0
	case <-signals:
		log.Warn("second interrupt: exiting at once")
		return 130
	}
}

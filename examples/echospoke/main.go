// Command echospoke is a reference spoke: it connects to a hub, registers a
// few small operations and serves them until interrupted, reconnecting with
// backoff when the hub restarts.
//
//	echospoke [--hub ws://127.0.0.1:8080/ws] [--key-file PATH] [--name echospoke]
//
// The API key comes from --key-file, else from the ALKHUB_API_KEY
// environment variable; no flag carries a key.
//
// Operations (spoke type compute):
//   - text.upper   {text}              -> {text}
//   - math.add     {a, b}              -> {sum}
//   - clock.sleep  {ms}                -> {sleptMs}   (honours cancellation)
//   - clock.ticks  {count, intervalMs} -> items {tick, at}   (subscription)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/alkdev/alkhub/hub/spoke"
	"github.com/alkdev/alkhub/operations"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("echospoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hubURL := fs.String("hub", "ws://127.0.0.1:8080/ws", "hub WebSocket `URL`")
	keyFile := fs.String("key-file", "", "file holding the API key (default: $ALKHUB_API_KEY)")
	name := fs.String("name", "echospoke", "spoke `name`; reconnecting with the same name keeps the spoke id")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	key, err := readKey(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "echospoke:", err)
		return 2
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	reg := operations.NewRegistry(operations.WithLogger(log))
	if err := reg.RegisterAll(Operations()...); err != nil {
		fmt.Fprintln(stderr, "echospoke: registering operations:", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := spoke.Dial(ctx, spoke.Options{
		URL:      *hubURL,
		Key:      key,
		Name:     *name,
		Type:     spoke.TypeCompute,
		Registry: reg,
		Logger:   log,
		OnRegistered: func(r spoke.Registration) {
			printRegistration(stdout, r)
		},
	})
	if err != nil {
		fmt.Fprintln(stderr, "echospoke:", err)
		return 1
	}
	defer s.Close()

	select {
	case <-ctx.Done():
		return 0
	case <-s.Done():
		fmt.Fprintln(stderr, "echospoke: the hub ended the connection:", s.Err())
		return 1
	}
}

// readKey returns the API key from the file, else from ALKHUB_API_KEY.
func readKey(path string) (string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("reading the key file: %w", err)
		}
		key := strings.TrimSpace(string(b))
		if key == "" {
			return "", fmt.Errorf("the key file %s is empty", path)
		}
		return key, nil
	}
	if key := strings.TrimSpace(os.Getenv("ALKHUB_API_KEY")); key != "" {
		return key, nil
	}
	return "", errors.New("no API key: pass --key-file PATH or set ALKHUB_API_KEY")
}

func printRegistration(w io.Writer, r spoke.Registration) {
	fmt.Fprintf(w, "registered as spoke %s\n", r.SpokeID)
	for _, orig := range sortedKeys(r.Operations) {
		fmt.Fprintf(w, "  %-12s -> %s\n", orig, r.Operations[orig])
	}
}

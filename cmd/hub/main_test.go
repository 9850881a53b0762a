package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	keyLine    = regexp.MustCompile(`^\s+(alk_[A-Za-z0-9_-]{43})$`)
	listenLine = regexp.MustCompile(`msg=listening addr=(\S+)`)
)

// buildHub compiles cmd/hub into a temporary directory.
func buildHub(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "hub")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("building cmd/hub: %v", err)
	}
	return bin
}

// startedHub is a running hub process with what it printed at start.
type startedHub struct {
	cmd  *exec.Cmd
	addr string
	key  string
	done chan error
}

// startHub runs the binary in dir with args and waits until it listens
// and, on a first start, has printed its admin key.
func startHub(t *testing.T, bin, dir string, wantKey bool, args ...string) *startedHub {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &startedHub{cmd: cmd, done: make(chan error, 1)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-h.done
	})

	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			line := sc.Text()
			if m := listenLine.FindStringSubmatch(line); m != nil {
				h.addr = m[1]
			}
			if m := keyLine.FindStringSubmatch(line); m != nil {
				h.key = m[1]
			}
			if !signalled && strings.Contains(line, `msg="hub ready"`) {
				signalled = true
				close(ready)
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		h.done <- cmd.Wait()
	}()
	select {
	case <-ready:
	case <-time.After(60 * time.Second):
		t.Fatal("the hub did not become ready")
	}
	if wantKey && h.key == "" {
		t.Fatal("the hub did not print an admin key on its first start")
	}
	return h
}

func TestZeroConfigStartPrintsKeyAndServesHealth(t *testing.T) {
	bin := buildHub(t)
	dir := t.TempDir()
	h := startHub(t, bin, dir, true, "--addr", "127.0.0.1:0")

	if _, err := os.Stat(filepath.Join(dir, "data", "hub.db")); err != nil {
		t.Errorf("no SQLite database under ./data: %v", err)
	}
	res, err := http.Get("http://" + h.addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	var report struct {
		Status string `json:"status"`
	}
	err = json.NewDecoder(res.Body).Decode(&report)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || report.Status != "ready" {
		t.Errorf("/health = %d %q, want 200 ready", res.StatusCode, report.Status)
	}

	req, _ := http.NewRequest("POST", "http://"+h.addr+"/api/call",
		strings.NewReader(`{"operationId":"hub.list","input":{}}`))
	req.Header.Set("Authorization", "Bearer "+h.key)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("hub.list with the printed key = %d, want 200", res.StatusCode)
	}

	if err := h.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("hub exited with %v after SIGTERM, want status 0", err)
		}
		h.done <- err
	case <-time.After(30 * time.Second):
		t.Fatal("the hub did not exit after SIGTERM")
	}

	// A second start on the same data keeps the admin and prints no key.
	again := startHub(t, bin, dir, false, "--addr", "127.0.0.1:0")
	if again.key != "" {
		t.Error("the hub printed a new admin key on its second start")
	}
}

func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"bad flag", []string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{"keys without subcommand", []string{"keys"}, 2, "keys needs a subcommand"},
		{"keys create without account", []string{"keys", "create"}, 2, "--account is required"},
		{"empty scopes", []string{"keys", "create", "--account", "a@b.c", "--scopes", ""}, 2, "--scopes is empty"},
		{"zero expiry", []string{"keys", "create", "--account", "a@b.c", "--expires", "0s"}, 2,
			"--expires must be a positive duration"},
		{"revoke without id", []string{"keys", "revoke"}, 2, "exactly one key id"},
		{"accounts create bad level", []string{"accounts", "create", "--email", "a@b.c", "--access-level", "root"}, 2,
			"--access-level must be admin, user or service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestInvalidConfigExitsTwo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hub.json")
	if err := os.WriteFile(path, []byte(`{"server":{"prot":1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"check-config", "--config", path}, &stdout, &stderr)
	if code != 2 {
		t.Errorf("exit code = %d, want 2", code)
	}
	want := "invalid configuration: config " + path + ": server.prot: unknown field"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--version"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if !strings.HasPrefix(stdout.String(), "alkhub ") {
		t.Errorf("--version printed %q", stdout.String())
	}
}

func TestKeysCreateListRevoke(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"accounts", "create", "--data-dir", dataDir, "--email", "dev@example.com"}, &stdout, &stderr); code != 0 {
		t.Fatalf("accounts create: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	code := run([]string{"keys", "create", "--data-dir", dataDir, "--account", "dev@example.com",
		"--name", "ci", "--scopes", "ops:list,spoke:connect"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("keys create: exit %d: %s", code, stderr.String())
	}
	key := strings.TrimSpace(stdout.String())
	if !regexp.MustCompile(`^alk_[A-Za-z0-9_-]{43}$`).MatchString(key) {
		t.Fatalf("keys create printed %q, want one key", key)
	}

	stdout.Reset()
	if code := run([]string{"keys", "list", "--data-dir", dataDir, "--account", "dev@example.com"}, &stdout, &stderr); code != 0 {
		t.Fatalf("keys list: exit %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], key[:12]) || !strings.Contains(lines[1], "ops:list,spoke:connect") {
		t.Fatalf("keys list printed:\n%s", stdout.String())
	}
	if strings.Contains(stdout.String(), key) {
		t.Error("keys list printed the whole key")
	}
	keyID := strings.Fields(lines[1])[0]

	stdout.Reset()
	// Flags may follow the key id.
	if code := run([]string{"keys", "revoke", keyID, "--data-dir", dataDir}, &stdout, &stderr); code != 0 {
		t.Fatalf("keys revoke: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	if code := run([]string{"keys", "list", "--data-dir", dataDir, "--all"}, &stdout, &stderr); code != 0 {
		t.Fatalf("keys list --all: exit %d", code)
	}
	if !strings.Contains(stdout.String(), "revoked") {
		t.Errorf("the revoked key is not listed as revoked:\n%s", stdout.String())
	}
}

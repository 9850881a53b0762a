package ws

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRules checks that a spoke binary built from pubsub and pubsub/ws pulls no
// web framework, ORM or SQL driver: pubsub and pubsubtest import only the standard library
// and packages below pubsub, and pubsub/ws adds only gorilla/websocket and google/uuid.
func TestDependencyRules(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	const module = "github.com/alkdev/alkhub/"
	tests := []struct {
		pkg     string
		allowed []string
	}{
		{module + "pubsub", []string{module + "pubsub"}},
		{module + "pubsub/pubsubtest", []string{module + "pubsub"}},
		{module + "pubsub/ws", []string{
			module + "pubsub",
			"github.com/gorilla/websocket",
			"github.com/google/uuid",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", tt.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tt.pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				if !allowedDep(dep, tt.allowed) {
					t.Errorf("%s depends on %s, which is not allowed", tt.pkg, dep)
				}
			}
		})
	}
}

// allowedDep reports whether dep is one of the allowed packages or below one of them.
func allowedDep(dep string, allowed []string) bool {
	for _, a := range allowed {
		if dep == a || strings.HasPrefix(dep, a+"/") {
			return true
		}
	}
	return false
}

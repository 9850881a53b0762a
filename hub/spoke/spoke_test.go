package spoke_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/hub/spoke"
)

// TestSpokeBinaryDependencies checks that the spoke helper and the example
// spoke pull in only the operations and pubsub packages and their few
// libraries: no HTTP framework, ORM or SQL driver.
func TestSpokeBinaryDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	const module = "github.com/alkdev/alkhub/"
	allowed := []string{
		module + "hub/spoke",
		module + "operations",
		module + "pubsub",
		module + "examples/echospoke",
		"github.com/gorilla/websocket",
		"github.com/google/uuid",
		"github.com/santhosh-tekuri/jsonschema/v6",
		"github.com/invopop/jsonschema",
		// invopop/jsonschema's own dependencies.
		"github.com/bahlo/generic-list-go",
		"github.com/buger/jsonparser",
		"github.com/pb33f/ordered-map/v2",
		"go.yaml.in/yaml/v4",
		"golang.org/x/text",
	}
	forbidden := []string{"github.com/labstack/echo", "gorm.io/", "github.com/glebarez/", "modernc.org/sqlite",
		"github.com/jackc/pgx", "github.com/lib/pq", "github.com/mattn/go-sqlite3", module + "storage", module + "hub/server"}

	for _, pkg := range []string{module + "hub/spoke", module + "examples/echospoke"} {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command(goTool, "list", "-deps", "-f",
				"{{if not .Standard}}{{.ImportPath}}{{end}}", pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if strings.HasPrefix(dep, f) {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
				if !hasPrefix(dep, allowed) {
					t.Errorf("%s depends on %s, which a spoke should not need", pkg, dep)
				}
			}
		})
	}
}

func hasPrefix(dep string, allowed []string) bool {
	for _, a := range allowed {
		if dep == a || strings.HasPrefix(dep, a+"/") {
			return true
		}
	}
	return false
}

func TestDialRejectsNonWebSocketURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/ws", "127.0.0.1:8080", "ws://", "::"} {
		_, err := spoke.Dial(context.Background(), spoke.Options{URL: u, Key: "alk_x"})
		if err == nil || !strings.Contains(err.Error(), "invalid hub URL") {
			t.Errorf("Dial(%q) error = %v, want an invalid hub URL error", u, err)
		}
	}
}

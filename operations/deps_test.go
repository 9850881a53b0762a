package operations

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies checks that a spoke importing operations pulls in no HTTP
// framework, ORM, SQL driver or hub package.
func TestDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not in PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/alkdev/alkhub/operations").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/labstack/echo", "gorm.io/", "github.com/glebarez/", "github.com/jackc/",
		"modernc.org/sqlite", "github.com/lib/pq", "github.com/mattn/go-sqlite3",
		"github.com/alkdev/alkhub/hub", "github.com/alkdev/alkhub/storage",
		"github.com/redis/rueidis", "github.com/gorilla/websocket",
	}
	for _, dep := range strings.Fields(string(out)) {
		// database/sql/driver holds only interfaces (google/uuid implements
		// them); the database/sql package itself is not allowed.
		if dep == "database/sql" {
			t.Errorf("operations depends on %s", dep)
		}
		for _, f := range forbidden {
			if strings.HasPrefix(dep, f) {
				t.Errorf("operations depends on %s", dep)
			}
		}
	}
}

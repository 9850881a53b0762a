package hub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/alkdev/alkhub/operations"
)

// anyInputOperation accepts any input and returns its size.
func anyInputOperation() operations.Operation {
	return operations.Operation{
		Spec: operations.OperationSpec{Namespace: "blob", Name: "size", Version: "1.0.0", Type: operations.TypeQuery,
			InputSchema: json.RawMessage(`{}`), OutputSchema: json.RawMessage(`{}`),
			AccessControl: operations.AccessControl{RequiredScopes: []string{}}},
		Handler: func(_ context.Context, in json.RawMessage, _ *operations.OperationContext) (any, error) {
			return map[string]int{"bytes": len(in)}, nil
		},
	}
}

func TestOversizedInputIsRefusedBeforeForwarding(t *testing.T) {
	th := newTestHub(t, sqliteEngine)
	s := dialSpokeOps(t, th, th.AdminKey, "blobs", anyInputOperation())
	id := s.Registration().Operations["blob.size"]

	// Under the 8 MiB body limit, over the 4 MiB frame limit of spokes.
	big := map[string]string{"data": strings.Repeat("x", 5<<20)}
	res := th.call(id, big)
	if res.Status != http.StatusBadRequest || res.errorCode() != operations.CodeValidation {
		t.Fatalf("oversized input: %d %.200s, want 400 VALIDATION_ERROR", res.Status, res.Body)
	}
	if !strings.Contains(string(res.Body), "too large to forward") {
		t.Errorf("error %.300s does not say the input is too large", res.Body)
	}

	ok := th.call(id, map[string]string{"data": "small"})
	if ok.Status != http.StatusOK {
		t.Errorf("after the refused call the spoke answers %d %s, want 200 (it must stay connected)", ok.Status, ok.Body)
	}
	if got := th.SpokeViews(); len(got) != 1 || got[0].Status != "connected" {
		t.Errorf("spokes = %+v, want the one spoke connected", got)
	}
}

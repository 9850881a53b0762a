package spokes

import (
	"encoding/json"
	"slices"
)

func slicesSort(s []string) { slices.Sort(s) }

// errorBodyJSON renders the hub's ErrorBody for answers given before the
// WebSocket upgrade.
func errorBodyJSON(code, message string) []byte {
	b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": message}})
	return b
}

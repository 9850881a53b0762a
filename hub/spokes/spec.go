package spokes

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/alkdev/alkhub/operations"
)

// Spoke types and the prefixes of their remapped ids.
const (
	TypeDevEnv  = "dev-env"
	TypeClient  = "client"
	TypeCompute = "compute"

	visibilityPrivate = "private"
	visibilityPublic  = "public"

	maxSpecBytes     = 256 << 10
	maxHostInfoBytes = 4 << 10
	maxOperations    = 1000
)

// reservedNamespaces are the namespaces a spoke may not register into: the
// hub's own and the remap prefixes.
var reservedNamespaces = []string{
	"hub", "coord", "sessions", "calls", "keys", "taskgraph", "workflows", "system",
	"dev", "client", "compute",
}

// IsReservedNamespace reports whether a spoke may not use ns. The check
// ignores case, so "Hub" cannot pass for a hub operation either.
func IsReservedNamespace(ns string) bool {
	return slices.Contains(reservedNamespaces, strings.ToLower(ns))
}

var segmentPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// specProblem is why one operation of a registration was rejected.
type specProblem struct {
	message string
	details []operations.ValueError
}

// checkSpec decodes and validates one operation spec of a registration.
func checkSpec(raw json.RawMessage) (operations.OperationSpec, string, *specProblem) {
	var spec operations.OperationSpec
	if len(raw) > maxSpecBytes {
		return spec, "", &specProblem{message: fmt.Sprintf("spec is larger than %d bytes", maxSpecBytes)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return spec, "", &specProblem{message: "spec is not a JSON object: " + err.Error()}
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return spec, "", &specProblem{message: "spec does not decode: " + err.Error()}
	}
	id := spec.Namespace + "." + spec.Name

	var problems []operations.ValueError
	add := func(path, msg string) { problems = append(problems, operations.ValueError{Path: path, Message: msg}) }
	if !segmentPattern.MatchString(spec.Namespace) {
		add("/namespace", "must match "+segmentPattern.String())
	} else if IsReservedNamespace(spec.Namespace) {
		add("/namespace", "namespace "+spec.Namespace+" is reserved for the hub")
	}
	if !segmentPattern.MatchString(spec.Name) {
		add("/name", "must match "+segmentPattern.String())
	}
	if !spec.Type.Valid() {
		add("/type", "must be query, mutation or subscription")
	}
	if _, ok := fields["accessControl"]; !ok {
		add("/accessControl", "is required")
	}
	if spec.Version == "" {
		spec.Version = "1.0.0"
	}
	for path, schema := range map[string]json.RawMessage{"/inputSchema": spec.InputSchema, "/outputSchema": spec.OutputSchema} {
		if err := operations.CheckSchema(schema, id+" "+path[1:]); err != nil {
			add(path, "does not compile: "+err.Error())
		}
	}
	for i, def := range spec.ErrorSchemas {
		if err := operations.CheckSchema(def.Schema, id+" errorSchemas"); err != nil {
			add(fmt.Sprintf("/errorSchemas/%d/schema", i), "does not compile: "+err.Error())
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b operations.ValueError) int {
			if a.Path < b.Path {
				return -1
			}
			if a.Path > b.Path {
				return 1
			}
			return 0
		})
		return spec, id, &specProblem{message: "invalid operation spec", details: problems}
	}
	return spec, id, nil
}

// SpecHash returns the SHA-256 (hex) of a spec's canonical JSON: the spec
// encoded, decoded into generic values and encoded again, which sorts
// every object's keys.
func SpecHash(spec operations.OperationSpec) (string, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return "", err
	}
	canonical, err := json.Marshal(generic)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// remapSpec returns the spec under a remapped id: everything before the
// id's last dot is the namespace.
func remapSpec(spec operations.OperationSpec, remappedID string) operations.OperationSpec {
	out := spec
	out.Namespace, out.Name, _ = operations.SplitID(remappedID)
	return out
}

package storage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// RemovedOperationID is the id of the seeded sentinel definition that
// call nodes point to when their operation was deleted or never existed.
// It cannot be updated, deleted or registered.
const RemovedOperationID = "__removed__"

// Operation is a row of operations: a provider-independent definition.
// Its id is the hub-visible operation id, namespace + "." + name.
type Operation struct {
	Common
	Namespace   string        `gorm:"not null" json:"namespace"`
	Name        string        `gorm:"not null" json:"name"`
	Version     string        `gorm:"not null" json:"version"`
	Type        OperationType `gorm:"not null" json:"type"`
	Title       *string       `json:"title"`
	Description string        `gorm:"not null;default:''" json:"description"`
	// Tags; nil stores [].
	Tags          JSON[[]string]          `gorm:"not null;default:'[]'" json:"tags"`
	InputSchema   RawJSON                 `gorm:"not null" json:"inputSchema"`
	OutputSchema  RawJSON                 `gorm:"not null" json:"outputSchema"`
	ErrorSchemas  JSON[[]ErrorDefinition] `gorm:"not null;default:'[]'" json:"errorSchemas"`
	AccessControl JSON[AccessControl]     `gorm:"not null" json:"accessControl"`
	// SpecMeta is the spec's own _meta object.
	SpecMeta *RawJSON        `json:"_meta"`
	Source   OperationSource `gorm:"not null" json:"source"`
	// SpecHash is the SHA-256 hex of the canonical spec (see SpecHash);
	// Upsert computes it when empty.
	SpecHash string `gorm:"not null" json:"specHash"`
}

// TableName returns the table of Operation rows.
func (Operation) TableName() string { return "operations" }

// ErrorDefinition is one declared error of an operation.
type ErrorDefinition struct {
	Code        string          `json:"code"`
	Description string          `json:"description"`
	Schema      json.RawMessage `json:"schema"`
	HTTPStatus  *int            `json:"httpStatus,omitempty"`
}

// AccessControl is the access rule of an operation.
type AccessControl struct {
	RequiredScopes    []string `json:"requiredScopes"`
	RequiredScopesAny []string `json:"requiredScopesAny,omitempty"`
	ResourceType      string   `json:"resourceType,omitempty"`
	ResourceAction    string   `json:"resourceAction,omitempty"`
}

// normalize fills the empty JSON columns of a definition with the
// documents their defaults would store.
func (o *Operation) normalize() {
	if o.Tags.V == nil {
		o.Tags.V = []string{}
	}
	if o.ErrorSchemas.V == nil {
		o.ErrorSchemas.V = []ErrorDefinition{}
	}
	if o.AccessControl.V.RequiredScopes == nil {
		o.AccessControl.V.RequiredScopes = []string{}
	}
}

// SpecHash returns the SHA-256 hex of the canonical JSON of the spec an
// operation row holds: an object with the keys namespace, name, version,
// type, title, description, tags, inputSchema, outputSchema, errorSchemas,
// accessControl and _meta (null when absent), every object's keys sorted,
// no insignificant whitespace, no HTML escaping. Source, id and the common
// columns are not part of it, so a remapped definition and its plain alias
// share the hash of the spec the provider sent.
func SpecHash(o Operation) (string, error) {
	o.normalize()
	doc := map[string]any{
		"namespace":     o.Namespace,
		"name":          o.Name,
		"version":       o.Version,
		"type":          o.Type,
		"title":         o.Title,
		"description":   o.Description,
		"tags":          o.Tags.V,
		"inputSchema":   o.InputSchema.V,
		"outputSchema":  o.OutputSchema.V,
		"errorSchemas":  o.ErrorSchemas.V,
		"accessControl": o.AccessControl.V,
		"_meta":         nil,
	}
	if o.SpecMeta != nil {
		doc["_meta"] = o.SpecMeta.V
	}
	canonical, err := canonicalJSON(doc)
	if err != nil {
		return "", fmt.Errorf("hashing the spec of %s.%s: %w", o.Namespace, o.Name, err)
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalJSON encodes v with sorted object keys at every depth and
// without whitespace or HTML escaping. Numbers keep their literal text.
func canonicalJSON(v any) ([]byte, error) {
	var first bytes.Buffer
	enc := json.NewEncoder(&first)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	// Decoding into any and encoding again sorts the keys of nested raw
	// documents, which the first pass copied verbatim.
	dec := json.NewDecoder(&first)
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc = json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimRight(out.Bytes(), "\n"), nil
}

// Registration is a row of operation_registrations: which provider
// currently serves a definition.
type Registration struct {
	Common
	OperationID  string       `gorm:"not null" json:"operationId"`
	ProviderType ProviderType `gorm:"not null" json:"providerType"`
	// SpokeID is set exactly when ProviderType is spoke.
	SpokeID *string `json:"spokeId"`
	// ClientID is set exactly when ProviderType is client.
	ClientID *string `json:"clientId"`
	// PreRemapName is the provider's own id of the operation, sent back to
	// it in call.requested. The registration is an alias when it equals
	// OperationID.
	PreRemapName string             `gorm:"not null" json:"preRemapName"`
	Status       RegistrationStatus `gorm:"not null;default:active" json:"status" storage:"managed"`
	// RegisteredAt is when the registration last became active.
	RegisteredAt time.Time `gorm:"not null" json:"registeredAt"`
}

// TableName returns the table of Registration rows.
func (Registration) TableName() string { return "operation_registrations" }

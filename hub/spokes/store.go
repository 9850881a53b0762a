package spokes

import (
	"context"
	"encoding/json"
	"time"

	"github.com/alkdev/alkhub/operations"
)

// Store is the persistence the manager needs. The hub adapts its storage
// package to it.
type Store interface {
	// SaveRegistration writes one registration in one transaction: the
	// spoke row matched by (OwnerID, Name) turns connected on
	// ConnectionID, every offered spec gets its remapped definition and,
	// unless the alias rule forbids it, its plain-id alias definition; this
	// spoke's registrations of those become active and its others
	// inactive. The alias rule: the plain id becomes an alias unless it is
	// in NoAlias or belongs to a definition with another spec that another
	// spoke actively serves.
	SaveRegistration(ctx context.Context, r Registration) (RegistrationResult, error)
	// MarkDisconnected sets the spoke row disconnected and its
	// registrations inactive, but only while the row still names
	// connectionID (a newer connection may own it already).
	MarkDisconnected(ctx context.Context, spokeID, connectionID string, at time.Time) error
	// TouchHeartbeat records spoke activity; it must not block (a
	// write-behind queue).
	TouchHeartbeat(spokeID string, at time.Time)
	// CanWriteProject reports whether the identity may attach a spoke to
	// the project.
	CanWriteProject(ctx context.Context, id operations.Identity, projectID string) (bool, error)
	// LoadDefinitions returns every stored spoke with its definitions
	// (remapped and alias), so a restarted hub has the ids that exist
	// while their spokes are away.
	LoadDefinitions(ctx context.Context) ([]StoredSpoke, error)
}

// Registration is the input of SaveRegistration.
type Registration struct {
	OwnerID      string
	Name         string
	SpokeType    string
	Visibility   string
	ProjectID    string
	MaxInFlight  int
	HostInfo     json.RawMessage
	ConnectionID string
	// Specs are the accepted operation specs under their original ids.
	Specs []operations.OperationSpec
	// NoAlias lists plain ids that belong to hub operations.
	NoAlias []string
}

// RegistrationResult is the outcome of SaveRegistration: the spoke id and
// the ids it serves.
type RegistrationResult struct {
	SpokeID string
	// Operations maps original ids to remapped ids; Aliases maps the
	// original ids that are also served under their plain id.
	Operations     map[string]string
	Aliases        map[string]string
	AliasConflicts []AliasConflict
}

// Definition is one stored definition of a spoke.
type Definition struct {
	// Spec is the definition as the hub exposes it: the remapped spec, or
	// the plain spec for an alias.
	Spec operations.OperationSpec
	// PreRemapName is the spoke's original operation id.
	PreRemapName string
	// Alias marks the plain-id definition.
	Alias bool
}

// StoredSpoke is a spoke row with its definitions, as LoadDefinitions
// returns it.
type StoredSpoke struct {
	ID          string
	OwnerID     string
	Name        string
	SpokeType   string
	Visibility  string
	ProjectID   string
	MaxInFlight int
	Definitions []Definition
}

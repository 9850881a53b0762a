package storage

import "time"

// Spoke is a row of spokes: a worker process that registers operations.
// A spoke keeps its id across reconnects because registration upserts by
// (owner_id, name).
type Spoke struct {
	Common
	// OwnerID is the account of the key that registered the spoke.
	OwnerID string `gorm:"not null" json:"ownerId"`
	// Name is unique per owner.
	Name       string      `gorm:"not null" json:"name"`
	SpokeType  SpokeType   `gorm:"not null" json:"spokeType"`
	Status     SpokeStatus `gorm:"not null;default:connected" json:"status" storage:"managed"`
	Visibility Visibility  `gorm:"not null;default:private" json:"visibility"`
	ProjectID  *string     `json:"projectId"`
	// HostInfo is {os, arch, runtimeVersion, memory, cpu} as the spoke sent it.
	HostInfo        *RawJSON `json:"hostInfo"`
	ProtocolVersion int32    `gorm:"not null;default:1" json:"protocolVersion"`
	// MaxInFlight is the registration's maxConcurrency.
	MaxInFlight int32 `gorm:"not null;default:64" json:"maxInFlight"`
	// InstanceID is the hub instance holding the live socket.
	InstanceID *string `json:"instanceId" storage:"managed"`
	// ConnectionID is the UUIDv4 of the live socket; nil when disconnected.
	ConnectionID   *string    `json:"connectionId" storage:"managed"`
	ConnectedAt    *time.Time `json:"connectedAt" storage:"managed"`
	DisconnectedAt *time.Time `json:"disconnectedAt" storage:"managed"`
	// LastHeartbeat is written behind, at most once per 30 s.
	LastHeartbeat *time.Time `json:"lastHeartbeat" storage:"managed"`
}

// TableName returns the table of Spoke rows.
func (Spoke) TableName() string { return "spokes" }

// RemapPrefix returns the id prefix of a spoke type's remapped operations:
// dev, client or compute.
func RemapPrefix(t SpokeType) string {
	if t == SpokeDevEnv {
		return "dev"
	}
	return string(t)
}

// RemappedNamespace returns the namespace under which a spoke's operation
// of namespace ns is exposed: <prefix>.<spokeID>.<ns>.
func RemappedNamespace(t SpokeType, spokeID, ns string) string {
	return RemapPrefix(t) + "." + spokeID + "." + ns
}

// SpokeRegistration is the input of Spokes.Register, already validated by
// the hub. Operations hold the specs as the spoke sent them (plain
// namespace and name), and Register derives the remapped and alias
// definitions.
type SpokeRegistration struct {
	OwnerID string
	Name    string
	Type    SpokeType
	// Visibility defaults to private.
	Visibility Visibility
	ProjectID  *string
	HostInfo   *RawJSON
	// ProtocolVersion defaults to 1.
	ProtocolVersion int32
	// MaxInFlight defaults to 64.
	MaxInFlight int32
	// ConnectionID is the UUIDv4 of the new socket; required.
	ConnectionID string
	// InstanceID is the hub instance holding the socket; empty means this
	// store's instance.
	InstanceID string
	// Operations are the offered specs. Their id, source and hash are
	// ignored: Register sets them.
	Operations []Operation
	// NoAlias lists plain ids that must not become aliases, such as ids of
	// hub-native or imported operations (the local operation wins).
	NoAlias []string
}

// RegisterResult reports what Spokes.Register wrote; the hub publishes its
// lifecycle events from it after the commit.
type RegisterResult struct {
	SpokeID string
	// Created is true when the spoke row was new.
	Created bool
	// PreviousConnectionID and PreviousInstanceID name the socket this
	// registration replaced, when it differs from the new one; the hub
	// closes it.
	PreviousConnectionID string
	PreviousInstanceID   string
	// Operations maps each offered id (namespace.name) to its remapped id.
	Operations map[string]string
	// Aliases maps each offered id that is also served under its plain id.
	Aliases map[string]string
	// Activated lists operation ids this spoke now serves and did not
	// serve actively before; Deactivated those it no longer serves.
	Activated   []string
	Deactivated []string
	// AliasConflicts lists offered ids that got only their remapped id.
	AliasConflicts []AliasConflict
}

// AliasConflict explains why an offered operation got no plain alias.
type AliasConflict struct {
	Operation string `json:"operation"`
	Reason    string `json:"reason"`
}

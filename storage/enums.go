package storage

import "slices"

// AccessLevel is accounts.access_level.
type AccessLevel string

// Access levels of an account.
const (
	AccessAdmin   AccessLevel = "admin"
	AccessUser    AccessLevel = "user"
	AccessService AccessLevel = "service"
)

// Values lists the valid access levels.
func (AccessLevel) Values() []string { return []string{"admin", "user", "service"} }

// Valid reports whether l is one of Values.
func (l AccessLevel) Valid() bool { return slices.Contains(l.Values(), string(l)) }

// AuditOutcome is audit_logs.outcome.
type AuditOutcome string

// Outcomes of an audited action.
const (
	OutcomeSuccess AuditOutcome = "success"
	OutcomeFailure AuditOutcome = "failure"
)

// Values lists the valid outcomes.
func (AuditOutcome) Values() []string { return []string{"success", "failure"} }

// Valid reports whether o is one of Values.
func (o AuditOutcome) Valid() bool { return slices.Contains(o.Values(), string(o)) }

// WorkspaceType is workspaces.type.
type WorkspaceType string

// Values lists the valid workspace types.
func (WorkspaceType) Values() []string { return []string{"local", "remote", "container"} }

// SessionStatus is sessions.status.
type SessionStatus string

// Values lists the valid session statuses.
func (SessionStatus) Values() []string { return []string{"idle", "busy", "error", "archived"} }

// SpokeType is spokes.spoke_type.
type SpokeType string

// Kinds of spoke.
const (
	SpokeDevEnv  SpokeType = "dev-env"
	SpokeClient  SpokeType = "client"
	SpokeCompute SpokeType = "compute"
)

// Values lists the valid spoke types.
func (SpokeType) Values() []string { return []string{"dev-env", "client", "compute"} }

// Valid reports whether t is one of Values.
func (t SpokeType) Valid() bool { return slices.Contains(t.Values(), string(t)) }

// SpokeStatus is spokes.status. There is no reconnecting state: transient
// reconnects never reach the database.
type SpokeStatus string

// Statuses of a spoke.
const (
	SpokeConnected    SpokeStatus = "connected"
	SpokeDisconnected SpokeStatus = "disconnected"
)

// Values lists the valid spoke statuses.
func (SpokeStatus) Values() []string { return []string{"connected", "disconnected"} }

// Valid reports whether s is one of Values.
func (s SpokeStatus) Valid() bool { return slices.Contains(s.Values(), string(s)) }

// Visibility is spokes.visibility.
type Visibility string

// Visibilities of a spoke's operations.
const (
	VisibilityPrivate Visibility = "private"
	VisibilityPublic  Visibility = "public"
)

// Values lists the valid visibilities.
func (Visibility) Values() []string { return []string{"private", "public"} }

// Valid reports whether v is one of Values.
func (v Visibility) Valid() bool { return slices.Contains(v.Values(), string(v)) }

// OperationType is operations.type.
type OperationType string

// Operation types.
const (
	OperationQuery        OperationType = "query"
	OperationMutation     OperationType = "mutation"
	OperationSubscription OperationType = "subscription"
)

// Values lists the valid operation types.
func (OperationType) Values() []string { return []string{"query", "mutation", "subscription"} }

// Valid reports whether t is one of Values.
func (t OperationType) Valid() bool { return slices.Contains(t.Values(), string(t)) }

// OperationSource is operations.source: where a definition comes from.
type OperationSource string

// Sources of an operation definition.
const (
	SourceHub     OperationSource = "hub"
	SourceSpoke   OperationSource = "spoke"
	SourceMCP     OperationSource = "mcp"
	SourceOpenAPI OperationSource = "openapi"
	SourceSystem  OperationSource = "system"
)

// Values lists the valid sources.
func (OperationSource) Values() []string { return []string{"hub", "spoke", "mcp", "openapi", "system"} }

// Valid reports whether s is one of Values.
func (s OperationSource) Valid() bool { return slices.Contains(s.Values(), string(s)) }

// ProviderType is operation_registrations.provider_type.
type ProviderType string

// Providers of a registration.
const (
	ProviderSpoke  ProviderType = "spoke"
	ProviderClient ProviderType = "client"
)

// Values lists the valid provider types.
func (ProviderType) Values() []string { return []string{"spoke", "client"} }

// RegistrationStatus is operation_registrations.status.
type RegistrationStatus string

// Statuses of a registration.
const (
	RegistrationActive   RegistrationStatus = "active"
	RegistrationInactive RegistrationStatus = "inactive"
)

// Values lists the valid registration statuses.
func (RegistrationStatus) Values() []string { return []string{"active", "inactive"} }

// CallStatus is call_graph_nodes.status. It moves pending → running →
// completed | failed | aborted and never leaves a terminal state.
type CallStatus string

// Statuses of a call node.
const (
	CallPending   CallStatus = "pending"
	CallRunning   CallStatus = "running"
	CallCompleted CallStatus = "completed"
	CallFailed    CallStatus = "failed"
	CallAborted   CallStatus = "aborted"
)

// Values lists the valid call statuses.
func (CallStatus) Values() []string {
	return []string{"pending", "running", "completed", "failed", "aborted"}
}

// Valid reports whether s is one of Values.
func (s CallStatus) Valid() bool { return slices.Contains(s.Values(), string(s)) }

// Terminal reports whether s is completed, failed or aborted.
func (s CallStatus) Terminal() bool {
	return s == CallCompleted || s == CallFailed || s == CallAborted
}

// EdgeType is call_graph_edges.edge_type; only depends_on edges are stored.
type EdgeType string

// EdgeDependsOn is the only stored edge type.
const EdgeDependsOn EdgeType = "depends_on"

// Values lists the valid edge types.
func (EdgeType) Values() []string { return []string{"depends_on"} }

// InstanceStatus is hub_instances.status.
type InstanceStatus string

// Statuses of a hub instance.
const (
	InstanceRunning InstanceStatus = "running"
	InstanceStopped InstanceStatus = "stopped"
	InstanceDead    InstanceStatus = "dead"
)

// Values lists the valid instance statuses.
func (InstanceStatus) Values() []string { return []string{"running", "stopped", "dead"} }

package storage

import (
	"encoding/json"
	"time"
)

// CallNode is a row of call_graph_nodes: one operation invocation. Its id
// is the call protocol's requestId.
type CallNode struct {
	// ID is the requestId of the call.
	ID        string               `gorm:"primaryKey" json:"requestId"`
	Metadata  JSON[map[string]any] `gorm:"not null;default:'{}'" json:"metadata"`
	CreatedAt time.Time            `gorm:"not null" json:"createdAt"`
	UpdatedAt time.Time            `gorm:"not null" json:"updatedAt"`
	// ParentRequestID has no foreign key: the parent may live on another
	// instance or be written later.
	ParentRequestID *string `json:"parentRequestId"`
	// RootRequestID is the id of the tree's root; a root's own id.
	RootRequestID string `gorm:"not null" json:"rootRequestId"`
	// OperationID references operations; RemovedOperationID when the
	// definition is gone or never existed.
	OperationID string `gorm:"not null" json:"operationId"`
	// OperationRef is the operation id as called; never rewritten.
	OperationRef    string     `gorm:"not null" json:"operationRef"`
	Status          CallStatus `gorm:"not null" json:"status"`
	Identity        *RawJSON   `json:"identity"`
	CallerAccountID *string    `json:"callerAccountId"`
	SessionID       *string    `json:"sessionId"`
	SpokeID         *string    `json:"spokeId"`
	// InstanceID is the hub instance that writes the node.
	InstanceID *string `json:"instanceId"`
	// Input and Output are capped (see CallGraphConfig.MaxPayloadBytes).
	Input         *RawJSON   `json:"input"`
	Output        *RawJSON   `json:"output"`
	Error         *RawJSON   `json:"error"`
	ResponseCount int32      `gorm:"not null;default:0" json:"responseCount"`
	StartedAt     time.Time  `gorm:"not null" json:"startedAt"`
	CompletedAt   *time.Time `json:"completedAt"`
}

// TableName returns the table of CallNode rows.
func (CallNode) TableName() string { return "call_graph_nodes" }

// CallEdge is a row of call_graph_edges: an explicit depends_on edge, kept
// for observability. Parent-child (triggered) edges are not stored: they
// follow from parent_request_id.
type CallEdge struct {
	Common
	FromRequestID string   `gorm:"not null" json:"fromRequestId"`
	ToRequestID   string   `gorm:"not null" json:"toRequestId"`
	EdgeType      EdgeType `gorm:"not null;default:depends_on" json:"edgeType"`
}

// TableName returns the table of CallEdge rows.
func (CallEdge) TableName() string { return "call_graph_edges" }

// CallNodeWrite is one full snapshot of a node from the hub's in-memory
// call graph, handed to CallGraph.Enqueue.
type CallNodeWrite struct {
	RequestID string
	// ParentRequestID is "" for roots.
	ParentRequestID string
	// RootRequestID "" means RequestID (a root).
	RootRequestID string
	// OperationRef is the operation id as called.
	OperationRef string
	Status       CallStatus
	Identity     *RawJSON
	// CallerAccountID, SessionID and SpokeID store NULL when "".
	CallerAccountID string
	SessionID       string
	SpokeID         string
	Input           *RawJSON
	Output          *RawJSON
	Error           *RawJSON
	ResponseCount   int32
	StartedAt       time.Time
	CompletedAt     *time.Time
	Metadata        map[string]any
}

// capPayload replaces a document larger than limit bytes by
// {"_truncated": true, "bytes": N}.
func capPayload(j *RawJSON, limit int) *RawJSON {
	if j == nil || len(j.V) <= limit {
		return j
	}
	b, _ := json.Marshal(map[string]any{"_truncated": true, "bytes": len(j.V)})
	return &RawJSON{V: b}
}

// size approximates the bytes a snapshot will occupy in a batch.
func (w *CallNodeWrite) size() int {
	n := 256 + len(w.RequestID) + len(w.ParentRequestID) + len(w.RootRequestID) + len(w.OperationRef)
	for _, j := range []*RawJSON{w.Identity, w.Input, w.Output, w.Error} {
		if j != nil {
			n += len(j.V)
		}
	}
	return n
}

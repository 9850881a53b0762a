package hub

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/alkdev/alkhub/hub/auth"
	"github.com/alkdev/alkhub/hub/catalog"
	"github.com/alkdev/alkhub/operations"
)

// OpSummary is the description of an operation in hub.list and hub.search.
type OpSummary struct {
	ID          string                   `json:"id"`
	Namespace   string                   `json:"namespace"`
	Name        string                   `json:"name"`
	Type        operations.OperationType `json:"type"`
	Title       string                   `json:"title,omitempty"`
	Description string                   `json:"description"`
	Tags        []string                 `json:"tags,omitempty"`
	Available   bool                     `json:"available"`
	Provider    catalog.Provider         `json:"provider"`
	Score       *float64                 `json:"score,omitempty"`
}

// OperationView is the result of hub.schema: the summary plus the contract.
type OperationView struct {
	OpSummary
	Version       string                       `json:"version"`
	InputSchema   json.RawMessage              `json:"inputSchema"`
	OutputSchema  json.RawMessage              `json:"outputSchema"`
	ErrorSchemas  []operations.ErrorDefinition `json:"errorSchemas,omitempty"`
	AccessControl operations.AccessControl     `json:"accessControl"`
	Meta          map[string]any               `json:"_meta,omitempty"`
}

func summaryOf(e catalog.Entry) OpSummary {
	return OpSummary{
		ID: e.ID(), Namespace: e.Spec.Namespace, Name: e.Spec.Name, Type: e.Spec.Type,
		Title: e.Spec.Title, Description: e.Spec.Description, Tags: e.Spec.Tags,
		Available: e.Available, Provider: e.Provider,
	}
}

type listInput struct {
	Namespace          string                   `json:"namespace,omitempty"`
	Type               operations.OperationType `json:"type,omitempty" jsonschema:"enum=query,enum=mutation,enum=subscription"`
	Limit              int                      `json:"limit,omitempty" jsonschema:"minimum=1,maximum=500,default=100"`
	Cursor             string                   `json:"cursor,omitempty"`
	IncludeUnavailable bool                     `json:"includeUnavailable,omitempty"`
}

type listOutput struct {
	Operations []OpSummary `json:"operations"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

type searchInput struct {
	Query string `json:"query" jsonschema:"minLength=1,maxLength=500"`
	Limit int    `json:"limit,omitempty" jsonschema:"minimum=1,maximum=100,default=20"`
}

type schemaInput struct {
	OperationID string `json:"operationId" jsonschema:"minLength=1"`
}

type callInput struct {
	OperationID string          `json:"operationId" jsonschema:"minLength=1"`
	Input       json.RawMessage `json:"input,omitempty"`
	TimeoutMs   int64           `json:"timeoutMs,omitempty" jsonschema:"minimum=1,maximum=900000"`
	MaxItems    int             `json:"maxItems,omitempty" jsonschema:"minimum=1,maximum=1000,default=100"`
}

// hubOperations returns hub.list, hub.search, hub.schema and hub.call.
func (h *Hub) hubOperations() []operations.Operation {
	opsList := operations.AccessControl{RequiredScopes: []string{auth.ScopeOpsList}}
	opsCall := operations.AccessControl{RequiredScopes: []string{auth.ScopeOpsCall}}
	return []operations.Operation{
		operations.Query(operations.SpecInfo{
			Namespace: "hub", Name: "list", Title: "List operations",
			Description: "Lists the operations you may call, sorted by id, one page at a time. " +
				"Use hub.search to find operations by topic and hub.schema to read one's input schema before calling it.",
			AccessControl: opsList,
		}, h.list),
		operations.Query(operations.SpecInfo{
			Namespace: "hub", Name: "search", Title: "Search operations",
			Description: "Finds operations you may call by words in their id, name, title, tags and description, best match first. " +
				"Read the chosen operation's schema with hub.schema, then call it with hub.call.",
			AccessControl: opsList,
		}, h.search),
		operations.Query(operations.SpecInfo{
			Namespace: "hub", Name: "schema", Title: "Describe an operation",
			Description: "Returns an operation's full contract: input and output JSON Schemas, declared errors and access control. " +
				"Call it with hub.call and an input that matches inputSchema.",
			AccessControl: opsList,
		}, h.schema),
		{
			Spec: operations.OperationSpec{
				Namespace: "hub", Name: "call", Version: "1.0.0", Type: operations.TypeMutation,
				Title: "Call an operation",
				Description: "Calls an operation by operationId with an input matching its inputSchema (see hub.schema). " +
					"A subscription operation returns {items, complete}: up to maxItems items, complete false when cut short.",
				InputSchema:   operations.SchemaOf[callInput](),
				OutputSchema:  json.RawMessage(`{}`),
				AccessControl: opsCall,
			},
			Handler: h.callOperation,
		},
	}
}

// canCall reports whether the identity passes the edge's scope baseline,
// an entry's access control and, for spoke operations, the spoke's
// visibility: whether a call of the entry from an edge would be allowed.
func (h *Hub) canCall(e catalog.Entry, id *operations.Identity) bool {
	if id == nil || !slices.Contains(id.Scopes, auth.EdgeScope(e.ID())) {
		return false
	}
	if !operations.CheckAccess(e.Spec.AccessControl, id) {
		return false
	}
	return h.spokes == nil || h.spokes.Visible(e, id)
}

func (h *Hub) list(_ context.Context, in listInput, oc *operations.OperationContext) (listOutput, error) {
	if in.Limit == 0 {
		in.Limit = 100
	}
	entries, next, err := h.catalog.List(catalog.ListOptions{
		Namespace:          in.Namespace,
		Type:               in.Type,
		IncludeUnavailable: in.IncludeUnavailable,
		Limit:              in.Limit,
		Cursor:             in.Cursor,
		Keep:               func(e catalog.Entry) bool { return h.canCall(e, oc.Identity) },
	})
	if errors.Is(err, catalog.ErrBadCursor) {
		return listOutput{}, operations.NewCallError(operations.CodeValidation, "invalid cursor",
			[]operations.ValueError{{Path: "/cursor", Message: "is not a cursor this listing returned"}})
	}
	out := listOutput{Operations: make([]OpSummary, 0, len(entries)), NextCursor: next}
	for _, e := range entries {
		out.Operations = append(out.Operations, summaryOf(e))
	}
	return out, err
}

func (h *Hub) search(_ context.Context, in searchInput, oc *operations.OperationContext) (listOutput, error) {
	if in.Limit == 0 {
		in.Limit = 20
	}
	hits := h.catalog.Search(in.Query, in.Limit, func(e catalog.Entry) bool { return h.canCall(e, oc.Identity) })
	out := listOutput{Operations: make([]OpSummary, 0, len(hits))}
	for _, hit := range hits {
		s := summaryOf(hit.Entry)
		score := hit.Score
		s.Score = &score
		out.Operations = append(out.Operations, s)
	}
	return out, nil
}

func (h *Hub) schema(_ context.Context, in schemaInput, oc *operations.OperationContext) (OperationView, error) {
	e, ok := h.catalog.Get(in.OperationID)
	if !ok {
		return OperationView{}, operations.NewCallError(operations.CodeOperationNotFound,
			"Operation not found: "+in.OperationID, map[string]any{"operationId": in.OperationID})
	}
	if !h.canCall(e, oc.Identity) {
		return OperationView{}, operations.NewCallError(operations.CodeAccessDenied,
			"Access denied for operation: "+in.OperationID,
			map[string]any{"operationId": in.OperationID, "requiredScopes": e.Spec.AccessControl.RequiredScopes})
	}
	return OperationView{
		OpSummary:     summaryOf(e),
		Version:       e.Spec.Version,
		InputSchema:   schemaOrEmpty(e.Spec.InputSchema),
		OutputSchema:  schemaOrEmpty(e.Spec.OutputSchema),
		ErrorSchemas:  e.Spec.ErrorSchemas,
		AccessControl: e.Spec.AccessControl,
		Meta:          e.Spec.Meta,
	}, nil
}

func schemaOrEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(`{}`)
	}
	return raw
}

// callOperation serves hub.call: it calls the target as a child of this
// request, with the caller's identity, and returns the target's envelope
// unchanged. A subscription target yields {items, complete}.
func (h *Hub) callOperation(ctx context.Context, raw json.RawMessage, oc *operations.OperationContext) (any, error) {
	var in callInput
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, operations.NewCallError(operations.CodeValidation, "hub.call input does not decode",
			[]operations.ValueError{{Path: "", Message: err.Error()}})
	}
	var input any = in.Input
	if len(in.Input) == 0 {
		input = json.RawMessage(`{}`)
	}
	deadline := h.now().Add(h.cfg.Calls.DefaultTimeout.D())
	if in.TimeoutMs > 0 {
		deadline = h.now().Add(time.Duration(in.TimeoutMs) * time.Millisecond)
	}
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}

	spec, _ := h.registry.GetSpec(in.OperationID)
	if spec.Type != operations.TypeSubscription {
		return h.pending.Call(ctx, in.OperationID, input, operations.CallOptions{
			ParentRequestID: oc.RequestID,
			Deadline:        deadline,
			Identity:        oc.Identity,
			Metadata:        oc.Metadata,
		})
	}
	return h.collect(ctx, in, input, deadline, oc)
}

// collect gathers up to maxItems items of a subscription before the
// deadline, then aborts the stream if it is still running.
func (h *Hub) collect(ctx context.Context, in callInput, input any, deadline time.Time,
	oc *operations.OperationContext) (any, error) {
	maxItems := in.MaxItems
	if maxItems == 0 {
		maxItems = 100
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	stream, err := h.pending.Subscribe(ctx, in.OperationID, input, operations.SubscribeOptions{
		ParentRequestID: oc.RequestID,
		Identity:        oc.Identity,
		Metadata:        oc.Metadata,
	})
	if err != nil {
		return nil, err
	}
	defer stream.Close()

	items := []any{}
	for env, err := range stream.All() {
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return map[string]any{"items": items, "complete": false}, nil
			}
			return nil, err
		}
		items = append(items, env.Data)
		if len(items) == maxItems {
			return map[string]any{"items": items, "complete": false}, nil
		}
	}
	return map[string]any{"items": items, "complete": true}, nil
}

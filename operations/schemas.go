package operations

import (
	_ "embed" // for the embedded schema documents
	"encoding/json"
)

var (
	//go:embed schemas/operation_spec.json
	operationSpecSchema []byte
	//go:embed schemas/response_envelope.json
	responseEnvelopeSchema []byte
	//go:embed schemas/response_meta.json
	responseMetaSchema []byte
	//go:embed schemas/mcp_content_block.json
	mcpContentBlockSchema []byte
	//go:embed schemas/call_requested.json
	callRequestedSchema []byte
	//go:embed schemas/call_responded.json
	callRespondedSchema []byte
	//go:embed schemas/call_completed.json
	callCompletedSchema []byte
	//go:embed schemas/call_aborted.json
	callAbortedSchema []byte
	//go:embed schemas/call_error.json
	callErrorSchema []byte
)

// JSON Schemas (draft 2020-12) of the package's wire documents, for callers
// that want strict checks. Objects are open: extra properties are allowed.
// Callers must not modify these values.
var (
	// OperationSpecSchema describes an OperationSpec document.
	OperationSpecSchema = json.RawMessage(operationSpecSchema)
	// ResponseEnvelopeSchema describes {"data", "meta"} with any of the metas.
	ResponseEnvelopeSchema = json.RawMessage(responseEnvelopeSchema)
	// ResponseMetaSchema is the union of the local, http and mcp metas.
	ResponseMetaSchema = json.RawMessage(responseMetaSchema)
	// MCPContentBlockSchema describes one MCP content block.
	MCPContentBlockSchema = json.RawMessage(mcpContentBlockSchema)
	// CallRequestedSchema describes the call.requested payload.
	CallRequestedSchema = json.RawMessage(callRequestedSchema)
	// CallRespondedSchema describes the call.responded payload.
	CallRespondedSchema = json.RawMessage(callRespondedSchema)
	// CallCompletedSchema describes the call.completed payload.
	CallCompletedSchema = json.RawMessage(callCompletedSchema)
	// CallAbortedSchema describes the call.aborted payload.
	CallAbortedSchema = json.RawMessage(callAbortedSchema)
	// CallErrorSchema describes the call.error payload.
	CallErrorSchema = json.RawMessage(callErrorSchema)
)

package operations

import (
	"encoding/json"
	"fmt"
)

// MCP content block types.
const (
	ContentText         = "text"
	ContentImage        = "image"
	ContentAudio        = "audio"
	ContentResource     = "resource"
	ContentResourceLink = "resource_link"
)

// MCPAnnotations are the optional annotations of an MCP content block.
type MCPAnnotations struct {
	// Audience lists "user" and/or "assistant".
	Audience []string `json:"audience,omitempty"`
	// Priority is between 0 and 1; nil means absent.
	Priority     *float64 `json:"priority,omitempty"`
	LastModified string   `json:"lastModified,omitempty"`
}

// MCPResource is the embedded resource of a "resource" content block.
type MCPResource struct {
	URI      string `json:"uri"`
	MimeType string `json:"mimeType,omitempty"`
	Text     string `json:"text,omitempty"`
	Blob     string `json:"blob,omitempty"` // base64
}

// MCPContentBlock is one MCP content block, independent of any MCP SDK.
// Type selects which fields are written: required fields of the type are
// always written (a text block has "text" even when empty), optional ones
// only when set.
type MCPContentBlock struct {
	Type string
	// Text is the text of a "text" block.
	Text string
	// Data is the base64 payload of an "image" or "audio" block.
	Data string
	// MimeType of image, audio and resource_link blocks.
	MimeType string
	// Resource of a "resource" block.
	Resource *MCPResource
	// URI, Name and Description of a "resource_link" block.
	URI, Name, Description string
	// Annotations of text, image, audio and resource blocks; nil when absent.
	Annotations *MCPAnnotations
}

// MarshalJSON writes the fields that belong to the block's type.
func (b MCPContentBlock) MarshalJSON() ([]byte, error) {
	m := map[string]any{"type": b.Type}
	switch b.Type {
	case ContentText:
		m["text"] = b.Text
	case ContentImage, ContentAudio:
		m["data"] = b.Data
		m["mimeType"] = b.MimeType
	case ContentResource:
		r := b.Resource
		if r == nil {
			r = &MCPResource{}
		}
		m["resource"] = r
	case ContentResourceLink:
		m["uri"] = b.URI
		m["name"] = b.Name
		if b.Description != "" {
			m["description"] = b.Description
		}
		if b.MimeType != "" {
			m["mimeType"] = b.MimeType
		}
		return json.Marshal(m)
	default:
		return nil, fmt.Errorf("encoding MCP content block: unknown type %q", b.Type)
	}
	if b.Annotations != nil {
		m["annotations"] = b.Annotations
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads a block of any of the five types.
func (b *MCPContentBlock) UnmarshalJSON(data []byte) error {
	var v struct {
		Type        string          `json:"type"`
		Text        string          `json:"text"`
		Data        string          `json:"data"`
		MimeType    string          `json:"mimeType"`
		Resource    *MCPResource    `json:"resource"`
		URI         string          `json:"uri"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Annotations *MCPAnnotations `json:"annotations"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("decoding MCP content block: %w", err)
	}
	*b = MCPContentBlock{
		Type: v.Type, Text: v.Text, Data: v.Data, MimeType: v.MimeType,
		Resource: v.Resource, URI: v.URI, Name: v.Name, Description: v.Description,
		Annotations: v.Annotations,
	}
	return nil
}

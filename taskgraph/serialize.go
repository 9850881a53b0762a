package taskgraph

import (
	"encoding/json"
	"errors"
	"strconv"
)

// Serialized is the JSON form of a graph:
//
//	{"options": {"type": "directed", "multi": false, "allowSelfLoops": false},
//	 "attributes": {},
//	 "nodes": [{"key": "a", "attributes": {"name": "Task A"}}],
//	 "edges": [{"key": "a->b", "source": "a", "target": "b",
//	            "attributes": {"qualityRetention": 0.9}}]}
//
// Decoding it checks the whole document and reports the first violation as
// *InvalidInputError with its path ("options/type", "nodes/0/key").
type Serialized struct {
	Options    SerializedOptions `json:"options"`
	Attributes map[string]any    `json:"attributes"`
	Nodes      []SerializedNode  `json:"nodes"`
	Edges      []SerializedEdge  `json:"edges"`
}

// SerializedOptions describes the kind of graph. A task graph is always
// directed, without parallel edges and without self-loops.
type SerializedOptions struct {
	Type           string `json:"type"`
	Multi          bool   `json:"multi"`
	AllowSelfLoops bool   `json:"allowSelfLoops"`
}

// SerializedNode is one node of the serialized form.
type SerializedNode struct {
	Key        string    `json:"key"`
	Attributes NodeAttrs `json:"attributes"`
}

// SerializedEdge is one edge of the serialized form. Import accepts any Key
// and replaces it with "source->target".
type SerializedEdge struct {
	Key        string    `json:"key"`
	Source     string    `json:"source"`
	Target     string    `json:"target"`
	Attributes EdgeAttrs `json:"attributes"`
}

func directedOptions() SerializedOptions { return SerializedOptions{Type: "directed"} }

// Export returns the serialized form: nodes and edges in insertion order,
// edge keys "source->target", graph attributes copied shallowly. Lists and
// the attribute map are never nil.
func (g *TaskGraph) Export() Serialized {
	s := Serialized{
		Options:    directedOptions(),
		Attributes: cloneAttributes(g.graphAttrs),
		Nodes:      make([]SerializedNode, len(g.ids)),
		Edges:      make([]SerializedEdge, len(g.order)),
	}
	for i, id := range g.ids {
		s.Nodes[i] = SerializedNode{Key: id, Attributes: g.attrs[i]}
	}
	for i, pair := range g.order {
		from, to := g.ids[pair.from], g.ids[pair.to]
		s.Edges[i] = SerializedEdge{
			Key:        from + "->" + to,
			Source:     from,
			Target:     to,
			Attributes: g.edges[pair].attrs(),
		}
	}
	return s
}

// MarshalJSON writes the serialized form of Export.
func (g *TaskGraph) MarshalJSON() ([]byte, error) { return json.Marshal(g.Export()) }

// MarshalJSON writes the document with the keys options, attributes, nodes
// and edges; nil lists and a nil attribute map are written empty.
func (s Serialized) MarshalJSON() ([]byte, error) {
	type plain Serialized
	p := plain(s)
	if p.Attributes == nil {
		p.Attributes = map[string]any{}
	}
	if p.Nodes == nil {
		p.Nodes = []SerializedNode{}
	}
	if p.Edges == nil {
		p.Edges = []SerializedEdge{}
	}
	return json.Marshal(p)
}

// UnmarshalJSON checks and decodes a serialized graph. The checks run in
// document order (options, attributes, nodes, edges) after the required
// keys, and the first failure is returned as *InvalidInputError.
func (s *Serialized) UnmarshalJSON(data []byte) error {
	doc, err := parseJSONObject(data, "")
	if err != nil {
		return err
	}
	if err := doc.require("options", "attributes", "nodes", "edges"); err != nil {
		return err
	}
	var out Serialized

	if out.Options, err = decodeOptions(doc.m["options"]); err != nil {
		return err
	}
	attrs, err := parseJSONObject(doc.m["attributes"], "attributes")
	if err != nil {
		return err
	}
	out.Attributes = make(map[string]any, len(attrs.m))
	for key, raw := range attrs.m {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return invalidInput(attrs.at(key), err.Error())
		}
		out.Attributes[key] = v
	}

	nodes, err := jsonArray(doc.m["nodes"], "nodes")
	if err != nil {
		return err
	}
	out.Nodes = make([]SerializedNode, len(nodes))
	for i, raw := range nodes {
		if out.Nodes[i], err = decodeSerializedNode(raw, "nodes/"+strconv.Itoa(i)); err != nil {
			return err
		}
	}

	edges, err := jsonArray(doc.m["edges"], "edges")
	if err != nil {
		return err
	}
	out.Edges = make([]SerializedEdge, len(edges))
	for i, raw := range edges {
		if out.Edges[i], err = decodeSerializedEdge(raw, "edges/"+strconv.Itoa(i)); err != nil {
			return err
		}
	}
	*s = out
	return nil
}

func jsonArray(data json.RawMessage, path string) ([]json.RawMessage, error) {
	var items []json.RawMessage
	if kindOfJSON(data) != kindArray || json.Unmarshal(data, &items) != nil {
		return nil, invalidInput(path, msgArray)
	}
	return items, nil
}

func decodeOptions(data json.RawMessage) (SerializedOptions, error) {
	o, err := parseJSONObject(data, "options")
	if err != nil {
		return SerializedOptions{}, err
	}
	if err := o.require("type", "multi", "allowSelfLoops"); err != nil {
		return SerializedOptions{}, err
	}
	if v, _ := o.lookup("type"); v.kind != kindString || v.text != "directed" {
		return SerializedOptions{}, invalidInput(o.at("type"), msgDirected)
	}
	for _, key := range []string{"multi", "allowSelfLoops"} {
		if v, _ := o.lookup(key); v.kind != kindBool || v.flag {
			return SerializedOptions{}, invalidInput(o.at(key), msgFalse)
		}
	}
	return directedOptions(), nil
}

func decodeSerializedNode(data json.RawMessage, path string) (SerializedNode, error) {
	var n SerializedNode
	o, err := parseJSONObject(data, path)
	if err != nil {
		return n, err
	}
	if err := o.require("key", "attributes"); err != nil {
		return n, err
	}
	if n.Key, _, err = o.stringField("key"); err != nil {
		return n, err
	}
	n.Attributes, err = decodeNodeAttrs(o.m["attributes"], o.at("attributes"))
	return n, err
}

func decodeSerializedEdge(data json.RawMessage, path string) (SerializedEdge, error) {
	var e SerializedEdge
	o, err := parseJSONObject(data, path)
	if err != nil {
		return e, err
	}
	if err := o.require("key", "source", "target", "attributes"); err != nil {
		return e, err
	}
	for _, field := range []struct {
		key string
		dst *string
	}{{"key", &e.Key}, {"source", &e.Source}, {"target", &e.Target}} {
		if *field.dst, _, err = o.stringField(field.key); err != nil {
			return e, err
		}
	}
	e.Attributes, err = decodeEdgeAttrs(o.m["attributes"], o.at("attributes"))
	return e, err
}

// FromJSON decodes and checks a serialized graph (see Serialized) and
// builds it with FromSerialized. Malformed JSON and failed checks give
// *InvalidInputError.
func FromJSON(data []byte) (*TaskGraph, error) {
	var s Serialized
	if err := json.Unmarshal(data, &s); err != nil {
		if _, ok := errors.AsType[*InvalidInputError](err); ok {
			return nil, err
		}
		return nil, invalidInput("", "Invalid JSON: "+err.Error())
	}
	return FromSerialized(s)
}

// FromSerialized builds a graph from its serialized form. Options must be
// directed without parallel edges and self-loops, and node labels must be
// valid (*InvalidInputError with the path). Nodes are added in order (a
// repeated key gives *DuplicateNodeError), then edges in order: an unknown
// source or target gives *TaskNotFoundError (source first), a self-loop
// *InvalidInputError (field "edges/<i>") and a second edge for a pair
// *DuplicateEdgeError. Edge keys are replaced by "source->target".
func FromSerialized(s Serialized) (*TaskGraph, error) {
	if err := checkOptions(s.Options); err != nil {
		return nil, err
	}
	for i, n := range s.Nodes {
		if err := checkLabels(n.Attributes, "nodes/"+strconv.Itoa(i)+"/attributes"); err != nil {
			return nil, err
		}
	}

	g := &TaskGraph{graphAttrs: cloneAttributes(s.Attributes)}
	for _, n := range s.Nodes {
		if err := g.AddTask(n.Key, n.Attributes); err != nil {
			return nil, err
		}
	}
	for i, e := range s.Edges {
		err := g.addEdge(e.Source, e.Target, "edges/"+strconv.Itoa(i),
			edgeDataOf(e.Attributes))
		if err != nil {
			return nil, err
		}
	}
	return g, nil
}

func checkOptions(o SerializedOptions) error {
	switch {
	case o.Type != "directed":
		return invalidInput("options/type", msgDirected)
	case o.Multi:
		return invalidInput("options/multi", msgFalse)
	case o.AllowSelfLoops:
		return invalidInput("options/allowSelfLoops", msgFalse)
	}
	return nil
}

// checkLabels reports the first label of a that is set but invalid.
func checkLabels(a NodeAttrs, path string) error {
	for _, issue := range labelIssues(a) {
		return invalidInput(joinPath(path, issue.field), msgUnion)
	}
	return nil
}

// UnmarshalJSON replaces the whole content of g with the decoded graph. On
// failure g is left unchanged.
func (g *TaskGraph) UnmarshalJSON(data []byte) error {
	decoded, err := FromJSON(data)
	if err != nil {
		return err
	}
	*g = *decoded
	return nil
}

package taskgraph

import (
	"slices"
	"strconv"
)

// defaultQualityRetention is the retention of an edge created without one.
const defaultQualityRetention = 0.9

// edgePair is a directed edge between dense node indices.
type edgePair struct{ from, to int32 }

// edgeData is the stored form of EdgeAttrs, kept without a pointer.
type edgeData struct {
	qr    float64
	hasQR bool
}

func (d edgeData) attrs() EdgeAttrs {
	if !d.hasQR {
		return EdgeAttrs{}
	}
	qr := d.qr
	return EdgeAttrs{QualityRetention: &qr}
}

func edgeDataOf(a EdgeAttrs) edgeData {
	if a.QualityRetention == nil {
		return edgeData{}
	}
	return edgeData{qr: *a.QualityRetention, hasQR: true}
}

// TaskGraph is a directed graph of tasks: an edge runs from a prerequisite
// to the task that depends on it. It has no parallel edges and no
// self-loops, but may contain cycles.
//
// Every order the graph reports is an insertion order: nodes in the order
// they were added, the dependencies (in-neighbours) and dependents
// (out-neighbours) of a node in the order their edges were added, and edges
// in the order they were added. Removing an element keeps the relative order
// of the rest; adding it again appends it at the end.
//
// The zero value is an empty graph ready to use. A TaskGraph is not safe for
// concurrent mutation. Any number of goroutines may read it and run
// analyses on it as long as no goroutine modifies it.
type TaskGraph struct {
	ids   []string
	index map[string]int32
	attrs []NodeAttrs
	out   [][]int32
	in    [][]int32
	edges map[edgePair]edgeData
	order []edgePair
	// graphAttrs are the graph-level attributes of the serialized form.
	graphAttrs map[string]any
}

// Edge is one dependency as reported by Edges: To depends on From.
type Edge struct {
	From  string
	To    string
	Attrs EdgeAttrs
}

// Key returns the edge key "From->To".
func (e Edge) Key() string { return e.From + "->" + e.To }

// EdgeOption configures AddDependency.
type EdgeOption func(*edgeData)

// WithQualityRetention sets the quality retention of a new edge instead of
// the default 0.9.
func WithQualityRetention(qr float64) EdgeOption {
	return func(d *edgeData) {
		d.qr = qr
		d.hasQR = true
	}
}

// New returns an empty graph.
func New() *TaskGraph { return &TaskGraph{} }

// FromTasks builds a graph from task records. Nodes come in input order,
// followed by one node named after each dependency id that is not a task
// ("orphans", in order of first reference). Edges run from each dependency
// to its task, with quality retention 0.9; repeats are skipped. Labels are
// not validated and cycles are accepted.
//
// It fails with *DuplicateNodeError for a repeated task id and with
// *InvalidInputError (field "dependsOn") for a task that depends on itself.
func FromTasks(tasks []TaskInput) (*TaskGraph, error) {
	g := &TaskGraph{}
	if err := g.addTaskNodes(tasks); err != nil {
		return nil, err
	}
	for _, t := range tasks {
		for _, dep := range t.DependsOn {
			if dep == t.ID {
				return nil, selfDependency("dependsOn", t.ID)
			}
			if _, ok := g.index[dep]; !ok {
				g.appendNode(dep, NodeAttrs{Name: dep})
			}
		}
	}
	for i, t := range tasks {
		for _, dep := range t.DependsOn {
			pair := edgePair{from: g.index[dep], to: int32(i)}
			if _, ok := g.edges[pair]; !ok {
				g.appendEdge(pair, edgeData{qr: defaultQualityRetention, hasQR: true})
			}
		}
	}
	return g, nil
}

// FromRecords builds a graph from task records and separate edge records;
// the tasks' DependsOn lists are ignored. Edges are added in order with
// their QualityRetention, or 0.9 when it is nil. Cycles are accepted.
//
// It fails with *DuplicateNodeError for a repeated task id, and for the
// first bad edge with *TaskNotFoundError (unknown From, then unknown To),
// *InvalidInputError (field "edges/<i>", From equal to To) or
// *DuplicateEdgeError (pair already present).
func FromRecords(tasks []TaskInput, edges []DependencyEdge) (*TaskGraph, error) {
	g := &TaskGraph{}
	if err := g.addTaskNodes(tasks); err != nil {
		return nil, err
	}
	for i, e := range edges {
		data := edgeData{qr: defaultQualityRetention, hasQR: true}
		if e.QualityRetention != nil {
			data.qr = *e.QualityRetention
		}
		if err := g.addEdge(e.From, e.To, "edges/"+strconv.Itoa(i), data); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func (g *TaskGraph) addTaskNodes(tasks []TaskInput) error {
	g.index = make(map[string]int32, len(tasks))
	g.ids = make([]string, 0, len(tasks))
	g.attrs = make([]NodeAttrs, 0, len(tasks))
	g.out = make([][]int32, 0, len(tasks))
	g.in = make([][]int32, 0, len(tasks))
	for _, t := range tasks {
		if _, ok := g.index[t.ID]; ok {
			return &DuplicateNodeError{TaskID: t.ID}
		}
		g.appendNode(t.ID, NodeAttrsOf(t))
	}
	return nil
}

func (g *TaskGraph) appendNode(id string, a NodeAttrs) {
	if g.index == nil {
		g.index = make(map[string]int32)
	}
	g.index[id] = int32(len(g.ids))
	g.ids = append(g.ids, id)
	g.attrs = append(g.attrs, a)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
}

func (g *TaskGraph) appendEdge(pair edgePair, data edgeData) {
	if g.edges == nil {
		g.edges = make(map[edgePair]edgeData)
	}
	g.edges[pair] = data
	g.order = append(g.order, pair)
	g.out[pair.from] = append(g.out[pair.from], pair.to)
	g.in[pair.to] = append(g.in[pair.to], pair.from)
}

// addEdge checks and adds one edge; selfField names the field reported for
// a self-loop.
func (g *TaskGraph) addEdge(prereq, dependent, selfField string, data edgeData) error {
	from, ok := g.index[prereq]
	if !ok {
		return &TaskNotFoundError{TaskID: prereq}
	}
	to, ok := g.index[dependent]
	if !ok {
		return &TaskNotFoundError{TaskID: dependent}
	}
	if from == to {
		return selfDependency(selfField, prereq)
	}
	pair := edgePair{from: from, to: to}
	if _, ok := g.edges[pair]; ok {
		return &DuplicateEdgeError{Prerequisite: prereq, Dependent: dependent}
	}
	g.appendEdge(pair, data)
	return nil
}

// AddTask adds a node. It fails with *DuplicateNodeError when id exists.
// Labels are not validated; ValidateSchema reports invalid ones.
func (g *TaskGraph) AddTask(id string, a NodeAttrs) error {
	if _, ok := g.index[id]; ok {
		return &DuplicateNodeError{TaskID: id}
	}
	g.appendNode(id, a)
	return nil
}

// AddDependency adds the edge prereq -> dependent with quality retention 0.9
// unless an option sets it. It fails with *TaskNotFoundError for an unknown
// prereq, then for an unknown dependent, with *InvalidInputError (field
// "dependent") when both are the same task, and with *DuplicateEdgeError
// when the edge exists. Cycles are not checked.
func (g *TaskGraph) AddDependency(prereq, dependent string, opts ...EdgeOption) error {
	data := edgeData{qr: defaultQualityRetention, hasQR: true}
	for _, opt := range opts {
		opt(&data)
	}
	return g.addEdge(prereq, dependent, "dependent", data)
}

// RemoveTask removes the node id and every edge touching it. An unknown id
// is ignored.
func (g *TaskGraph) RemoveTask(id string) {
	idx, ok := g.index[id]
	if !ok {
		return
	}
	for _, w := range g.out[idx] {
		g.in[w] = deleteValue(g.in[w], idx)
		delete(g.edges, edgePair{from: idx, to: w})
	}
	for _, u := range g.in[idx] {
		g.out[u] = deleteValue(g.out[u], idx)
		delete(g.edges, edgePair{from: u, to: idx})
	}
	g.order = slices.DeleteFunc(g.order, func(p edgePair) bool {
		return p.from == idx || p.to == idx
	})

	g.ids = slices.Delete(g.ids, int(idx), int(idx)+1)
	g.attrs = slices.Delete(g.attrs, int(idx), int(idx)+1)
	g.out = slices.Delete(g.out, int(idx), int(idx)+1)
	g.in = slices.Delete(g.in, int(idx), int(idx)+1)
	delete(g.index, id)

	// Renumber the nodes after idx, which moved down by one.
	shift := func(v int32) int32 {
		if v > idx {
			return v - 1
		}
		return v
	}
	for i := int(idx); i < len(g.ids); i++ {
		g.index[g.ids[i]] = int32(i)
	}
	for _, lists := range [][][]int32{g.out, g.in} {
		for _, list := range lists {
			for j, v := range list {
				list[j] = shift(v)
			}
		}
	}
	edges := make(map[edgePair]edgeData, len(g.edges))
	for pair, data := range g.edges {
		edges[edgePair{from: shift(pair.from), to: shift(pair.to)}] = data
	}
	g.edges = edges
	for i, pair := range g.order {
		g.order[i] = edgePair{from: shift(pair.from), to: shift(pair.to)}
	}
}

func deleteValue(list []int32, v int32) []int32 {
	return slices.DeleteFunc(list, func(x int32) bool { return x == v })
}

// RemoveDependency removes the edge prereq -> dependent; both nodes stay.
// A missing edge is ignored.
func (g *TaskGraph) RemoveDependency(prereq, dependent string) {
	pair, ok := g.pair(prereq, dependent)
	if !ok {
		return
	}
	delete(g.edges, pair)
	g.order = slices.DeleteFunc(g.order, func(p edgePair) bool { return p == pair })
	g.out[pair.from] = deleteValue(g.out[pair.from], pair.to)
	g.in[pair.to] = deleteValue(g.in[pair.to], pair.from)
}

// pair returns the stored edge prereq -> dependent.
func (g *TaskGraph) pair(prereq, dependent string) (edgePair, bool) {
	from, ok := g.index[prereq]
	if !ok {
		return edgePair{}, false
	}
	to, ok := g.index[dependent]
	if !ok {
		return edgePair{}, false
	}
	pair := edgePair{from: from, to: to}
	_, ok = g.edges[pair]
	return pair, ok
}

// UpdateTask merges the set fields of p into the attributes of id, without
// validation. It fails with *TaskNotFoundError for an unknown id.
func (g *TaskGraph) UpdateTask(id string, p NodePatch) error {
	idx, ok := g.index[id]
	if !ok {
		return &TaskNotFoundError{TaskID: id}
	}
	g.attrs[idx] = p.apply(g.attrs[idx])
	return nil
}

// UpdateEdge merges the set fields of a into the attributes of the edge
// prereq -> dependent. A missing edge fails with *TaskNotFoundError whose
// TaskID is the edge key "prereq->dependent".
func (g *TaskGraph) UpdateEdge(prereq, dependent string, a EdgeAttrs) error {
	pair, ok := g.pair(prereq, dependent)
	if !ok {
		return &TaskNotFoundError{TaskID: prereq + "->" + dependent}
	}
	if a.QualityRetention != nil {
		g.edges[pair] = edgeData{qr: *a.QualityRetention, hasQR: true}
	}
	return nil
}

// TaskCount returns the number of nodes.
func (g *TaskGraph) TaskCount() int { return len(g.ids) }

// EdgeCount returns the number of edges.
func (g *TaskGraph) EdgeCount() int { return len(g.order) }

// HasTask reports whether id is a node.
func (g *TaskGraph) HasTask(id string) bool {
	_, ok := g.index[id]
	return ok
}

// HasDependency reports whether the edge prereq -> dependent exists.
func (g *TaskGraph) HasDependency(prereq, dependent string) bool {
	_, ok := g.pair(prereq, dependent)
	return ok
}

// Task returns a copy of the attributes of id, or false when id is not a
// node.
func (g *TaskGraph) Task(id string) (NodeAttrs, bool) {
	idx, ok := g.index[id]
	if !ok {
		return NodeAttrs{}, false
	}
	return g.attrs[idx], true
}

// Edge returns a copy of the attributes of the edge prereq -> dependent, or
// false when there is no such edge.
func (g *TaskGraph) Edge(prereq, dependent string) (EdgeAttrs, bool) {
	pair, ok := g.pair(prereq, dependent)
	if !ok {
		return EdgeAttrs{}, false
	}
	return g.edges[pair].attrs(), true
}

// IDs returns the node ids in node order, as a new slice.
func (g *TaskGraph) IDs() []string { return slices.Clone(g.idsOrEmpty()) }

func (g *TaskGraph) idsOrEmpty() []string {
	if g.ids == nil {
		return []string{}
	}
	return g.ids
}

// Edges returns every edge in edge order, as a new slice.
func (g *TaskGraph) Edges() []Edge {
	edges := make([]Edge, len(g.order))
	for i, pair := range g.order {
		edges[i] = Edge{
			From:  g.ids[pair.from],
			To:    g.ids[pair.to],
			Attrs: g.edges[pair].attrs(),
		}
	}
	return edges
}

// Dependencies returns the prerequisites of id in the order their edges were
// added. It fails with *TaskNotFoundError for an unknown id.
func (g *TaskGraph) Dependencies(id string) ([]string, error) {
	idx, ok := g.index[id]
	if !ok {
		return nil, &TaskNotFoundError{TaskID: id}
	}
	return g.names(g.in[idx]), nil
}

// Dependents returns the tasks that depend on id in the order their edges
// were added. It fails with *TaskNotFoundError for an unknown id.
func (g *TaskGraph) Dependents(id string) ([]string, error) {
	idx, ok := g.index[id]
	if !ok {
		return nil, &TaskNotFoundError{TaskID: id}
	}
	return g.names(g.out[idx]), nil
}

// names maps node indices to ids; the result is never nil.
func (g *TaskGraph) names(list []int32) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = g.ids[v]
	}
	return out
}

// Subgraph returns a new, independent graph with the nodes for which keep
// returns true (in node order) and the edges between them (in edge order,
// attributes copied). keep is called exactly once per node, in node order.
// Graph-level attributes are copied shallowly.
func (g *TaskGraph) Subgraph(keep func(id string, a NodeAttrs) bool) *TaskGraph {
	sub := &TaskGraph{graphAttrs: cloneAttributes(g.graphAttrs)}
	mapping := make([]int32, len(g.ids))
	for i, id := range g.ids {
		mapping[i] = -1
		if keep(id, g.attrs[i]) {
			mapping[i] = int32(len(sub.ids))
			sub.appendNode(id, g.attrs[i])
		}
	}
	for _, pair := range g.order {
		from, to := mapping[pair.from], mapping[pair.to]
		if from >= 0 && to >= 0 {
			sub.appendEdge(edgePair{from: from, to: to}, g.edges[pair])
		}
	}
	return sub
}

func cloneAttributes(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

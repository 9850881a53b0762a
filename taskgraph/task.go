package taskgraph

import "encoding/json"

// TaskInput is one task as it is written in a task file or sent as JSON.
// Field order is the schema order: it decides which problem a parse reports
// first and the key order of SerializeFrontmatter.
//
// DependsOn lists prerequisite ids; it is always written, nil as [].
// Tags is nil when absent and non-nil (possibly empty) when present. Dates
// are free strings and never parsed.
type TaskInput struct {
	ID        string        `json:"id" yaml:"id"`
	Name      string        `json:"name" yaml:"name"`
	DependsOn []string      `json:"dependsOn" yaml:"dependsOn"`
	Status    Opt[Status]   `json:"status,omitzero" yaml:"status,omitempty"`
	Scope     Opt[Scope]    `json:"scope,omitzero" yaml:"scope,omitempty"`
	Risk      Opt[Risk]     `json:"risk,omitzero" yaml:"risk,omitempty"`
	Impact    Opt[Impact]   `json:"impact,omitzero" yaml:"impact,omitempty"`
	Level     Opt[Level]    `json:"level,omitzero" yaml:"level,omitempty"`
	Priority  Opt[Priority] `json:"priority,omitzero" yaml:"priority,omitempty"`
	Tags      []string      `json:"tags,omitzero" yaml:"tags,omitempty"`
	Assignee  Opt[string]   `json:"assignee,omitzero" yaml:"assignee,omitempty"`
	Due       Opt[string]   `json:"due,omitzero" yaml:"due,omitempty"`
	Created   Opt[string]   `json:"created,omitzero" yaml:"created,omitempty"`
	Modified  Opt[string]   `json:"modified,omitzero" yaml:"modified,omitempty"`
}

// MarshalJSON writes the task with its keys in schema order; a nil
// DependsOn is written as [].
func (t TaskInput) MarshalJSON() ([]byte, error) {
	type plain TaskInput
	p := plain(t)
	if p.DependsOn == nil {
		p.DependsOn = []string{}
	}
	return json.Marshal(p)
}

// DependencyEdge is an edge record for FromRecords: To depends on From.
// A nil QualityRetention means the default 0.9; any number is accepted.
type DependencyEdge struct {
	From             string   `json:"from"`
	To               string   `json:"to"`
	QualityRetention *float64 `json:"qualityRetention,omitempty"`
}

// NodeAttrs are the attributes the graph stores for a task. An empty label
// means "not set". Tags, people, dates and dependencies are not node
// attributes.
type NodeAttrs struct {
	Name     string   `json:"name"`
	Scope    Scope    `json:"scope,omitempty"`
	Risk     Risk     `json:"risk,omitempty"`
	Impact   Impact   `json:"impact,omitempty"`
	Level    Level    `json:"level,omitempty"`
	Priority Priority `json:"priority,omitempty"`
	Status   Status   `json:"status,omitempty"`
}

// NodeAttrsOf returns the node attributes of t: its name and each label that
// holds a value (absent and null both give "").
func NodeAttrsOf(t TaskInput) NodeAttrs {
	return NodeAttrs{
		Name:     t.Name,
		Scope:    t.Scope.Value(),
		Risk:     t.Risk.Value(),
		Impact:   t.Impact.Value(),
		Level:    t.Level.Value(),
		Priority: t.Priority.Value(),
		Status:   t.Status.Value(),
	}
}

// NodePatch changes some attributes of a node in UpdateTask. A nil field is
// left alone; a pointer to "" clears the label.
type NodePatch struct {
	Name     *string   `json:"name,omitempty"`
	Scope    *Scope    `json:"scope,omitempty"`
	Risk     *Risk     `json:"risk,omitempty"`
	Impact   *Impact   `json:"impact,omitempty"`
	Level    *Level    `json:"level,omitempty"`
	Priority *Priority `json:"priority,omitempty"`
	Status   *Status   `json:"status,omitempty"`
}

// apply returns a with the fields of p that are set.
func (p NodePatch) apply(a NodeAttrs) NodeAttrs {
	if p.Name != nil {
		a.Name = *p.Name
	}
	if p.Scope != nil {
		a.Scope = *p.Scope
	}
	if p.Risk != nil {
		a.Risk = *p.Risk
	}
	if p.Impact != nil {
		a.Impact = *p.Impact
	}
	if p.Level != nil {
		a.Level = *p.Level
	}
	if p.Priority != nil {
		a.Priority = *p.Priority
	}
	if p.Status != nil {
		a.Status = *p.Status
	}
	return a
}

// EdgeAttrs are the attributes of a dependency. QualityRetention is the
// share of an upstream failure that does not carry over to the dependent
// (see EffectiveProbability). A nil value means "not set", so analyses use
// their default. Edges created by this package always carry a value.
type EdgeAttrs struct {
	QualityRetention *float64 `json:"qualityRetention,omitempty"`
}

// ResolvedAttrs are node attributes with the defaults applied and the
// numbers that follow from them. Scope, Risk and Impact are never empty;
// Level, Priority and Status are copied and may be empty.
type ResolvedAttrs struct {
	Name               string   `json:"name"`
	Scope              Scope    `json:"scope"`
	Risk               Risk     `json:"risk"`
	Impact             Impact   `json:"impact"`
	Level              Level    `json:"level,omitempty"`
	Priority           Priority `json:"priority,omitempty"`
	Status             Status   `json:"status,omitempty"`
	CostEstimate       float64  `json:"costEstimate"`
	TokenEstimate      int      `json:"tokenEstimate"`
	SuccessProbability float64  `json:"successProbability"`
	RiskWeight         float64  `json:"riskWeight"`
	ImpactWeight       float64  `json:"impactWeight"`
}

// ResolveDefaults applies the defaults for unassessed labels (scope narrow,
// risk medium, impact isolated; also for invalid values) and computes the
// numbers of the resolved labels.
func ResolveDefaults(a NodeAttrs) ResolvedAttrs {
	scope := a.Scope.Resolved()
	risk := a.Risk.Resolved()
	impact := a.Impact.Resolved()
	return ResolvedAttrs{
		Name:               a.Name,
		Scope:              scope,
		Risk:               risk,
		Impact:             impact,
		Level:              a.Level,
		Priority:           a.Priority,
		Status:             a.Status,
		CostEstimate:       scope.CostEstimate(),
		TokenEstimate:      scope.TokenEstimate(),
		SuccessProbability: risk.SuccessProbability(),
		RiskWeight:         risk.Weight(),
		ImpactWeight:       impact.Weight(),
	}
}

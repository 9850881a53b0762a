package taskgraph

// Scope is the size of a task. The empty string means "not set"; analyses
// then use ScopeNarrow.
type Scope string

// Scope values in canonical order.
const (
	ScopeSingle   Scope = "single"
	ScopeNarrow   Scope = "narrow"
	ScopeModerate Scope = "moderate"
	ScopeBroad    Scope = "broad"
	ScopeSystem   Scope = "system"
)

// Risk is the assessed risk of a task. The empty string means "not set";
// analyses then use RiskMedium.
type Risk string

// Risk values in canonical order.
const (
	RiskTrivial  Risk = "trivial"
	RiskLow      Risk = "low"
	RiskMedium   Risk = "medium"
	RiskHigh     Risk = "high"
	RiskCritical Risk = "critical"
)

// Impact is how far the failure of a task reaches. The empty string means
// "not set"; analyses then use ImpactIsolated.
type Impact string

// Impact values in canonical order.
const (
	ImpactIsolated  Impact = "isolated"
	ImpactComponent Impact = "component"
	ImpactPhase     Impact = "phase"
	ImpactProject   Impact = "project"
)

// Level is the kind of work a task is. It has no numeric meaning and no
// default.
type Level string

// Level values in canonical order.
const (
	LevelPlanning       Level = "planning"
	LevelDecomposition  Level = "decomposition"
	LevelImplementation Level = "implementation"
	LevelReview         Level = "review"
	LevelResearch       Level = "research"
)

// Priority is the urgency of a task. It has no numeric meaning and no
// default.
type Priority string

// Priority values in canonical order.
const (
	PriorityLow      Priority = "low"
	PriorityMedium   Priority = "medium"
	PriorityHigh     Priority = "high"
	PriorityCritical Priority = "critical"
)

// Status is the progress of a task. Only StatusCompleted changes an
// analysis: WorkflowCost skips completed tasks unless asked not to.
type Status string

// Status values in canonical order.
const (
	StatusPending    Status = "pending"
	StatusInProgress Status = "in-progress"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
	StatusBlocked    Status = "blocked"
)

// Scopes lists every Scope in canonical order.
func Scopes() []Scope {
	return []Scope{ScopeSingle, ScopeNarrow, ScopeModerate, ScopeBroad, ScopeSystem}
}

// Risks lists every Risk in canonical order.
func Risks() []Risk {
	return []Risk{RiskTrivial, RiskLow, RiskMedium, RiskHigh, RiskCritical}
}

// Impacts lists every Impact in canonical order.
func Impacts() []Impact {
	return []Impact{ImpactIsolated, ImpactComponent, ImpactPhase, ImpactProject}
}

// Levels lists every Level in canonical order.
func Levels() []Level {
	return []Level{
		LevelPlanning, LevelDecomposition, LevelImplementation, LevelReview, LevelResearch,
	}
}

// Priorities lists every Priority in canonical order.
func Priorities() []Priority {
	return []Priority{PriorityLow, PriorityMedium, PriorityHigh, PriorityCritical}
}

// Statuses lists every Status in canonical order.
func Statuses() []Status {
	return []Status{
		StatusPending, StatusInProgress, StatusCompleted, StatusFailed, StatusBlocked,
	}
}

// Valid reports whether s is one of the Scope constants.
func (s Scope) Valid() bool {
	switch s {
	case ScopeSingle, ScopeNarrow, ScopeModerate, ScopeBroad, ScopeSystem:
		return true
	}
	return false
}

// Valid reports whether r is one of the Risk constants.
func (r Risk) Valid() bool {
	switch r {
	case RiskTrivial, RiskLow, RiskMedium, RiskHigh, RiskCritical:
		return true
	}
	return false
}

// Valid reports whether i is one of the Impact constants.
func (i Impact) Valid() bool {
	switch i {
	case ImpactIsolated, ImpactComponent, ImpactPhase, ImpactProject:
		return true
	}
	return false
}

// Valid reports whether l is one of the Level constants.
func (l Level) Valid() bool {
	switch l {
	case LevelPlanning, LevelDecomposition, LevelImplementation, LevelReview, LevelResearch:
		return true
	}
	return false
}

// Valid reports whether p is one of the Priority constants.
func (p Priority) Valid() bool {
	switch p {
	case PriorityLow, PriorityMedium, PriorityHigh, PriorityCritical:
		return true
	}
	return false
}

// Valid reports whether s is one of the Status constants.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusInProgress, StatusCompleted, StatusFailed, StatusBlocked:
		return true
	}
	return false
}

// Resolved returns s, or ScopeNarrow when s is empty or invalid.
func (s Scope) Resolved() Scope {
	if !s.Valid() {
		return ScopeNarrow
	}
	return s
}

// Resolved returns r, or RiskMedium when r is empty or invalid.
func (r Risk) Resolved() Risk {
	if !r.Valid() {
		return RiskMedium
	}
	return r
}

// Resolved returns i, or ImpactIsolated when i is empty or invalid.
func (i Impact) Resolved() Impact {
	if !i.Valid() {
		return ImpactIsolated
	}
	return i
}

// CostEstimate returns the relative cost of the scope: 1.0 for single up to
// 5.0 for system. An empty or invalid scope counts as narrow (2.0).
func (s Scope) CostEstimate() float64 {
	switch s.Resolved() {
	case ScopeSingle:
		return 1.0
	case ScopeModerate:
		return 3.0
	case ScopeBroad:
		return 4.0
	case ScopeSystem:
		return 5.0
	}
	return 2.0
}

// TokenEstimate returns the expected token count of the scope: 500 for
// single up to 10000 for system. An empty or invalid scope counts as narrow
// (1500).
func (s Scope) TokenEstimate() int {
	switch s.Resolved() {
	case ScopeSingle:
		return 500
	case ScopeModerate:
		return 3000
	case ScopeBroad:
		return 6000
	case ScopeSystem:
		return 10000
	}
	return 1500
}

// SuccessProbability returns the probability that a task of this risk
// succeeds: 0.98 for trivial down to 0.50 for critical. An empty or invalid
// risk counts as medium (0.80).
func (r Risk) SuccessProbability() float64 {
	switch r.Resolved() {
	case RiskTrivial:
		return 0.98
	case RiskLow:
		return 0.90
	case RiskHigh:
		return 0.65
	case RiskCritical:
		return 0.50
	}
	return 0.80
}

// Weight returns the failure probability 1 - SuccessProbability, computed in
// float64 at run time (for medium it is 0.19999999999999996, not 0.2).
func (r Risk) Weight() float64 {
	p := r.SuccessProbability()
	return 1 - p
}

// Weight returns the impact weight: 1.0 for isolated, 1.5 for component, 2.0
// for phase and 3.0 for project. An empty or invalid impact counts as
// isolated.
func (i Impact) Weight() float64 {
	switch i.Resolved() {
	case ImpactComponent:
		return 1.5
	case ImpactPhase:
		return 2.0
	case ImpactProject:
		return 3.0
	}
	return 1.0
}

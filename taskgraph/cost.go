package taskgraph

import "math"

// PropagationMode selects how WorkflowCost derives a task's effective
// success probability.
type PropagationMode string

// Propagation modes. PropagationDAG is the default.
const (
	// PropagationIndependent uses each task's own success probability.
	PropagationIndependent PropagationMode = "independent"
	// PropagationDAG lowers a task's probability by the failure
	// probabilities of its prerequisites (see EffectiveProbability).
	PropagationDAG PropagationMode = "dag-propagate"
)

func (m PropagationMode) valid() bool {
	return m == PropagationIndependent || m == PropagationDAG
}

// EVConfig tunes CalculateTaskEV. The zero value adds nothing to the cost
// of failure, so the expected value equals scopeCost * impactWeight.
type EVConfig struct {
	// Retries caps the expected number of retries when positive.
	Retries float64 `json:"retries"`
	// FallbackCost is added to the cost of a failure.
	FallbackCost float64 `json:"fallbackCost"`
	// TimeLost is the cost of each expected retry.
	TimeLost float64 `json:"timeLost"`
	// ValueRate multiplies the expected value when non-zero.
	ValueRate float64 `json:"valueRate"`
}

// EVResult is the expected cost of one task.
type EVResult struct {
	EV              float64 `json:"ev"`
	PSuccess        float64 `json:"pSuccess"`
	ExpectedRetries float64 `json:"expectedRetries"`
}

// WorkflowCostOptions configures WorkflowCost. The zero value excludes
// completed tasks, keeps every entry, propagates failure along the DAG with
// quality retention 0.9 for edges without one, and uses the zero EVConfig.
type WorkflowCostOptions struct {
	// IncludeCompleted costs completed tasks like any other.
	IncludeCompleted bool `json:"includeCompleted"`
	// Limit keeps only the first Limit entries (in topological order) when
	// set; it must not be negative.
	Limit *int `json:"limit,omitempty"`
	// PropagationMode is PropagationDAG when empty.
	PropagationMode PropagationMode `json:"propagationMode,omitempty"`
	// DefaultQualityRetention applies to edges without a retention; 0.9
	// when nil.
	DefaultQualityRetention *float64 `json:"defaultQualityRetention,omitempty"`
	// EV configures CalculateTaskEV; nil means the zero EVConfig.
	EV *EVConfig `json:"ev,omitempty"`
}

// WorkflowCostEntry is the cost of one task. Probability always equals
// PEffective.
type WorkflowCostEntry struct {
	TaskID       string  `json:"taskId"`
	Name         string  `json:"name"`
	EV           float64 `json:"ev"`
	PIntrinsic   float64 `json:"pIntrinsic"`
	PEffective   float64 `json:"pEffective"`
	Probability  float64 `json:"probability"`
	ScopeCost    float64 `json:"scopeCost"`
	ImpactWeight float64 `json:"impactWeight"`
}

// WorkflowCostResult is the cost of a workflow: entries in topological
// order, their total and their average (0 without entries).
type WorkflowCostResult struct {
	Tasks           []WorkflowCostEntry `json:"tasks"`
	TotalEV         float64             `json:"totalEv"`
	AverageEV       float64             `json:"averageEv"`
	PropagationMode PropagationMode     `json:"propagationMode"`
}

// CalculateTaskEV returns the expected cost of a task with success
// probability p (not validated):
//
//	expectedRetries = (1-p)/p, or 0 when p <= 0, capped at cfg.Retries when that is positive
//	cSuccess = scopeCost*impactWeight
//	cFail    = scopeCost*impactWeight + cfg.FallbackCost + cfg.TimeLost*expectedRetries
//	ev       = p*cSuccess + (1-p)*cFail, times cfg.ValueRate when that is non-zero
//
// With the zero config cFail equals cSuccess, so ev does not depend on p.
func CalculateTaskEV(p, scopeCost, impactWeight float64, cfg EVConfig) EVResult {
	retries := 0.0
	if p > 0 {
		retries = (1 - p) / p
	}
	if cfg.Retries > 0 && retries > cfg.Retries {
		retries = cfg.Retries
	}
	// Each product is converted to float64 so that the compiler cannot fuse
	// it with the following addition: the results must match, bit for bit,
	// an evaluation that rounds every operation.
	cSuccess := float64(scopeCost * impactWeight)
	cFail := float64(scopeCost*impactWeight) + cfg.FallbackCost +
		float64(cfg.TimeLost*retries)
	ev := float64(p*cSuccess) + float64((1-p)*cFail)
	if cfg.ValueRate != 0 {
		ev *= cfg.ValueRate
	}
	return EVResult{EV: ev, PSuccess: p, ExpectedRetries: retries}
}

// retainedFactor is the share of a prerequisite's outcome that reaches its
// dependent: pU + (1-pU)*qr. qr = 1 passes no failure on; qr = 0 passes the
// whole failure probability on.
func retainedFactor(pU, qr float64) float64 {
	return pU + float64((1-pU)*qr)
}

// EffectiveProbability returns the success probability of task id once the
// failures of its prerequisites are taken into account. In independent mode,
// or without prerequisites, it returns pIntrinsic. Otherwise it multiplies
// pIntrinsic by pU + (1-pU)*qr for each prerequisite u in dependency order
// that has a probability pU in upstream, where qr is the edge's quality
// retention or defaultQR when the edge has none. Prerequisites missing from
// upstream are skipped, and so is an unknown id.
func EffectiveProbability(g *TaskGraph, id string, upstream map[string]float64,
	defaultQR float64, mode PropagationMode, pIntrinsic float64) float64 {
	v, ok := g.index[id]
	if mode == PropagationIndependent || !ok || len(g.in[v]) == 0 {
		return pIntrinsic
	}
	product := 1.0
	for _, u := range g.in[v] {
		pU, ok := upstream[g.ids[u]]
		if !ok {
			continue
		}
		product *= retainedFactor(pU, g.retention(u, v, defaultQR))
	}
	return pIntrinsic * product
}

// retention returns the quality retention of the edge u -> v, or defaultQR
// when it has none.
func (g *TaskGraph) retention(u, v int32, defaultQR float64) float64 {
	if d := g.edges[edgePair{from: u, to: v}]; d.hasQR {
		return d.qr
	}
	return defaultQR
}

// WorkflowCost computes the expected cost of every task in topological
// order. A completed task is skipped unless opts.IncludeCompleted is set;
// it then counts as certain (probability 1) for its dependents. For the
// others, the effective probability comes from EffectiveProbability over
// the probabilities already computed, and the cost from CalculateTaskEV
// with the resolved scope cost and impact weight. opts.Limit keeps the
// first entries before the totals are summed.
//
// It fails with *InvalidInputError for an unknown propagation mode (field
// "propagationMode") or a negative limit (field "limit"), and with
// *CircularDependencyError on a cyclic graph.
func WorkflowCost(g *TaskGraph, opts WorkflowCostOptions) (WorkflowCostResult, error) {
	mode := opts.PropagationMode
	if mode == "" {
		mode = PropagationDAG
	}
	if !mode.valid() {
		return WorkflowCostResult{}, invalidInput("propagationMode", msgUnion)
	}
	defaultQR := defaultQualityRetention
	if opts.DefaultQualityRetention != nil {
		defaultQR = *opts.DefaultQualityRetention
	}
	if opts.Limit != nil && *opts.Limit < 0 {
		return WorkflowCostResult{}, invalidInput("limit", "must not be negative")
	}
	var cfg EVConfig
	if opts.EV != nil {
		cfg = *opts.EV
	}

	order, err := g.topoIndices(nil)
	if err != nil {
		return WorkflowCostResult{}, err
	}

	// Every prerequisite comes earlier in the topological order, so each
	// one has its propagated probability by the time a dependent needs it.
	propagated := make([]float64, len(g.ids))
	entries := make([]WorkflowCostEntry, 0, len(order))
	for _, v := range order {
		r := ResolveDefaults(g.attrs[v])
		pI := r.SuccessProbability
		pE := pI
		if mode == PropagationDAG && len(g.in[v]) > 0 {
			product := 1.0
			for _, u := range g.in[v] {
				product *= retainedFactor(propagated[u], g.retention(u, v, defaultQR))
			}
			pE = pI * product
		}
		if r.Status == StatusCompleted && !opts.IncludeCompleted {
			propagated[v] = 1.0
			continue
		}
		propagated[v] = pE
		ev := CalculateTaskEV(pE, r.CostEstimate, r.ImpactWeight, cfg)
		entries = append(entries, WorkflowCostEntry{
			TaskID:       g.ids[v],
			Name:         r.Name,
			EV:           ev.EV,
			PIntrinsic:   pI,
			PEffective:   pE,
			Probability:  pE,
			ScopeCost:    r.CostEstimate,
			ImpactWeight: r.ImpactWeight,
		})
	}

	if opts.Limit != nil && *opts.Limit < len(entries) {
		entries = entries[:*opts.Limit]
	}
	total := 0.0
	for _, e := range entries {
		total += e.EV
	}
	average := 0.0
	if len(entries) > 0 {
		average = total / float64(len(entries))
	}
	return WorkflowCostResult{
		Tasks:           entries,
		TotalEV:         total,
		AverageEV:       average,
		PropagationMode: mode,
	}, nil
}

// LegacyEV returns the expected cost of the earlier standalone taskgraph
// CLI. That model assumes 2 retries, a fallback cost of 20 and 0.5 time lost
// per retry at a value rate of 100. It uses scopeCost both as the cost and
// as the retry fee. With q = 1 - p and r = 2:
//
//	Ps = 1 - q^(r+1)
//	ER = (q/p) * (1 - q^(r+1) - (r+1)*p*q^r) / Ps, or 0 unless Ps > 0 and p < 1
//	EV = (Ps*(c + f*ER) + (1-Ps)*(c + r*f + 20 + 0.5*100)) * impactWeight
//
// It does no propagation.
func LegacyEV(p, scopeCost, impactWeight float64) float64 {
	const (
		retries   = 2.0
		fallback  = 20.0
		timeLost  = 0.5
		valueRate = 100.0
	)
	fee, cost := scopeCost, scopeCost
	q := 1 - p
	ps := 1 - math.Pow(q, retries+1)
	expectedRetries := 0.0
	if ps > 0 && p < 1 {
		inner := 1 - math.Pow(q, retries+1) - float64(float64((retries+1)*p)*math.Pow(q, retries))
		expectedRetries = float64((q/p)*inner) / ps
	}
	cSuccess := cost + float64(fee*expectedRetries)
	cFail := cost + float64(retries*fee) + fallback + float64(timeLost*valueRate)
	return float64(float64(ps*cSuccess)+float64((1-ps)*cFail)) * impactWeight
}

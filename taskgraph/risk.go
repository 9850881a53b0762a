package taskgraph

import "fmt"

// RiskPathResult is the path with the highest cumulative risk and its total.
type RiskPathResult struct {
	Path      []string `json:"path"`
	TotalRisk float64  `json:"totalRisk"`
}

// RiskDistribution lists task ids by risk label. Unspecified holds tasks
// whose risk is empty or invalid. No list is nil.
type RiskDistribution struct {
	Trivial     []string `json:"trivial"`
	Low         []string `json:"low"`
	Medium      []string `json:"medium"`
	High        []string `json:"high"`
	Critical    []string `json:"critical"`
	Unspecified []string `json:"unspecified"`
}

// DecomposeResult is the advice of ShouldDecomposeTask: whether to split a
// task, and why.
type DecomposeResult struct {
	ShouldDecompose bool     `json:"shouldDecompose"`
	Reasons         []string `json:"reasons"`
}

// riskWeight is the risk contribution of a task: its failure probability
// (risk default medium) times its impact weight (default isolated).
func riskWeight(a NodeAttrs) float64 {
	p := a.Risk.SuccessProbability()
	impact := a.Impact.Weight()
	// The conversion rounds the product, so that callers that add it up
	// cannot get a fused multiply-add with a different last bit.
	return float64((1 - p) * impact)
}

// RiskWeight returns the weight RiskPath gives a task:
// (1 - success probability) * impact weight, with the defaults for
// unassessed labels.
func RiskWeight(a NodeAttrs) float64 { return riskWeight(a) }

// RiskPath returns the path with the largest sum of RiskWeight (see
// WeightedCriticalPath) and that sum, added left to right from 0. It fails
// with *CircularDependencyError on a cyclic graph; an empty graph gives an
// empty path and 0.
func RiskPath(g *TaskGraph) (RiskPathResult, error) {
	path, err := WeightedCriticalPath(g, func(_ string, a NodeAttrs) float64 {
		return riskWeight(a)
	})
	if err != nil {
		return RiskPathResult{}, err
	}
	total := 0.0
	for _, id := range path {
		total += riskWeight(g.attrs[g.index[id]])
	}
	return RiskPathResult{Path: path, TotalRisk: total}, nil
}

// RiskDistributionOf groups the ids of g by risk label, each list in node
// order.
func RiskDistributionOf(g *TaskGraph) RiskDistribution {
	d := RiskDistribution{
		Trivial: []string{}, Low: []string{}, Medium: []string{},
		High: []string{}, Critical: []string{}, Unspecified: []string{},
	}
	for i, id := range g.ids {
		switch g.attrs[i].Risk {
		case RiskTrivial:
			d.Trivial = append(d.Trivial, id)
		case RiskLow:
			d.Low = append(d.Low, id)
		case RiskMedium:
			d.Medium = append(d.Medium, id)
		case RiskHigh:
			d.High = append(d.High, id)
		case RiskCritical:
			d.Critical = append(d.Critical, id)
		default:
			d.Unspecified = append(d.Unspecified, id)
		}
	}
	return d
}

// ShouldDecomposeTask advises splitting a task whose risk is high or
// critical, or whose scope is broad or system. Unassessed labels resolve to
// their defaults and never trigger. Reasons come in that order, worded
// "risk: high — failure probability 0.35" and
// "scope: broad — cost estimate 4.0".
func ShouldDecomposeTask(a NodeAttrs) DecomposeResult {
	r := ResolveDefaults(a)
	reasons := []string{}
	if r.Risk == RiskHigh || r.Risk == RiskCritical {
		reasons = append(reasons, fmt.Sprintf("risk: %s — failure probability %.2f",
			r.Risk, r.RiskWeight))
	}
	if r.Scope == ScopeBroad || r.Scope == ScopeSystem {
		reasons = append(reasons, fmt.Sprintf("scope: %s — cost estimate %.1f",
			r.Scope, r.CostEstimate))
	}
	return DecomposeResult{ShouldDecompose: len(reasons) > 0, Reasons: reasons}
}

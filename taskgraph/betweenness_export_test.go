package taskgraph

// BetweennessScores exposes the unnormalised betweenness scores computed
// by the given number of workers to the external tests.
func BetweennessScores(g *TaskGraph, workers int) []float64 {
	return g.betweenness(workers)
}

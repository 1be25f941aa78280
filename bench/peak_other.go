//go:build !amd64

package bench

// fmaLoops returns the FMA loops of this architecture: none yet outside
// amd64, so the benchmarks report throughput without a fraction of peak.
func fmaLoops() []fmaLoop { return nil }

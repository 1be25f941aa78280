// Package bench holds gocnn's benchmark suites, run with
//
//	go test -run '^$' -bench . ./bench
//
// Each benchmark reports throughput (GFLOP/s) through b.ReportMetric. The
// SGEMM benchmarks also report the fraction of the single-core FMA peak,
// which the suite measures itself on the machine it runs on (this file)
// rather than trusting a figure from a data sheet: turbo, AVX-512 frequency
// licences and virtual machines all move it.
package bench

import (
	"sync"
	"time"
)

// fmaLoop is an assembly loop of independent FMAs: iters iterations of
// flopsPerIter floating-point operations each, with no memory traffic.
type fmaLoop struct {
	name         string
	run          func(iters int)
	flopsPerIter int
}

// measureGFLOPS runs l for about 20 ms a few times and returns the best
// rate, in GFLOP per second of CPU time where that is measured (a run that
// waits for the core loses wall-clock time but no CPU time), else per
// wall-clock second: the best run is the one least disturbed by other work.
func (l fmaLoop) measureGFLOPS() float64 {
	iters := 1 << 12
	for {
		start := time.Now()
		l.run(iters)
		if time.Since(start) > 20*time.Millisecond {
			break
		}
		iters *= 2
	}
	best := 0.0
	for range 5 {
		start, cpu := time.Now(), processCPUTime()
		l.run(iters)
		elapsed := time.Since(start)
		if cpu := processCPUTime() - cpu; cpu > 0 {
			elapsed = cpu
		}
		best = max(best, float64(iters)*float64(l.flopsPerIter)/elapsed.Seconds()/1e9)
	}
	return best
}

var (
	peakOnce   sync.Once
	peakGFLOPS float64
)

// singleCorePeak returns the best FMA rate of one core over the vector widths
// this CPU has, in GFLOP/s, measured once per run; 0 where there is no
// assembly loop for this architecture.
func singleCorePeak() float64 {
	peakOnce.Do(func() {
		for _, l := range fmaLoops() {
			peakGFLOPS = max(peakGFLOPS, l.measureGFLOPS())
		}
	})
	return peakGFLOPS
}

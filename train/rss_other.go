//go:build !unix

package train

// maxRSSMB and cpuSeconds return 0: this system has no getrusage(2), and
// results.json reports a peak resident memory and CPU time of 0 (unknown).
func maxRSSMB() float64 { return 0 }

func cpuSeconds() float64 { return 0 }

//go:build !unix

package train

// maxRSSMB returns 0: this system has no getrusage(2), and results.json
// reports a peak resident memory of 0 (unknown).
func maxRSSMB() float64 { return 0 }

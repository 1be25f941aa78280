//go:build !unix

package kernels

import (
	"testing"
	"time"
)

// processCPUTime would return the CPU time used by this process; outside unix
// it is not measured (0), and benchmarks report wall-clock figures only.
func processCPUTime() time.Duration { return 0 }

// guardedFloats returns n floats; outside unix without a guard page after
// them.
func guardedFloats(_ *testing.T, n int) []float32 { return make([]float32, n) }

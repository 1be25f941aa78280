//go:build !unix

package bench

import "time"

// processCPUTime would return the CPU time used by this process; outside unix
// it is not measured (0), and benchmarks then report wall-clock rates only.
func processCPUTime() time.Duration { return 0 }

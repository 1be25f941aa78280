//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPUTime returns the CPU time (user + system) used so far by all the
// threads of this process. On a machine shared with other work, rates per CPU
// second are steadier than rates per wall-clock second: a thread that waits
// for a core spends wall time but no CPU time.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

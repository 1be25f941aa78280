//go:build unix

package train

// The process's peak resident memory and CPU time, from getrusage(2).

import (
	"runtime"
	"syscall"
	"time"
)

// maxRSSMB returns the peak resident set size of the process in MB (10⁶
// bytes), or 0 if the system does not report it.
func maxRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	bytes := float64(ru.Maxrss) * 1024 // Linux and the BSDs report kilobytes
	if runtime.GOOS == "darwin" {
		bytes = float64(ru.Maxrss) // macOS reports bytes
	}
	return bytes / 1e6
}

// cpuSeconds returns the user and system CPU time the process has used, or
// 0 if the system does not report it.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

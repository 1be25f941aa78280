//go:build !linux

package kernels

// osYield would give the processor to another thread of the machine; outside
// Linux the pool relies on the operating system's preemption instead.
func osYield() {}

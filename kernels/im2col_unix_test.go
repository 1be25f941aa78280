//go:build unix

package kernels

import (
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// processCPUTime returns the CPU time (user + system) used so far by all the
// threads of this process: on a machine shared with other work, per-CPU-second
// figures are steadier than wall-clock ones.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// guardedFloats returns n floats that end where an inaccessible page
// begins, so a kernel that reads or writes past the end of the slice
// crashes the test instead of passing unnoticed.
func guardedFloats(t *testing.T, n int) []float32 {
	page := syscall.Getpagesize()
	size := (n*4 + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	t.Cleanup(func() { syscall.Munmap(mem) })
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[size-n*4])), n)
}

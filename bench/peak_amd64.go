package bench

import "github.com/klauspost/cpuid/v2"

// FMA loops for amd64 (peak_amd64.s).

// fmaLoopYMM runs iters iterations of 12 independent 256-bit FMAs (192 flops).
func fmaLoopYMM(iters int)

// fmaLoopZMM runs iters iterations of 24 independent 512-bit FMAs (768 flops).
func fmaLoopZMM(iters int)

// fmaLoops returns the loops this CPU can run.
func fmaLoops() []fmaLoop {
	var loops []fmaLoop
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		loops = append(loops, fmaLoop{name: "ymm", run: fmaLoopYMM, flopsPerIter: 12 * 8 * 2})
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		loops = append(loops, fmaLoop{name: "zmm", run: fmaLoopZMM, flopsPerIter: 24 * 16 * 2})
	}
	return loops
}

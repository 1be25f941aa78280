package kernels

import "github.com/klauspost/cpuid/v2"

// platformSets returns the assembly kernel sets this amd64 CPU can run,
// best last: AVX2+FMA3, then AVX-512F.
func platformSets(cs cacheSizes) []kernelSet {
	var s []kernelSet
	if cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3) {
		s = append(s, newKernelSet(AVX2, avx2MicroKernel, cs))
	}
	if cpuid.CPU.Supports(cpuid.AVX512F) {
		s = append(s, newKernelSet(AVX512, avx512MicroKernel, cs))
	}
	return s
}

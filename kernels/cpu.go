package kernels

import (
	"fmt"
	"os"

	"github.com/klauspost/cpuid/v2"
)

// CPU dispatch.
//
// The implementation of each dispatched kernel is chosen once, at start-up,
// from the features of the CPU (read with github.com/klauspost/cpuid). The
// environment variable GOCNN_CPU forces a path ("generic" works everywhere);
// tests and benchmarks use UsePath to run every path the machine supports.
//
// A path is a kernelSet: one function value per dispatched kernel. The sets
// this machine can run are built once, by platformSets (cpu_amd64.go on
// amd64, cpu_other.go elsewhere), from the CPU features and cache sizes.

// Path names one set of kernel implementations.
type Path string

// The kernel paths. Generic is plain Go and runs on every machine; AVX2 needs
// AVX2 and FMA3; AVX512 needs AVX-512F (and the operating system's support for
// the 512-bit register state, which cpuid checks).
const (
	Generic Path = "generic"
	AVX2    Path = "avx2"
	AVX512  Path = "avx512"
)

// kernelSet holds the function values that dispatched kernels call.
type kernelSet struct {
	path  Path
	sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
	gemm  *gemmDriver // the blocked SGEMM behind sgemm, with its micro-kernel and block sizes
}

// newKernelSet builds the set of a path from its GEMM micro-kernel.
func newKernelSet(p Path, uk microKernel, cs cacheSizes) kernelSet {
	d := newGemmDriver(uk, cs)
	return kernelSet{path: p, sgemm: d.sgemm, gemm: d}
}

// cacheSizes are the per-core data cache sizes in bytes that the blocking
// parameters of the kernels are derived from.
type cacheSizes struct {
	l1d, l2, l3 int
}

// caches holds this machine's cache sizes. Where cpuid cannot tell (some
// virtual machines, some architectures), it falls back to 32 KiB of L1d,
// 1 MiB of L2 and 4 MiB of L3 per core, which are modest for any CPU with
// AVX2 and so keep the blocks cache-resident.
var caches = detectCaches()

func detectCaches() cacheSizes {
	c := cacheSizes{l1d: 32 << 10, l2: 1 << 20, l3: 4 << 20}
	info := cpuid.CPU.Cache
	if info.L1D > 0 {
		c.l1d = info.L1D
	}
	if info.L2 > 0 {
		c.l2 = info.L2
	}
	if info.L3 > 0 {
		// cpuid reports the whole shared L3; each core gets its share.
		c.l3 = info.L3 / max(cpuid.CPU.PhysicalCores, 1)
	}
	return c
}

var genericSet = newKernelSet(Generic, genericMicroKernel, caches)

// sets lists every kernel set this machine can run, best last.
var sets = append([]kernelSet{genericSet}, platformSets(caches)...)

// impl is the kernel set in use.
var impl = pickKernelSet()

func pickKernelSet() kernelSet {
	want := os.Getenv("GOCNN_CPU")
	if want == "" {
		return sets[len(sets)-1]
	}
	for _, s := range sets {
		if string(s.path) == want {
			return s
		}
	}
	fmt.Fprintf(os.Stderr, "gocnn: GOCNN_CPU=%q is not available on this machine (have %v); using %s\n", want, Paths(), sets[len(sets)-1].path)
	return sets[len(sets)-1]
}

// CurrentPath reports the kernel path in use.
func CurrentPath() Path { return impl.path }

// Paths lists the kernel paths this machine supports, best last.
func Paths() []Path {
	var ps []Path
	for _, s := range sets {
		ps = append(ps, s.path)
	}
	return ps
}

// UsePath switches to the named kernel path and returns the previous one. It
// is meant for tests and benchmarks and must not be called while kernels run.
func UsePath(p Path) (Path, error) {
	for _, s := range sets {
		if s.path == p {
			old := impl.path
			impl = s
			return old, nil
		}
	}
	return impl.path, fmt.Errorf("kernels: path %q is not available on this machine (have %v)", p, Paths())
}

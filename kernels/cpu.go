package kernels

import (
	"fmt"
	"os"
)

// CPU dispatch.
//
// The implementation of each dispatched kernel is chosen once, at start-up,
// from the features of the CPU. The environment variable GOCNN_CPU forces a
// path ("generic" works everywhere); tests use UsePath to run every path the
// machine supports.

// Path names one set of kernel implementations.
type Path string

// The kernel paths. Generic is plain Go and runs on every machine.
const Generic Path = "generic"

// kernelSet holds the function values that dispatched kernels call.
type kernelSet struct {
	path  Path
	sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

var genericSet = kernelSet{path: Generic, sgemm: sgemmGo}

// impl is the kernel set in use.
var impl = pickKernelSet()

// availableSets lists every kernel set this machine can run, best last.
func availableSets() []kernelSet { return []kernelSet{genericSet} }

func pickKernelSet() kernelSet {
	sets := availableSets()
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

// Paths lists the kernel paths this machine supports.
func Paths() []Path {
	var ps []Path
	for _, s := range availableSets() {
		ps = append(ps, s.path)
	}
	return ps
}

// UsePath switches to the named kernel path and returns the previous one. It
// is meant for tests and benchmarks and must not be called while kernels run.
func UsePath(p Path) (Path, error) {
	for _, s := range availableSets() {
		if s.path == p {
			old := impl.path
			impl = s
			return old, nil
		}
	}
	return impl.path, fmt.Errorf("kernels: path %q is not available on this machine (have %v)", p, Paths())
}

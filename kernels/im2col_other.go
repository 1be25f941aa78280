//go:build !amd64

package kernels

// runSets holds no assembly run primitives outside amd64: the Go loops of
// im2col_runs.go serve every path.
var runSets map[Path]*runKernels

//go:build !amd64

package kernels

// winogradSets holds no assembly transforms outside amd64: the plain Go row
// kernels serve every path.
var winogradSets map[Path]winogradKernels

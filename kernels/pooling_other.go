//go:build !amd64

package kernels

// maxPoolVecSets holds no assembly max-pooling kernels outside amd64: the
// plain Go row loop (maxPoolRowGo) serves every path.
var maxPoolVecSets map[Path]*maxPoolVecKernels

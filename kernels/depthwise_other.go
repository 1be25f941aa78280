//go:build !amd64

package kernels

// dwFastSets holds no assembly depthwise kernels outside amd64: the plain Go
// loops serve every path.
var dwFastSets map[Path]*dwFastKernels

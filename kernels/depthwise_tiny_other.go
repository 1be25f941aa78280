//go:build !amd64

package kernels

// dwTinyKernels holds no tiny-plane depthwise kernels outside amd64.
var dwTinyKernels map[Path]*dwTinySet

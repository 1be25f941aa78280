//go:build !amd64

package kernels

// actVecSets holds no assembly activation kernels outside amd64: the plain Go
// float32 loops of activation_f32.go serve every path.
var actVecSets map[Path]*actVecKernels

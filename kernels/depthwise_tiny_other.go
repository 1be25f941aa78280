//go:build !amd64

package kernels

// dwTinyPaths holds no path with tiny-plane depthwise kernels outside amd64.
var dwTinyPaths map[Path]bool

func dwTinySum(*dwTinyArgs) { panic("kernels: no tiny-plane depthwise kernel on this architecture") }

func dwTinyFilterSum(*dwTinyArgs) {
	panic("kernels: no tiny-plane depthwise kernel on this architecture")
}

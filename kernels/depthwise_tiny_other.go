//go:build !amd64

package kernels

// dwTinyLanes holds no path with tiny-plane depthwise kernels outside amd64.
var dwTinyLanes map[Path]int

func dwTinySum(*dwTinyArgs) { panic("kernels: no tiny-plane depthwise kernel on this architecture") }

func dwTinyFilterSum(*dwTinyArgs) {
	panic("kernels: no tiny-plane depthwise kernel on this architecture")
}

//go:build !amd64

package kernels

// platformSets returns the kernel sets beyond Generic that this CPU can run:
// none yet outside amd64, where the plain-Go kernels serve.
func platformSets(cacheSizes) []kernelSet { return nil }

// Package kernels holds the float32 compute of gocnn: plain functions over flat
// slices, with no knowledge of tensors, graphs or layers.
//
// Every tensor in gocnn is a contiguous NCHW float32 slice, so every kernel here
// takes slices plus the sizes that give them meaning (for example m, n, k and
// the leading dimensions of a GEMM, or a ConvParams for a convolution). Kernels
// never allocate in their hot paths: scratch space is handed in by the caller,
// which sizes it with the matching ...WorkspaceSize function.
//
// Each optimised kernel has a plain reference beside it (the ...Ref functions):
// the obvious loops, kept both as documentation of what the kernel computes and
// as the yardstick the tests compare the fast paths against. Which
// implementation runs is decided once at start-up from the CPU's features (see
// cpu.go) and can be forced with the GOCNN_CPU environment variable.
//
// Work is spread over cores with Parallel (pool.go). Chunk boundaries depend
// only on the problem size, never on the number of workers, so every result is
// bit-identical whatever GOMAXPROCS is.
package kernels

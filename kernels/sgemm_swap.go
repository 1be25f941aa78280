package kernels

// The swapped product.
//
// C = A·Bᵀ with B much wider than A is a fully connected layer's forward
// pass, x·Wᵀ: m is the batch, n the output features, k the input features.
// The blocked algorithm packs op(B) = Wᵀ, all n·k floats of the weight,
// gathering each micro-panel's columns from k-long rows, and each packed
// float then serves only ⌈m/mr⌉ tiles. The same product transposed,
//
//	Cᵀ = B·Aᵀ    (n×m: W, read in place, times xᵀ, which is packed)
//
// reads the weight in place as its first operand, as the micro-kernels do
// with an untransposed A, and packs only x. Every element is the same chain
// of the same products in the same order (a·b = b·a, and the k blocks depend
// on k alone), so the result has the same bits. What it costs is two
// transposes of C, into a scratch Cᵀ (only when beta ≠ 0, so C's old values
// take part) and back.
//
// Measured on the AVX-512 path, calls of the two forms alternating in one
// process, 21 pairs a shape, median speed-ups on one / two threads:
//
//	m × n × k             what it is                                   speed-up
//	64 × 1024 × 6272      VGG16-BN's first classifier layer, width 1/4  1.26 / 1.25
//	64 × 4096 × 25088     VGG-16's first classifier layer               1.29 / 1.28
//	32 × 1000 × 2048      ResNet-50's classifier                       1.62 / 1.43
//	64 × 1024 × 1024      a 1024-feature hidden layer                   1.09 / 1.22
//	64 × 256 × 4096                                                     1.26 / 1.27
//	1 × 1000 × 2048       one image                                     1.33 / 1.36
//	256 × 1024 × 4096     n = 4m                                        1.00 / 1.02
//
// On the AVX2 path (same harness): 1.18 / 1.07, 1.37 / 1.43, 1.15 / 1.13,
// 1.14 / 1.06 and 1.00 / 1.02 on the first, third, fourth, sixth and last
// of those shapes.
//
// It loses where k is short (64 × 1000 × 64: 0.83 / 0.58, 64 × 128 × 64:
// 0.79 / 0.87; about even at k = 256), where B is not much wider than A
// (100 × 150 × 2048: 0.94 / 0.93) and on tiny products (2 × 10 × 1024:
// 0.92 / 0.80), hence the three bounds below. A convolution's weight
// gradient, dY·colᵀ, has this form too, and qualifies with few output
// channels and tiles of at least swapMinK pixels: 16 → 16 channels, 3×3, on
// 32×32 maps at batch 64 and on 112×112 at batch 16, 1.24–1.37× on one and
// two threads (Conv2dBackwardFilter, 31 pairs). Of fourteen convolution
// shapes of the zoo tried, no other qualified.

const (
	// swapMinK is the least k for which the swapped product pays: the
	// weight it no longer packs is n·k floats, the transposes 2·m·n.
	swapMinK = 1024
	// swapMinRatio is the least n/m: with a B not much wider than A,
	// packing it costs about what packing A costs in the swapped product.
	swapMinRatio = 4
	// swapMinWeight is the least n·k: below it the second call into the
	// driver and the transposes cost more than packing B.
	swapMinWeight = 1 << 16
)

// swapPays reports whether the driver computes an m×n×k product as Cᵀ =
// B·Aᵀ: on a path whose micro-kernel reads operands in place, for C = A·Bᵀ
// within the bounds above, provided the swapped product reads B in place
// (see packing).
func (d *gemmDriver) swapPays(transA, transB bool, m, n, k, lda, ldb int) bool {
	if !d.strided || transA || !transB {
		return false
	}
	if k < swapMinK || n < swapMinRatio*m || n*k < swapMinWeight {
		return false
	}
	packsB, _ := d.packing(false, true, n, m, k, ldb, lda) // the swapped product's A is B
	return !packsB
}

// swapped computes C = alpha·A·Bᵀ + beta·C (A m×k, B n×k) as the transposed
// product in a scratch Cᵀ.
func (d *gemmDriver) swapped(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ws := d.workspace()
	ws.t = grow(ws.t, n*m)
	ct := ws.t[:n*m]
	if beta != 0 {
		d.transpose(ct, c, m, n, m, ldc)
	}
	d.blocked(false, true, n, m, k, alpha, b, ldb, a, lda, beta, ct, m)
	d.transpose(c, ct, n, m, ldc, m)
	d.releaseWorkspace(ws)
}

// transposeGo sets dst[j·ldd + i] = src[i·lds + j] for i < rows, j < cols.
func transposeGo(dst, src []float32, rows, cols, ldd, lds int) {
	for i := range rows {
		for j, v := range src[i*lds : i*lds+cols] {
			dst[j*ldd+i] = v
		}
	}
}

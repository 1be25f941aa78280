// Batch-norm column kernels for AVX-512 and AVX2 (see batchnorm_rows.go for
// what they compute and batchnorm_amd64.go for the calling convention).
//
// The normalising kernels go through the block row by row, and along each
// row in strips of 16 columns (AVX-512) or 8 (AVX2), so that memory is read
// in long runs that the hardware prefetchers follow, with the strip's
// per-column coefficients read from arrays that stay in L1. The summing
// kernels go strip by strip, and down each strip row by row, with the
// strip's running sums and shifts in registers: walking rows first, they
// loaded and stored the sums at every row (whole training passes, one
// thread, batch 64: forward 1.05–1.38× and backward 0.93–1.20× faster this
// way, the least on planes of 256 floats and more, whose rows then lie far
// apart). Either way a column's sum gets its rows in row order,
// and every operation is a separate IEEE operation (no FMA), exactly as in
// the Go loops.
//
// Unlike the Go loops, the kernels run with the MXCSR's flush-to-zero and
// denormals-are-zero bits set (putting the caller's MXCSR back): a denormal
// input counts as a zero of its sign and a result below 2^-126 becomes one,
// as in the GEMM kernels. On denormal data the forward and backward passes
// were otherwise 4–5 times slower (microcode assists).
//
// Registers: SI, BX, R13 (and DI) walk the rows of the float32 blocks, R8
// is the row step in bytes, R9 holds the rows, CX the number of strips, DX
// counts rows or strips and AX is the column index of the strip.

#include "textflag.h"
#include "mxcsr_amd64.h"

// func bnColSumsAVX512(x *float32, stride, rows, cols int, k, s1, s2 *float64)
//
//	for r := 0; r < rows; r++ {
//		for e := 0; e < cols; e++ {
//			d := float64(x[r*stride+e]) - k[e]
//			s1[e] += d
//			s2[e] += d * d
//		}
//	}
TEXT ·bnColSumsAVX512(SB), NOSPLIT, $8-56
	FLUSHDENORMALS
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ rows+16(FP), R9
	MOVQ cols+24(FP), CX
	MOVQ k+32(FP), R10
	MOVQ s1+40(FP), R11
	MOVQ s2+48(FP), R12
	SHRQ $4, CX
	XORQ AX, AX

sums512Strip:
	VMOVUPD (R10)(AX*8), Z6
	VMOVUPD 64(R10)(AX*8), Z7
	VMOVUPD (R11)(AX*8), Z2
	VMOVUPD 64(R11)(AX*8), Z3
	VMOVUPD (R12)(AX*8), Z4
	VMOVUPD 64(R12)(AX*8), Z5
	LEAQ    (SI)(AX*4), R13
	MOVQ    R9, DX

sums512Row:
	VCVTPS2PD (R13), Z0
	VCVTPS2PD 32(R13), Z1
	VSUBPD    Z6, Z0, Z0        // d = x − k
	VSUBPD    Z7, Z1, Z1
	VADDPD    Z0, Z2, Z2        // s1 + d
	VADDPD    Z1, Z3, Z3
	VMULPD    Z0, Z0, Z0        // d²
	VMULPD    Z1, Z1, Z1
	VADDPD    Z0, Z4, Z4        // s2 + d²
	VADDPD    Z1, Z5, Z5
	ADDQ      R8, R13
	DECQ      DX
	JNZ       sums512Row

	VMOVUPD Z2, (R11)(AX*8)
	VMOVUPD Z3, 64(R11)(AX*8)
	VMOVUPD Z4, (R12)(AX*8)
	VMOVUPD Z5, 64(R12)(AX*8)
	ADDQ    $16, AX
	DECQ    CX
	JNZ     sums512Strip
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnColSumsAVX2(x *float32, stride, rows, cols int, k, s1, s2 *float64)
//
// As bnColSumsAVX512, in strips of 8 columns.
TEXT ·bnColSumsAVX2(SB), NOSPLIT, $8-56
	FLUSHDENORMALS
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), R8
	SHLQ $2, R8
	MOVQ rows+16(FP), R9
	MOVQ cols+24(FP), CX
	MOVQ k+32(FP), R10
	MOVQ s1+40(FP), R11
	MOVQ s2+48(FP), R12
	SHRQ $3, CX
	XORQ AX, AX

sums256Strip:
	VMOVUPD (R10)(AX*8), Y6
	VMOVUPD 32(R10)(AX*8), Y7
	VMOVUPD (R11)(AX*8), Y2
	VMOVUPD 32(R11)(AX*8), Y3
	VMOVUPD (R12)(AX*8), Y4
	VMOVUPD 32(R12)(AX*8), Y5
	LEAQ    (SI)(AX*4), R13
	MOVQ    R9, DX

sums256Row:
	VCVTPS2PD (R13), Y0
	VCVTPS2PD 16(R13), Y1
	VSUBPD    Y6, Y0, Y0        // d = x − k
	VSUBPD    Y7, Y1, Y1
	VADDPD    Y0, Y2, Y2        // s1 + d
	VADDPD    Y1, Y3, Y3
	VMULPD    Y0, Y0, Y0        // d²
	VMULPD    Y1, Y1, Y1
	VADDPD    Y0, Y4, Y4        // s2 + d²
	VADDPD    Y1, Y5, Y5
	ADDQ      R8, R13
	DECQ      DX
	JNZ       sums256Row

	VMOVUPD Y2, (R11)(AX*8)
	VMOVUPD Y3, 32(R11)(AX*8)
	VMOVUPD Y4, (R12)(AX*8)
	VMOVUPD Y5, 32(R12)(AX*8)
	ADDQ    $8, AX
	DECQ    CX
	JNZ     sums256Strip
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnColDotsAVX512(dy, x *float32, stride, rows, cols int, k, s1, s2 *float64)
//
//	for r := 0; r < rows; r++ {
//		for e := 0; e < cols; e++ {
//			g := float64(dy[r*stride+e])
//			s1[e] += g
//			s2[e] += g * (float64(x[r*stride+e]) - k[e])
//		}
//	}
TEXT ·bnColDotsAVX512(SB), NOSPLIT, $8-64
	FLUSHDENORMALS
	MOVQ dy+0(FP), BX
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), CX
	MOVQ k+40(FP), R10
	MOVQ s1+48(FP), R11
	MOVQ s2+56(FP), R12
	SHRQ $4, CX
	XORQ AX, AX

dots512Strip:
	VMOVUPD (R10)(AX*8), Z6
	VMOVUPD 64(R10)(AX*8), Z7
	VMOVUPD (R11)(AX*8), Z2
	VMOVUPD 64(R11)(AX*8), Z3
	VMOVUPD (R12)(AX*8), Z4
	VMOVUPD 64(R12)(AX*8), Z5
	LEAQ    (BX)(AX*4), DI
	LEAQ    (SI)(AX*4), R13
	MOVQ    R9, DX

dots512Row:
	VCVTPS2PD (DI), Z0          // g = dy
	VCVTPS2PD 32(DI), Z1
	VCVTPS2PD (R13), Z8         // x
	VCVTPS2PD 32(R13), Z9
	VADDPD    Z0, Z2, Z2        // s1 + g
	VADDPD    Z1, Z3, Z3
	VSUBPD    Z6, Z8, Z8        // x − k
	VSUBPD    Z7, Z9, Z9
	VMULPD    Z8, Z0, Z0        // g·(x − k)
	VMULPD    Z9, Z1, Z1
	VADDPD    Z0, Z4, Z4        // s2 + g·(x − k)
	VADDPD    Z1, Z5, Z5
	ADDQ      R8, DI
	ADDQ      R8, R13
	DECQ      DX
	JNZ       dots512Row

	VMOVUPD Z2, (R11)(AX*8)
	VMOVUPD Z3, 64(R11)(AX*8)
	VMOVUPD Z4, (R12)(AX*8)
	VMOVUPD Z5, 64(R12)(AX*8)
	ADDQ    $16, AX
	DECQ    CX
	JNZ     dots512Strip
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnColDotsAVX2(dy, x *float32, stride, rows, cols int, k, s1, s2 *float64)
//
// As bnColDotsAVX512, in strips of 8 columns.
TEXT ·bnColDotsAVX2(SB), NOSPLIT, $8-64
	FLUSHDENORMALS
	MOVQ dy+0(FP), BX
	MOVQ x+8(FP), SI
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), CX
	MOVQ k+40(FP), R10
	MOVQ s1+48(FP), R11
	MOVQ s2+56(FP), R12
	SHRQ $3, CX
	XORQ AX, AX

dots256Strip:
	VMOVUPD (R10)(AX*8), Y6
	VMOVUPD 32(R10)(AX*8), Y7
	VMOVUPD (R11)(AX*8), Y2
	VMOVUPD 32(R11)(AX*8), Y3
	VMOVUPD (R12)(AX*8), Y4
	VMOVUPD 32(R12)(AX*8), Y5
	LEAQ    (BX)(AX*4), DI
	LEAQ    (SI)(AX*4), R13
	MOVQ    R9, DX

dots256Row:
	VCVTPS2PD (DI), Y0          // g = dy
	VCVTPS2PD 16(DI), Y1
	VCVTPS2PD (R13), Y8         // x
	VCVTPS2PD 16(R13), Y9
	VADDPD    Y0, Y2, Y2        // s1 + g
	VADDPD    Y1, Y3, Y3
	VSUBPD    Y6, Y8, Y8        // x − k
	VSUBPD    Y7, Y9, Y9
	VMULPD    Y8, Y0, Y0        // g·(x − k)
	VMULPD    Y9, Y1, Y1
	VADDPD    Y0, Y4, Y4        // s2 + g·(x − k)
	VADDPD    Y1, Y5, Y5
	ADDQ      R8, DI
	ADDQ      R8, R13
	DECQ      DX
	JNZ       dots256Row

	VMOVUPD Y2, (R11)(AX*8)
	VMOVUPD Y3, 32(R11)(AX*8)
	VMOVUPD Y4, (R12)(AX*8)
	VMOVUPD Y5, 32(R12)(AX*8)
	ADDQ    $8, AX
	DECQ    CX
	JNZ     dots256Strip
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnNormRowsAVX512(x, y *float32, stride, rows, cols int, mu, s, t *float32)
//
//	for r := 0; r < rows; r++ {
//		for e := 0; e < cols; e++ {
//			y[r*stride+e] = (x[r*stride+e]-mu[e])*s[e] + t[e]
//		}
//	}
TEXT ·bnNormRowsAVX512(SB), NOSPLIT, $8-64
	FLUSHDENORMALS
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), BX
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), CX
	MOVQ mu+40(FP), R10
	MOVQ s+48(FP), R11
	MOVQ t+56(FP), R12
	SHRQ $4, CX

norm512Row:
	XORQ AX, AX
	MOVQ CX, DX

norm512Strip:
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS  (R10)(AX*4), Z0, Z0 // x − mu
	VMULPS  (R11)(AX*4), Z0, Z0 // ·s
	VADDPS  (R12)(AX*4), Z0, Z0 // + t
	VMOVUPS Z0, (BX)(AX*4)
	ADDQ    $16, AX
	DECQ    DX
	JNZ     norm512Strip

	ADDQ R8, SI
	ADDQ R8, BX
	DECQ R9
	JNZ  norm512Row
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnNormRowsAVX2(x, y *float32, stride, rows, cols int, mu, s, t *float32)
//
// As bnNormRowsAVX512, in strips of 8 columns.
TEXT ·bnNormRowsAVX2(SB), NOSPLIT, $8-64
	FLUSHDENORMALS
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), BX
	MOVQ stride+16(FP), R8
	SHLQ $2, R8
	MOVQ rows+24(FP), R9
	MOVQ cols+32(FP), CX
	MOVQ mu+40(FP), R10
	MOVQ s+48(FP), R11
	MOVQ t+56(FP), R12
	SHRQ $3, CX

norm256Row:
	XORQ AX, AX
	MOVQ CX, DX

norm256Strip:
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (R10)(AX*4), Y0, Y0 // x − mu
	VMULPS  (R11)(AX*4), Y0, Y0 // ·s
	VADDPS  (R12)(AX*4), Y0, Y0 // + t
	VMOVUPS Y0, (BX)(AX*4)
	ADDQ    $8, AX
	DECQ    DX
	JNZ     norm256Strip

	ADDQ R8, SI
	ADDQ R8, BX
	DECQ R9
	JNZ  norm256Row
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnDxRowsAVX512(dy, x, dx *float32, stride, rows, cols int, mu, md, p, a *float32, add int)
//
//	for r := 0; r < rows; r++ {
//		for e := 0; e < cols; e++ {
//			i := r*stride + e
//			dx[i] += a[e] * ((dy[i] - md[e]) - (x[i]-mu[e])*p[e])   // dx[i] = … when add is 0
//		}
//	}
TEXT ·bnDxRowsAVX512(SB), NOSPLIT, $8-88
	FLUSHDENORMALS
	MOVQ dy+0(FP), BX
	MOVQ x+8(FP), SI
	MOVQ dx+16(FP), R13
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ rows+32(FP), R9
	MOVQ cols+40(FP), CX
	MOVQ mu+48(FP), R10
	MOVQ md+56(FP), R11
	MOVQ p+64(FP), R12
	MOVQ a+72(FP), R14
	MOVQ add+80(FP), DI
	SHRQ $4, CX

dx512Row:
	XORQ AX, AX
	MOVQ CX, DX

dx512Strip:
	VMOVUPS (SI)(AX*4), Z0
	VSUBPS  (R10)(AX*4), Z0, Z0 // x − mu
	VMULPS  (R12)(AX*4), Z0, Z0 // (x − mu)·p
	VMOVUPS (BX)(AX*4), Z1
	VSUBPS  (R11)(AX*4), Z1, Z1 // dy − md
	VSUBPS  Z0, Z1, Z1        // (dy − md) − (x − mu)·p
	VMULPS  (R14)(AX*4), Z1, Z1 // ·a
	TESTQ   DI, DI
	JZ      dx512Store
	VADDPS  (R13)(AX*4), Z1, Z1 // + dx

dx512Store:
	VMOVUPS Z1, (R13)(AX*4)
	ADDQ    $16, AX
	DECQ    DX
	JNZ     dx512Strip

	ADDQ R8, BX
	ADDQ R8, SI
	ADDQ R8, R13
	DECQ R9
	JNZ  dx512Row
	RESTOREMXCSR
	VZEROUPPER
	RET

// func bnDxRowsAVX2(dy, x, dx *float32, stride, rows, cols int, mu, md, p, a *float32, add int)
//
// As bnDxRowsAVX512, in strips of 8 columns.
TEXT ·bnDxRowsAVX2(SB), NOSPLIT, $8-88
	FLUSHDENORMALS
	MOVQ dy+0(FP), BX
	MOVQ x+8(FP), SI
	MOVQ dx+16(FP), R13
	MOVQ stride+24(FP), R8
	SHLQ $2, R8
	MOVQ rows+32(FP), R9
	MOVQ cols+40(FP), CX
	MOVQ mu+48(FP), R10
	MOVQ md+56(FP), R11
	MOVQ p+64(FP), R12
	MOVQ a+72(FP), R14
	MOVQ add+80(FP), DI
	SHRQ $3, CX

dx256Row:
	XORQ AX, AX
	MOVQ CX, DX

dx256Strip:
	VMOVUPS (SI)(AX*4), Y0
	VSUBPS  (R10)(AX*4), Y0, Y0 // x − mu
	VMULPS  (R12)(AX*4), Y0, Y0 // (x − mu)·p
	VMOVUPS (BX)(AX*4), Y1
	VSUBPS  (R11)(AX*4), Y1, Y1 // dy − md
	VSUBPS  Y0, Y1, Y1        // (dy − md) − (x − mu)·p
	VMULPS  (R14)(AX*4), Y1, Y1 // ·a
	TESTQ   DI, DI
	JZ      dx256Store
	VADDPS  (R13)(AX*4), Y1, Y1 // + dx

dx256Store:
	VMOVUPS Y1, (R13)(AX*4)
	ADDQ    $8, AX
	DECQ    DX
	JNZ     dx256Strip

	ADDQ R8, BX
	ADDQ R8, SI
	ADDQ R8, R13
	DECQ R9
	JNZ  dx256Row
	RESTOREMXCSR
	VZEROUPPER
	RET

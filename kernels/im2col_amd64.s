#include "textflag.h"

// AVX-512 run primitives for im2col and col2im; see im2col_amd64.go and
// im2col_runs.go. Registers, in every function:
//
//	DI dst, SI src        at the current row
//	R8 rows left          R9, R10 dstStep, srcStep in bytes
//	R11 full 16-lane vectors per run
//	R12, R13 src, dst at the current vector; R14 vectors left in the row
//	K1 the lanes of the run's last, partial vector (none when n%16 = 0)

// runEven: lanes 0, 2, …, 30 of a pair of vectors (VPERMT2PS).
DATA runEven<>+0(SB)/4, $0
DATA runEven<>+4(SB)/4, $2
DATA runEven<>+8(SB)/4, $4
DATA runEven<>+12(SB)/4, $6
DATA runEven<>+16(SB)/4, $8
DATA runEven<>+20(SB)/4, $10
DATA runEven<>+24(SB)/4, $12
DATA runEven<>+28(SB)/4, $14
DATA runEven<>+32(SB)/4, $16
DATA runEven<>+36(SB)/4, $18
DATA runEven<>+40(SB)/4, $20
DATA runEven<>+44(SB)/4, $22
DATA runEven<>+48(SB)/4, $24
DATA runEven<>+52(SB)/4, $26
DATA runEven<>+56(SB)/4, $28
DATA runEven<>+60(SB)/4, $30
GLOBL runEven<>(SB), RODATA|NOPTR, $64

// runSpread: lane l takes lane l/2 (first 16 lanes), then 8 + l/2 (VPERMPS):
// the 16 floats of a vector spread over the even lanes of two.
DATA runSpread<>+0(SB)/4, $0
DATA runSpread<>+4(SB)/4, $0
DATA runSpread<>+8(SB)/4, $1
DATA runSpread<>+12(SB)/4, $1
DATA runSpread<>+16(SB)/4, $2
DATA runSpread<>+20(SB)/4, $2
DATA runSpread<>+24(SB)/4, $3
DATA runSpread<>+28(SB)/4, $3
DATA runSpread<>+32(SB)/4, $4
DATA runSpread<>+36(SB)/4, $4
DATA runSpread<>+40(SB)/4, $5
DATA runSpread<>+44(SB)/4, $5
DATA runSpread<>+48(SB)/4, $6
DATA runSpread<>+52(SB)/4, $6
DATA runSpread<>+56(SB)/4, $7
DATA runSpread<>+60(SB)/4, $7
DATA runSpread<>+64(SB)/4, $8
DATA runSpread<>+68(SB)/4, $8
DATA runSpread<>+72(SB)/4, $9
DATA runSpread<>+76(SB)/4, $9
DATA runSpread<>+80(SB)/4, $10
DATA runSpread<>+84(SB)/4, $10
DATA runSpread<>+88(SB)/4, $11
DATA runSpread<>+92(SB)/4, $11
DATA runSpread<>+96(SB)/4, $12
DATA runSpread<>+100(SB)/4, $12
DATA runSpread<>+104(SB)/4, $13
DATA runSpread<>+108(SB)/4, $13
DATA runSpread<>+112(SB)/4, $14
DATA runSpread<>+116(SB)/4, $14
DATA runSpread<>+120(SB)/4, $15
DATA runSpread<>+124(SB)/4, $15
GLOBL runSpread<>(SB), RODATA|NOPTR, $128

// ARGS6 loads the arguments of a two-slice primitive, converts the steps to
// bytes, sets K1 to the lanes of the partial vector (n%16 of them) and CX
// to n%16, and leaves the number of full vectors in R11.
#define ARGS6 \
	MOVQ dst+0(FP), DI     \
	MOVQ src+8(FP), SI     \
	MOVQ rows+16(FP), R8   \
	MOVQ n+24(FP), R11     \
	MOVQ dstStep+32(FP), R9  \
	MOVQ srcStep+40(FP), R10 \
	SHLQ $2, R9            \
	SHLQ $2, R10           \
	MOVQ R11, CX           \
	ANDQ $15, CX           \
	MOVQ $1, AX            \
	SHLQ CX, AX            \
	DECQ AX                \
	KMOVW AX, K1           \
	SHRQ $4, R11

// func runCopy1AVX512(dst, src *float32, rows, n, dstStep, srcStep int)
TEXT ·runCopy1AVX512(SB), NOSPLIT, $0-48
	ARGS6

copy1row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   copy1tail

copy1vec:
	VMOVUPS (R12), Z0
	VMOVUPS Z0, (R13)
	ADDQ $64, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  copy1vec

copy1tail:
	VMOVUPS.Z (R12), K1, Z0
	VMOVUPS   Z0, K1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  copy1row
	VZEROUPPER
	RET

// func runCopy2AVX512(dst, src *float32, rows, n, dstStep, srcStep int)
//
// A full vector of 16 outputs reads 31 floats (K2: the upper load stops at
// lane 14); the partial vector of t outputs reads 2t−1 floats (K3, K4).
TEXT ·runCopy2AVX512(SB), NOSPLIT, $0-48
	ARGS6
	VMOVUPS runEven<>(SB), Z7
	MOVQ    $0x7fff, AX
	KMOVW   AX, K2
	ADDQ    CX, CX
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	SHRQ    $1, AX         // (1 << (2t−1)) − 1, or 0 when t = 0
	KMOVW   AX, K3
	SHRQ    $16, AX
	KMOVW   AX, K4

copy2row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   copy2tail

copy2vec:
	VMOVUPS   (R12), Z0
	VMOVUPS.Z 64(R12), K2, Z1
	VPERMT2PS Z1, Z7, Z0
	VMOVUPS   Z0, (R13)
	ADDQ $128, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  copy2vec

copy2tail:
	VMOVUPS.Z (R12), K3, Z0
	VMOVUPS.Z 64(R12), K4, Z1
	VPERMT2PS Z1, Z7, Z0
	VMOVUPS   Z0, K1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  copy2row
	VZEROUPPER
	RET

// func runZeroAVX512(dst *float32, rows, n, dstStep int)
TEXT ·runZeroAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ n+16(FP), R11
	MOVQ dstStep+24(FP), R9
	SHLQ $2, R9
	MOVQ R11, CX
	ANDQ $15, CX
	MOVQ $1, AX
	SHLQ CX, AX
	DECQ AX
	KMOVW AX, K1
	SHRQ $4, R11
	VPXORD Z0, Z0, Z0

zerorow:
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   zerotail

zerovec:
	VMOVUPS Z0, (R13)
	ADDQ $64, R13
	DECQ R14
	JNZ  zerovec

zerotail:
	VMOVUPS Z0, K1, (R13)
	ADDQ R9, DI
	DECQ R8
	JNZ  zerorow
	VZEROUPPER
	RET

// func runAdd1AVX512(dst, src *float32, rows, n, dstStep, srcStep int)
//
// dst + src, dst first, as the Go loop's dst[j] += v computes it.
TEXT ·runAdd1AVX512(SB), NOSPLIT, $0-48
	ARGS6

add1row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   add1tail

add1vec:
	VMOVUPS (R13), Z1
	VADDPS  (R12), Z1, Z1
	VMOVUPS Z1, (R13)
	ADDQ $64, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  add1vec

add1tail:
	VMOVUPS.Z (R13), K1, Z1
	VMOVUPS.Z (R12), K1, Z0
	VADDPS    Z0, Z1, Z1
	VMOVUPS   Z1, K1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  add1row
	VZEROUPPER
	RET

// func runAdd2AVX512(dst, src *float32, rows, n, dstStep, srcStep int)
//
// 16 floats of src go to the even lanes of 32 floats of dst; only those
// lanes are loaded and stored (K2 for a full vector, K3 and K4 for the
// partial one: the even lanes below 2t).
TEXT ·runAdd2AVX512(SB), NOSPLIT, $0-48
	ARGS6
	VMOVUPS runSpread<>(SB), Z6
	VMOVUPS runSpread<>+64(SB), Z7
	MOVQ    $0x5555, AX
	KMOVW   AX, K2
	ADDQ    CX, CX
	MOVQ    $1, AX
	SHLQ    CX, AX
	DECQ    AX
	ANDQ    $0x55555555, AX
	KMOVW   AX, K3
	SHRQ    $16, AX
	KMOVW   AX, K4

add2row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   add2tail

add2vec:
	VMOVUPS   (R12), Z0
	VPERMPS   Z0, Z6, Z2
	VPERMPS   Z0, Z7, Z3
	VMOVUPS.Z (R13), K2, Z4
	VMOVUPS.Z 64(R13), K2, Z5
	VADDPS    Z2, Z4, Z4
	VADDPS    Z3, Z5, Z5
	VMOVUPS   Z4, K2, (R13)
	VMOVUPS   Z5, K2, 64(R13)
	ADDQ $64, R12
	ADDQ $128, R13
	DECQ R14
	JNZ  add2vec

add2tail:
	VMOVUPS.Z (R12), K1, Z0
	VPERMPS   Z0, Z6, Z2
	VPERMPS   Z0, Z7, Z3
	VMOVUPS.Z (R13), K3, Z4
	VMOVUPS.Z 64(R13), K4, Z5
	VADDPS    Z2, Z4, Z4
	VADDPS    Z3, Z5, Z5
	VMOVUPS   Z4, K3, (R13)
	VMOVUPS   Z5, K4, 64(R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  add2row
	VZEROUPPER
	RET

// AVX2 run primitives: the same loops with 8-lane vectors, masked by
// VMASKMOVPS (mask vectors instead of mask registers). The partial vector
// of a run takes its mask from runPrefix: the 8 lanes at runPrefix+32−4k
// have the sign bit set in the first k of them.
DATA runPrefix<>+0(SB)/4, $0xffffffff
DATA runPrefix<>+4(SB)/4, $0xffffffff
DATA runPrefix<>+8(SB)/4, $0xffffffff
DATA runPrefix<>+12(SB)/4, $0xffffffff
DATA runPrefix<>+16(SB)/4, $0xffffffff
DATA runPrefix<>+20(SB)/4, $0xffffffff
DATA runPrefix<>+24(SB)/4, $0xffffffff
DATA runPrefix<>+28(SB)/4, $0xffffffff
DATA runPrefix<>+32(SB)/4, $0
DATA runPrefix<>+36(SB)/4, $0
DATA runPrefix<>+40(SB)/4, $0
DATA runPrefix<>+44(SB)/4, $0
DATA runPrefix<>+48(SB)/4, $0
DATA runPrefix<>+52(SB)/4, $0
DATA runPrefix<>+56(SB)/4, $0
DATA runPrefix<>+60(SB)/4, $0
GLOBL runPrefix<>(SB), RODATA|NOPTR, $64

// runEvenLanes: the sign bit in lanes 0, 2, 4, 6.
DATA runEvenLanes<>+0(SB)/4, $0xffffffff
DATA runEvenLanes<>+4(SB)/4, $0
DATA runEvenLanes<>+8(SB)/4, $0xffffffff
DATA runEvenLanes<>+12(SB)/4, $0
DATA runEvenLanes<>+16(SB)/4, $0xffffffff
DATA runEvenLanes<>+20(SB)/4, $0
DATA runEvenLanes<>+24(SB)/4, $0xffffffff
DATA runEvenLanes<>+28(SB)/4, $0
GLOBL runEvenLanes<>(SB), RODATA|NOPTR, $32

// PREFIX loads into Y the mask of the first k lanes (k in a register,
// 0 ≤ k ≤ 8; k is clobbered, as is R12).
#define PREFIX(k, Y) \
	LEAQ runPrefix<>+32(SB), R12 \
	SHLQ $2, k                   \
	SUBQ k, R12                  \
	VMOVDQU (R12), Y

// ARGS6AVX2 loads the arguments of a two-slice primitive, converts the
// steps to bytes, leaves n%8 in CX, the mask of that many lanes in Y1 and
// the number of full vectors in R11.
#define ARGS6AVX2 \
	MOVQ dst+0(FP), DI       \
	MOVQ src+8(FP), SI       \
	MOVQ rows+16(FP), R8     \
	MOVQ n+24(FP), R11       \
	MOVQ dstStep+32(FP), R9  \
	MOVQ srcStep+40(FP), R10 \
	SHLQ $2, R9              \
	SHLQ $2, R10             \
	MOVQ R11, CX             \
	ANDQ $7, CX              \
	MOVQ CX, AX              \
	PREFIX(AX, Y1)           \
	SHRQ $3, R11

// func runCopy1AVX2(dst, src *float32, rows, n, dstStep, srcStep int)
TEXT ·runCopy1AVX2(SB), NOSPLIT, $0-48
	ARGS6AVX2

c1row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   c1tail

c1vec:
	VMOVUPS (R12), Y0
	VMOVUPS Y0, (R13)
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ R14
	JNZ  c1vec

c1tail:
	VMASKMOVPS (R12), Y1, Y0
	VMASKMOVPS Y0, Y1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  c1row
	VZEROUPPER
	RET

// func runCopy2AVX2(dst, src *float32, rows, n, dstStep, srcStep int)
//
// A full vector of 8 outputs reads 15 floats (Y3: the upper load stops at
// lane 6); the partial vector of t outputs reads 2t−1 floats (Y4 and Y5:
// the lanes of each load). VSHUFPS takes the even floats of each 128-bit
// half of both loads, VPERMPD puts the halves in order.
TEXT ·runCopy2AVX2(SB), NOSPLIT, $0-48
	ARGS6AVX2
	MOVQ $7, AX
	PREFIX(AX, Y3)
	MOVQ CX, AX
	ADDQ AX, AX
	TESTQ CX, CX
	JZ   c2len
	DECQ AX // 2t−1 floats, or none when t = 0

c2len:
	MOVQ  AX, BX
	MOVQ  $8, DX
	CMPQ  BX, DX
	CMOVQGT DX, BX // in the lower load
	SUBQ  BX, AX   // in the upper load
	PREFIX(BX, Y4)
	PREFIX(AX, Y5)

c2row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   c2tail

c2vec:
	VMOVUPS    (R12), Y0
	VMASKMOVPS 32(R12), Y3, Y2
	VSHUFPS    $0x88, Y2, Y0, Y0
	VPERMPD    $0xd8, Y0, Y0
	VMOVUPS    Y0, (R13)
	ADDQ $64, R12
	ADDQ $32, R13
	DECQ R14
	JNZ  c2vec

c2tail:
	VMASKMOVPS (R12), Y4, Y0
	VMASKMOVPS 32(R12), Y5, Y2
	VSHUFPS    $0x88, Y2, Y0, Y0
	VPERMPD    $0xd8, Y0, Y0
	VMASKMOVPS Y0, Y1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  c2row
	VZEROUPPER
	RET

// func runZeroAVX2(dst *float32, rows, n, dstStep int)
TEXT ·runZeroAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ rows+8(FP), R8
	MOVQ n+16(FP), R11
	MOVQ dstStep+24(FP), R9
	SHLQ $2, R9
	MOVQ R11, AX
	ANDQ $7, AX
	PREFIX(AX, Y1)
	SHRQ $3, R11
	VXORPS Y0, Y0, Y0

z2row:
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   z2tail

z2vec:
	VMOVUPS Y0, (R13)
	ADDQ $32, R13
	DECQ R14
	JNZ  z2vec

z2tail:
	VMASKMOVPS Y0, Y1, (R13)
	ADDQ R9, DI
	DECQ R8
	JNZ  z2row
	VZEROUPPER
	RET

// func runAdd1AVX2(dst, src *float32, rows, n, dstStep, srcStep int)
TEXT ·runAdd1AVX2(SB), NOSPLIT, $0-48
	ARGS6AVX2

a1row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   a1tail

a1vec:
	VMOVUPS (R13), Y2
	VADDPS  (R12), Y2, Y2
	VMOVUPS Y2, (R13)
	ADDQ $32, R12
	ADDQ $32, R13
	DECQ R14
	JNZ  a1vec

a1tail:
	VMASKMOVPS (R13), Y1, Y2
	VMASKMOVPS (R12), Y1, Y0
	VADDPS     Y0, Y2, Y2
	VMASKMOVPS Y2, Y1, (R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  a1row
	VZEROUPPER
	RET

// func runAdd2AVX2(dst, src *float32, rows, n, dstStep, srcStep int)
//
// 8 floats of src go to the even lanes of 16 floats of dst (VPERMPS with
// runSpread's indexes); only those lanes are loaded and stored: Y3 for a
// full vector, Y4 and Y5 for the partial one (the even lanes below 2t).
TEXT ·runAdd2AVX2(SB), NOSPLIT, $0-48
	ARGS6AVX2
	VMOVDQU runSpread<>(SB), Y6
	VMOVDQU runSpread<>+32(SB), Y7
	VMOVDQU runEvenLanes<>(SB), Y3
	MOVQ  CX, AX
	ADDQ  AX, AX   // 2t lanes of dst
	MOVQ  AX, BX
	MOVQ  $8, DX
	CMPQ  BX, DX
	CMOVQGT DX, BX // in the lower half
	SUBQ  BX, AX   // in the upper half
	PREFIX(BX, Y4)
	PREFIX(AX, Y5)
	VANDPS Y3, Y4, Y4
	VANDPS Y3, Y5, Y5

a2row:
	MOVQ SI, R12
	MOVQ DI, R13
	MOVQ R11, R14
	TESTQ R14, R14
	JZ   a2tail

a2vec:
	VMOVUPS    (R12), Y0
	VPERMPS    Y0, Y6, Y8
	VPERMPS    Y0, Y7, Y9
	VMASKMOVPS (R13), Y3, Y10
	VMASKMOVPS 32(R13), Y3, Y11
	VADDPS     Y8, Y10, Y10
	VADDPS     Y9, Y11, Y11
	VMASKMOVPS Y10, Y3, (R13)
	VMASKMOVPS Y11, Y3, 32(R13)
	ADDQ $32, R12
	ADDQ $64, R13
	DECQ R14
	JNZ  a2vec

a2tail:
	VMASKMOVPS (R12), Y1, Y0
	VPERMPS    Y0, Y6, Y8
	VPERMPS    Y0, Y7, Y9
	VMASKMOVPS (R13), Y4, Y10
	VMASKMOVPS 32(R13), Y5, Y11
	VADDPS     Y8, Y10, Y10
	VADDPS     Y9, Y11, Y11
	VMASKMOVPS Y10, Y4, (R13)
	VMASKMOVPS Y11, Y5, 32(R13)
	ADDQ R10, SI
	ADDQ R9, DI
	DECQ R8
	JNZ  a2row
	VZEROUPPER
	RET

// func runPermAVX512(dst, src *float32, tap *int32, rows, dstStep, srcStep int, masks uint64)
//
// K1: the hw lanes of a plane, K2: the output lanes with a source, K3: the
// n output lanes; Z1 the tap's indices. One image per iteration.
TEXT ·runPermAVX512(SB), NOSPLIT, $0-56
	MOVQ      dst+0(FP), DI
	MOVQ      src+8(FP), SI
	MOVQ      tap+16(FP), AX
	MOVQ      rows+24(FP), R8
	MOVQ      dstStep+32(FP), R9
	MOVQ      srcStep+40(FP), R10
	SHLQ      $2, R9
	SHLQ      $2, R10
	MOVQ      masks+48(FP), DX
	KMOVW     DX, K2
	SHRQ      $16, DX
	KMOVW     DX, K3
	SHRQ      $16, DX
	KMOVW     DX, K1
	VMOVDQU32 (AX), Z1

perm512row:
	VMOVUPS.Z (SI), K1, Z0
	VPERMPS.Z Z0, Z1, K2, Z2
	VMOVUPS   Z2, K3, (DI)
	ADDQ      R10, SI
	ADDQ      R9, DI
	DECQ      R8
	JNZ       perm512row
	VZEROUPPER
	RET

// func runPermAVX2(dst, src *float32, tap *int32, rows, dstStep, srcStep int, masks uint64)
//
// Planes and rows of at most 8 floats. Y5: the hw lanes of a plane, Y4:
// the n output lanes (both prefix masks, from the counts of their mask
// bits), Y2: the output lanes with a source (index > −1), Y1: the indices.
// An index of −1 picks lane 7, which Y2 then clears.
TEXT ·runPermAVX2(SB), NOSPLIT, $0-56
	MOVQ     dst+0(FP), DI
	MOVQ     src+8(FP), SI
	MOVQ     tap+16(FP), AX
	MOVQ     rows+24(FP), R8
	MOVQ     dstStep+32(FP), R9
	MOVQ     srcStep+40(FP), R10
	SHLQ     $2, R9
	SHLQ     $2, R10
	VMOVDQU  (AX), Y1
	VPCMPEQD Y3, Y3, Y3
	VPCMPGTD Y3, Y1, Y2
	MOVQ     masks+48(FP), DX
	MOVQ     DX, CX
	SHRQ     $16, CX
	ANDL     $0xffff, CX
	POPCNTL  CX, CX
	PREFIX(CX, Y4)
	SHRQ     $32, DX
	POPCNTL  DX, DX
	PREFIX(DX, Y5)

perm2row:
	VMASKMOVPS (SI), Y5, Y0
	VPERMPS    Y0, Y1, Y0
	VANDPS     Y2, Y0, Y0
	VMASKMOVPS Y0, Y4, (DI)
	ADDQ       R10, SI
	ADDQ       R9, DI
	DECQ       R8
	JNZ        perm2row
	VZEROUPPER
	RET

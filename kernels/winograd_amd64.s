// The AVX-512 transforms of Winograd F(2×2, 3×3) (winograd.go), sixteen
// tiles (or filters) at a time, one per vector lane. Each kernel is bit for
// bit its plain Go row kernel in winograd.go, whose comment says what it
// computes:
//
//	winogradInputAVX512       winogradInputRow       V = Bᵀ d B
//	winogradOutputAVX512      winogradOutputRow      Y = Aᵀ M A (+ bias, or + y)
//	winogradFilterAVX512      winogradFilterRun      U = G g Gᵀ
//	winogradGradAVX512        winogradGradRow        M′ = A dY Aᵀ
//	winogradFilterGradAVX512  winogradFilterGradRun  dw += Gᵀ dU G
//
// Tiles come from one row of tiles: lane l of a group takes the input (or
// output-gradient) columns 2l, 2l+1, …, which VPERMT2PS splits into even
// and odd columns (wgEven, wgOdd) and the output transform interleaves
// back (wgLo, wgHi). Filters are 9 floats apart, gathered with wgGather's
// indices; the filter gradient is added into dw by gathers and scatters.
// The last group of a call is masked to its tiles, filters or columns.
// The input kernel reads its four zero-padded rows up to 32·⌈tiles/16⌉ + 34
// floats past the first tile's.

#include "textflag.h"

DATA wgEven<>+0(SB)/4, $0
DATA wgEven<>+4(SB)/4, $2
DATA wgEven<>+8(SB)/4, $4
DATA wgEven<>+12(SB)/4, $6
DATA wgEven<>+16(SB)/4, $8
DATA wgEven<>+20(SB)/4, $10
DATA wgEven<>+24(SB)/4, $12
DATA wgEven<>+28(SB)/4, $14
DATA wgEven<>+32(SB)/4, $16
DATA wgEven<>+36(SB)/4, $18
DATA wgEven<>+40(SB)/4, $20
DATA wgEven<>+44(SB)/4, $22
DATA wgEven<>+48(SB)/4, $24
DATA wgEven<>+52(SB)/4, $26
DATA wgEven<>+56(SB)/4, $28
DATA wgEven<>+60(SB)/4, $30
GLOBL wgEven<>(SB), RODATA|NOPTR, $64
DATA wgOdd<>+0(SB)/4, $1
DATA wgOdd<>+4(SB)/4, $3
DATA wgOdd<>+8(SB)/4, $5
DATA wgOdd<>+12(SB)/4, $7
DATA wgOdd<>+16(SB)/4, $9
DATA wgOdd<>+20(SB)/4, $11
DATA wgOdd<>+24(SB)/4, $13
DATA wgOdd<>+28(SB)/4, $15
DATA wgOdd<>+32(SB)/4, $17
DATA wgOdd<>+36(SB)/4, $19
DATA wgOdd<>+40(SB)/4, $21
DATA wgOdd<>+44(SB)/4, $23
DATA wgOdd<>+48(SB)/4, $25
DATA wgOdd<>+52(SB)/4, $27
DATA wgOdd<>+56(SB)/4, $29
DATA wgOdd<>+60(SB)/4, $31
GLOBL wgOdd<>(SB), RODATA|NOPTR, $64
DATA wgLo<>+0(SB)/4, $0
DATA wgLo<>+4(SB)/4, $16
DATA wgLo<>+8(SB)/4, $1
DATA wgLo<>+12(SB)/4, $17
DATA wgLo<>+16(SB)/4, $2
DATA wgLo<>+20(SB)/4, $18
DATA wgLo<>+24(SB)/4, $3
DATA wgLo<>+28(SB)/4, $19
DATA wgLo<>+32(SB)/4, $4
DATA wgLo<>+36(SB)/4, $20
DATA wgLo<>+40(SB)/4, $5
DATA wgLo<>+44(SB)/4, $21
DATA wgLo<>+48(SB)/4, $6
DATA wgLo<>+52(SB)/4, $22
DATA wgLo<>+56(SB)/4, $7
DATA wgLo<>+60(SB)/4, $23
GLOBL wgLo<>(SB), RODATA|NOPTR, $64
DATA wgHi<>+0(SB)/4, $8
DATA wgHi<>+4(SB)/4, $24
DATA wgHi<>+8(SB)/4, $9
DATA wgHi<>+12(SB)/4, $25
DATA wgHi<>+16(SB)/4, $10
DATA wgHi<>+20(SB)/4, $26
DATA wgHi<>+24(SB)/4, $11
DATA wgHi<>+28(SB)/4, $27
DATA wgHi<>+32(SB)/4, $12
DATA wgHi<>+36(SB)/4, $28
DATA wgHi<>+40(SB)/4, $13
DATA wgHi<>+44(SB)/4, $29
DATA wgHi<>+48(SB)/4, $14
DATA wgHi<>+52(SB)/4, $30
DATA wgHi<>+56(SB)/4, $15
DATA wgHi<>+60(SB)/4, $31
GLOBL wgHi<>(SB), RODATA|NOPTR, $64

// func winogradInputAVX512(v *float32, cs int, rows *float32, ldr, tiles int)
TEXT ·winogradInputAVX512(SB), NOSPLIT, $0-40
	MOVQ    v+0(FP), DI
	MOVQ    cs+8(FP), R8
	SHLQ    $2, R8
	MOVQ    rows+16(FP), R10
	MOVQ    ldr+24(FP), R9
	SHLQ    $2, R9
	LEAQ    (R10)(R9*1), R11
	LEAQ    (R11)(R9*1), R12
	LEAQ    (R12)(R9*1), R13
	MOVQ    tiles+32(FP), CX
	VMOVUPS wgEven<>(SB), Z30
	VMOVUPS wgOdd<>(SB), Z31

inGroup:
	// K1: the tiles of this group.
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   inMask
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

inMask:
	KMOVW AX, K1

	// d[0][0..3] from row 0
	VMOVUPS   (R10), Z16
	VMOVUPS   64(R10), Z17
	VMOVAPS   Z16, Z0
	VPERMT2PS Z17, Z30, Z0
	VMOVAPS   Z16, Z1
	VPERMT2PS Z17, Z31, Z1
	VMOVUPS   8(R10), Z16
	VMOVUPS   72(R10), Z17
	VMOVAPS   Z16, Z2
	VPERMT2PS Z17, Z30, Z2
	VMOVAPS   Z16, Z3
	VPERMT2PS Z17, Z31, Z3
	// d[1][0..3] from row 1
	VMOVUPS   (R11), Z16
	VMOVUPS   64(R11), Z17
	VMOVAPS   Z16, Z4
	VPERMT2PS Z17, Z30, Z4
	VMOVAPS   Z16, Z5
	VPERMT2PS Z17, Z31, Z5
	VMOVUPS   8(R11), Z16
	VMOVUPS   72(R11), Z17
	VMOVAPS   Z16, Z6
	VPERMT2PS Z17, Z30, Z6
	VMOVAPS   Z16, Z7
	VPERMT2PS Z17, Z31, Z7
	// d[2][0..3] from row 2
	VMOVUPS   (R12), Z16
	VMOVUPS   64(R12), Z17
	VMOVAPS   Z16, Z8
	VPERMT2PS Z17, Z30, Z8
	VMOVAPS   Z16, Z9
	VPERMT2PS Z17, Z31, Z9
	VMOVUPS   8(R12), Z16
	VMOVUPS   72(R12), Z17
	VMOVAPS   Z16, Z10
	VPERMT2PS Z17, Z30, Z10
	VMOVAPS   Z16, Z11
	VPERMT2PS Z17, Z31, Z11
	// d[3][0..3] from row 3
	VMOVUPS   (R13), Z16
	VMOVUPS   64(R13), Z17
	VMOVAPS   Z16, Z12
	VPERMT2PS Z17, Z30, Z12
	VMOVAPS   Z16, Z13
	VPERMT2PS Z17, Z31, Z13
	VMOVUPS   8(R13), Z16
	VMOVUPS   72(R13), Z17
	VMOVAPS   Z16, Z14
	VPERMT2PS Z17, Z30, Z14
	VMOVAPS   Z16, Z15
	VPERMT2PS Z17, Z31, Z15
	// Bᵀ d, column by column: rows d0 − d2, d1 + d2, d2 − d1, d1 − d3.
	VSUBPS  Z8, Z0, Z0
	VADDPS  Z8, Z4, Z16
	VSUBPS  Z4, Z8, Z8
	VSUBPS  Z12, Z4, Z12
	VMOVAPS Z16, Z4
	VSUBPS  Z9, Z1, Z1
	VADDPS  Z9, Z5, Z16
	VSUBPS  Z5, Z9, Z9
	VSUBPS  Z13, Z5, Z13
	VMOVAPS Z16, Z5
	VSUBPS  Z10, Z2, Z2
	VADDPS  Z10, Z6, Z16
	VSUBPS  Z6, Z10, Z10
	VSUBPS  Z14, Z6, Z14
	VMOVAPS Z16, Z6
	VSUBPS  Z11, Z3, Z3
	VADDPS  Z11, Z7, Z16
	VSUBPS  Z7, Z11, Z11
	VSUBPS  Z15, Z7, Z15
	VMOVAPS Z16, Z7
	// (Bᵀ d) B, row by row, stored to V[ξ], ξ = 4i + j, cs floats apart.
	MOVQ DI, AX
	VSUBPS Z2, Z0, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VADDPS Z2, Z1, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z1, Z2, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z3, Z1, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z6, Z4, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VADDPS Z6, Z5, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z5, Z6, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z7, Z5, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z10, Z8, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VADDPS Z10, Z9, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z9, Z10, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z11, Z9, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z14, Z12, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VADDPS Z14, Z13, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z13, Z14, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS Z15, Z13, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	ADDQ $64, DI
	ADDQ $128, R10
	ADDQ $128, R11
	ADDQ $128, R12
	ADDQ $128, R13
	SUBQ $16, CX
	JGT  inGroup
	VZEROUPPER
	RET

// func winogradOutputAVX512(m *float32, ks int, y *float32, ldy, tiles, cols, rows int, bias float32, accumulate int)
TEXT ·winogradOutputAVX512(SB), NOSPLIT, $0-72
	MOVQ         m+0(FP), SI
	MOVQ         ks+8(FP), R8
	SHLQ         $2, R8
	MOVQ         y+16(FP), DI
	MOVQ         ldy+24(FP), R9
	SHLQ         $2, R9
	MOVQ         tiles+32(FP), CX
	MOVQ         cols+40(FP), DX
	MOVQ         rows+48(FP), R10
	MOVQ         accumulate+64(FP), R11
	VBROADCASTSS bias+56(FP), Z29
	VMOVUPS      wgLo<>(SB), Z30
	VMOVUPS      wgHi<>(SB), Z31

outGroup:
	// K1: the tiles of this group; K2, K3: its columns (0–15, 16–31).
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   outTiles
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

outTiles:
	KMOVW AX, K1
	MOVL  $0xffff, AX
	CMPQ  DX, $16
	JGE   outLow
	MOVL  $1, AX
	SHLXL DX, AX, AX
	DECL  AX

outLow:
	KMOVW AX, K2
	MOVL  $0xffff, AX
	CMPQ  DX, $32
	JGE   outHigh
	XORL  AX, AX
	CMPQ  DX, $16
	JLE   outHigh
	LEAQ  -16(DX), BX
	MOVL  $1, AX
	SHLXL BX, AX, AX
	DECL  AX

outHigh:
	KMOVW AX, K3
	MOVQ  SI, AX

	VMOVUPS.Z (AX), K1, Z0
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z1
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z2
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z3
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z4
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z5
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z6
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z7
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z8
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z9
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z10
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z11
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z12
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z13
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z14
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z15
	ADDQ      R8, AX
	// Aᵀ M, column by column: rows m0 + m1 + m2 and m1 − m2 − m3.
	VADDPS Z4, Z0, Z0
	VADDPS Z8, Z0, Z0
	VSUBPS Z8, Z4, Z4
	VSUBPS Z12, Z4, Z4
	VADDPS Z5, Z1, Z1
	VADDPS Z9, Z1, Z1
	VSUBPS Z9, Z5, Z5
	VSUBPS Z13, Z5, Z5
	VADDPS Z6, Z2, Z2
	VADDPS Z10, Z2, Z2
	VSUBPS Z10, Z6, Z6
	VSUBPS Z14, Z6, Z6
	VADDPS Z7, Z3, Z3
	VADDPS Z11, Z3, Z3
	VSUBPS Z11, Z7, Z7
	VSUBPS Z15, Z7, Z7
	// (Aᵀ M) A: the two pixels of each row of the tile.
	VADDPS Z1, Z0, Z16
	VADDPS Z2, Z16, Z16
	VSUBPS Z2, Z1, Z17
	VSUBPS Z3, Z17, Z17
	VADDPS Z5, Z4, Z18
	VADDPS Z6, Z18, Z18
	VSUBPS Z6, Z5, Z19
	VSUBPS Z7, Z19, Z19

	// Interleave them into columns: row 0 in Z20, Z21, row 1 in Z22, Z23.
	VMOVAPS   Z16, Z20
	VPERMT2PS Z17, Z30, Z20
	VMOVAPS   Z16, Z21
	VPERMT2PS Z17, Z31, Z21
	VMOVAPS   Z18, Z22
	VPERMT2PS Z19, Z30, Z22
	VMOVAPS   Z18, Z23
	VPERMT2PS Z19, Z31, Z23

	TESTQ R11, R11
	JNZ   outAdd
	VADDPS Z29, Z20, Z20
	VADDPS Z29, Z21, Z21
	VADDPS Z29, Z22, Z22
	VADDPS Z29, Z23, Z23
	JMP    outStore

outAdd:
	VADDPS.Z (DI), Z20, K2, Z20
	VADDPS.Z 64(DI), Z21, K3, Z21
	CMPQ     R10, $2
	JLT      outStore
	VADDPS.Z (DI)(R9*1), Z22, K2, Z22
	VADDPS.Z 64(DI)(R9*1), Z23, K3, Z23

outStore:
	VMOVUPS Z20, K2, (DI)
	VMOVUPS Z21, K3, 64(DI)
	CMPQ    R10, $2
	JLT     outNext
	VMOVUPS Z22, K2, (DI)(R9*1)
	VMOVUPS Z23, K3, 64(DI)(R9*1)

outNext:
	ADDQ $64, SI
	ADDQ $128, DI
	SUBQ $32, DX
	SUBQ $16, CX
	JGT  outGroup
	VZEROUPPER
	RET

DATA wgGather<>+0(SB)/4, $0
DATA wgGather<>+4(SB)/4, $9
DATA wgGather<>+8(SB)/4, $18
DATA wgGather<>+12(SB)/4, $27
DATA wgGather<>+16(SB)/4, $36
DATA wgGather<>+20(SB)/4, $45
DATA wgGather<>+24(SB)/4, $54
DATA wgGather<>+28(SB)/4, $63
DATA wgGather<>+32(SB)/4, $72
DATA wgGather<>+36(SB)/4, $81
DATA wgGather<>+40(SB)/4, $90
DATA wgGather<>+44(SB)/4, $99
DATA wgGather<>+48(SB)/4, $108
DATA wgGather<>+52(SB)/4, $117
DATA wgGather<>+56(SB)/4, $126
DATA wgGather<>+60(SB)/4, $135
GLOBL wgGather<>(SB), RODATA|NOPTR, $64
DATA wgHalf<>+0(SB)/4, $0x3f000000
GLOBL wgHalf<>(SB), RODATA|NOPTR, $4

// func winogradFilterAVX512(u *float32, kc int, w *float32, filters int)
TEXT ·winogradFilterAVX512(SB), NOSPLIT, $0-32
	MOVQ         u+0(FP), DI
	MOVQ         kc+8(FP), R8
	SHLQ         $2, R8
	MOVQ         w+16(FP), SI
	MOVQ         filters+24(FP), CX
	VMOVUPS      wgGather<>(SB), Z31
	VBROADCASTSS wgHalf<>(SB), Z30

filterGroup:
	// K1: the pairs of this group (the gathers clear their mask: K2 is the copy they use).
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   filterMask
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

filterMask:
	KMOVW AX, K1
	KMOVW      K1, K2
	VPXORD     Z0, Z0, Z0
	VGATHERDPS 0(SI)(Z31*4), K2, Z0
	KMOVW      K1, K2
	VPXORD     Z1, Z1, Z1
	VGATHERDPS 4(SI)(Z31*4), K2, Z1
	KMOVW      K1, K2
	VPXORD     Z2, Z2, Z2
	VGATHERDPS 8(SI)(Z31*4), K2, Z2
	KMOVW      K1, K2
	VPXORD     Z3, Z3, Z3
	VGATHERDPS 12(SI)(Z31*4), K2, Z3
	KMOVW      K1, K2
	VPXORD     Z4, Z4, Z4
	VGATHERDPS 16(SI)(Z31*4), K2, Z4
	KMOVW      K1, K2
	VPXORD     Z5, Z5, Z5
	VGATHERDPS 20(SI)(Z31*4), K2, Z5
	KMOVW      K1, K2
	VPXORD     Z6, Z6, Z6
	VGATHERDPS 24(SI)(Z31*4), K2, Z6
	KMOVW      K1, K2
	VPXORD     Z7, Z7, Z7
	VGATHERDPS 28(SI)(Z31*4), K2, Z7
	KMOVW      K1, K2
	VPXORD     Z8, Z8, Z8
	VGATHERDPS 32(SI)(Z31*4), K2, Z8
	// G g, column by column: rows g0, ½(g0 + g1 + g2), ½(g0 − g1 + g2), g2.
	VMOVAPS Z0, Z9
	VADDPS  Z6, Z0, Z21
	VADDPS  Z3, Z21, Z12
	VMULPS  Z30, Z12, Z12
	VSUBPS  Z3, Z21, Z15
	VMULPS  Z30, Z15, Z15
	VMOVAPS Z6, Z18
	VMOVAPS Z1, Z10
	VADDPS  Z7, Z1, Z21
	VADDPS  Z4, Z21, Z13
	VMULPS  Z30, Z13, Z13
	VSUBPS  Z4, Z21, Z16
	VMULPS  Z30, Z16, Z16
	VMOVAPS Z7, Z19
	VMOVAPS Z2, Z11
	VADDPS  Z8, Z2, Z21
	VADDPS  Z5, Z21, Z14
	VMULPS  Z30, Z14, Z14
	VSUBPS  Z5, Z21, Z17
	VMULPS  Z30, Z17, Z17
	VMOVAPS Z8, Z20
	// (G g) Gᵀ, row by row, stored to U[ξ], ξ = 4i + j, kc floats apart.
	MOVQ DI, AX
	VMOVUPS Z9, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z11, Z9, Z21
	VADDPS  Z10, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z10, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z11, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z12, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z14, Z12, Z21
	VADDPS  Z13, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z13, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z14, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z15, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z17, Z15, Z21
	VADDPS  Z16, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z16, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z17, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z18, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z20, Z18, Z21
	VADDPS  Z19, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z19, Z21, Z22
	VMULPS  Z30, Z22, Z22
	VMOVUPS Z22, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z20, K1, (AX)
	ADDQ    R8, AX
	ADDQ $64, DI
	ADDQ $576, SI
	SUBQ $16, CX
	JGT  filterGroup
	VZEROUPPER
	RET

// func winogradGradAVX512(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)
TEXT ·winogradGradAVX512(SB), NOSPLIT, $0-56
	MOVQ    mg+0(FP), DI
	MOVQ    ks+8(FP), R8
	SHLQ    $2, R8
	MOVQ    dy+16(FP), SI
	MOVQ    ldy+24(FP), R9
	SHLQ    $2, R9
	MOVQ    tiles+32(FP), CX
	MOVQ    cols+40(FP), DX
	MOVQ    rows+48(FP), R10
	VMOVUPS wgEven<>(SB), Z30
	VMOVUPS wgOdd<>(SB), Z31
	VBROADCASTSS wgSign<>(SB), Z29

gradGroup:
	// K1: the tiles of this group; K2, K3: its columns (0–15, 16–31).
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   gradTiles
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

gradTiles:
	KMOVW AX, K1
	MOVL  $0xffff, AX
	CMPQ  DX, $16
	JGE   gradLow
	MOVL  $1, AX
	SHLXL DX, AX, AX
	DECL  AX

gradLow:
	KMOVW AX, K2
	MOVL  $0xffff, AX
	CMPQ  DX, $32
	JGE   gradHigh
	XORL  AX, AX
	CMPQ  DX, $16
	JLE   gradHigh
	LEAQ  -16(DX), BX
	MOVL  $1, AX
	SHLXL BX, AX, AX
	DECL  AX

gradHigh:
	KMOVW AX, K3

	// Row 0 of the tiles: a (even columns) in Z0, b (odd) in Z1.
	VMOVUPS.Z (SI), K2, Z16
	VMOVUPS.Z 64(SI), K3, Z17
	VMOVAPS   Z16, Z0
	VPERMT2PS Z17, Z30, Z0
	VMOVAPS   Z16, Z1
	VPERMT2PS Z17, Z31, Z1

	// Row 1: c in Z2, d in Z3, or zeros past the output's last row.
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   R10, $2
	JLT    gradRows
	VMOVUPS.Z (SI)(R9*1), K2, Z16
	VMOVUPS.Z 64(SI)(R9*1), K3, Z17
	VMOVAPS   Z16, Z2
	VPERMT2PS Z17, Z30, Z2
	VMOVAPS   Z16, Z3
	VPERMT2PS Z17, Z31, Z3

gradRows:
	// A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d).
	VADDPS Z2, Z0, Z4
	VADDPS Z3, Z1, Z5
	VSUBPS Z2, Z0, Z6
	VSUBPS Z3, Z1, Z7
	VXORPS Z29, Z2, Z8
	VXORPS Z29, Z3, Z9

	// (A dY) Aᵀ, row by row (p, q): p, p + q, p − q, −q, stored to M'[ξ].
	MOVQ DI, AX
	VMOVUPS Z0, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z1, Z0, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z1, Z0, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VXORPS  Z29, Z1, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z4, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z5, Z4, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z5, Z4, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VXORPS  Z29, Z5, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z6, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z7, Z6, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z7, Z6, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VXORPS  Z29, Z7, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VMOVUPS Z8, K1, (AX)
	ADDQ    R8, AX
	VADDPS  Z9, Z8, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VSUBPS  Z9, Z8, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	VXORPS  Z29, Z9, Z16
	VMOVUPS Z16, K1, (AX)
	ADDQ    R8, AX
	ADDQ $64, DI
	ADDQ $128, SI
	SUBQ $32, DX
	SUBQ $16, CX
	JGT  gradGroup
	VZEROUPPER
	RET

DATA wgSign<>+0(SB)/4, $0x80000000
GLOBL wgSign<>(SB), RODATA|NOPTR, $4

// func winogradFilterGradAVX512(dw *float32, kc int, du *float32, filters int)
TEXT ·winogradFilterGradAVX512(SB), NOSPLIT, $0-32
	MOVQ         dw+0(FP), DI
	MOVQ         kc+8(FP), R8
	SHLQ         $2, R8
	MOVQ         du+16(FP), SI
	MOVQ         filters+24(FP), CX
	VMOVUPS      wgGather<>(SB), Z31
	VBROADCASTSS wgHalf<>(SB), Z30

fgGroup:
	MOVL  $0xffff, AX
	CMPQ  CX, $16
	JGE   fgMask
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX

fgMask:
	KMOVW AX, K1
	MOVQ  SI, AX
	VMOVUPS.Z (AX), K1, Z0
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z1
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z2
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z3
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z4
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z5
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z6
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z7
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z8
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z9
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z10
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z11
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z12
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z13
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z14
	ADDQ      R8, AX
	VMOVUPS.Z (AX), K1, Z15
	ADDQ      R8, AX
	// Gᵀ dU, column by column: rows u0 + ½(u1 + u2), ½(u1 − u2), ½(u1 + u2) + u3.
	VADDPS  Z8, Z4, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z8, Z4, Z17
	VMULPS  Z30, Z17, Z4
	VADDPS  Z16, Z0, Z0
	VADDPS  Z12, Z16, Z8
	VADDPS  Z9, Z5, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z9, Z5, Z17
	VMULPS  Z30, Z17, Z5
	VADDPS  Z16, Z1, Z1
	VADDPS  Z13, Z16, Z9
	VADDPS  Z10, Z6, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z10, Z6, Z17
	VMULPS  Z30, Z17, Z6
	VADDPS  Z16, Z2, Z2
	VADDPS  Z14, Z16, Z10
	VADDPS  Z11, Z7, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z11, Z7, Z17
	VMULPS  Z30, Z17, Z7
	VADDPS  Z16, Z3, Z3
	VADDPS  Z15, Z16, Z11
	// (Gᵀ dU) G, row by row (r0 … r3 in Z(4i) … Z(4i+3), i = 0, 1, 2), added to dw[9f + 3i + j].
	VADDPS  Z2, Z1, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z2, Z1, Z17
	VMULPS  Z30, Z17, Z17
	VADDPS  Z16, Z0, Z18
	VADDPS  Z3, Z16, Z19
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 0(DI)(Z31*4), K2, Z20
	VADDPS     Z18, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 0(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 4(DI)(Z31*4), K2, Z20
	VADDPS     Z17, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 4(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 8(DI)(Z31*4), K2, Z20
	VADDPS     Z19, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 8(DI)(Z31*4)
	VADDPS  Z6, Z5, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z6, Z5, Z17
	VMULPS  Z30, Z17, Z17
	VADDPS  Z16, Z4, Z18
	VADDPS  Z7, Z16, Z19
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 12(DI)(Z31*4), K2, Z20
	VADDPS     Z18, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 12(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 16(DI)(Z31*4), K2, Z20
	VADDPS     Z17, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 16(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 20(DI)(Z31*4), K2, Z20
	VADDPS     Z19, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 20(DI)(Z31*4)
	VADDPS  Z10, Z9, Z16
	VMULPS  Z30, Z16, Z16
	VSUBPS  Z10, Z9, Z17
	VMULPS  Z30, Z17, Z17
	VADDPS  Z16, Z8, Z18
	VADDPS  Z11, Z16, Z19
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 24(DI)(Z31*4), K2, Z20
	VADDPS     Z18, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 24(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 28(DI)(Z31*4), K2, Z20
	VADDPS     Z17, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 28(DI)(Z31*4)
	KMOVW      K1, K2
	VPXORD     Z20, Z20, Z20
	VGATHERDPS 32(DI)(Z31*4), K2, Z20
	VADDPS     Z19, Z20, Z20
	KMOVW      K1, K2
	VSCATTERDPS Z20, K2, 32(DI)(Z31*4)
	ADDQ $576, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JGT  fgGroup
	VZEROUPPER
	RET

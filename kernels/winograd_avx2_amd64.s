// The AVX2 transforms of Winograd F(2×2, 3×3) (winograd.go): the
// kernels of winograd_amd64.s with eight tiles (or filters) to a vector,
// bit for bit the same as the plain Go ones. Without mask registers, the
// partial last group of a row is loaded and stored with VMASKMOVPS, its
// mask read from wgLanes at 32 − 4·n bytes (n lanes set). The even and odd
// columns of sixteen floats are VSHUFPS of two loads, put in order by
// VPERMPD; pixels are interleaved by VUNPCKLPS/VUNPCKHPS and VPERM2F128.
// AVX2 has no scatter: the filter gradient's values go through the stack
// and are added into dw one by one. The input kernel reads its four
// zero-padded rows up to 16·⌈tiles/8⌉ + 18 floats past the first tile's.

#include "textflag.h"

DATA wgLanes<>+0(SB)/4, $0xffffffff
DATA wgLanes<>+4(SB)/4, $0xffffffff
DATA wgLanes<>+8(SB)/4, $0xffffffff
DATA wgLanes<>+12(SB)/4, $0xffffffff
DATA wgLanes<>+16(SB)/4, $0xffffffff
DATA wgLanes<>+20(SB)/4, $0xffffffff
DATA wgLanes<>+24(SB)/4, $0xffffffff
DATA wgLanes<>+28(SB)/4, $0xffffffff
DATA wgLanes<>+32(SB)/4, $0
DATA wgLanes<>+36(SB)/4, $0
DATA wgLanes<>+40(SB)/4, $0
DATA wgLanes<>+44(SB)/4, $0
DATA wgLanes<>+48(SB)/4, $0
DATA wgLanes<>+52(SB)/4, $0
DATA wgLanes<>+56(SB)/4, $0
DATA wgLanes<>+60(SB)/4, $0
GLOBL wgLanes<>(SB), RODATA|NOPTR, $64
DATA wgGather8<>+0(SB)/4, $0
DATA wgGather8<>+4(SB)/4, $9
DATA wgGather8<>+8(SB)/4, $18
DATA wgGather8<>+12(SB)/4, $27
DATA wgGather8<>+16(SB)/4, $36
DATA wgGather8<>+20(SB)/4, $45
DATA wgGather8<>+24(SB)/4, $54
DATA wgGather8<>+28(SB)/4, $63
GLOBL wgGather8<>(SB), RODATA|NOPTR, $32
DATA wgHalf2<>+0(SB)/4, $0x3f000000
GLOBL wgHalf2<>(SB), RODATA|NOPTR, $4
DATA wgSign2<>+0(SB)/4, $0x80000000
GLOBL wgSign2<>(SB), RODATA|NOPTR, $4

// func winogradInputAVX2(v *float32, cs int, rows *float32, ldr, tiles int)
TEXT ·winogradInputAVX2(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), DI
	MOVQ cs+8(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R14
	LEAQ (R8*4), R9
	MOVQ rows+16(FP), R10
	MOVQ ldr+24(FP), R15
	SHLQ $2, R15
	LEAQ (R10)(R15*1), R11
	LEAQ (R11)(R15*1), R12
	LEAQ (R12)(R15*1), R13
	MOVQ tiles+32(FP), CX

inGroup:
	MOVQ    CX, BX
	CMPQ    BX, $8
	JLE     inMaska
	MOVQ    $8, BX
inMaska:
	CMPQ    BX, $0
	JGE     inMaskb
	XORQ    BX, BX
inMaskb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y13
	// Rows 1 and 2 of the patches: d1 in Y0–Y3, d2 in Y4–Y7.
	VMOVUPS  (R11), Y14
	VMOVUPS  32(R11), Y15
	VSHUFPS  $0x88, Y15, Y14, Y0
	VPERMPD  $0xD8, Y0, Y0
	VSHUFPS  $0xDD, Y15, Y14, Y1
	VPERMPD  $0xD8, Y1, Y1
	VMOVUPS  8(R11), Y14
	VMOVUPS  40(R11), Y15
	VSHUFPS  $0x88, Y15, Y14, Y2
	VPERMPD  $0xD8, Y2, Y2
	VSHUFPS  $0xDD, Y15, Y14, Y3
	VPERMPD  $0xD8, Y3, Y3
	VMOVUPS  (R12), Y14
	VMOVUPS  32(R12), Y15
	VSHUFPS  $0x88, Y15, Y14, Y4
	VPERMPD  $0xD8, Y4, Y4
	VSHUFPS  $0xDD, Y15, Y14, Y5
	VPERMPD  $0xD8, Y5, Y5
	VMOVUPS  8(R12), Y14
	VMOVUPS  40(R12), Y15
	VSHUFPS  $0x88, Y15, Y14, Y6
	VPERMPD  $0xD8, Y6, Y6
	VSHUFPS  $0xDD, Y15, Y14, Y7
	VPERMPD  $0xD8, Y7, Y7
	// Row 1 of Bᵀ d: d1 + d2, then its row of (Bᵀ d) B, V[4 … 7].
	VADDPS  Y4, Y0, Y8
	VADDPS  Y5, Y1, Y9
	VADDPS  Y6, Y2, Y10
	VADDPS  Y7, Y3, Y11
	MOVQ    DI, AX
	ADDQ    R9, AX
	VSUBPS  Y10, Y8, Y12
	VMASKMOVPS Y12, Y13, (AX)
	VADDPS  Y10, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*1)
	VSUBPS  Y9, Y10, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*2)
	VSUBPS  Y11, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R14*1)
	// Row 2: d2 − d1, V[8 … 11].
	VSUBPS  Y0, Y4, Y8
	VSUBPS  Y1, Y5, Y9
	VSUBPS  Y2, Y6, Y10
	VSUBPS  Y3, Y7, Y11
	MOVQ    DI, AX
	LEAQ    (AX)(R9*2), AX
	VSUBPS  Y10, Y8, Y12
	VMASKMOVPS Y12, Y13, (AX)
	VADDPS  Y10, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*1)
	VSUBPS  Y9, Y10, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*2)
	VSUBPS  Y11, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R14*1)
	// Row 0: d0 − d2, V[0 … 3].
	VMOVUPS  (R10), Y14
	VMOVUPS  32(R10), Y15
	VSHUFPS  $0x88, Y15, Y14, Y8
	VPERMPD  $0xD8, Y8, Y8
	VSHUFPS  $0xDD, Y15, Y14, Y9
	VPERMPD  $0xD8, Y9, Y9
	VMOVUPS  8(R10), Y14
	VMOVUPS  40(R10), Y15
	VSHUFPS  $0x88, Y15, Y14, Y10
	VPERMPD  $0xD8, Y10, Y10
	VSHUFPS  $0xDD, Y15, Y14, Y11
	VPERMPD  $0xD8, Y11, Y11
	VSUBPS  Y4, Y8, Y8
	VSUBPS  Y5, Y9, Y9
	VSUBPS  Y6, Y10, Y10
	VSUBPS  Y7, Y11, Y11
	MOVQ    DI, AX
	VSUBPS  Y10, Y8, Y12
	VMASKMOVPS Y12, Y13, (AX)
	VADDPS  Y10, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*1)
	VSUBPS  Y9, Y10, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*2)
	VSUBPS  Y11, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R14*1)
	// Row 3: d1 − d3, V[12 … 15].
	VMOVUPS  (R13), Y14
	VMOVUPS  32(R13), Y15
	VSHUFPS  $0x88, Y15, Y14, Y4
	VPERMPD  $0xD8, Y4, Y4
	VSHUFPS  $0xDD, Y15, Y14, Y5
	VPERMPD  $0xD8, Y5, Y5
	VMOVUPS  8(R13), Y14
	VMOVUPS  40(R13), Y15
	VSHUFPS  $0x88, Y15, Y14, Y6
	VPERMPD  $0xD8, Y6, Y6
	VSHUFPS  $0xDD, Y15, Y14, Y7
	VPERMPD  $0xD8, Y7, Y7
	VSUBPS  Y4, Y0, Y8
	VSUBPS  Y5, Y1, Y9
	VSUBPS  Y6, Y2, Y10
	VSUBPS  Y7, Y3, Y11
	MOVQ    DI, AX
	LEAQ    (AX)(R9*2), AX
	ADDQ    R9, AX
	VSUBPS  Y10, Y8, Y12
	VMASKMOVPS Y12, Y13, (AX)
	VADDPS  Y10, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*1)
	VSUBPS  Y9, Y10, Y12
	VMASKMOVPS Y12, Y13, (AX)(R8*2)
	VSUBPS  Y11, Y9, Y12
	VMASKMOVPS Y12, Y13, (AX)(R14*1)
	ADDQ $32, DI
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $8, CX
	JGT  inGroup
	VZEROUPPER
	RET

// func winogradOutputAVX2(m *float32, ks int, y *float32, ldy, tiles, cols, rows int, bias float32, accumulate int)
TEXT ·winogradOutputAVX2(SB), NOSPLIT, $0-72
	MOVQ m+0(FP), SI
	MOVQ ks+8(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R14
	LEAQ (R8*4), R9
	MOVQ y+16(FP), DI
	MOVQ ldy+24(FP), R15
	SHLQ $2, R15
	MOVQ tiles+32(FP), CX
	MOVQ cols+40(FP), DX
	MOVQ rows+48(FP), R10
	MOVQ accumulate+64(FP), R11

outGroup:
	MOVQ    CX, BX
	CMPQ    BX, $8
	JLE     outTilesa
	MOVQ    $8, BX
outTilesa:
	CMPQ    BX, $0
	JGE     outTilesb
	XORQ    BX, BX
outTilesb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y13
	MOVQ    DX, BX
	CMPQ    BX, $8
	JLE     outLowa
	MOVQ    $8, BX
outLowa:
	CMPQ    BX, $0
	JGE     outLowb
	XORQ    BX, BX
outLowb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y14
	LEAQ    -8(DX), R12
	MOVQ    R12, BX
	CMPQ    BX, $8
	JLE     outHigha
	MOVQ    $8, BX
outHigha:
	CMPQ    BX, $0
	JGE     outHighb
	XORQ    BX, BX
outHighb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y15
	// Aᵀ M, column by column j: s0j = m0j + m1j + m2j in Y(j), s1j = m1j − m2j − m3j in Y(4+j).
	MOVQ       SI, AX
	LEAQ       (AX)(R9*2), BX
	ADDQ       R9, BX
	VMASKMOVPS (AX), Y13, Y8
	VMASKMOVPS (AX)(R9*1), Y13, Y9
	VMASKMOVPS (AX)(R9*2), Y13, Y10
	VMASKMOVPS (BX), Y13, Y11
	VADDPS     Y9, Y8, Y0
	VADDPS     Y10, Y0, Y0
	VSUBPS     Y10, Y9, Y4
	VSUBPS     Y11, Y4, Y4
	LEAQ       (SI)(R8*1), AX
	LEAQ       (AX)(R9*2), BX
	ADDQ       R9, BX
	VMASKMOVPS (AX), Y13, Y8
	VMASKMOVPS (AX)(R9*1), Y13, Y9
	VMASKMOVPS (AX)(R9*2), Y13, Y10
	VMASKMOVPS (BX), Y13, Y11
	VADDPS     Y9, Y8, Y1
	VADDPS     Y10, Y1, Y1
	VSUBPS     Y10, Y9, Y5
	VSUBPS     Y11, Y5, Y5
	LEAQ       (SI)(R8*2), AX
	LEAQ       (AX)(R9*2), BX
	ADDQ       R9, BX
	VMASKMOVPS (AX), Y13, Y8
	VMASKMOVPS (AX)(R9*1), Y13, Y9
	VMASKMOVPS (AX)(R9*2), Y13, Y10
	VMASKMOVPS (BX), Y13, Y11
	VADDPS     Y9, Y8, Y2
	VADDPS     Y10, Y2, Y2
	VSUBPS     Y10, Y9, Y6
	VSUBPS     Y11, Y6, Y6
	LEAQ       (SI)(R14*1), AX
	LEAQ       (AX)(R9*2), BX
	ADDQ       R9, BX
	VMASKMOVPS (AX), Y13, Y8
	VMASKMOVPS (AX)(R9*1), Y13, Y9
	VMASKMOVPS (AX)(R9*2), Y13, Y10
	VMASKMOVPS (BX), Y13, Y11
	VADDPS     Y9, Y8, Y3
	VADDPS     Y10, Y3, Y3
	VSUBPS     Y10, Y9, Y7
	VSUBPS     Y11, Y7, Y7
	// (Aᵀ M) A: the two pixels of each row of the tile.
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VSUBPS Y2, Y1, Y9
	VSUBPS Y3, Y9, Y9
	VADDPS Y5, Y4, Y10
	VADDPS Y6, Y10, Y10
	VSUBPS Y6, Y5, Y11
	VSUBPS Y7, Y11, Y11

	// Interleave them into columns: row 0 in Y0, Y1, row 1 in Y2, Y3.
	VUNPCKLPS  Y9, Y8, Y12
	VUNPCKHPS  Y9, Y8, Y4
	VPERM2F128 $0x20, Y4, Y12, Y0
	VPERM2F128 $0x31, Y4, Y12, Y1
	VUNPCKLPS  Y11, Y10, Y12
	VUNPCKHPS  Y11, Y10, Y4
	VPERM2F128 $0x20, Y4, Y12, Y2
	VPERM2F128 $0x31, Y4, Y12, Y3

	TESTQ R11, R11
	JNZ   outAdd
	VBROADCASTSS bias+56(FP), Y12
	VADDPS Y12, Y0, Y0
	VADDPS Y12, Y1, Y1
	VADDPS Y12, Y2, Y2
	VADDPS Y12, Y3, Y3
	JMP    outStore

outAdd:
	VMASKMOVPS (DI), Y14, Y12
	VADDPS     Y12, Y0, Y0
	VMASKMOVPS 32(DI), Y15, Y12
	VADDPS     Y12, Y1, Y1
	CMPQ       R10, $2
	JLT        outStore
	VMASKMOVPS (DI)(R15*1), Y14, Y12
	VADDPS     Y12, Y2, Y2
	VMASKMOVPS 32(DI)(R15*1), Y15, Y12
	VADDPS     Y12, Y3, Y3

outStore:
	VMASKMOVPS Y0, Y14, (DI)
	VMASKMOVPS Y1, Y15, 32(DI)
	CMPQ       R10, $2
	JLT        outNext
	VMASKMOVPS Y2, Y14, (DI)(R15*1)
	VMASKMOVPS Y3, Y15, 32(DI)(R15*1)

outNext:
	ADDQ $32, SI
	ADDQ $64, DI
	SUBQ $16, DX
	SUBQ $8, CX
	JGT  outGroup
	VZEROUPPER
	RET

// func winogradGradAVX2(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)
TEXT ·winogradGradAVX2(SB), NOSPLIT, $0-56
	MOVQ mg+0(FP), DI
	MOVQ ks+8(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R14
	LEAQ (R8*4), R9
	MOVQ dy+16(FP), SI
	MOVQ ldy+24(FP), R15
	SHLQ $2, R15
	MOVQ tiles+32(FP), CX
	MOVQ cols+40(FP), DX
	MOVQ rows+48(FP), R10

gradGroup:
	MOVQ    CX, BX
	CMPQ    BX, $8
	JLE     gradTilesa
	MOVQ    $8, BX
gradTilesa:
	CMPQ    BX, $0
	JGE     gradTilesb
	XORQ    BX, BX
gradTilesb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y13
	MOVQ    DX, BX
	CMPQ    BX, $8
	JLE     gradLowa
	MOVQ    $8, BX
gradLowa:
	CMPQ    BX, $0
	JGE     gradLowb
	XORQ    BX, BX
gradLowb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y14
	LEAQ    -8(DX), R12
	MOVQ    R12, BX
	CMPQ    BX, $8
	JLE     gradHigha
	MOVQ    $8, BX
gradHigha:
	CMPQ    BX, $0
	JGE     gradHighb
	XORQ    BX, BX
gradHighb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y15
	// Row 0 of the tiles: a (even columns) in Y0, b (odd) in Y1.
	VMASKMOVPS (SI), Y14, Y10
	VMASKMOVPS 32(SI), Y15, Y11
	VSHUFPS    $0x88, Y11, Y10, Y0
	VPERMPD    $0xD8, Y0, Y0
	VSHUFPS    $0xDD, Y11, Y10, Y1
	VPERMPD    $0xD8, Y1, Y1

	// Row 1: c in Y2, d in Y3, or zeros past the output's last row.
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   R10, $2
	JLT    gradRows
	VMASKMOVPS (SI)(R15*1), Y14, Y10
	VMASKMOVPS 32(SI)(R15*1), Y15, Y11
	VSHUFPS    $0x88, Y11, Y10, Y2
	VPERMPD    $0xD8, Y2, Y2
	VSHUFPS    $0xDD, Y11, Y10, Y3
	VPERMPD    $0xD8, Y3, Y3

gradRows:
	// A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d).
	VBROADCASTSS wgSign2<>(SB), Y12
	VADDPS Y2, Y0, Y4
	VADDPS Y3, Y1, Y5
	VSUBPS Y2, Y0, Y6
	VSUBPS Y3, Y1, Y7
	VXORPS Y12, Y2, Y8
	VXORPS Y12, Y3, Y9

	// (A dY) Aᵀ, row by row (p, q): p, p + q, p − q, −q, stored to M′[ξ].
	MOVQ DI, AX
	VMASKMOVPS Y0, Y13, (AX)
	VADDPS     Y1, Y0, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*1)
	VSUBPS     Y1, Y0, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*2)
	VXORPS     Y12, Y1, Y10
	VMASKMOVPS Y10, Y13, (AX)(R14*1)
	ADDQ       R9, AX
	VMASKMOVPS Y4, Y13, (AX)
	VADDPS     Y5, Y4, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*1)
	VSUBPS     Y5, Y4, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*2)
	VXORPS     Y12, Y5, Y10
	VMASKMOVPS Y10, Y13, (AX)(R14*1)
	ADDQ       R9, AX
	VMASKMOVPS Y6, Y13, (AX)
	VADDPS     Y7, Y6, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*1)
	VSUBPS     Y7, Y6, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*2)
	VXORPS     Y12, Y7, Y10
	VMASKMOVPS Y10, Y13, (AX)(R14*1)
	ADDQ       R9, AX
	VMASKMOVPS Y8, Y13, (AX)
	VADDPS     Y9, Y8, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*1)
	VSUBPS     Y9, Y8, Y10
	VMASKMOVPS Y10, Y13, (AX)(R8*2)
	VXORPS     Y12, Y9, Y10
	VMASKMOVPS Y10, Y13, (AX)(R14*1)
	ADDQ       R9, AX
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $16, DX
	SUBQ $8, CX
	JGT  gradGroup
	VZEROUPPER
	RET

// func winogradFilterAVX2(u *float32, kc int, w *float32, filters int)
TEXT ·winogradFilterAVX2(SB), NOSPLIT, $0-32
	MOVQ         u+0(FP), DI
	MOVQ         kc+8(FP), R8
	SHLQ         $2, R8
	LEAQ         (R8)(R8*2), R14
	LEAQ         (R8*4), R9
	MOVQ         w+16(FP), SI
	MOVQ         filters+24(FP), CX
	VMOVDQU      wgGather8<>(SB), Y15
	VBROADCASTSS wgHalf2<>(SB), Y12

filterGroup:
	MOVQ    CX, BX
	CMPQ    BX, $8
	JLE     filterMaska
	MOVQ    $8, BX
filterMaska:
	CMPQ    BX, $0
	JGE     filterMaskb
	XORQ    BX, BX
filterMaskb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y14
	VMOVAPS    Y14, Y13
	VXORPS     Y0, Y0, Y0
	VGATHERDPS Y13, 0(SI)(Y15*4), Y0
	VMOVAPS    Y14, Y13
	VXORPS     Y1, Y1, Y1
	VGATHERDPS Y13, 4(SI)(Y15*4), Y1
	VMOVAPS    Y14, Y13
	VXORPS     Y2, Y2, Y2
	VGATHERDPS Y13, 8(SI)(Y15*4), Y2
	VMOVAPS    Y14, Y13
	VXORPS     Y3, Y3, Y3
	VGATHERDPS Y13, 12(SI)(Y15*4), Y3
	VMOVAPS    Y14, Y13
	VXORPS     Y4, Y4, Y4
	VGATHERDPS Y13, 16(SI)(Y15*4), Y4
	VMOVAPS    Y14, Y13
	VXORPS     Y5, Y5, Y5
	VGATHERDPS Y13, 20(SI)(Y15*4), Y5
	VMOVAPS    Y14, Y13
	VXORPS     Y6, Y6, Y6
	VGATHERDPS Y13, 24(SI)(Y15*4), Y6
	VMOVAPS    Y14, Y13
	VXORPS     Y7, Y7, Y7
	VGATHERDPS Y13, 28(SI)(Y15*4), Y7
	VMOVAPS    Y14, Y13
	VXORPS     Y8, Y8, Y8
	VGATHERDPS Y13, 32(SI)(Y15*4), Y8
	// Row i of G g, three values t_i0 … t_i2 (column j: g0 = Y(j), g1 = Y(3+j), g2 = Y(6+j)),
	// then its row of (G g) Gᵀ: U[4i … 4i+3] = t0, ((t0 + t2) + t1)·½, ((t0 + t2) − t1)·½, t2.
	MOVQ DI, AX
	// i = 0: t_0j = g0.
	VMASKMOVPS Y0, Y14, (AX)
	VADDPS     Y2, Y0, Y13
	VADDPS     Y1, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*1)
	VADDPS     Y2, Y0, Y13
	VSUBPS     Y1, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*2)
	VMASKMOVPS Y2, Y14, (AX)(R14*1)
	ADDQ       R9, AX
	// i = 1: t_1j = ((g0 + g2) + g1)·½.
	VADDPS  Y6, Y0, Y9
	VADDPS  Y3, Y9, Y9
	VMULPS  Y12, Y9, Y9
	VADDPS  Y7, Y1, Y10
	VADDPS  Y4, Y10, Y10
	VMULPS  Y12, Y10, Y10
	VADDPS  Y8, Y2, Y11
	VADDPS  Y5, Y11, Y11
	VMULPS  Y12, Y11, Y11
	VMASKMOVPS Y9, Y14, (AX)
	VADDPS     Y11, Y9, Y13
	VADDPS     Y10, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*1)
	VADDPS     Y11, Y9, Y13
	VSUBPS     Y10, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*2)
	VMASKMOVPS Y11, Y14, (AX)(R14*1)
	ADDQ       R9, AX
	// i = 2: t_2j = ((g0 + g2) − g1)·½.
	VADDPS  Y6, Y0, Y9
	VSUBPS  Y3, Y9, Y9
	VMULPS  Y12, Y9, Y9
	VADDPS  Y7, Y1, Y10
	VSUBPS  Y4, Y10, Y10
	VMULPS  Y12, Y10, Y10
	VADDPS  Y8, Y2, Y11
	VSUBPS  Y5, Y11, Y11
	VMULPS  Y12, Y11, Y11
	VMASKMOVPS Y9, Y14, (AX)
	VADDPS     Y11, Y9, Y13
	VADDPS     Y10, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*1)
	VADDPS     Y11, Y9, Y13
	VSUBPS     Y10, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*2)
	VMASKMOVPS Y11, Y14, (AX)(R14*1)
	ADDQ       R9, AX
	// i = 3: t_3j = g2.
	VMASKMOVPS Y6, Y14, (AX)
	VADDPS     Y8, Y6, Y13
	VADDPS     Y7, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*1)
	VADDPS     Y8, Y6, Y13
	VSUBPS     Y7, Y13, Y13
	VMULPS     Y12, Y13, Y13
	VMASKMOVPS Y13, Y14, (AX)(R8*2)
	VMASKMOVPS Y8, Y14, (AX)(R14*1)
	ADDQ       R9, AX
	ADDQ $32, DI
	ADDQ $288, SI
	SUBQ $8, CX
	JGT  filterGroup
	VZEROUPPER
	RET

// func winogradFilterGradAVX2(dw *float32, kc int, du *float32, filters int)
TEXT ·winogradFilterGradAVX2(SB), NOSPLIT, $288-32
	MOVQ         dw+0(FP), DI
	MOVQ         kc+8(FP), R8
	SHLQ         $2, R8
	LEAQ         (R8)(R8*2), R10
	LEAQ         (R8*4), R9
	MOVQ         du+16(FP), SI
	MOVQ         filters+24(FP), CX
	VBROADCASTSS wgHalf2<>(SB), Y14

fgGroup:
	MOVQ    CX, BX
	CMPQ    BX, $8
	JLE     fgMaska
	MOVQ    $8, BX
fgMaska:
	CMPQ    BX, $0
	JGE     fgMaskb
	XORQ    BX, BX
fgMaskb:
	LEAQ    wgLanes<>+32(SB), AX
	SHLQ    $2, BX
	SUBQ    BX, AX
	VMOVDQU (AX), Y15
	// Gᵀ dU, column by column j (dU[ξ] at SI + ξ·kc floats): h = (u1 + u2)·½,
	// r0 = u0 + h in Y(j), r1 = (u1 − u2)·½ in Y(4+j), r2 = h + u3 in Y(8+j).
	MOVQ       SI, AX
	VMASKMOVPS (AX)(R9*1), Y15, Y12
	VMASKMOVPS (AX)(R9*2), Y15, Y13
	VSUBPS     Y13, Y12, Y4
	VMULPS     Y14, Y4, Y4
	VADDPS     Y13, Y12, Y12
	VMULPS     Y14, Y12, Y12
	VMASKMOVPS (AX), Y15, Y13
	VADDPS     Y12, Y13, Y0
	LEAQ       (AX)(R9*2), BX
	VMASKMOVPS (BX)(R9*1), Y15, Y13
	VADDPS     Y13, Y12, Y8
	LEAQ       (SI)(R8*1), AX
	VMASKMOVPS (AX)(R9*1), Y15, Y12
	VMASKMOVPS (AX)(R9*2), Y15, Y13
	VSUBPS     Y13, Y12, Y5
	VMULPS     Y14, Y5, Y5
	VADDPS     Y13, Y12, Y12
	VMULPS     Y14, Y12, Y12
	VMASKMOVPS (AX), Y15, Y13
	VADDPS     Y12, Y13, Y1
	LEAQ       (AX)(R9*2), BX
	VMASKMOVPS (BX)(R9*1), Y15, Y13
	VADDPS     Y13, Y12, Y9
	LEAQ       (SI)(R8*2), AX
	VMASKMOVPS (AX)(R9*1), Y15, Y12
	VMASKMOVPS (AX)(R9*2), Y15, Y13
	VSUBPS     Y13, Y12, Y6
	VMULPS     Y14, Y6, Y6
	VADDPS     Y13, Y12, Y12
	VMULPS     Y14, Y12, Y12
	VMASKMOVPS (AX), Y15, Y13
	VADDPS     Y12, Y13, Y2
	LEAQ       (AX)(R9*2), BX
	VMASKMOVPS (BX)(R9*1), Y15, Y13
	VADDPS     Y13, Y12, Y10
	LEAQ       (SI)(R10*1), AX
	VMASKMOVPS (AX)(R9*1), Y15, Y12
	VMASKMOVPS (AX)(R9*2), Y15, Y13
	VSUBPS     Y13, Y12, Y7
	VMULPS     Y14, Y7, Y7
	VADDPS     Y13, Y12, Y12
	VMULPS     Y14, Y12, Y12
	VMASKMOVPS (AX), Y15, Y13
	VADDPS     Y12, Y13, Y3
	LEAQ       (AX)(R9*2), BX
	VMASKMOVPS (BX)(R9*1), Y15, Y13
	VADDPS     Y13, Y12, Y11
	// (Gᵀ dU) G, row by row i (r0 … r3 in Y(4i) … Y(4i+3)): h = (r1 + r2)·½,
	// then r0 + h, (r1 − r2)·½, h + r3 to the stack, value 3i + j of filter
	// lane l at 32·(3i + j) + 4l.
	VADDPS  Y2, Y1, Y12
	VMULPS  Y14, Y12, Y12
	VADDPS  Y12, Y0, Y13
	VMOVUPS Y13, 0(SP)
	VSUBPS  Y2, Y1, Y13
	VMULPS  Y14, Y13, Y13
	VMOVUPS Y13, 32(SP)
	VADDPS  Y3, Y12, Y13
	VMOVUPS Y13, 64(SP)
	VADDPS  Y6, Y5, Y12
	VMULPS  Y14, Y12, Y12
	VADDPS  Y12, Y4, Y13
	VMOVUPS Y13, 96(SP)
	VSUBPS  Y6, Y5, Y13
	VMULPS  Y14, Y13, Y13
	VMOVUPS Y13, 128(SP)
	VADDPS  Y7, Y12, Y13
	VMOVUPS Y13, 160(SP)
	VADDPS  Y10, Y9, Y12
	VMULPS  Y14, Y12, Y12
	VADDPS  Y12, Y8, Y13
	VMOVUPS Y13, 192(SP)
	VSUBPS  Y10, Y9, Y13
	VMULPS  Y14, Y13, Y13
	VMOVUPS Y13, 224(SP)
	VADDPS  Y11, Y12, Y13
	VMOVUPS Y13, 256(SP)
	// Add them into dw[9f … 9f+8], filter by filter (at most CX of the eight).
	MOVQ  CX, DX
	CMPQ  DX, $8
	JLE   fgLanes
	MOVQ  $8, DX

fgLanes:
	XORQ  BX, BX

fgLane:
	VMOVSS 0(SP)(BX*4), X0
	VADDSS 0(DI), X0, X0
	VMOVSS X0, 0(DI)
	VMOVSS 32(SP)(BX*4), X0
	VADDSS 4(DI), X0, X0
	VMOVSS X0, 4(DI)
	VMOVSS 64(SP)(BX*4), X0
	VADDSS 8(DI), X0, X0
	VMOVSS X0, 8(DI)
	VMOVSS 96(SP)(BX*4), X0
	VADDSS 12(DI), X0, X0
	VMOVSS X0, 12(DI)
	VMOVSS 128(SP)(BX*4), X0
	VADDSS 16(DI), X0, X0
	VMOVSS X0, 16(DI)
	VMOVSS 160(SP)(BX*4), X0
	VADDSS 20(DI), X0, X0
	VMOVSS X0, 20(DI)
	VMOVSS 192(SP)(BX*4), X0
	VADDSS 24(DI), X0, X0
	VMOVSS X0, 24(DI)
	VMOVSS 224(SP)(BX*4), X0
	VADDSS 28(DI), X0, X0
	VMOVSS X0, 28(DI)
	VMOVSS 256(SP)(BX*4), X0
	VADDSS 32(DI), X0, X0
	VMOVSS X0, 32(DI)
	ADDQ $36, DI
	INCQ BX
	CMPQ BX, DX
	JLT  fgLane
	ADDQ $32, SI
	SUBQ $8, CX
	JGT  fgGroup
	VZEROUPPER
	RET

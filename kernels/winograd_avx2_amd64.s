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

// wgLanes: eight all-ones lanes, then eight zero ones; 32 bytes read at
// 32 − 4·n set the first n lanes. wgGather8: gather indices, 9 floats apart.
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

// LANES8 sets y to a mask of the first min(max(n, 0), 8) lanes. Uses AX, BX.
#define LANES8(n, y) \
	MOVQ    n, BX;                   \
	XORL    AX, AX;                  \
	CMPQ    BX, AX;                  \
	CMOVQLT AX, BX;                  \
	MOVL    $8, AX;                  \
	CMPQ    BX, AX;                  \
	CMOVQGT AX, BX;                  \
	LEAQ    wgLanes<>+32(SB), AX;    \
	SHLQ    $2, BX;                  \
	SUBQ    BX, AX;                  \
	VMOVDQU (AX), y

// GROUPMASKS8 sets Y13 to the tiles of a group (CX left) and Y14, Y15 to
// its output columns 0–7 and 8–15 (DX left). Uses AX, BX, R12.
#define GROUPMASKS8 \
	LANES8(CX, Y13);  \
	LANES8(DX, Y14);  \
	LEAQ -8(DX), R12; \
	LANES8(R12, Y15)

// EVENODD puts the even columns of the 16 floats in Y14, Y15 into e and
// the odd ones into o, in order.
#define EVENODD(e, o) \
	VSHUFPS $0x88, Y15, Y14, e; \
	VPERMPD $0xD8, e, e;        \
	VSHUFPS $0xDD, Y15, Y14, o; \
	VPERMPD $0xD8, o, o

// PATCHROW loads columns 0 … 3 of eight patches from one padded row r
// into d0 … d3 (lane l: columns 2l … 2l+3).
#define PATCHROW(r, d0, d1, d2, d3) \
	VMOVUPS (r), Y14;   \
	VMOVUPS 32(r), Y15; \
	EVENODD(d0, d1);    \
	VMOVUPS 8(r), Y14;  \
	VMOVUPS 40(r), Y15; \
	EVENODD(d2, d3)

// BROW stores row i of (Bᵀ d) B from b0 … b3 at AX: b0 − b2, b1 + b2,
// b2 − b1, b1 − b3, R8 bytes apart (R14 = 3·R8), under the mask Y13.
#define BROW(b0, b1, b2, b3) \
	VSUBPS     b2, b0, Y12;          \
	VMASKMOVPS Y12, Y13, (AX);       \
	VADDPS     b2, b1, Y12;          \
	VMASKMOVPS Y12, Y13, (AX)(R8*1); \
	VSUBPS     b1, b2, Y12;          \
	VMASKMOVPS Y12, Y13, (AX)(R8*2); \
	VSUBPS     b3, b1, Y12;          \
	VMASKMOVPS Y12, Y13, (AX)(R14*1)

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
	LANES8(CX, Y13) // the tiles of this group

	// With sixteen registers, Bᵀ d goes a row at a time, each row of
	// (Bᵀ d) B stored as soon as it is made: d1, d2 in Y0–Y7, the row in Y8–Y11.
	PATCHROW(R11, Y0, Y1, Y2, Y3)
	PATCHROW(R12, Y4, Y5, Y6, Y7)

	// Row 1 of Bᵀ d: d1 + d2 → V[4 … 7].
	VADDPS Y4, Y0, Y8
	VADDPS Y5, Y1, Y9
	VADDPS Y6, Y2, Y10
	VADDPS Y7, Y3, Y11
	LEAQ   (DI)(R9*1), AX
	BROW(Y8, Y9, Y10, Y11)

	// Row 2: d2 − d1 → V[8 … 11].
	VSUBPS Y0, Y4, Y8
	VSUBPS Y1, Y5, Y9
	VSUBPS Y2, Y6, Y10
	VSUBPS Y3, Y7, Y11
	LEAQ   (DI)(R9*2), AX
	BROW(Y8, Y9, Y10, Y11)

	// Row 0: d0 − d2 → V[0 … 3].
	PATCHROW(R10, Y8, Y9, Y10, Y11)
	VSUBPS Y4, Y8, Y8
	VSUBPS Y5, Y9, Y9
	VSUBPS Y6, Y10, Y10
	VSUBPS Y7, Y11, Y11
	MOVQ   DI, AX
	BROW(Y8, Y9, Y10, Y11)

	// Row 3: d1 − d3 → V[12 … 15] (d3 where d2 was).
	PATCHROW(R13, Y4, Y5, Y6, Y7)
	VSUBPS Y4, Y0, Y8
	VSUBPS Y5, Y1, Y9
	VSUBPS Y6, Y2, Y10
	VSUBPS Y7, Y3, Y11
	LEAQ   (DI)(R9*2), AX
	ADDQ   R9, AX
	BROW(Y8, Y9, Y10, Y11)

	ADDQ $32, DI
	ADDQ $64, R10
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	SUBQ $8, CX
	JGT  inGroup
	VZEROUPPER
	RET

// ATCOL computes column j of Aᵀ M from the four rows of M at AX, AX + R9,
// AX + 2·R9 and AX + 3·R9 (loaded under Y13 into Y8 … Y11): m0 + m1 + m2
// into s0, m1 − m2 − m3 into s1.
#define ATCOL(s0, s1) \
	LEAQ       (AX)(R9*2), BX;       \
	ADDQ       R9, BX;               \
	VMASKMOVPS (AX), Y13, Y8;        \
	VMASKMOVPS (AX)(R9*1), Y13, Y9;  \
	VMASKMOVPS (AX)(R9*2), Y13, Y10; \
	VMASKMOVPS (BX), Y13, Y11;       \
	VADDPS     Y9, Y8, s0;           \
	VADDPS     Y10, s0, s0;          \
	VSUBPS     Y10, Y9, s1;          \
	VSUBPS     Y11, s1, s1

// INTERLEAVE puts the pixels e (even columns) and o (odd) of eight tiles
// into 16 consecutive columns, lo then hi.
#define INTERLEAVE(e, o, lo, hi) \
	VUNPCKLPS  o, e, Y12;        \
	VUNPCKHPS  o, e, Y4;         \
	VPERM2F128 $0x20, Y4, Y12, lo; \
	VPERM2F128 $0x31, Y4, Y12, hi

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
	GROUPMASKS8

	// Aᵀ M, column by column j (M[ξ] at SI + ξ·ks floats): s0j in Y(j), s1j in Y(4+j).
	MOVQ SI, AX
	ATCOL(Y0, Y4)
	LEAQ (SI)(R8*1), AX
	ATCOL(Y1, Y5)
	LEAQ (SI)(R8*2), AX
	ATCOL(Y2, Y6)
	LEAQ (SI)(R14*1), AX
	ATCOL(Y3, Y7)

	// (Aᵀ M) A: the two pixels of each row of the tile, r0 + r1 + r2 and
	// r1 − r2 − r3: row 0 in Y8, Y9, row 1 in Y10, Y11.
	VADDPS Y1, Y0, Y8
	VADDPS Y2, Y8, Y8
	VSUBPS Y2, Y1, Y9
	VSUBPS Y3, Y9, Y9
	VADDPS Y5, Y4, Y10
	VADDPS Y6, Y10, Y10
	VSUBPS Y6, Y5, Y11
	VSUBPS Y7, Y11, Y11

	// Interleave them into columns: row 0 in Y0, Y1, row 1 in Y2, Y3.
	INTERLEAVE(Y8, Y9, Y0, Y1)
	INTERLEAVE(Y10, Y11, Y2, Y3)

	TESTQ        R11, R11
	JNZ          outAdd
	VBROADCASTSS bias+56(FP), Y12
	VADDPS       Y12, Y0, Y0
	VADDPS       Y12, Y1, Y1
	VADDPS       Y12, Y2, Y2
	VADDPS       Y12, Y3, Y3
	JMP          outStore

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

// AROW stores row i of (A dY) Aᵀ from p, q at AX: p, p + q, p − q, −q,
// R8 bytes apart (R14 = 3·R8), under Y13, then moves AX on by R9 = 4·R8.
#define AROW(p, q) \
	VMASKMOVPS p, Y13, (AX);          \
	VADDPS     q, p, Y10;             \
	VMASKMOVPS Y10, Y13, (AX)(R8*1);  \
	VSUBPS     q, p, Y10;             \
	VMASKMOVPS Y10, Y13, (AX)(R8*2);  \
	VXORPS     Y12, q, Y10;           \
	VMASKMOVPS Y10, Y13, (AX)(R14*1); \
	ADDQ       R9, AX

// DYROW loads a row of output-gradient pixels at a (16 columns, under Y14
// and Y15) and splits it into even columns e and odd o.
#define DYROW(a, b, e, o) \
	VMASKMOVPS a, Y14, Y10;      \
	VMASKMOVPS b, Y15, Y11;      \
	VSHUFPS    $0x88, Y11, Y10, e; \
	VPERMPD    $0xD8, e, e;      \
	VSHUFPS    $0xDD, Y11, Y10, o; \
	VPERMPD    $0xD8, o, o

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
	GROUPMASKS8

	// Row 0 of the tiles: a (even columns) in Y0, b (odd) in Y1; row 1:
	// c in Y2, d in Y3, or zeros past the output's last row.
	DYROW((SI), 32(SI), Y0, Y1)
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   R10, $2
	JLT    gradRows
	DYROW((SI)(R15*1), 32(SI)(R15*1), Y2, Y3)

gradRows:
	// A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d).
	VBROADCASTSS wgSign2<>(SB), Y12
	VADDPS       Y2, Y0, Y4
	VADDPS       Y3, Y1, Y5
	VSUBPS       Y2, Y0, Y6
	VSUBPS       Y3, Y1, Y7
	VXORPS       Y12, Y2, Y8
	VXORPS       Y12, Y3, Y9

	// M′[ξ], ξ = 4i + j, ks floats apart.
	MOVQ DI, AX
	AROW(Y0, Y1)
	AROW(Y4, Y5)
	AROW(Y6, Y7)
	AROW(Y8, Y9)

	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $16, DX
	SUBQ $8, CX
	JGT  gradGroup
	VZEROUPPER
	RET

// URROW stores row i of (G g) Gᵀ from t0, t1, t2 at AX: t0,
// ((t0 + t2) + t1)·½, ((t0 + t2) − t1)·½, t2, R8 bytes apart (R14 = 3·R8),
// under Y14, then moves AX on by R9 = 4·R8 (Y13 is scratch).
#define UROW(t0, t1, t2) \
	VMASKMOVPS t0, Y14, (AX);         \
	VADDPS     t2, t0, Y13;           \
	VADDPS     t1, Y13, Y13;          \
	VMULPS     Y12, Y13, Y13;         \
	VMASKMOVPS Y13, Y14, (AX)(R8*1);  \
	VADDPS     t2, t0, Y13;           \
	VSUBPS     t1, Y13, Y13;          \
	VMULPS     Y12, Y13, Y13;         \
	VMASKMOVPS Y13, Y14, (AX)(R8*2);  \
	VMASKMOVPS t2, Y14, (AX)(R14*1);  \
	ADDQ       R9, AX

// GATHER8 gathers value off of each of the group's filters into z (Y13
// holds the copy of the mask that the gather consumes).
#define GATHER8(off, z) \
	VMOVAPS    Y14, Y13; \
	VXORPS     z, z, z;  \
	VGATHERDPS Y13, off(SI)(Y15*4), z

// GROWT makes row i of G g, t_i0 … t_i2 in Y9 … Y11, from the columns of g
// (g0j in Y(j), g1j in Y(3+j), g2j in Y(6+j)): ((g0 + g2) op g1)·½.
#define GROWT(op) \
	VADDPS Y6, Y0, Y9;   \
	op     Y3, Y9, Y9;   \
	VMULPS Y12, Y9, Y9;  \
	VADDPS Y7, Y1, Y10;  \
	op     Y4, Y10, Y10; \
	VMULPS Y12, Y10, Y10; \
	VADDPS Y8, Y2, Y11;  \
	op     Y5, Y11, Y11; \
	VMULPS Y12, Y11, Y11

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
	LANES8(CX, Y14) // the filters of this group

	// g[i][j] in Y(3i + j).
	GATHER8(0, Y0)
	GATHER8(4, Y1)
	GATHER8(8, Y2)
	GATHER8(12, Y3)
	GATHER8(16, Y4)
	GATHER8(20, Y5)
	GATHER8(24, Y6)
	GATHER8(28, Y7)
	GATHER8(32, Y8)

	// Row i of G g, then its row of (G g) Gᵀ, U[4i … 4i+3]: t_0j = g0j,
	// t_1j and t_2j from GROWT, t_3j = g2j.
	MOVQ DI, AX
	UROW(Y0, Y1, Y2)
	GROWT(VADDPS)
	UROW(Y9, Y10, Y11)
	GROWT(VSUBPS)
	UROW(Y9, Y10, Y11)
	UROW(Y6, Y7, Y8)

	ADDQ $32, DI
	ADDQ $288, SI
	SUBQ $8, CX
	JGT  filterGroup
	VZEROUPPER
	RET

// GTCOL computes column j of Gᵀ dU from the rows of dU at AX, AX + R9,
// AX + 2·R9, AX + 3·R9 (loaded under Y15): with h = (u1 + u2)·½, u0 + h
// into r0, (u1 − u2)·½ into r1, h + u3 into r2.
#define GTCOL(r0, r1, r2) \
	VMASKMOVPS (AX)(R9*1), Y15, Y12; \
	VMASKMOVPS (AX)(R9*2), Y15, Y13; \
	VSUBPS     Y13, Y12, r1;         \
	VMULPS     Y14, r1, r1;          \
	VADDPS     Y13, Y12, Y12;        \
	VMULPS     Y14, Y12, Y12;        \
	VMASKMOVPS (AX), Y15, Y13;       \
	VADDPS     Y12, Y13, r0;         \
	LEAQ       (AX)(R9*2), BX;       \
	VMASKMOVPS (BX)(R9*1), Y15, Y13; \
	VADDPS     Y13, Y12, r2

// GTROW puts row i of (Gᵀ dU) G in the frame (R11), values 3i … 3i+2 of
// each filter lane l at o0, o1, o2 = 32·(3i + j), plus 4l: r0 + h,
// (r1 − r2)·½, h + r3 with h = (r1 + r2)·½.
#define GTROW(o0, o1, o2, r0, r1, r2, r3) \
	VADDPS  r2, r1, Y12;   \
	VMULPS  Y14, Y12, Y12; \
	VADDPS  Y12, r0, Y13;  \
	VMOVUPS Y13, o0(R11);  \
	VSUBPS  r2, r1, Y13;   \
	VMULPS  Y14, Y13, Y13; \
	VMOVUPS Y13, o1(R11);  \
	VADDPS  r3, Y12, Y13;  \
	VMOVUPS Y13, o2(R11)

// ADDLANE adds value k of the framed filter lane BX (at 32·k + 4·BX from
// R11) into dw[9f + k], at 4·k from DI.
#define ADDLANE(o32, o4) \
	VMOVSS o32(R11)(BX*4), X0; \
	VADDSS o4(DI), X0, X0;     \
	VMOVSS X0, o4(DI)

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
	LEAQ         0(SP), R11 // the frame: 9 × 8 values of the group

fgGroup:
	LANES8(CX, Y15) // the filters of this group

	// Gᵀ dU, column by column j (dU[ξ] at SI + ξ·kc floats): row i in Y(4i) … Y(4i+3).
	MOVQ SI, AX
	GTCOL(Y0, Y4, Y8)
	LEAQ (SI)(R8*1), AX
	GTCOL(Y1, Y5, Y9)
	LEAQ (SI)(R8*2), AX
	GTCOL(Y2, Y6, Y10)
	LEAQ (SI)(R10*1), AX
	GTCOL(Y3, Y7, Y11)

	GTROW(0, 32, 64, Y0, Y1, Y2, Y3)
	GTROW(96, 128, 160, Y4, Y5, Y6, Y7)
	GTROW(192, 224, 256, Y8, Y9, Y10, Y11)

	// Add them into dw[9f … 9f+8], filter by filter (at most CX of the eight).
	MOVQ CX, DX
	CMPQ DX, $8
	JLE  fgLanes
	MOVQ $8, DX

fgLanes:
	XORQ BX, BX

fgLane:
	ADDLANE(0, 0)
	ADDLANE(32, 4)
	ADDLANE(64, 8)
	ADDLANE(96, 12)
	ADDLANE(128, 16)
	ADDLANE(160, 20)
	ADDLANE(192, 24)
	ADDLANE(224, 28)
	ADDLANE(256, 32)
	ADDQ $36, DI
	INCQ BX
	CMPQ BX, DX
	JLT  fgLane

	ADDQ $32, SI
	SUBQ $8, CX
	JGT  fgGroup
	VZEROUPPER
	RET

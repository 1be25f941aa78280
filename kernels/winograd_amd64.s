// The AVX-512 transforms of Winograd F(2×2, 3×3) (winograd.go), sixteen
// tiles (or filters) at a time, one per vector lane. Each kernel is bit for
// bit its plain Go row kernel in winograd_transforms.go, whose comment says
// what it computes:
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

// Permutation indices (VPERMT2PS): even and odd columns of two vectors,
// and the two halves of their interleaving; gather indices, 9 floats apart.
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
DATA wgLanes16<>+0(SB)/2, $0
DATA wgLanes16<>+2(SB)/2, $1
DATA wgLanes16<>+4(SB)/2, $3
DATA wgLanes16<>+6(SB)/2, $7
DATA wgLanes16<>+8(SB)/2, $15
DATA wgLanes16<>+10(SB)/2, $31
DATA wgLanes16<>+12(SB)/2, $63
DATA wgLanes16<>+14(SB)/2, $127
DATA wgLanes16<>+16(SB)/2, $255
DATA wgLanes16<>+18(SB)/2, $511
DATA wgLanes16<>+20(SB)/2, $1023
DATA wgLanes16<>+22(SB)/2, $2047
DATA wgLanes16<>+24(SB)/2, $4095
DATA wgLanes16<>+26(SB)/2, $8191
DATA wgLanes16<>+28(SB)/2, $16383
DATA wgLanes16<>+30(SB)/2, $32767
DATA wgLanes16<>+32(SB)/2, $65535
GLOBL wgLanes16<>(SB), RODATA|NOPTR, $34
DATA wgHalf<>+0(SB)/4, $0x3f000000
GLOBL wgHalf<>(SB), RODATA|NOPTR, $4
DATA wgSign<>+0(SB)/4, $0x80000000
GLOBL wgSign<>(SB), RODATA|NOPTR, $4

// LANES sets mask register k to the lowest min(max(n, 0), 16) bits, from
// wgLanes16 (entry i is 2^i − 1). Uses AX, BX.
#define LANES(n, k) \
	MOVQ    n, BX;                  \
	XORL    AX, AX;                 \
	CMPQ    BX, AX;                 \
	CMOVQLT AX, BX;                 \
	MOVL    $16, AX;                \
	CMPQ    BX, AX;                 \
	CMOVQGT AX, BX;                 \
	LEAQ    wgLanes16<>(SB), AX;    \
	MOVWLZX (AX)(BX*2), AX;         \
	KMOVW   AX, k

// GROUPMASKS sets K1 to the tiles of a group (CX left) and K2, K3 to its
// output columns 0–15 and 16–31 (DX left). Uses AX, BX, R12.
#define GROUPMASKS \
	LANES(CX, K1);     \
	LANES(DX, K2);     \
	LEAQ -16(DX), R12; \
	LANES(R12, K3)

// STORE writes z under K1 to the next transformed row: AX, then AX += R8.
#define STORE(z) \
	VMOVUPS z, K1, (AX); \
	ADDQ    R8, AX

// LOAD reads the next transformed row under K1 into z: AX, then AX += R8.
#define LOAD(z) \
	VMOVUPS.Z (AX), K1, z; \
	ADDQ      R8, AX

// LOAD16 reads the sixteen transformed rows ξ = 0 … 15 into Z0 … Z15.
#define LOAD16 \
	LOAD(Z0);  LOAD(Z1);  LOAD(Z2);  LOAD(Z3);  \
	LOAD(Z4);  LOAD(Z5);  LOAD(Z6);  LOAD(Z7);  \
	LOAD(Z8);  LOAD(Z9);  LOAD(Z10); LOAD(Z11); \
	LOAD(Z12); LOAD(Z13); LOAD(Z14); LOAD(Z15)

// SPLIT splits the 32 floats of a and b (Z16, Z17 hold them) into their
// even columns e and odd columns o.
#define SPLIT(a, b, e, o) \
	VMOVUPS   a, Z16;        \
	VMOVUPS   b, Z17;        \
	VMOVAPS   Z16, e;        \
	VPERMT2PS Z17, Z30, e;   \
	VMOVAPS   Z16, o;        \
	VPERMT2PS Z17, Z31, o

// SPLITZ is SPLIT with the loads under masks ka and kb, zero elsewhere.
#define SPLITZ(a, ka, b, kb, e, o) \
	VMOVUPS.Z a, ka, Z16;    \
	VMOVUPS.Z b, kb, Z17;    \
	VMOVAPS   Z16, e;        \
	VPERMT2PS Z17, Z30, e;   \
	VMOVAPS   Z16, o;        \
	VPERMT2PS Z17, Z31, o

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

// BTCOL is column j of Bᵀ d, in place: d0 − d2, d1 + d2, d2 − d1, d1 − d3.
#define BTCOL(d0, d1, d2, d3) \
	VSUBPS  d2, d0, d0;  \
	VADDPS  d2, d1, Z16; \
	VSUBPS  d1, d2, d2;  \
	VSUBPS  d3, d1, d3;  \
	VMOVAPS Z16, d1

// BROW stores row i of (Bᵀ d) B: r0 − r2, r1 + r2, r2 − r1, r1 − r3.
#define BROW(r0, r1, r2, r3) \
	VSUBPS r2, r0, Z16; \
	STORE(Z16);         \
	VADDPS r2, r1, Z16; \
	STORE(Z16);         \
	VSUBPS r1, r2, Z16; \
	STORE(Z16);         \
	VSUBPS r3, r1, Z16; \
	STORE(Z16)

inGroup:
	LANES(CX, K1) // the tiles of this group

	// Row i of the patches, d[i][0 … 3], in Z(4i) … Z(4i+3).
	SPLIT((R10), 64(R10), Z0, Z1)
	SPLIT(8(R10), 72(R10), Z2, Z3)
	SPLIT((R11), 64(R11), Z4, Z5)
	SPLIT(8(R11), 72(R11), Z6, Z7)
	SPLIT((R12), 64(R12), Z8, Z9)
	SPLIT(8(R12), 72(R12), Z10, Z11)
	SPLIT((R13), 64(R13), Z12, Z13)
	SPLIT(8(R13), 72(R13), Z14, Z15)

	BTCOL(Z0, Z4, Z8, Z12)
	BTCOL(Z1, Z5, Z9, Z13)
	BTCOL(Z2, Z6, Z10, Z14)
	BTCOL(Z3, Z7, Z11, Z15)

	// V[ξ], ξ = 4i + j, cs floats apart.
	MOVQ DI, AX
	BROW(Z0, Z1, Z2, Z3)
	BROW(Z4, Z5, Z6, Z7)
	BROW(Z8, Z9, Z10, Z11)
	BROW(Z12, Z13, Z14, Z15)

	ADDQ $64, DI
	ADDQ $128, R10
	ADDQ $128, R11
	ADDQ $128, R12
	ADDQ $128, R13
	SUBQ $16, CX
	JGT  inGroup
	VZEROUPPER
	RET

// ATCOL is column j of Aᵀ M, in place: m0 + m1 + m2 and m1 − m2 − m3.
#define ATCOL(m0, m1, m2, m3) \
	VADDPS m1, m0, m0; \
	VADDPS m2, m0, m0; \
	VSUBPS m2, m1, m1; \
	VSUBPS m3, m1, m1

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
	GROUPMASKS

	// M[ξ] in Z(ξ).
	MOVQ SI, AX
	LOAD16

	ATCOL(Z0, Z4, Z8, Z12)
	ATCOL(Z1, Z5, Z9, Z13)
	ATCOL(Z2, Z6, Z10, Z14)
	ATCOL(Z3, Z7, Z11, Z15)

	// (Aᵀ M) A: the two pixels of each row of the tile, r0 + r1 + r2 and
	// r1 − r2 − r3: row 0 in Z16, Z17, row 1 in Z18, Z19.
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

	TESTQ  R11, R11
	JNZ    outAdd
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

// GATHER gathers value off of each of the group's filters into z.
#define GATHER(off, z) \
	KMOVW      K1, K2;   \
	VPXORD     z, z, z;  \
	VGATHERDPS off(SI)(Z31*4), K2, z

// GCOL is column j of G g: g0, ((g0 + g2) + g1)·½, ((g0 + g2) − g1)·½, g2.
#define GCOL(g0, g1, g2, t0, t1, t2, t3) \
	VMOVAPS g0, t0;     \
	VADDPS  g2, g0, Z21; \
	VADDPS  g1, Z21, t1; \
	VMULPS  Z30, t1, t1; \
	VSUBPS  g1, Z21, t2; \
	VMULPS  Z30, t2, t2; \
	VMOVAPS g2, t3

// GROW stores row i of (G g) Gᵀ: r0, ((r0 + r2) + r1)·½, ((r0 + r2) − r1)·½, r2.
#define GROW(r0, r1, r2) \
	STORE(r0);            \
	VADDPS r2, r0, Z21;   \
	VADDPS r1, Z21, Z22;  \
	VMULPS Z30, Z22, Z22; \
	STORE(Z22);           \
	VSUBPS r1, Z21, Z22;  \
	VMULPS Z30, Z22, Z22; \
	STORE(Z22);           \
	STORE(r2)

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
	LANES(CX, K1) // the filters of this group

	// g[i][j] in Z(3i + j).
	GATHER(0, Z0)
	GATHER(4, Z1)
	GATHER(8, Z2)
	GATHER(12, Z3)
	GATHER(16, Z4)
	GATHER(20, Z5)
	GATHER(24, Z6)
	GATHER(28, Z7)
	GATHER(32, Z8)

	// G g: t[i][j] in Z(9 + 3i + j).
	GCOL(Z0, Z3, Z6, Z9, Z12, Z15, Z18)
	GCOL(Z1, Z4, Z7, Z10, Z13, Z16, Z19)
	GCOL(Z2, Z5, Z8, Z11, Z14, Z17, Z20)

	// U[ξ], ξ = 4i + j, kc floats apart.
	MOVQ DI, AX
	GROW(Z9, Z10, Z11)
	GROW(Z12, Z13, Z14)
	GROW(Z15, Z16, Z17)
	GROW(Z18, Z19, Z20)

	ADDQ $64, DI
	ADDQ $576, SI
	SUBQ $16, CX
	JGT  filterGroup
	VZEROUPPER
	RET

// AROW stores row i of (A dY) Aᵀ: p, p + q, p − q, −q.
#define AROW(p, q) \
	STORE(p);           \
	VADDPS q, p, Z16;   \
	STORE(Z16);         \
	VSUBPS q, p, Z16;   \
	STORE(Z16);         \
	VXORPS Z29, q, Z16; \
	STORE(Z16)

// func winogradGradAVX512(mg *float32, ks int, dy *float32, ldy, tiles, cols, rows int)
TEXT ·winogradGradAVX512(SB), NOSPLIT, $0-56
	MOVQ         mg+0(FP), DI
	MOVQ         ks+8(FP), R8
	SHLQ         $2, R8
	MOVQ         dy+16(FP), SI
	MOVQ         ldy+24(FP), R9
	SHLQ         $2, R9
	MOVQ         tiles+32(FP), CX
	MOVQ         cols+40(FP), DX
	MOVQ         rows+48(FP), R10
	VMOVUPS      wgEven<>(SB), Z30
	VMOVUPS      wgOdd<>(SB), Z31
	VBROADCASTSS wgSign<>(SB), Z29

gradGroup:
	GROUPMASKS

	// Row 0 of the tiles: a (even columns) in Z0, b (odd) in Z1; row 1:
	// c in Z2, d in Z3, or zeros past the output's last row.
	SPLITZ((SI), K2, 64(SI), K3, Z0, Z1)
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   R10, $2
	JLT    gradRows
	SPLITZ((SI)(R9*1), K2, 64(SI)(R9*1), K3, Z2, Z3)

gradRows:
	// A dY: rows (a, b), (a + c, b + d), (a − c, b − d), (−c, −d).
	VADDPS Z2, Z0, Z4
	VADDPS Z3, Z1, Z5
	VSUBPS Z2, Z0, Z6
	VSUBPS Z3, Z1, Z7
	VXORPS Z29, Z2, Z8
	VXORPS Z29, Z3, Z9

	// M′[ξ], ξ = 4i + j, ks floats apart.
	MOVQ DI, AX
	AROW(Z0, Z1)
	AROW(Z4, Z5)
	AROW(Z6, Z7)
	AROW(Z8, Z9)

	ADDQ $64, DI
	ADDQ $128, SI
	SUBQ $32, DX
	SUBQ $16, CX
	JGT  gradGroup
	VZEROUPPER
	RET

// GTCOL is column j of Gᵀ dU, in place (h = (u1 + u2)·½ in Z16): u0 + h,
// (u1 − u2)·½, h + u3, in u0, u1, u2.
#define GTCOL(u0, u1, u2, u3) \
	VADDPS u2, u1, Z16;   \
	VMULPS Z30, Z16, Z16; \
	VSUBPS u2, u1, Z17;   \
	VMULPS Z30, Z17, u1;  \
	VADDPS Z16, u0, u0;   \
	VADDPS u3, Z16, u2

// ADDTO adds z into value off of each of the group's filters in dw
// (gather, add, scatter; Z20 is scratch).
#define ADDTO(off, z) \
	KMOVW       K1, K2;                \
	VPXORD      Z20, Z20, Z20;         \
	VGATHERDPS  off(DI)(Z31*4), K2, Z20; \
	VADDPS      z, Z20, Z20;           \
	KMOVW       K1, K2;                \
	VSCATTERDPS Z20, K2, off(DI)(Z31*4)

// GTROW adds row i of (Gᵀ dU) G into dw[9f + 3i + j], j < 3, from r0 … r3:
// r0 + h, (r1 − r2)·½, h + r3 with h = (r1 + r2)·½.
#define GTROW(off, r0, r1, r2, r3) \
	VADDPS r2, r1, Z16;   \
	VMULPS Z30, Z16, Z16; \
	VSUBPS r2, r1, Z17;   \
	VMULPS Z30, Z17, Z17; \
	VADDPS Z16, r0, Z18;  \
	VADDPS r3, Z16, Z19;  \
	ADDTO(off, Z18);      \
	ADDTO(off+4, Z17);    \
	ADDTO(off+8, Z19)

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
	LANES(CX, K1) // the filters of this group

	// dU[ξ] in Z(ξ).
	MOVQ SI, AX
	LOAD16

	GTCOL(Z0, Z4, Z8, Z12)
	GTCOL(Z1, Z5, Z9, Z13)
	GTCOL(Z2, Z6, Z10, Z14)
	GTCOL(Z3, Z7, Z11, Z15)

	GTROW(0, Z0, Z1, Z2, Z3)
	GTROW(12, Z4, Z5, Z6, Z7)
	GTROW(24, Z8, Z9, Z10, Z11)

	ADDQ $576, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JGT  fgGroup
	VZEROUPPER
	RET

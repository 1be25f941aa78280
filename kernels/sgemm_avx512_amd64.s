// The AVX-512 SGEMM micro-kernel: a 12×32 tile of C in 24 zmm registers.
//
// Equivalent Go, for rows i < mr and columns j < nr (nmask = 2^nr − 1):
//
//	for p := 0; p < kc; p++ {
//		for i := 0; i < 12; i++ {
//			for j := 0; j < 32; j++ {
//				acc[i][j] += a[i*rsA+p*csA] * b[p*rsB+j] // one FMA, in order of p
//			}
//		}
//	}
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // or alpha*acc when beta == 0
//
// Row i of the tile lives in Z(2i) (columns 0–15) and Z(2i+1) (16–31). Each
// step loads one row of the B panel (Z28, Z29) and broadcasts the twelve A
// values one at a time (Z30, Z31). The A rows are addressed from three bases
// (rows 0–3, 4–7, 8–11) plus 0, 1, 2 or 3 times the row stride, so packed
// panels (rsA = 1) and matrices read in place (any rsA, csA) take the same
// code. When mr ≤ 8 (or ≤ 4) only the first 8 (or 4) rows are computed, and
// when nr ≤ 16 only the left 16 columns (one vector of B per step, one FMA
// per row). Columns beyond nr are masked off (K1, K2) in the loads and
// stores of C.
// The C tile is prefetched before the loop; within it, the rows of B, packed
// or read in place, 8 steps ahead, and the A panel 16 steps ahead.
//
// Two variants of the full 12×32 tile (mr = 12, all 32 columns) let the
// driver stream B from memory while it computes (macroKernelByColumns in
// sgemm.go); the arithmetic is the same, only loads, stores and prefetches
// are added:
//
//   - pack ≠ nil: B is read in place (rows rsB apart, fetched 16 steps
//     ahead, since they come from L2 or memory) and each row is also stored
//     to pack[p*32:], so the tile packs the panel that the tiles below it use.
//   - nextRows > 0: every 8 steps, the two cache lines at next (then next +
//     nextStride, …, nextRows rows in all) are fetched into L2: the source
//     rows of the panel the next packing tile will read.
//
// With tiles > 1 (full tiles, neither variant) one call computes that many
// tiles side by side, a row of a block (macroKernel in sgemm.go): after each
// tile, B moves on by bStep floats and C by 32 columns. The MXCSR switch of
// mxcsr_amd64.h, which costs about as much as two to four steps of the loop, is
// then paid once for the row instead of once a tile; a pointwise
// convolution over 16 input channels has only 16 steps a tile.

#include "textflag.h"
#include "mxcsr_amd64.h"

// LOADB loads the next row of B into Z28 and Z29, fetching ahead in A and B.
#define LOADB \
	PREFETCHT0 (AX)(R14*1);   \
	PREFETCHT0 (SI)(R12*1);   \
	PREFETCHT0 64(SI)(R12*1); \
	VMOVUPS    (SI), Z28;     \
	VMOVUPS    64(SI), Z29;   \
	ADDQ       R11, SI

// LOADBH loads the first 16 columns of the next row of B into Z28.
#define LOADBH \
	PREFETCHT0 (AX)(R14*1); \
	PREFETCHT0 (SI)(R12*1); \
	VMOVUPS    (SI), Z28;   \
	ADDQ       R11, SI

#define ROWS4(base, c0, c1, c2, c3, c4, c5, c6, c7) \
	VBROADCASTSS (base), Z30;        \
	VFMADD231PS  Z28, Z30, c0;       \
	VFMADD231PS  Z29, Z30, c1;       \
	VBROADCASTSS (base)(R8*1), Z31;  \
	VFMADD231PS  Z28, Z31, c2;       \
	VFMADD231PS  Z29, Z31, c3;       \
	VBROADCASTSS (base)(R8*2), Z30;  \
	VFMADD231PS  Z28, Z30, c4;       \
	VFMADD231PS  Z29, Z30, c5;       \
	VBROADCASTSS (base)(R9*1), Z31;  \
	VFMADD231PS  Z28, Z31, c6;       \
	VFMADD231PS  Z29, Z31, c7

// ROWS12 is one step of the full 12-row tile: the three groups of rows, and
// the A bases moved on to the next step.
#define ROWS12 \
	ROWS4(AX, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7);         \
	ROWS4(BX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15);   \
	ROWS4(DX, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23); \
	ADDQ R10, AX;                                      \
	ADDQ R10, BX;                                      \
	ADDQ R10, DX

// ROWS4H is ROWS4 for the first 16 columns only.
#define ROWS4H(base, c0, c2, c4, c6) \
	VBROADCASTSS (base), Z30;       \
	VFMADD231PS  Z28, Z30, c0;      \
	VBROADCASTSS (base)(R8*1), Z31; \
	VFMADD231PS  Z28, Z31, c2;      \
	VBROADCASTSS (base)(R8*2), Z30; \
	VFMADD231PS  Z28, Z30, c4;      \
	VBROADCASTSS (base)(R9*1), Z31; \
	VFMADD231PS  Z28, Z31, c6

// STORE0 writes alpha·acc (already scaled) into one row of C.
#define STORE0(c0, c1) \
	VMOVUPS c0, K1, (DI);   \
	VMOVUPS c1, K2, 64(DI); \
	ADDQ    R12, DI

// STOREB writes alpha·acc + beta·C into one row of C (beta in Z31).
#define STOREB(c0, c1) \
	VMOVUPS.Z (DI), K1, Z28;   \
	VMOVUPS.Z 64(DI), K2, Z29; \
	VMULPS    Z31, Z28, Z28;   \
	VMULPS    Z31, Z29, Z29;   \
	VADDPS    Z28, c0, c0;     \
	VADDPS    Z29, c1, c1;     \
	VMOVUPS   c0, K1, (DI);    \
	VMOVUPS   c1, K2, 64(DI);  \
	ADDQ      R12, DI

// NEXTROW ends the stores when the mr rows of the tile are done.
#define NEXTROW \
	DECQ R13; \
	JZ   done

// func sgemmTileAVX512(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr int, nmask uint32, pack, next *float32, nextStride, nextRows, tiles, bStep int)
TEXT ·sgemmTileAVX512(SB), NOSPLIT, $8-136
	FLUSHDENORMALS

tile:
	MOVQ c+48(FP), DI
	MOVQ ldc+56(FP), R12
	SHLQ $2, R12
	MOVQ mr+72(FP), R13

	// Fetch the C tile while the loop runs: it is read (beta ≠ 0) or
	// written once at the end, and usually comes from memory.
	MOVQ DI, AX
	MOVQ R13, CX

prefetchC:
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 127(AX)
	ADDQ       R12, AX
	DECQ       CX
	JNZ        prefetchC

	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsA+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (AX)(R8*4), BX
	LEAQ (BX)(R8*4), DX
	MOVQ csA+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), SI
	MOVQ rsB+40(FP), R11
	SHLQ $2, R11

	// Fetch the row of B 8 steps ahead into L1 (R12 = 8·rsB). B read in
	// place has its rows far apart, where the hardware prefetchers do not
	// look. A packed panel (rsB = 32) is one sequential stream, but of
	// 64 KiB at kc = 512, more than L1 holds, so it comes from L2 on every
	// visit: fetching it ahead made 2048³ 5–9% faster than leaving it to the
	// hardware prefetchers. Near the end of a packed panel the prefetches
	// fetch the start of the next one, which follows it in the block.
	LEAQ (R11*8), R12

	// Fetch the A panel 16 steps ahead (R14 = 16·csA). The panel is read 16
	// times in a row (once per B micro-panel of the block) and usually stays
	// in L1, but its first read comes from L3 (the packed A block is larger
	// than L2), and lines that something else on the core evicts are fetched
	// back before they are needed: a median 2–8% faster 2048³ SGEMM in
	// alternating calls. For A read in place (csA = 4 bytes) this fetches
	// ahead in row 0 only, a stream that the hardware prefetchers already follow.
	MOVQ R10, R14
	SHLQ $4, R14

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	// The streaming variants (full tiles only). DI is free until the
	// epilogue, which reloads it.
	MOVQ  pack+88(FP), DI
	TESTQ DI, DI
	JNZ   loop12pack
	MOVQ  nextRows+112(FP), R15
	TESTQ R15, R15
	JNZ   loop12next

	// A tile of at most 16 columns (nmask has no bit above 15) takes the
	// loops that do the left half only: half the work for the last tile of
	// a ragged edge such as n = 14·14. The right half's accumulators stay
	// zero and its stores are masked off.
	CMPL nmask+80(FP), $0x10000
	JCS  half

	CMPQ R13, $8
	JGT  loop12
	CMPQ R13, $4
	JGT  loop8

loop4:
	LOADB
	ROWS4(AX, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ADDQ R10, AX
	DECQ CX
	JNZ  loop4
	JMP  epilogue

loop8:
	LOADB
	ROWS4(AX, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ROWS4(BX, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	ADDQ R10, AX
	ADDQ R10, BX
	DECQ CX
	JNZ  loop8
	JMP  epilogue

loop12:
	LOADB
	ROWS12
	DECQ CX
	JNZ  loop12
	JMP  epilogue

// loop12pack: B in place, fetched 16 rows ahead (2·R12), each row also
// stored to pack.
loop12pack:
	PREFETCHT0 (AX)(R14*1)
	PREFETCHT0 (SI)(R12*2)
	PREFETCHT0 64(SI)(R12*2)
	VMOVUPS    (SI), Z28
	VMOVUPS    64(SI), Z29
	ADDQ       R11, SI
	VMOVUPS    Z28, (DI)
	VMOVUPS    Z29, 64(DI)
	ADDQ       $128, DI
	ROWS12
	DECQ CX
	JNZ  loop12pack
	JMP  epilogue

// loop12next: loop12 that fetches one row of next into L2 whenever the
// steps left (CX) are a multiple of 8, until R15 rows are fetched. R13 (mr)
// is reloaded by the epilogue.
loop12next:
	MOVQ next+96(FP), DI
	MOVQ nextStride+104(FP), R13
	SHLQ $2, R13

nextStep:
	TESTQ $7, CX
	JNZ   nextSkip
	TESTQ R15, R15
	JZ    nextSkip
	PREFETCHT1 (DI)
	PREFETCHT1 64(DI)
	ADDQ       R13, DI
	DECQ       R15

nextSkip:
	LOADB
	ROWS12
	DECQ CX
	JNZ  nextStep
	JMP  epilogue

half:
	CMPQ R13, $8
	JGT  loop12h
	CMPQ R13, $4
	JGT  loop8h

loop4h:
	LOADBH
	ROWS4H(AX, Z0, Z2, Z4, Z6)
	ADDQ R10, AX
	DECQ CX
	JNZ  loop4h
	JMP  epilogue

loop8h:
	LOADBH
	ROWS4H(AX, Z0, Z2, Z4, Z6)
	ROWS4H(BX, Z8, Z10, Z12, Z14)
	ADDQ R10, AX
	ADDQ R10, BX
	DECQ CX
	JNZ  loop8h
	JMP  epilogue

loop12h:
	LOADBH
	ROWS4H(AX, Z0, Z2, Z4, Z6)
	ROWS4H(BX, Z8, Z10, Z12, Z14)
	ROWS4H(DX, Z16, Z18, Z20, Z22)
	ADDQ R10, AX
	ADDQ R10, BX
	ADDQ R10, DX
	DECQ CX
	JNZ  loop12h

epilogue:
	MOVQ         c+48(FP), DI
	MOVQ         ldc+56(FP), R12
	SHLQ         $2, R12
	MOVQ         mr+72(FP), R13
	VBROADCASTSS alpha+64(FP), Z30
	VMULPS       Z30, Z0, Z0
	VMULPS       Z30, Z1, Z1
	VMULPS       Z30, Z2, Z2
	VMULPS       Z30, Z3, Z3
	VMULPS       Z30, Z4, Z4
	VMULPS       Z30, Z5, Z5
	VMULPS       Z30, Z6, Z6
	VMULPS       Z30, Z7, Z7
	VMULPS       Z30, Z8, Z8
	VMULPS       Z30, Z9, Z9
	VMULPS       Z30, Z10, Z10
	VMULPS       Z30, Z11, Z11
	VMULPS       Z30, Z12, Z12
	VMULPS       Z30, Z13, Z13
	VMULPS       Z30, Z14, Z14
	VMULPS       Z30, Z15, Z15
	VMULPS       Z30, Z16, Z16
	VMULPS       Z30, Z17, Z17
	VMULPS       Z30, Z18, Z18
	VMULPS       Z30, Z19, Z19
	VMULPS       Z30, Z20, Z20
	VMULPS       Z30, Z21, Z21
	VMULPS       Z30, Z22, Z22
	VMULPS       Z30, Z23, Z23
	MOVL         nmask+80(FP), AX
	KMOVW        AX, K1
	SHRL         $16, AX
	KMOVW        AX, K2
	MOVL         beta+68(FP), AX
	ANDL         $0x7fffffff, AX
	JZ           beta0
	VBROADCASTSS beta+68(FP), Z31

	STOREB(Z0, Z1)
	NEXTROW
	STOREB(Z2, Z3)
	NEXTROW
	STOREB(Z4, Z5)
	NEXTROW
	STOREB(Z6, Z7)
	NEXTROW
	STOREB(Z8, Z9)
	NEXTROW
	STOREB(Z10, Z11)
	NEXTROW
	STOREB(Z12, Z13)
	NEXTROW
	STOREB(Z14, Z15)
	NEXTROW
	STOREB(Z16, Z17)
	NEXTROW
	STOREB(Z18, Z19)
	NEXTROW
	STOREB(Z20, Z21)
	NEXTROW
	STOREB(Z22, Z23)
	JMP done

beta0:
	STORE0(Z0, Z1)
	NEXTROW
	STORE0(Z2, Z3)
	NEXTROW
	STORE0(Z4, Z5)
	NEXTROW
	STORE0(Z6, Z7)
	NEXTROW
	STORE0(Z8, Z9)
	NEXTROW
	STORE0(Z10, Z11)
	NEXTROW
	STORE0(Z12, Z13)
	NEXTROW
	STORE0(Z14, Z15)
	NEXTROW
	STORE0(Z16, Z17)
	NEXTROW
	STORE0(Z18, Z19)
	NEXTROW
	STORE0(Z20, Z21)
	NEXTROW
	STORE0(Z22, Z23)

done:
	// The next tile of the row, if any: B moves on by bStep floats and C
	// by one tile's width; the arguments are reread from the frame.
	DECQ tiles+120(FP)
	JLE  return
	MOVQ bStep+128(FP), AX
	SHLQ $2, AX
	ADDQ AX, b+32(FP)
	ADDQ $128, c+48(FP)
	JMP  tile

return:
	RESTOREMXCSR
	VZEROUPPER
	RET

// The AVX2+FMA SGEMM micro-kernel: a 6×16 tile of C in 12 ymm registers.
//
// Equivalent Go, for rows i < mr and columns j < nr:
//
//	for p := 0; p < kc; p++ {
//		for i := 0; i < 6; i++ {
//			for j := 0; j < 16; j++ {
//				acc[i][j] += a[i*rsA+p*csA] * b[p*rsB+j] // one FMA, in order of p
//			}
//		}
//	}
//	c[i*ldc+j] = alpha*acc[i][j] + beta*c[i*ldc+j] // or alpha*acc when beta == 0
//
// Row i of the tile lives in Y(2i) (columns 0–7) and Y(2i+1) (8–15). Each
// step loads one row of the B panel (Y12, Y13) and broadcasts the six A values
// one at a time (Y14, Y15). Rows 0–3 are addressed from one base plus 0–3
// times the row stride, rows 4–5 from a second base, so packed panels and
// matrices read in place take the same code. When mr ≤ 4 only four rows are
// computed, and when nr ≤ 8 only the left 8 columns (one vector of B per
// step, one FMA per row). A tile narrower than 16 columns loads and stores
// C through VMASKMOVPS with masks cut from maskTable. The C tile is
// prefetched before the loop; within it, the rows of B, packed or read in
// place, 8 steps ahead, and the A panel 16 steps ahead (R14 = 16·csA; see
// the AVX-512 kernel: 2048³ on this path went from a median of 61 to 67
// GFLOP/s in four alternating runs, r50_3x3_56_c256 from 56 to 62).
//
// The full 6×16 tile has the AVX-512 kernel's two streaming variants (see
// its header and macroKernelByColumns in sgemm.go), with the same
// arithmetic: pack ≠ nil reads B in place 16 rows ahead and stores each
// row to pack[p*16:]; nextRows > 0 fetches the cache line or two at next,
// next + nextStride, … into L2, one row every 8 steps, nextRows rows in all.
//
// With tiles > 1 one call computes that many full tiles side by side (as
// the AVX-512 kernel does): after each, B moves on by bStep floats and C by
// 16 columns, and the MXCSR switch of mxcsr_amd64.h is paid once for them all.

#include "textflag.h"
#include "mxcsr_amd64.h"

// maskTable is 16 all-ones words then 16 zero words: the 16 words starting
// at word 16−nr are a mask of the first nr columns.
DATA maskTable<>+0(SB)/8, $-1
DATA maskTable<>+8(SB)/8, $-1
DATA maskTable<>+16(SB)/8, $-1
DATA maskTable<>+24(SB)/8, $-1
DATA maskTable<>+32(SB)/8, $-1
DATA maskTable<>+40(SB)/8, $-1
DATA maskTable<>+48(SB)/8, $-1
DATA maskTable<>+56(SB)/8, $-1
DATA maskTable<>+64(SB)/8, $0
DATA maskTable<>+72(SB)/8, $0
DATA maskTable<>+80(SB)/8, $0
DATA maskTable<>+88(SB)/8, $0
DATA maskTable<>+96(SB)/8, $0
DATA maskTable<>+104(SB)/8, $0
DATA maskTable<>+112(SB)/8, $0
DATA maskTable<>+120(SB)/8, $0
GLOBL maskTable<>(SB), RODATA|NOPTR, $128

#define LOADB \
	PREFETCHT0 (AX)(R14*1);  \
	PREFETCHT0 (SI)(DX*1);   \
	PREFETCHT0 63(SI)(DX*1); \
	VMOVUPS    (SI), Y12;    \
	VMOVUPS    32(SI), Y13;  \
	ADDQ       R11, SI

#define ROW(addr, bc, c0, c1) \
	VBROADCASTSS addr, bc;  \
	VFMADD231PS  Y12, bc, c0; \
	VFMADD231PS  Y13, bc, c1

// ROWS6 is one step of the full 6-row tile, the A bases moved on.
#define ROWS6 \
	ROW((AX), Y14, Y0, Y1);        \
	ROW((AX)(R8*1), Y15, Y2, Y3);  \
	ROW((AX)(R8*2), Y14, Y4, Y5);  \
	ROW((AX)(R9*1), Y15, Y6, Y7);  \
	ROW((BX), Y14, Y8, Y9);        \
	ROW((BX)(R8*1), Y15, Y10, Y11); \
	ADDQ R10, AX;                  \
	ADDQ R10, BX

// LOADBH and ROWH are LOADB and ROW for the left 8 columns only.
#define LOADBH \
	PREFETCHT0 (AX)(R14*1); \
	PREFETCHT0 (SI)(DX*1);  \
	VMOVUPS    (SI), Y12;   \
	ADDQ       R11, SI

#define ROWH(addr, bc, c0) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Y12, bc, c0

// Stores of one row of C: alpha·acc is already in c0, c1; beta is in Y12;
// Y14, Y15 are the column masks of a narrow tile; Y13 is scratch.
#define STORE0(c0, c1) \
	VMOVUPS c0, (DI);   \
	VMOVUPS c1, 32(DI); \
	ADDQ    R12, DI

#define STOREB(c0, c1) \
	VMULPS (DI), Y12, Y13;   \
	VADDPS Y13, c0, c0;      \
	VMULPS 32(DI), Y12, Y13; \
	VADDPS Y13, c1, c1;      \
	VMOVUPS c0, (DI);        \
	VMOVUPS c1, 32(DI);      \
	ADDQ    R12, DI

#define MSTORE0(c0, c1) \
	VMASKMOVPS c0, Y14, (DI);   \
	VMASKMOVPS c1, Y15, 32(DI); \
	ADDQ       R12, DI

#define MSTOREB(c0, c1) \
	VMASKMOVPS (DI), Y14, Y13;   \
	VMULPS     Y13, Y12, Y13;    \
	VADDPS     Y13, c0, c0;      \
	VMASKMOVPS 32(DI), Y15, Y13; \
	VMULPS     Y13, Y12, Y13;    \
	VADDPS     Y13, c1, c1;      \
	VMASKMOVPS c0, Y14, (DI);    \
	VMASKMOVPS c1, Y15, 32(DI);  \
	ADDQ       R12, DI

#define NEXTROW \
	DECQ R13; \
	JZ   done

#define ALLROWS(S) \
	S(Y0, Y1);  \
	NEXTROW;    \
	S(Y2, Y3);  \
	NEXTROW;    \
	S(Y4, Y5);  \
	NEXTROW;    \
	S(Y6, Y7);  \
	NEXTROW;    \
	S(Y8, Y9);  \
	NEXTROW;    \
	S(Y10, Y11); \
	JMP done

// func sgemmTileAVX2(kc int, a *float32, rsA, csA int, b *float32, rsB int, c *float32, ldc int, alpha, beta float32, mr, nr int, pack, next *float32, nextStride, nextRows, tiles, bStep int)
TEXT ·sgemmTileAVX2(SB), NOSPLIT, $8-136
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
	PREFETCHT0 63(AX)
	ADDQ       R12, AX
	DECQ       CX
	JNZ        prefetchC

	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ rsA+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	LEAQ (AX)(R8*4), BX
	MOVQ csA+24(FP), R10
	SHLQ $2, R10
	MOVQ b+32(FP), SI
	MOVQ rsB+40(FP), R11
	SHLQ $2, R11

	// Fetch the row of B 8 steps ahead into L1 (DX = 8·rsB). B read in
	// place has its rows far apart, where the hardware prefetchers do not
	// look. A packed panel (rsB = 16) is one sequential stream, of 32 KiB at
	// kc = 512, which comes from L2 on every visit: fetching it ahead made
	// 2048³ about 3% faster than leaving it to the hardware prefetchers.
	// Near the end of a packed panel the prefetches fetch the start of the
	// next one, which follows it in the block.
	LEAQ (R11*8), DX
	MOVQ mr+72(FP), R13
	MOVQ R10, R14
	SHLQ $4, R14

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	// The streaming variants (full tiles only). R12 and R13 are free until
	// the epilogue, which reloads them.
	MOVQ  pack+88(FP), R15
	TESTQ R15, R15
	JNZ   loop6pack
	MOVQ  nextRows+112(FP), R13
	TESTQ R13, R13
	JNZ   loop6next
	MOVQ  mr+72(FP), R13

	// A tile of at most 8 columns takes the loops that do the left half
	// only; the right half's accumulators stay zero and its stores are
	// masked off.
	CMPQ nr+80(FP), $8
	JLE  half

	CMPQ R13, $4
	JGT  loop6

loop4:
	LOADB
	ROW((AX), Y14, Y0, Y1)
	ROW((AX)(R8*1), Y15, Y2, Y3)
	ROW((AX)(R8*2), Y14, Y4, Y5)
	ROW((AX)(R9*1), Y15, Y6, Y7)
	ADDQ R10, AX
	DECQ CX
	JNZ  loop4
	JMP  epilogue

loop6:
	LOADB
	ROWS6
	DECQ CX
	JNZ  loop6
	JMP  epilogue

// loop6pack: B in place, fetched 16 rows ahead (2·DX), each row also
// stored to pack (R15).
loop6pack:
	PREFETCHT0 (AX)(R14*1)
	PREFETCHT0 (SI)(DX*2)
	PREFETCHT0 63(SI)(DX*2)
	VMOVUPS    (SI), Y12
	VMOVUPS    32(SI), Y13
	ADDQ       R11, SI
	VMOVUPS    Y12, (R15)
	VMOVUPS    Y13, 32(R15)
	ADDQ       $64, R15
	ROWS6
	DECQ CX
	JNZ  loop6pack
	JMP  epilogue

// loop6next: loop6 that fetches one row of next (R15, rows R12 apart)
// whenever the steps left (CX) are a multiple of 8, until R13 rows are
// fetched.
loop6next:
	MOVQ next+96(FP), R15
	MOVQ nextStride+104(FP), R12
	SHLQ $2, R12

nextStep:
	TESTQ $7, CX
	JNZ   nextSkip
	TESTQ R13, R13
	JZ    nextSkip
	PREFETCHT1 (R15)
	PREFETCHT1 63(R15)
	ADDQ       R12, R15
	DECQ       R13

nextSkip:
	LOADB
	ROWS6
	DECQ CX
	JNZ  nextStep
	JMP  epilogue

half:
	CMPQ R13, $4
	JGT  loop6h

loop4h:
	LOADBH
	ROWH((AX), Y14, Y0)
	ROWH((AX)(R8*1), Y15, Y2)
	ROWH((AX)(R8*2), Y14, Y4)
	ROWH((AX)(R9*1), Y15, Y6)
	ADDQ R10, AX
	DECQ CX
	JNZ  loop4h
	JMP  epilogue

loop6h:
	LOADBH
	ROWH((AX), Y14, Y0)
	ROWH((AX)(R8*1), Y15, Y2)
	ROWH((AX)(R8*2), Y14, Y4)
	ROWH((AX)(R9*1), Y15, Y6)
	ROWH((BX), Y14, Y8)
	ROWH((BX)(R8*1), Y15, Y10)
	ADDQ R10, AX
	ADDQ R10, BX
	DECQ CX
	JNZ  loop6h

epilogue:
	MOVQ         ldc+56(FP), R12
	SHLQ         $2, R12
	MOVQ         mr+72(FP), R13
	VBROADCASTSS alpha+64(FP), Y12
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VMULPS       Y12, Y2, Y2
	VMULPS       Y12, Y3, Y3
	VMULPS       Y12, Y4, Y4
	VMULPS       Y12, Y5, Y5
	VMULPS       Y12, Y6, Y6
	VMULPS       Y12, Y7, Y7
	VMULPS       Y12, Y8, Y8
	VMULPS       Y12, Y9, Y9
	VMULPS       Y12, Y10, Y10
	VMULPS       Y12, Y11, Y11
	VBROADCASTSS beta+68(FP), Y12
	MOVL         beta+68(FP), AX
	ANDL         $0x7fffffff, AX
	MOVQ         nr+80(FP), DX
	CMPQ         DX, $16
	JNE          narrow
	TESTL        AX, AX
	JZ           full0
	ALLROWS(STOREB)

full0:
	ALLROWS(STORE0)

narrow:
	MOVQ       $16, CX
	SUBQ       DX, CX
	LEAQ       maskTable<>(SB), DX
	VMOVUPS    (DX)(CX*4), Y14
	VMOVUPS    32(DX)(CX*4), Y15
	TESTL      AX, AX
	JZ         narrow0
	ALLROWS(MSTOREB)

narrow0:
	ALLROWS(MSTORE0)

done:
	// The next tile of the row, if any: B moves on by bStep floats and C
	// by one tile's width; the arguments are reread from the frame.
	DECQ tiles+120(FP)
	JLE  return
	MOVQ bStep+128(FP), AX
	SHLQ $2, AX
	ADDQ AX, b+32(FP)
	ADDQ $64, c+48(FP)
	JMP  tile

return:
	RESTOREMXCSR
	VZEROUPPER
	RET

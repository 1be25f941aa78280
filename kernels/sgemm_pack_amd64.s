// Panel packing for the SGEMM micro-kernels, with AVX2 (sgemm_pack.go).
//
// Equivalent Go, for p < kc (width ≤ 32, 1 ≤ w ≤ width):
//
//	packCopyAVX2:   dst[p*width+j] = src[p*lds+j] for j < w, 0 for w ≤ j < width
//	packGatherAVX2: dst[p*width+j] = src[j*lds+p] for j < w, 0 for w ≤ j < width
//
// packTransposeAVX2 does packGatherAVX2's work for full panels (w = width, a
// multiple of 8) over kc8 steps (a multiple of 8): 8×8 blocks of the source
// (8 panel columns j, 8 steps p) are loaded as 8 rows and transposed in
// registers, which is about three times as fast as gathering them.
//
// A panel row of up to 32 floats is handled as up to four chunks of 8. Each
// chunk has a load mask (its lanes below w) and a store mask (its lanes below
// width), cut from laneMasks; masked-off lanes load as zero and are never
// touched in memory, so nothing outside the source rows or the panel is read
// or written. Full-width rows of 16 or 32 contiguous floats take plain moves.

#include "textflag.h"

// laneMasks is 8 all-ones words then 8 zero words: the 8 words starting at
// word 8−t are a mask of the first t lanes (0 ≤ t ≤ 8). The row kernels of
// elementwise_amd64.s cut their AVX2 tail masks from it too.
DATA ·laneMasks+0(SB)/8, $-1
DATA ·laneMasks+8(SB)/8, $-1
DATA ·laneMasks+16(SB)/8, $-1
DATA ·laneMasks+24(SB)/8, $-1
DATA ·laneMasks+32(SB)/8, $0
DATA ·laneMasks+40(SB)/8, $0
DATA ·laneMasks+48(SB)/8, $0
DATA ·laneMasks+56(SB)/8, $0
GLOBL ·laneMasks(SB), RODATA|NOPTR, $64

// laneIndex is 0, 1, …, 31 as 32-bit integers.
DATA laneIndex<>+0(SB)/8, $0x0000000100000000
DATA laneIndex<>+8(SB)/8, $0x0000000300000002
DATA laneIndex<>+16(SB)/8, $0x0000000500000004
DATA laneIndex<>+24(SB)/8, $0x0000000700000006
DATA laneIndex<>+32(SB)/8, $0x0000000900000008
DATA laneIndex<>+40(SB)/8, $0x0000000b0000000a
DATA laneIndex<>+48(SB)/8, $0x0000000d0000000c
DATA laneIndex<>+56(SB)/8, $0x0000000f0000000e
DATA laneIndex<>+64(SB)/8, $0x0000001100000010
DATA laneIndex<>+72(SB)/8, $0x0000001300000012
DATA laneIndex<>+80(SB)/8, $0x0000001500000014
DATA laneIndex<>+88(SB)/8, $0x0000001700000016
DATA laneIndex<>+96(SB)/8, $0x0000001900000018
DATA laneIndex<>+104(SB)/8, $0x0000001b0000001a
DATA laneIndex<>+112(SB)/8, $0x0000001d0000001c
DATA laneIndex<>+120(SB)/8, $0x0000001f0000001e
GLOBL laneIndex<>(SB), RODATA|NOPTR, $128

// MASK loads into y the mask of the first clamp(n, 0, 8) lanes and takes 8
// from n. R10 points at laneMasks; R11, R12 are scratch.
#define MASK(n, y) \
	MOVQ    n, R11;            \
	MOVQ    $8, R12;           \
	CMPQ    R11, R12;          \
	CMOVQGT R12, R11;          \
	XORQ    R12, R12;          \
	CMPQ    R11, R12;          \
	CMOVQLT R12, R11;          \
	NEGQ    R11;               \
	VMOVUPS 32(R10)(R11*4), y; \
	SUBQ    $8, n

// MASKS sets the load masks Y4–Y7 from w (AX) and the store masks Y8–Y11
// from width (BX), and the chunk count of a row, ⌈width/8⌉, in DX.
#define MASKS \
	LEAQ ·laneMasks(SB), R10; \
	LEAQ 7(BX), DX;            \
	SHRQ $3, DX;               \
	MASK(AX, Y4);              \
	MASK(AX, Y5);              \
	MASK(AX, Y6);              \
	MASK(AX, Y7);              \
	MASK(BX, Y8);              \
	MASK(BX, Y9);              \
	MASK(BX, Y10);             \
	MASK(BX, Y11)

#define COPYCHUNK(off, lmask, smask) \
	VMASKMOVPS off(SI), lmask, Y0; \
	VMASKMOVPS Y0, smask, off(DI)

// func packCopyAVX2(dst, src *float32, lds, kc, w, width int)
TEXT ·packCopyAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8
	MOVQ kc+24(FP), CX
	MOVQ w+32(FP), AX
	MOVQ width+40(FP), BX
	LEAQ (BX*4), R9
	CMPQ AX, BX
	JNE  masked
	CMPQ AX, $32
	JEQ  full32
	CMPQ AX, $16
	JEQ  full16

masked:
	MASKS
	CMPQ DX, $2
	JGT  masked4
	JEQ  masked2

masked1:
	COPYCHUNK(0, Y4, Y8)
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  masked1
	JMP  done

masked2:
	COPYCHUNK(0, Y4, Y8)
	COPYCHUNK(32, Y5, Y9)
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  masked2
	JMP  done

masked4:
	COPYCHUNK(0, Y4, Y8)
	COPYCHUNK(32, Y5, Y9)
	COPYCHUNK(64, Y6, Y10)
	COPYCHUNK(96, Y7, Y11)
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  masked4
	JMP  done

full16:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, SI
	ADDQ    R9, DI
	DECQ    CX
	JNZ     full16
	JMP     done

full32:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    R8, SI
	ADDQ    R9, DI
	DECQ    CX
	JNZ     full32

done:
	VZEROUPPER
	RET

// GATHERCHUNK gathers lanes 8c … 8c+7 of one panel row (indices in idx, in
// elements of 4 bytes) and stores them; the gather consumes its mask, so it
// works on a copy (Y13).
#define GATHERCHUNK(off, idx, lmask, smask) \
	VMOVAPS    lmask, Y13;            \
	VXORPS     Y12, Y12, Y12;         \
	VGATHERDPS Y13, (SI)(idx*4), Y12; \
	VMASKMOVPS Y12, smask, off(DI)

// func packGatherAVX2(dst, src *float32, lds, kc, w, width int)
TEXT ·packGatherAVX2(SB), NOSPLIT, $0-48
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         kc+24(FP), CX
	MOVQ         w+32(FP), AX
	MOVQ         width+40(FP), BX
	LEAQ         (BX*4), R9
	VPBROADCASTD lds+16(FP), Y12
	LEAQ         laneIndex<>(SB), R10
	VPMULLD      (R10), Y12, Y0
	VPMULLD      32(R10), Y12, Y1
	VPMULLD      64(R10), Y12, Y2
	VPMULLD      96(R10), Y12, Y3
	MASKS
	CMPQ         DX, $2
	JGT          gather4
	JEQ          gather2

gather1:
	GATHERCHUNK(0, Y0, Y4, Y8)
	ADDQ $4, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  gather1
	JMP  gdone

gather2:
	GATHERCHUNK(0, Y0, Y4, Y8)
	GATHERCHUNK(32, Y1, Y5, Y9)
	ADDQ $4, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  gather2
	JMP  gdone

gather4:
	GATHERCHUNK(0, Y0, Y4, Y8)
	GATHERCHUNK(32, Y1, Y5, Y9)
	GATHERCHUNK(64, Y2, Y6, Y10)
	GATHERCHUNK(96, Y3, Y7, Y11)
	ADDQ $4, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  gather4

gdone:
	VZEROUPPER
	RET

// func packTransposeAVX2(dst, src *float32, lds, ldd, kc8, width int)
//
// dst[p·ldd + j] = src[j·lds + p] for p < kc8 and j < width, both multiples
// of 8 (a packed panel has ldd = width; transposeAVX2 passes any ldd).
// For each block of 8 steps p (SI at src[p], DI at dst[p·ldd]) and each
// group of 8 panel columns j (R13 at src[j·lds+p], R14 at dst[p·ldd+j]):
// load source rows j … j+7, eight floats each (Y0–Y7); transpose them with
// the classic three stages (VUNPCKLPS/VUNPCKHPS pairs into Y8–Y15, VSHUFPS
// back into Y0–Y7, VPERM2F128 into Y8–Y15); store panel rows p … p+7.
TEXT ·packTransposeAVX2(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ lds+16(FP), R8
	SHLQ $2, R8                   // source row step in bytes
	LEAQ (R8)(R8*2), R11          // 3 source rows
	MOVQ ldd+24(FP), R9
	SHLQ $2, R9                   // panel row step in bytes
	LEAQ (R9)(R9*2), R10          // 3 panel rows
	MOVQ kc8+32(FP), CX
	SHRQ $3, CX                   // blocks of 8 steps
	MOVQ width+40(FP), BX
	SHRQ $3, BX                   // groups of 8 panel columns

tblock:
	MOVQ SI, R13
	MOVQ DI, R14
	MOVQ BX, DX

tgroup:
	LEAQ    (R13)(R8*4), R12
	VMOVUPS (R13), Y0
	VMOVUPS (R13)(R8*1), Y1
	VMOVUPS (R13)(R8*2), Y2
	VMOVUPS (R13)(R11*1), Y3
	VMOVUPS (R12), Y4
	VMOVUPS (R12)(R8*1), Y5
	VMOVUPS (R12)(R8*2), Y6
	VMOVUPS (R12)(R11*1), Y7

	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7

	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	LEAQ    (R14)(R9*4), R12
	VMOVUPS Y8, (R14)
	VMOVUPS Y9, (R14)(R9*1)
	VMOVUPS Y10, (R14)(R9*2)
	VMOVUPS Y11, (R14)(R10*1)
	VMOVUPS Y12, (R12)
	VMOVUPS Y13, (R12)(R9*1)
	VMOVUPS Y14, (R12)(R9*2)
	VMOVUPS Y15, (R12)(R10*1)

	LEAQ (R13)(R8*8), R13         // next 8 panel columns
	ADDQ $32, R14
	DECQ DX
	JNZ  tgroup

	ADDQ $32, SI                  // next 8 steps
	LEAQ (DI)(R9*8), DI
	DECQ CX
	JNZ  tblock
	VZEROUPPER
	RET

// The tiny-plane depthwise kernels (see depthwise_tiny.go and
// depthwise_tiny_amd64.go). They take several images at a time, then one:
// SI, DI point at the first image's in and out groups, CX and DX hold three
// strides (the fourth image), R13 and R14 one; R8 w, R9 idx; BX walks the
// taps (64 bytes each in w and idx) up to R11; R12 counts the images left;
// K1, K2 are the lanes of in and out. Each tap loads its indices and
// permutes an image's input vector beside Z31 = 0 (VPERMI2PS: an index of 16
// or more picks a zero).

#include "textflag.h"
#include "mxcsr_amd64.h"

// TINYARGS loads the arguments; AX keeps a.
#define TINYARGS \
	MOVQ   a+0(FP), AX \
	MOVQ   0(AX), SI   \
	MOVQ   8(AX), DI   \
	MOVQ   16(AX), R8  \
	MOVQ   24(AX), R9  \
	MOVQ   40(AX), R11 \
	SHLQ   $6, R11     \
	MOVQ   48(AX), R12 \
	MOVQ   56(AX), R13 \
	MOVQ   64(AX), R14 \
	KMOVW  72(AX), K1  \
	KMOVW  80(AX), K2  \
	LEAQ   (R13)(R13*2), CX \
	LEAQ   (R14)(R14*2), DX \
	VPXORD Z31, Z31, Z31

// PERM sets Z to the tap's permutation of the input vector IN.
#define PERM(IN, Z) \
	VMOVDQU32 (R9)(BX*1), Z \
	VPERMI2PS Z31, IN, Z

// func dwTinyAVX512(a *dwTinyArgs)
//
// Eight images at a time (AX, R10: the in and out groups of the fifth), so
// that eight chains of multiply-adds, one per image, overlap; then one.
// Image i's input is Z(3i), its sums Z(3i+1), the permuted input Z(3i+2);
// Z30 holds init.
TEXT ·dwTinyAVX512(SB), NOSPLIT, $8-8
	FLUSHDENORMALS
	TINYARGS
	MOVQ    88(AX), R15
	MOVQ    32(AX), BX
	VMOVUPS (BX), Z30

sumOct:
	CMPQ R12, $8
	JLT  sumOne
	LEAQ (SI)(R13*4), AX
	LEAQ (DI)(R14*4), R10
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (SI)(R13*1), K1, Z3
	VMOVUPS.Z (SI)(R13*2), K1, Z6
	VMOVUPS.Z (SI)(CX*1), K1, Z9
	VMOVUPS.Z (AX), K1, Z12
	VMOVUPS.Z (AX)(R13*1), K1, Z15
	VMOVUPS.Z (AX)(R13*2), K1, Z18
	VMOVUPS.Z (AX)(CX*1), K1, Z21
	VMOVAPS   Z30, Z1
	VMOVAPS   Z30, Z4
	VMOVAPS   Z30, Z7
	VMOVAPS   Z30, Z10
	VMOVAPS   Z30, Z13
	VMOVAPS   Z30, Z16
	VMOVAPS   Z30, Z19
	VMOVAPS   Z30, Z22
	TESTQ     R15, R15
	JZ        sumOctTaps
	VMOVUPS.Z (DI), K2, Z1
	VMOVUPS.Z (DI)(R14*1), K2, Z4
	VMOVUPS.Z (DI)(R14*2), K2, Z7
	VMOVUPS.Z (DI)(DX*1), K2, Z10
	VMOVUPS.Z (R10), K2, Z13
	VMOVUPS.Z (R10)(R14*1), K2, Z16
	VMOVUPS.Z (R10)(R14*2), K2, Z19
	VMOVUPS.Z (R10)(DX*1), K2, Z22

sumOctTaps:
	XORQ BX, BX

sumOctTap:
	PERM(Z0, Z2)
	PERM(Z3, Z5)
	PERM(Z6, Z8)
	PERM(Z9, Z11)
	PERM(Z12, Z14)
	PERM(Z15, Z17)
	PERM(Z18, Z20)
	PERM(Z21, Z23)
	VFMADD231PS (R8)(BX*1), Z2, Z1
	VFMADD231PS (R8)(BX*1), Z5, Z4
	VFMADD231PS (R8)(BX*1), Z8, Z7
	VFMADD231PS (R8)(BX*1), Z11, Z10
	VFMADD231PS (R8)(BX*1), Z14, Z13
	VFMADD231PS (R8)(BX*1), Z17, Z16
	VFMADD231PS (R8)(BX*1), Z20, Z19
	VFMADD231PS (R8)(BX*1), Z23, Z22
	ADDQ        $64, BX
	CMPQ        BX, R11
	JLT         sumOctTap
	VMOVUPS     Z1, K2, (DI)
	VMOVUPS     Z4, K2, (DI)(R14*1)
	VMOVUPS     Z7, K2, (DI)(R14*2)
	VMOVUPS     Z10, K2, (DI)(DX*1)
	VMOVUPS     Z13, K2, (R10)
	VMOVUPS     Z16, K2, (R10)(R14*1)
	VMOVUPS     Z19, K2, (R10)(R14*2)
	VMOVUPS     Z22, K2, (R10)(DX*1)
	LEAQ        (AX)(R13*4), SI
	LEAQ        (R10)(R14*4), DI
	SUBQ        $8, R12
	JMP         sumOct

sumOne:
	TESTQ     R12, R12
	JZ        sumDone
	VMOVUPS.Z (SI), K1, Z0
	VMOVAPS   Z30, Z1
	TESTQ     R15, R15
	JZ        sumOneTaps
	VMOVUPS.Z (DI), K2, Z1

sumOneTaps:
	XORQ BX, BX

sumOneTap:
	PERM(Z0, Z2)
	VFMADD231PS (R8)(BX*1), Z2, Z1
	ADDQ        $64, BX
	CMPQ        BX, R11
	JLT         sumOneTap
	VMOVUPS     Z1, K2, (DI)
	ADDQ        R13, SI
	ADDQ        R14, DI
	DECQ        R12
	JMP         sumOne

sumDone:
	RESTOREMXCSR
	VZEROUPPER
	RET

// func dwTinyFilterAVX512(a *dwTinyArgs)
TEXT ·dwTinyFilterAVX512(SB), NOSPLIT, $8-8
	FLUSHDENORMALS
	TINYARGS

filterQuad:
	CMPQ      R12, $4
	JLT       filterOne
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (SI)(R13*1), K1, Z4
	VMOVUPS.Z (SI)(R13*2), K1, Z8
	VMOVUPS.Z (SI)(CX*1), K1, Z12
	VMOVUPS.Z (DI), K2, Z1
	VMOVUPS.Z (DI)(R14*1), K2, Z5
	VMOVUPS.Z (DI)(R14*2), K2, Z9
	VMOVUPS.Z (DI)(DX*1), K2, Z13
	XORQ      BX, BX

filterQuadTap:
	PERM(Z0, Z2)
	PERM(Z4, Z6)
	PERM(Z8, Z10)
	PERM(Z12, Z14)
	VMOVUPS     (R8)(BX*1), Z3
	VFMADD231PS Z2, Z1, Z3
	VFMADD231PS Z6, Z5, Z3
	VFMADD231PS Z10, Z9, Z3
	VFMADD231PS Z14, Z13, Z3
	VMOVUPS     Z3, (R8)(BX*1)
	ADDQ        $64, BX
	CMPQ        BX, R11
	JLT         filterQuadTap
	LEAQ        (SI)(R13*4), SI
	LEAQ        (DI)(R14*4), DI
	SUBQ        $4, R12
	JMP         filterQuad

filterOne:
	TESTQ     R12, R12
	JZ        filterDone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K2, Z1
	XORQ      BX, BX

filterOneTap:
	PERM(Z0, Z2)
	VMOVUPS     (R8)(BX*1), Z3
	VFMADD231PS Z2, Z1, Z3
	VMOVUPS     Z3, (R8)(BX*1)
	ADDQ        $64, BX
	CMPQ        BX, R11
	JLT         filterOneTap
	ADDQ        R13, SI
	ADDQ        R14, DI
	DECQ        R12
	JMP         filterOne

filterDone:
	RESTOREMXCSR
	VZEROUPPER
	RET

// The AVX2 kernels: 8 lanes, four images at a time, then one. Registers as
// above, with Y12 and Y13 the masks of the lanes of in and out (prefix
// masks, from the counts of a.inMask's and a.outMask's bits), Y15 eight
// 8s: a lane whose index is not below 8 (dwTinyNone) is cleared after the
// permutation (Y4). Image i of four has its input in Y0, Y5, Y6, Y7 and its
// sums (or dy) in Y1, Y8, Y9, Y10; Y2 holds the tap's indices, Y3 and Y11
// the permuted inputs.

// tinyPrefix: the mask of the first k lanes is the 8 words at tinyPrefix+32−4k.
DATA tinyPrefix<>+0(SB)/8, $0xffffffffffffffff
DATA tinyPrefix<>+8(SB)/8, $0xffffffffffffffff
DATA tinyPrefix<>+16(SB)/8, $0xffffffffffffffff
DATA tinyPrefix<>+24(SB)/8, $0xffffffffffffffff
DATA tinyPrefix<>+32(SB)/8, $0
DATA tinyPrefix<>+40(SB)/8, $0
DATA tinyPrefix<>+48(SB)/8, $0
DATA tinyPrefix<>+56(SB)/8, $0
GLOBL tinyPrefix<>(SB), RODATA|NOPTR, $64

DATA tinyEights<>+0(SB)/8, $0x0000000800000008
DATA tinyEights<>+8(SB)/8, $0x0000000800000008
DATA tinyEights<>+16(SB)/8, $0x0000000800000008
DATA tinyEights<>+24(SB)/8, $0x0000000800000008
GLOBL tinyEights<>(SB), RODATA|NOPTR, $32

// TINYARGS2 loads the arguments for the AVX2 kernels; AX keeps a.
#define TINYARGS2 \
	MOVQ    a+0(FP), AX           \
	MOVQ    0(AX), SI             \
	MOVQ    8(AX), DI             \
	MOVQ    16(AX), R8            \
	MOVQ    24(AX), R9            \
	MOVQ    40(AX), R11           \
	SHLQ    $6, R11               \
	MOVQ    48(AX), R12           \
	MOVQ    56(AX), R13           \
	MOVQ    64(AX), R14           \
	LEAQ    tinyPrefix<>+32(SB), R10 \
	POPCNTQ 72(AX), BX            \
	SHLQ    $2, BX                \
	MOVQ    R10, CX               \
	SUBQ    BX, CX                \
	VMOVDQU (CX), Y12             \
	POPCNTQ 80(AX), BX            \
	SHLQ    $2, BX                \
	MOVQ    R10, CX               \
	SUBQ    BX, CX                \
	VMOVDQU (CX), Y13             \
	VMOVDQU tinyEights<>(SB), Y15 \
	LEAQ    (R13)(R13*2), CX      \
	LEAQ    (R14)(R14*2), DX

// PERM2(IN, T, ACC, W) adds W · (the tap's permutation of IN) into ACC, with
// T as scratch.
#define PERM2(IN, T, ACC, W) \
	VPERMPS     IN, Y2, T \
	VANDPS      T, Y4, T  \
	VFMADD231PS W, T, ACC

// func dwTinyAVX2(a *dwTinyArgs)
TEXT ·dwTinyAVX2(SB), NOSPLIT, $8-8
	FLUSHDENORMALS
	TINYARGS2
	MOVQ    88(AX), R15
	MOVQ    32(AX), BX
	VMOVUPS (BX), Y14

sum2Quad:
	CMPQ       R12, $4
	JLT        sum2One
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (SI)(R13*1), Y12, Y5
	VMASKMOVPS (SI)(R13*2), Y12, Y6
	VMASKMOVPS (SI)(CX*1), Y12, Y7
	VMOVAPS    Y14, Y1
	VMOVAPS    Y14, Y8
	VMOVAPS    Y14, Y9
	VMOVAPS    Y14, Y10
	TESTQ      R15, R15
	JZ         sum2QuadTaps
	VMASKMOVPS (DI), Y13, Y1
	VMASKMOVPS (DI)(R14*1), Y13, Y8
	VMASKMOVPS (DI)(R14*2), Y13, Y9
	VMASKMOVPS (DI)(DX*1), Y13, Y10

sum2QuadTaps:
	XORQ BX, BX

sum2QuadTap:
	VMOVDQU  (R9)(BX*1), Y2
	VPCMPGTD Y2, Y15, Y4
	PERM2(Y0, Y3, Y1, (R8)(BX*1))
	PERM2(Y5, Y11, Y8, (R8)(BX*1))
	PERM2(Y6, Y3, Y9, (R8)(BX*1))
	PERM2(Y7, Y11, Y10, (R8)(BX*1))
	ADDQ     $64, BX
	CMPQ     BX, R11
	JLT      sum2QuadTap
	VMASKMOVPS Y1, Y13, (DI)
	VMASKMOVPS Y8, Y13, (DI)(R14*1)
	VMASKMOVPS Y9, Y13, (DI)(R14*2)
	VMASKMOVPS Y10, Y13, (DI)(DX*1)
	LEAQ       (SI)(R13*4), SI
	LEAQ       (DI)(R14*4), DI
	SUBQ       $4, R12
	JMP        sum2Quad

sum2One:
	TESTQ      R12, R12
	JZ         sum2Done
	VMASKMOVPS (SI), Y12, Y0
	VMOVAPS    Y14, Y1
	TESTQ      R15, R15
	JZ         sum2OneTaps
	VMASKMOVPS (DI), Y13, Y1

sum2OneTaps:
	XORQ BX, BX

sum2OneTap:
	VMOVDQU  (R9)(BX*1), Y2
	VPCMPGTD Y2, Y15, Y4
	PERM2(Y0, Y3, Y1, (R8)(BX*1))
	ADDQ     $64, BX
	CMPQ     BX, R11
	JLT      sum2OneTap
	VMASKMOVPS Y1, Y13, (DI)
	ADDQ       R13, SI
	ADDQ       R14, DI
	DECQ       R12
	JMP        sum2One

sum2Done:
	RESTOREMXCSR
	VZEROUPPER
	RET

// func dwTinyFilterAVX2(a *dwTinyArgs)
TEXT ·dwTinyFilterAVX2(SB), NOSPLIT, $8-8
	FLUSHDENORMALS
	TINYARGS2

filter2Quad:
	CMPQ       R12, $4
	JLT        filter2One
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (SI)(R13*1), Y12, Y5
	VMASKMOVPS (SI)(R13*2), Y12, Y6
	VMASKMOVPS (SI)(CX*1), Y12, Y7
	VMASKMOVPS (DI), Y13, Y1
	VMASKMOVPS (DI)(R14*1), Y13, Y8
	VMASKMOVPS (DI)(R14*2), Y13, Y9
	VMASKMOVPS (DI)(DX*1), Y13, Y10
	XORQ       BX, BX

filter2QuadTap:
	VMOVDQU  (R9)(BX*1), Y2
	VPCMPGTD Y2, Y15, Y4
	VMOVUPS  (R8)(BX*1), Y14
	PERM2(Y0, Y3, Y14, Y1)
	PERM2(Y5, Y11, Y14, Y8)
	PERM2(Y6, Y3, Y14, Y9)
	PERM2(Y7, Y11, Y14, Y10)
	VMOVUPS  Y14, (R8)(BX*1)
	ADDQ     $64, BX
	CMPQ     BX, R11
	JLT      filter2QuadTap
	LEAQ     (SI)(R13*4), SI
	LEAQ     (DI)(R14*4), DI
	SUBQ     $4, R12
	JMP      filter2Quad

filter2One:
	TESTQ      R12, R12
	JZ         filter2Done
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS (DI), Y13, Y1
	XORQ       BX, BX

filter2OneTap:
	VMOVDQU  (R9)(BX*1), Y2
	VPCMPGTD Y2, Y15, Y4
	VMOVUPS  (R8)(BX*1), Y14
	PERM2(Y0, Y3, Y14, Y1)
	VMOVUPS  Y14, (R8)(BX*1)
	ADDQ     $64, BX
	CMPQ     BX, R11
	JLT      filter2OneTap
	ADDQ     R13, SI
	ADDQ     R14, DI
	DECQ     R12
	JMP      filter2One

filter2Done:
	RESTOREMXCSR
	VZEROUPPER
	RET

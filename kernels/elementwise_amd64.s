// One row of kernels.Binary (and of Scale, AddScalar and Axpy) with
// AVX-512 and with AVX2; elementwise_amd64.go calls them.
//
// Equivalent Go, for i < n, where A and B are a and b read with a step of
// stepA and stepB whole vectors (0: the same vector every time, which the
// caller fills with one repeated value):
//
//	op 0: out[i] = A[i] + B[i]
//	op 1: out[i] = A[i] − B[i]
//	op 2: out[i] = A[i] · B[i]
//	op 3: out[i] += A[i] · B[i]   (a rounded product, then the sum: no FMA)
//
// Each is the one IEEE instruction of the Go loop, so the results are those
// of binaryRow's loops, except that the kernels run with the MXCSR's
// flush-to-zero and denormals-are-zero bits set (a denormal would cost a
// microcode assist per instruction). A row is walked in whole vectors (16
// lanes, or 8 with AVX2), the last n mod lanes elements with masked loads
// and stores (an opmask; VMASKMOVPS with a mask cut from laneMasks of
// sgemm_pack_amd64.s), so nothing past element n is read or written.
//
// Registers: SI, DI, BX walk A, B and out, R9 and R10 hold the steps in
// bytes, CX counts whole vectors, DX the elements after them, R8 the op.

#include "textflag.h"
#include "mxcsr_amd64.h"

// func rowOpAVX512(op int, out, a *float32, stepA int, b *float32, stepB int, n int)
TEXT ·rowOpAVX512(SB), NOSPLIT, $8-56
	FLUSHDENORMALS
	MOVQ out+8(FP), BX
	MOVQ a+16(FP), SI
	MOVQ stepA+24(FP), R9
	SHLQ $6, R9 // bytes per vector, or 0
	MOVQ b+32(FP), DI
	MOVQ stepB+40(FP), R10
	SHLQ $6, R10
	MOVQ n+48(FP), CX
	MOVQ CX, DX
	ANDQ $15, DX // elements after the whole vectors
	MOVQ DX, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1 // their lanes
	MOVQ n+48(FP), CX
	SHRQ $4, CX
	MOVQ op+0(FP), R8
	CMPQ R8, $0
	JEQ addAVX512
	CMPQ R8, $1
	JEQ subAVX512
	CMPQ R8, $2
	JEQ mulAVX512
	JMP mulaccAVX512

addAVX512:
	TESTQ CX, CX
	JZ addAVX512Tail

addAVX512Loop:
	VMOVUPS (SI), Z0
	VMOVUPS (DI), Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $64, BX
	DECQ CX
	JNZ addAVX512Loop

addAVX512Tail:
	TESTQ DX, DX
	JZ doneAVX512
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (BX)
	JMP doneAVX512

subAVX512:
	TESTQ CX, CX
	JZ subAVX512Tail

subAVX512Loop:
	VMOVUPS (SI), Z0
	VMOVUPS (DI), Z1
	VSUBPS Z1, Z0, Z0
	VMOVUPS Z0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $64, BX
	DECQ CX
	JNZ subAVX512Loop

subAVX512Tail:
	TESTQ DX, DX
	JZ doneAVX512
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VSUBPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (BX)
	JMP doneAVX512

mulAVX512:
	TESTQ CX, CX
	JZ mulAVX512Tail

mulAVX512Loop:
	VMOVUPS (SI), Z0
	VMOVUPS (DI), Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $64, BX
	DECQ CX
	JNZ mulAVX512Loop

mulAVX512Tail:
	TESTQ DX, DX
	JZ doneAVX512
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (BX)
	JMP doneAVX512

mulaccAVX512:
	TESTQ CX, CX
	JZ mulaccAVX512Tail

mulaccAVX512Loop:
	VMOVUPS (SI), Z0
	VMOVUPS (DI), Z1
	VMULPS Z1, Z0, Z0
	VADDPS (BX), Z0, Z0
	VMOVUPS Z0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $64, BX
	DECQ CX
	JNZ mulaccAVX512Loop

mulaccAVX512Tail:
	TESTQ DX, DX
	JZ doneAVX512
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DI), K1, Z1
	VMULPS Z1, Z0, Z0
	VMOVUPS.Z (BX), K1, Z2
	VADDPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (BX)
	JMP doneAVX512

doneAVX512:
	RESTOREMXCSR
	VZEROUPPER
	RET

// func rowOpAVX2(op int, out, a *float32, stepA int, b *float32, stepB int, n int)
TEXT ·rowOpAVX2(SB), NOSPLIT, $8-56
	FLUSHDENORMALS
	MOVQ out+8(FP), BX
	MOVQ a+16(FP), SI
	MOVQ stepA+24(FP), R9
	SHLQ $5, R9 // bytes per vector, or 0
	MOVQ b+32(FP), DI
	MOVQ stepB+40(FP), R10
	SHLQ $5, R10
	MOVQ n+48(FP), CX
	MOVQ CX, DX
	ANDQ $7, DX // elements after the whole vectors
	LEAQ ·laneMasks+32(SB), AX
	MOVQ DX, R11
	SHLQ $2, R11
	SUBQ R11, AX
	VMOVDQU (AX), Y7 // their lanes
	SHRQ $3, CX
	MOVQ op+0(FP), R8
	CMPQ R8, $0
	JEQ addAVX2
	CMPQ R8, $1
	JEQ subAVX2
	CMPQ R8, $2
	JEQ mulAVX2
	JMP mulaccAVX2

addAVX2:
	TESTQ CX, CX
	JZ addAVX2Tail

addAVX2Loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VADDPS Y1, Y0, Y0
	VMOVUPS Y0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $32, BX
	DECQ CX
	JNZ addAVX2Loop

addAVX2Tail:
	TESTQ DX, DX
	JZ doneAVX2
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DI), Y7, Y1
	VADDPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y7, (BX)
	JMP doneAVX2

subAVX2:
	TESTQ CX, CX
	JZ subAVX2Tail

subAVX2Loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VSUBPS Y1, Y0, Y0
	VMOVUPS Y0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $32, BX
	DECQ CX
	JNZ subAVX2Loop

subAVX2Tail:
	TESTQ DX, DX
	JZ doneAVX2
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DI), Y7, Y1
	VSUBPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y7, (BX)
	JMP doneAVX2

mulAVX2:
	TESTQ CX, CX
	JZ mulAVX2Tail

mulAVX2Loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VMULPS Y1, Y0, Y0
	VMOVUPS Y0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $32, BX
	DECQ CX
	JNZ mulAVX2Loop

mulAVX2Tail:
	TESTQ DX, DX
	JZ doneAVX2
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DI), Y7, Y1
	VMULPS Y1, Y0, Y0
	VMASKMOVPS Y0, Y7, (BX)
	JMP doneAVX2

mulaccAVX2:
	TESTQ CX, CX
	JZ mulaccAVX2Tail

mulaccAVX2Loop:
	VMOVUPS (SI), Y0
	VMOVUPS (DI), Y1
	VMULPS Y1, Y0, Y0
	VADDPS (BX), Y0, Y0
	VMOVUPS Y0, (BX)
	ADDQ R9, SI
	ADDQ R10, DI
	ADDQ $32, BX
	DECQ CX
	JNZ mulaccAVX2Loop

mulaccAVX2Tail:
	TESTQ DX, DX
	JZ doneAVX2
	VMASKMOVPS (SI), Y7, Y0
	VMASKMOVPS (DI), Y7, Y1
	VMULPS Y1, Y0, Y0
	VMASKMOVPS (BX), Y7, Y2
	VADDPS Y2, Y0, Y0
	VMASKMOVPS Y0, Y7, (BX)
	JMP doneAVX2

doneAVX2:
	RESTOREMXCSR
	VZEROUPPER
	RET

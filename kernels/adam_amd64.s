// The Adam / AdamW update with AVX-512F and with AVX2+FMA (see adam.go for
// what it computes and adam_amd64.go for the calling convention).
//
// Each step takes a vector of float32 lanes (8 in a YMM register with
// AVX-512, 4 in an XMM register with AVX2) and does the loop body of
// adamSpanRef on them, one IEEE float32 instruction per Go operation, in
// the Go order. fma32(x, y, z) widens x and z (or x·y's float32 factors)
// to float64 lanes in a register twice as wide (ZMM, YMM), does one float64
// multiply-add and narrows the result: the float64 arithmetic and the two
// roundings of math.FMA and float32(). The MXCSR is left alone, so denormal
// values are kept exactly as the Go loop keeps them.
//
// Registers: SI, DI, R8, R9 walk param, grad, m and v; CX counts the steps;
// R10 and R11 hold AddDecay and Shrink. Constants are broadcast once:
//
//	AVX-512: Y15 Beta1, Y14 Beta2, Y13 Keep2, Y12 NegStepSize, Y11 BC2Sqrt,
//	         Y10 Eps, Y9 Factor (float32); Z16 Keep1, Z17 Decay (float64)
//	AVX2:    X15 … X9 likewise; Y8 Keep1, Y7 Decay (float64)
//
// Per step: Y0/X0 g, Y1/X1 p, Y2/X2 m, Y3/X3 v, Y4/X4 Keep2·g; float64
// temporaries Z20–Z23 (AVX-512) or Y4–Y6 (AVX2).

#include "textflag.h"

// Offsets of the fields of AdamCoeffs (checked by TestAdamCoeffsLayout).
#define C_ADDDECAY 0
#define C_SHRINK 1
#define C_DECAY 4
#define C_FACTOR 8
#define C_BETA1 12
#define C_BETA2 16
#define C_KEEP1 20
#define C_KEEP2 24
#define C_NEGSTEP 28
#define C_BC2SQRT 32
#define C_EPS 36

// func adamAVX512(c *AdamCoeffs, param, grad, m, v *float32, n int)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ    c+0(FP), AX
	MOVQ    param+8(FP), SI
	MOVQ    grad+16(FP), DI
	MOVQ    m+24(FP), R8
	MOVQ    v+32(FP), R9
	MOVQ    n+40(FP), CX
	SHRQ    $3, CX
	MOVBQZX C_ADDDECAY(AX), R10
	MOVBQZX C_SHRINK(AX), R11

	VBROADCASTSS C_BETA1(AX), Y15
	VBROADCASTSS C_BETA2(AX), Y14
	VBROADCASTSS C_KEEP2(AX), Y13
	VBROADCASTSS C_NEGSTEP(AX), Y12
	VBROADCASTSS C_BC2SQRT(AX), Y11
	VBROADCASTSS C_EPS(AX), Y10
	VBROADCASTSS C_FACTOR(AX), Y9
	VCVTSS2SD    C_KEEP1(AX), X8, X8
	VBROADCASTSD X8, Z16
	VCVTSS2SD    C_DECAY(AX), X8, X8
	VBROADCASTSD X8, Z17

loop512:
	VMOVUPS (DI), Y0
	VMOVUPS (SI), Y1
	TESTQ   R10, R10
	JZ      shrink512

	// g = fma32(p, Decay, g)
	VCVTPS2PD   Y1, Z20
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z17, Z20, Z21
	VCVTPD2PS   Z21, Y0

shrink512:
	TESTQ  R11, R11
	JZ     moments512
	VMULPS Y9, Y1, Y1 // p = p·Factor

moments512:
	// m = fma32(g, Keep1, m·Beta1)
	VMULPS      (R8), Y15, Y2
	VCVTPS2PD   Y2, Z22
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z16, Z21, Z22
	VCVTPD2PS   Z22, Y2
	VMOVUPS     Y2, (R8)

	// v = fma32(Keep2·g, g, v·Beta2)
	VMULPS      (R9), Y14, Y3
	VMULPS      Y13, Y0, Y4
	VCVTPS2PD   Y3, Z23
	VCVTPS2PD   Y4, Z20
	VFMADD231PD Z21, Z20, Z23
	VCVTPD2PS   Z23, Y3
	VMOVUPS     Y3, (R9)

	// p += NegStepSize·m / (√v / BC2Sqrt + Eps)
	VSQRTPS Y3, Y3
	VDIVPS  Y11, Y3, Y3
	VADDPS  Y10, Y3, Y3
	VMULPS  Y12, Y2, Y2
	VDIVPS  Y3, Y2, Y2
	VADDPS  Y2, Y1, Y1
	VMOVUPS Y1, (SI)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	DECQ CX
	JNZ  loop512
	VZEROUPPER
	RET

// func adamAVX2(c *AdamCoeffs, param, grad, m, v *float32, n int)
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ    c+0(FP), AX
	MOVQ    param+8(FP), SI
	MOVQ    grad+16(FP), DI
	MOVQ    m+24(FP), R8
	MOVQ    v+32(FP), R9
	MOVQ    n+40(FP), CX
	SHRQ    $2, CX
	MOVBQZX C_ADDDECAY(AX), R10
	MOVBQZX C_SHRINK(AX), R11

	VBROADCASTSS C_BETA1(AX), X15
	VBROADCASTSS C_BETA2(AX), X14
	VBROADCASTSS C_KEEP2(AX), X13
	VBROADCASTSS C_NEGSTEP(AX), X12
	VBROADCASTSS C_BC2SQRT(AX), X11
	VBROADCASTSS C_EPS(AX), X10
	VBROADCASTSS C_FACTOR(AX), X9
	VCVTSS2SD    C_KEEP1(AX), X4, X4
	VBROADCASTSD X4, Y8
	VCVTSS2SD    C_DECAY(AX), X4, X4
	VBROADCASTSD X4, Y7

loop256:
	VMOVUPS (DI), X0
	VMOVUPS (SI), X1
	TESTQ   R10, R10
	JZ      shrink256

	// g = fma32(p, Decay, g)
	VCVTPS2PD   X1, Y5
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y7, Y5, Y6
	VCVTPD2PSY  Y6, X0

shrink256:
	TESTQ  R11, R11
	JZ     moments256
	VMULPS X9, X1, X1 // p = p·Factor

moments256:
	// m = fma32(g, Keep1, m·Beta1)
	VMULPS      (R8), X15, X2
	VCVTPS2PD   X2, Y5
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y8, Y6, Y5
	VCVTPD2PSY  Y5, X2
	VMOVUPS     X2, (R8)

	// v = fma32(Keep2·g, g, v·Beta2)
	VMULPS      (R9), X14, X3
	VMULPS      X13, X0, X4
	VCVTPS2PD   X3, Y5
	VCVTPS2PD   X4, Y4
	VFMADD231PD Y6, Y4, Y5
	VCVTPD2PSY  Y5, X3
	VMOVUPS     X3, (R9)

	// p += NegStepSize·m / (√v / BC2Sqrt + Eps)
	VSQRTPS X3, X3
	VDIVPS  X11, X3, X3
	VADDPS  X10, X3, X3
	VMULPS  X12, X2, X2
	VDIVPS  X3, X2, X2
	VADDPS  X2, X1, X1
	VMOVUPS X1, (SI)

	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, R8
	ADDQ $16, R9
	DECQ CX
	JNZ  loop256
	VZEROUPPER
	RET

// The optimiser updates with AVX-512F and with AVX2+FMA (see
// optim_update.go for what they compute and optim_update_amd64.go for the
// calling convention).
//
// Each step takes a vector of float32 lanes (8 in a YMM register with
// AVX-512, 4 in an XMM register with AVX2) and does the loop body of
// sgdSpanRef or adamSpanRef on them, one IEEE float32 instruction per Go
// operation, in the Go order. fma32(x, y, z) widens its float32 operands to
// float64 lanes in a register twice as wide (ZMM, YMM), does one float64
// multiply-add and narrows the result: the float64 arithmetic and the two
// roundings of math.FMA and float32(). The branches on the coefficients'
// flags are taken the same way at every step.
//
// The kernels run with the MXCSR's flush-to-zero and denormals-are-zero bits
// set (and put the caller's MXCSR back): a denormal operand of an arithmetic
// instruction counts as a zero of its sign, and a result below 2^-126 becomes
// one. Without them a gradient of 1e-19, whose square is a denormal second
// moment, made an Adam update 15–30 times slower (microcode assists).
//
// Registers: SI, DI walk param and grad, R8 (and R9) the state buffers; CX
// counts the steps; R10–R13 hold the flags. Float32 constants are broadcast
// into Y9–Y15 (X9–X15 with AVX2), float64 ones into Z16–Z19 (Y7–Y10 with AVX2).
// Per step, Y0/X0 holds the gradient g or d, Y1/X1 the parameter, Y2–Y4
// (X2–X4) the buffers; float64 temporaries are Z20–Z23 (Y4–Y6 with AVX2).

#include "textflag.h"
#include "mxcsr_amd64.h"

// Offsets of the fields of SGDCoeffs and AdamCoeffs (checked by
// TestUpdateCoeffsLayout).
#define S_DECAY 0
#define S_MOMENTUM 4
#define S_KEEP 8
#define S_NEGLR 12
#define S_USEDECAY 16
#define S_USEMOMENTUM 17
#define S_FIRST 18
#define S_NESTEROV 19

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

// func sgdAVX512(c *SGDCoeffs, param, grad, buf *float32, n int)
TEXT ·sgdAVX512(SB), NOSPLIT, $8-40
	FLUSHDENORMALS
	MOVQ    c+0(FP), AX
	MOVQ    param+8(FP), SI
	MOVQ    grad+16(FP), DI
	MOVQ    buf+24(FP), R8
	MOVQ    n+32(FP), CX
	SHRQ    $3, CX
	MOVBQZX S_USEDECAY(AX), R10
	MOVBQZX S_USEMOMENTUM(AX), R11
	MOVBQZX S_FIRST(AX), R12
	MOVBQZX S_NESTEROV(AX), R13

	VBROADCASTSS S_MOMENTUM(AX), Y15
	VCVTSS2SD    S_DECAY(AX), X8, X8
	VBROADCASTSD X8, Z16
	VCVTSS2SD    S_KEEP(AX), X8, X8
	VBROADCASTSD X8, Z17
	VCVTSS2SD    S_MOMENTUM(AX), X8, X8
	VBROADCASTSD X8, Z18
	VCVTSS2SD    S_NEGLR(AX), X8, X8
	VBROADCASTSD X8, Z19

sgdloop512:
	VMOVUPS   (DI), Y0
	VMOVUPS   (SI), Y1
	VCVTPS2PD Y1, Z20 // p as float64
	TESTQ     R10, R10
	JZ        sgdmomentum512

	// d = fma32(p, Decay, d)
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z16, Z20, Z21
	VCVTPD2PS   Z21, Y0

sgdmomentum512:
	TESTQ R11, R11
	JZ    sgdupdate512
	TESTQ R12, R12
	JZ    sgdblend512
	VMOVUPS Y0, Y2 // buf = d
	JMP   sgdstore512

sgdblend512:
	// buf = fma32(d, Keep, buf·Momentum)
	VMULPS      (R8), Y15, Y2
	VCVTPS2PD   Y2, Z22
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z17, Z21, Z22
	VCVTPD2PS   Z22, Y2

sgdstore512:
	VMOVUPS Y2, (R8)
	TESTQ   R13, R13
	JZ      sgdplain512

	// d = fma32(buf, Momentum, d)
	VCVTPS2PD   Y2, Z22
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z18, Z22, Z21
	VCVTPD2PS   Z21, Y0
	JMP         sgdupdate512

sgdplain512:
	VMOVUPS Y2, Y0 // d = buf

sgdupdate512:
	// p = fma32(d, NegLR, p)
	VCVTPS2PD   Y0, Z21
	VFMADD231PD Z19, Z21, Z20
	VCVTPD2PS   Z20, Y1
	VMOVUPS     Y1, (SI)

	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	DECQ CX
	JNZ  sgdloop512
	RESTOREMXCSR
	VZEROUPPER
	RET

// func sgdAVX2(c *SGDCoeffs, param, grad, buf *float32, n int)
TEXT ·sgdAVX2(SB), NOSPLIT, $8-40
	FLUSHDENORMALS
	MOVQ    c+0(FP), AX
	MOVQ    param+8(FP), SI
	MOVQ    grad+16(FP), DI
	MOVQ    buf+24(FP), R8
	MOVQ    n+32(FP), CX
	SHRQ    $2, CX
	MOVBQZX S_USEDECAY(AX), R10
	MOVBQZX S_USEMOMENTUM(AX), R11
	MOVBQZX S_FIRST(AX), R12
	MOVBQZX S_NESTEROV(AX), R13

	VBROADCASTSS S_MOMENTUM(AX), X15
	VCVTSS2SD    S_DECAY(AX), X4, X4
	VBROADCASTSD X4, Y10
	VCVTSS2SD    S_KEEP(AX), X4, X4
	VBROADCASTSD X4, Y9
	VCVTSS2SD    S_MOMENTUM(AX), X4, X4
	VBROADCASTSD X4, Y8
	VCVTSS2SD    S_NEGLR(AX), X4, X4
	VBROADCASTSD X4, Y7

sgdloop256:
	VMOVUPS   (DI), X0
	VMOVUPS   (SI), X1
	VCVTPS2PD X1, Y5 // p as float64
	TESTQ     R10, R10
	JZ        sgdmomentum256

	// d = fma32(p, Decay, d)
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y10, Y5, Y6
	VCVTPD2PSY  Y6, X0

sgdmomentum256:
	TESTQ R11, R11
	JZ    sgdupdate256
	TESTQ R12, R12
	JZ    sgdblend256
	VMOVUPS X0, X2 // buf = d
	JMP   sgdstore256

sgdblend256:
	// buf = fma32(d, Keep, buf·Momentum)
	VMULPS      (R8), X15, X2
	VCVTPS2PD   X2, Y4
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y9, Y6, Y4
	VCVTPD2PSY  Y4, X2

sgdstore256:
	VMOVUPS X2, (R8)
	TESTQ   R13, R13
	JZ      sgdplain256

	// d = fma32(buf, Momentum, d)
	VCVTPS2PD   X2, Y4
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y8, Y4, Y6
	VCVTPD2PSY  Y6, X0
	JMP         sgdupdate256

sgdplain256:
	VMOVUPS X2, X0 // d = buf

sgdupdate256:
	// p = fma32(d, NegLR, p)
	VCVTPS2PD   X0, Y6
	VFMADD231PD Y7, Y6, Y5
	VCVTPD2PSY  Y5, X1
	VMOVUPS     X1, (SI)

	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, R8
	DECQ CX
	JNZ  sgdloop256
	RESTOREMXCSR
	VZEROUPPER
	RET

// func adamAVX512(c *AdamCoeffs, param, grad, m, v *float32, n int)
TEXT ·adamAVX512(SB), NOSPLIT, $8-48
	FLUSHDENORMALS
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
	RESTOREMXCSR
	VZEROUPPER
	RET

// func adamAVX2(c *AdamCoeffs, param, grad, m, v *float32, n int)
TEXT ·adamAVX2(SB), NOSPLIT, $8-48
	FLUSHDENORMALS
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
	RESTOREMXCSR
	VZEROUPPER
	RET

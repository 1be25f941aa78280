// FMA throughput loops: many independent multiply-adds on registers, enough
// of them to cover the FMA latency on every FMA unit, and nothing else, so
// that they run at the core's peak floating-point rate.
//
// Equivalent Go (per iteration, for each accumulator r of the loop):
//
//	acc[r] = acc[r]*x + y // one fused multiply-add on a whole vector

#include "textflag.h"

#define FMA12(x, y) \
	VFMADD231PS x, y, Y0;  \
	VFMADD231PS x, y, Y1;  \
	VFMADD231PS x, y, Y2;  \
	VFMADD231PS x, y, Y3;  \
	VFMADD231PS x, y, Y4;  \
	VFMADD231PS x, y, Y5;  \
	VFMADD231PS x, y, Y6;  \
	VFMADD231PS x, y, Y7;  \
	VFMADD231PS x, y, Y8;  \
	VFMADD231PS x, y, Y9;  \
	VFMADD231PS x, y, Y10; \
	VFMADD231PS x, y, Y11

// func fmaLoopYMM(iters int)
TEXT ·fmaLoopYMM(SB), NOSPLIT, $0-8
	MOVQ   iters+0(FP), CX
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
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13

loop:
	FMA12(Y12, Y13)
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

#define FMA24(x, y) \
	VFMADD231PS x, y, Z0;  \
	VFMADD231PS x, y, Z1;  \
	VFMADD231PS x, y, Z2;  \
	VFMADD231PS x, y, Z3;  \
	VFMADD231PS x, y, Z4;  \
	VFMADD231PS x, y, Z5;  \
	VFMADD231PS x, y, Z6;  \
	VFMADD231PS x, y, Z7;  \
	VFMADD231PS x, y, Z8;  \
	VFMADD231PS x, y, Z9;  \
	VFMADD231PS x, y, Z10; \
	VFMADD231PS x, y, Z11; \
	VFMADD231PS x, y, Z12; \
	VFMADD231PS x, y, Z13; \
	VFMADD231PS x, y, Z14; \
	VFMADD231PS x, y, Z15; \
	VFMADD231PS x, y, Z16; \
	VFMADD231PS x, y, Z17; \
	VFMADD231PS x, y, Z18; \
	VFMADD231PS x, y, Z19; \
	VFMADD231PS x, y, Z20; \
	VFMADD231PS x, y, Z21; \
	VFMADD231PS x, y, Z22; \
	VFMADD231PS x, y, Z23

// func fmaLoopZMM(iters int)
TEXT ·fmaLoopZMM(SB), NOSPLIT, $0-8
	MOVQ   iters+0(FP), CX
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
	VPXORD Z24, Z24, Z24
	VPXORD Z25, Z25, Z25

loop:
	FMA24(Z24, Z25)
	DECQ CX
	JNZ  loop
	VZEROUPPER
	RET

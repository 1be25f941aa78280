//go:build ignore

// Command pooling_gen writes pooling_amd64.s: the AVX2 and AVX-512 max-pooling
// row kernels declared in pooling_amd64.go. Run it with `go generate ./kernels`
// (or `go run pooling_gen.go` in this directory).
//
// A kernel pools the interior outputs of one output row, a vector of
// consecutive outputs (8 lanes with AVX2, 16 with AVX-512) at a time. For
// each vector it loads, tap by tap in row-major order, the input pixel of
// every lane's window (tap (r, s) at offset r·w + s from lane 0's window
// corner, w the input's row length):
//
//	stride 1  one load of consecutive columns
//	stride 2  the even columns of two loads that start at the tap's column
//	          and lanes − 1 columns further, gathered by VPERMT2PS (AVX-512)
//	          or by VSHUFPS and VPERMPD (AVX2); the second load ends at the
//	          last column the vector needs, so nothing past it is read
//
// The first tap starts the maximum; each later tap v replaces it in the lanes
// where v > max (ordered: false for NaN and for −0 against +0) or v is NaN,
// and the kernels with indices then also take the tap's offset into a vector
// of winning offsets; at the end the output's position is added to it. The
// kernels without indices get the same values with VMAXPS(v, max), which
// gives max unless v > max (max also where either is NaN), then take v in
// the lanes where v is NaN.
//
// The last len(y) mod lanes outputs form one more vector with masked loads
// and stores (AVX-512 opmasks, AVX2 VMASKMOVPS), so nothing outside the
// row's windows and outputs is read or written.
//
// Registers:
//
//	SI  x at the current vector    DI  y at the current vector
//	R8  idx at the current vector  R9  kw, R10 rows, R14 w − kw
//	R12 offset of the current tap  R11 taps left in the window row,
//	R13 window rows left           CX  whole vectors left
//	V0  maximum   V1 winning offsets   V2 tap values   V3, V4 scratch
//	AVX-512: K1, K2 per tap; K3, K4 tail load masks, K5 tail store mask;
//	Z28–Z30 output positions, Z31 stride-2 permutation
//	AVX2: Y10 tail store mask, Y11, Y12 tail load masks; Y13, Y14 output
//	positions, Y15 scratch
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

type isa struct {
	name  string
	lanes int
	wide  bool // AVX-512
}

var (
	avx2   = isa{name: "AVX2", lanes: 8}
	avx512 = isa{name: "AVX512", lanes: 16, wide: true}
)

func (a isa) v(i int) string {
	if a.wide {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

type kernel struct {
	isa
	out    *bytes.Buffer
	stride int
	idx    bool
}

func (k *kernel) op(format string, args ...any) {
	fmt.Fprintf(k.out, "\t"+format+"\n", args...)
}

func (k *kernel) label(name string) { fmt.Fprintf(k.out, "%s:\n", name) }

func (k *kernel) name() string {
	kind := "Val"
	if k.idx {
		kind = "Idx"
	}
	return fmt.Sprintf("maxPoolS%d%s%s", k.stride, kind, k.isa.name)
}

// load puts the values of the tap at offset R12 into vector register dst.
func (k *kernel) load(dst int, tail bool) {
	d := k.v(dst)
	second := 4 * (k.lanes - 1) // byte offset of the second stride-2 load
	switch {
	case k.wide && !tail:
		k.op("VMOVUPS (SI)(R12*4), %s", d)
		if k.stride == 2 {
			k.op("VPERMT2PS %d(SI)(R12*4), Z31, %s", second, d)
		}
	case k.wide:
		k.op("VMOVUPS.Z (SI)(R12*4), K3, %s", d)
		if k.stride == 2 {
			k.op("VMOVUPS.Z %d(SI)(R12*4), K4, Z3", second)
			k.op("VPERMT2PS Z3, Z31, %s", d)
		}
	case !tail:
		k.op("VMOVUPS (SI)(R12*4), %s", d)
		if k.stride == 2 {
			k.op("VSHUFPS $0xd8, %d(SI)(R12*4), %s, %s", second, d, d)
			k.op("VPERMPD $0xd8, %s, %s", d, d)
		}
	default:
		k.op("VMASKMOVPS (SI)(R12*4), Y11, %s", d)
		if k.stride == 2 {
			k.op("VMASKMOVPS %d(SI)(R12*4), Y12, Y3", second)
			k.op("VSHUFPS $0xd8, Y3, %s, %s", d, d)
			k.op("VPERMPD $0xd8, %s, %s", d, d)
		}
	}
}

// update merges the tap values V2 into the maximum V0 (and offsets V1).
func (k *kernel) update() {
	switch {
	case k.wide && k.idx:
		k.op("VCMPPS $0x1e, Z0, Z2, K1") // v > max, ordered
		k.op("VCMPPS $3, Z2, Z2, K2")    // v is NaN
		k.op("KORW K1, K2, K1")
		k.op("VMOVAPS Z2, K1, Z0")
		k.op("VPBROADCASTD R12, K1, Z1")
	case k.wide:
		k.op("VMAXPS Z0, Z2, Z0")
		k.op("VCMPPS $3, Z2, Z2, K2")
		k.op("VMOVAPS Z2, K2, Z0")
	case k.idx:
		k.op("VCMPPS $0x1e, Y0, Y2, Y3")
		k.op("VCMPPS $3, Y2, Y2, Y4")
		k.op("VORPS Y4, Y3, Y3")
		k.op("VBLENDVPS Y3, Y2, Y0, Y0")
		k.op("VMOVD R12, X4")
		k.op("VPBROADCASTD X4, Y4")
		k.op("VBLENDVPS Y3, Y4, Y1, Y1")
	default:
		k.op("VMAXPS Y0, Y2, Y0")
		k.op("VCMPPS $3, Y2, Y2, Y3")
		k.op("VBLENDVPS Y3, Y2, Y0, Y0")
	}
}

// vector pools one vector of outputs and moves on to the next.
func (k *kernel) vector(tail bool) {
	p := "full"
	if tail {
		p = "tail"
	}
	k.op("XORQ R12, R12")
	k.load(0, tail)
	if k.idx {
		if k.wide {
			k.op("VPXORD Z1, Z1, Z1")
		} else {
			k.op("VPXOR Y1, Y1, Y1")
		}
	}
	k.op("MOVQ R10, R13")
	k.op("MOVQ R9, R11")
	k.op("MOVQ $1, R12")
	k.op("DECQ R11")
	k.op("JZ %s_row", p)
	k.label(p + "_tap")
	k.load(2, tail)
	k.update()
	k.op("INCQ R12")
	k.op("DECQ R11")
	k.op("JNZ %s_tap", p)
	k.label(p + "_row")
	k.op("DECQ R13")
	k.op("JZ %s_done", p)
	k.op("ADDQ R14, R12")
	k.op("MOVQ R9, R11")
	k.op("JMP %s_tap", p)
	k.label(p + "_done")
	switch {
	case k.wide && !tail:
		k.op("VMOVUPS Z0, (DI)")
	case k.wide:
		k.op("VMOVUPS Z0, K5, (DI)")
	case !tail:
		k.op("VMOVUPS Y0, (DI)")
	default:
		k.op("VMASKMOVPS Y0, Y10, (DI)")
	}
	if k.idx {
		pos, step := 30, 29
		if !k.wide {
			pos, step = 14, 13
		}
		k.op("VPADDD %s, %s, %s", k.v(pos), k.v(1), k.v(1))
		switch {
		case k.wide && !tail:
			k.op("VMOVDQU32 Z1, (R8)")
		case k.wide:
			k.op("VMOVDQU32 Z1, K5, (R8)")
		case !tail:
			k.op("VMOVDQU Y1, (R8)")
		default:
			k.op("VPMASKMOVD Y1, Y10, (R8)")
		}
		if !tail {
			k.op("VPADDD %s, %s, %s", k.v(step), k.v(pos), k.v(pos))
			k.op("ADDQ $%d, R8", 4*k.lanes)
		}
	}
	if !tail {
		k.op("ADDQ $%d, SI", 4*k.lanes*k.stride)
		k.op("ADDQ $%d, DI", 4*k.lanes)
	}
}

func (k *kernel) emit() {
	fmt.Fprintf(k.out, "\n// func %s(x, y *float32, idx *int32, rows, kw, w, vecs, base, rem, remA, remB int)\n", k.name())
	fmt.Fprintf(k.out, "TEXT ·%s(SB), NOSPLIT, $0-88\n", k.name())
	k.op("MOVQ x+0(FP), SI")
	k.op("MOVQ y+8(FP), DI")
	k.op("MOVQ rows+24(FP), R10")
	k.op("MOVQ kw+32(FP), R9")
	k.op("MOVQ w+40(FP), R14")
	k.op("SUBQ R9, R14")
	k.op("MOVQ vecs+48(FP), CX")
	if k.wide && k.stride == 2 {
		k.op("VMOVDQU32 mpEven<>(SB), Z31")
	}
	if k.idx {
		// Output positions: base + lane·stride, stepping by lanes·stride.
		k.op("MOVQ idx+16(FP), R8")
		k.op("MOVQ base+56(FP), AX")
		if k.wide {
			k.op("VPBROADCASTD AX, Z30")
			k.op("VMOVDQU32 mpLanes<>(SB), Z28")
			if k.stride == 2 {
				k.op("VPADDD Z28, Z28, Z28")
			}
			k.op("VPADDD Z28, Z30, Z30")
			k.op("MOVL $%d, AX", k.lanes*k.stride)
			k.op("VPBROADCASTD AX, Z29")
		} else {
			k.op("VMOVD AX, X14")
			k.op("VPBROADCASTD X14, Y14")
			k.op("VMOVDQU mpLanes<>(SB), Y15")
			if k.stride == 2 {
				k.op("VPADDD Y15, Y15, Y15")
			}
			k.op("VPADDD Y15, Y14, Y14")
			k.op("MOVL $%d, AX", k.lanes*k.stride)
			k.op("VMOVD AX, X13")
			k.op("VPBROADCASTD X13, Y13")
		}
	}
	k.op("TESTQ CX, CX")
	k.op("JZ rest")
	k.label("full")
	k.vector(false)
	k.op("DECQ CX")
	k.op("JNZ full")
	k.label("rest")
	k.op("MOVQ rem+64(FP), AX")
	k.op("TESTQ AX, AX")
	k.op("JZ end")
	if k.wide {
		for _, m := range []struct{ arg, k string }{{"rem+64(FP)", "K5"}, {"remA+72(FP)", "K3"}, {"remB+80(FP)", "K4"}} {
			if m.k == "K4" && k.stride == 1 {
				continue
			}
			k.op("MOVQ %s, CX", m.arg)
			k.op("MOVL $1, AX")
			k.op("SHLL CX, AX")
			k.op("DECL AX")
			k.op("KMOVW AX, %s", m.k)
		}
	} else {
		// The mask of c lanes is the 8 words at mpMask<> + 4·(8 − c).
		for _, m := range []struct{ arg, y string }{{"rem+64(FP)", "Y10"}, {"remA+72(FP)", "Y11"}, {"remB+80(FP)", "Y12"}} {
			if m.y == "Y12" && k.stride == 1 {
				continue
			}
			k.op("MOVQ %s, CX", m.arg)
			k.op("SHLQ $2, CX")
			k.op("LEAQ mpMask<>+32(SB), DX")
			k.op("SUBQ CX, DX")
			k.op("VMOVDQU (DX), %s", m.y)
		}
	}
	k.vector(true)
	k.label("end")
	k.op("VZEROUPPER")
	k.op("RET")
}

func data(out *bytes.Buffer, sym, comment string, words []int32) {
	fmt.Fprintf(out, "\n// %s\n", comment)
	for i, w := range words {
		fmt.Fprintf(out, "DATA %s<>+%d(SB)/4, $%d\n", sym, 4*i, w)
	}
	fmt.Fprintf(out, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n", sym, 4*len(words))
}

func main() {
	var out bytes.Buffer
	out.WriteString(`// Code generated by pooling_gen.go; DO NOT EDIT.

// Max-pooling row kernels for AVX2 and AVX-512 (see pooling_gen.go for how
// they work and pooling_amd64.go for what each computes).

#include "textflag.h"
`)
	var lanes, even, mask []int32
	for l := range int32(16) {
		lanes = append(lanes, l)
		if l < 8 {
			even = append(even, 2*l)
			mask = append(mask, -1)
		} else {
			even = append(even, 2*l+1)
			mask = append(mask, 0)
		}
	}
	data(&out, "mpLanes", "Lane numbers 0…15.", lanes)
	data(&out, "mpEven", "VPERMT2PS indices: the even columns of a load at column 0 (lanes 0–7)\n// and of one at column 15 (its odd lanes, 8–15).", even)
	data(&out, "mpMask", "AVX2 masks: the 8 words from byte 4·(8 − c) have their first c lanes set.", mask)
	for _, a := range []isa{avx2, avx512} {
		for _, stride := range []int{1, 2} {
			for _, idx := range []bool{false, true} {
				k := kernel{isa: a, out: &out, stride: stride, idx: idx}
				k.emit()
			}
		}
	}
	if err := os.WriteFile("pooling_amd64.s", out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

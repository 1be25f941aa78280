//go:build ignore

// Command activation_gen writes activation_amd64.s: the AVX2 and AVX-512
// Sigmoid, SiLU, Tanh and GELUTanh kernels declared in activation_amd64.go.
// Run it with `go generate ./kernels` (or `go run activation_gen.go` in this
// directory).
//
// Each kernel computes, a vector of lanes at a time (8 with AVX2, 16 with
// AVX-512), exactly the steps of the plain Go functions of
// activation_f32.go (sigmoid32, silu32, tanh32, geluTanh32 and their
// gradients), except that a·b + c is one fused multiply-add. A kernel walks
// its n elements in whole vectors and finishes the last n mod lanes with
// masked loads and stores (an opmask register on AVX-512, VMASKMOVPS with a
// mask read from actTailMask on AVX2), so nothing past element n is read or
// written. Like the GEMM and depthwise kernels, each runs with denormals
// flushed to zero (MXCSR FTZ and DAZ) and puts the caller's MXCSR back.
//
// Forward kernels take (x, y *float32, n int) and set y[i] = f(x[i]);
// backward kernels take (v, dy, dx *float32, n int) and add dy[i]·f' into
// dx[i], with v = x (SiLU, GELUTanh) or v = y (Sigmoid, Tanh).
//
// Registers: SI, DI, BX point at the inputs and the output, CX counts the
// elements left. Constants live in vector registers counted down from the
// top of the register file (Z31, or Y15 on AVX2), broadcast once before the
// loop; AVX2 has only 16 registers, so there only the constants that an
// instruction needs in a register are kept in one and the others are memory
// operands, read from actConst (each constant stored 8 times, a full YMM
// vector). Temporaries count up from register 0. K1 holds the tail mask and
// K2 the sign mask of AVX-512 blends.
package main

import (
	"bytes"
	"fmt"
	"log"
	"math"
	"os"
	"strings"
)

// The constants, in the order of the actConst table. Their values must be
// those of activation_f32.go.
var constants = []struct {
	name string
	bits uint32
}{
	{"SIGN", 0x80000000},
	{"LO", f32(-88.0)},
	{"HI", f32(88.0)},
	{"LOG2E", f32(1.44269504088896341)},
	{"MAGIC", f32(12583039)},
	{"LN2HI", f32(0.693359375)},
	{"LN2LO", f32(-2.12194440e-4)},
	{"P0", f32(1.9875691500e-4)},
	{"P1", f32(1.3981999507e-3)},
	{"P2", f32(8.3334519073e-3)},
	{"P3", f32(4.1665795894e-2)},
	{"P4", f32(1.6666665459e-1)},
	{"P5", f32(5.0000001201e-1)},
	{"ONE", f32(1)},
	{"TWO", f32(2)},
	{"GK0", f32(2 * sqrt2OverPi)},
	{"GK1", f32(2 * sqrt2OverPi * geluCoeff)},
	{"GK1X3", f32(3 * 2 * sqrt2OverPi * geluCoeff)},
	{"GLO", f32(-12.0)},
	{"GHI", f32(12.0)},
}

const (
	sqrt2OverPi = 0.7978845608028654
	geluCoeff   = 0.044715
)

func f32(v float64) uint32 { return math.Float32bits(float32(v)) }

// mustReg lists the constants that some instruction needs in a register
// (the first source of a blend, a subtraction, a division, MAXPS/MINPS whose
// second source must be the value so that NaN propagates, the multiplier of
// a 213 FMA).
var mustReg = map[string]bool{"LO": true, "HI": true, "ONE": true, "GK1": true, "GLO": true, "GHI": true}

type isa struct {
	name  string
	lanes int
	regs  int
	wide  bool // AVX-512
}

var (
	avx2   = isa{"AVX2", 8, 16, false}
	avx512 = isa{"AVX512", 16, 32, true}
)

func (a isa) vreg(i int) string {
	if a.wide {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

// gen writes one kernel.
type gen struct {
	isa
	buf       *bytes.Buffer
	temps     map[string]string
	consts    map[string]string
	constRegs []string // constant register → constant name, in allocation order
	nextTemp  int
	nextConst int
}

func (g *gen) op(format string, args ...any) { fmt.Fprintf(g.buf, "\t"+format+"\n", args...) }

// v returns the register of temporary name.
func (g *gen) v(name string) string {
	if r, ok := g.temps[name]; ok {
		return r
	}
	r := g.vreg(g.nextTemp)
	g.nextTemp++
	g.temps[name] = r
	return r
}

// same makes temporary name share the register of temporary as (whose
// value is no longer needed).
func (g *gen) same(name, as string) { g.temps[name] = g.v(as) }

// k returns constant name as an operand: a register, or on AVX2 a memory
// operand unless it is in mustReg.
func (g *gen) k(name string) string {
	if r, ok := g.consts[name]; ok {
		return r
	}
	if !g.wide && !mustReg[name] {
		return fmt.Sprintf("actConst<>+%d(SB)", 32*constIndex(name))
	}
	r := g.vreg(g.nextConst)
	g.nextConst--
	g.consts[name] = r
	g.constRegs = append(g.constRegs, name)
	return r
}

func constIndex(name string) int {
	for i, c := range constants {
		if c.name == name {
			return i
		}
	}
	log.Fatalf("no constant %q", name)
	return 0
}

// or, and: bitwise operations (AVX-512F has them only as integer ops).
func (g *gen) or(a, b, dst string) {
	if g.wide {
		g.op("VPORD %s, %s, %s", a, b, dst)
	} else {
		g.op("VORPS %s, %s, %s", a, b, dst)
	}
}

// negAbsClamp sets dst = max(−|src|·scale, LO) (scale 1 or 2).
func (g *gen) negAbsClamp(src, dst string, double bool) {
	g.or(g.k("SIGN"), src, dst)
	if double {
		g.op("VADDPS %s, %s, %s", dst, dst, dst)
	}
	g.op("VMAXPS %s, %s, %s", dst, g.k("LO"), dst) // max(LO, t): NaN in t comes through
}

// exp computes from t (clamped, ≤ 0) s = 2^n in "s" and q = e^r − 1 in "q"
// (see expParts); it clobbers "n" and "r" and leaves t intact.
func (g *gen) exp(t string) (s, q string) {
	s, q = g.v("s"), g.v("q")
	n, r := g.v("n"), g.v("r")
	g.op("VMOVUPS %s, %s", g.k("MAGIC"), s)
	g.op("VFMADD231PS %s, %s, %s", g.k("LOG2E"), t, s) // v = t·log2e + magic
	g.op("VSUBPS %s, %s, %s", g.k("MAGIC"), s, n)      // n = v − magic
	g.op("VPSLLD $23, %s, %s", s, s)                   // s = 2^n
	g.op("VMOVUPS %s, %s", t, r)
	g.op("VFNMADD231PS %s, %s, %s", g.k("LN2HI"), n, r) // r = t − n·ln2hi
	g.op("VFNMADD231PS %s, %s, %s", g.k("LN2LO"), n, r) // r −= n·ln2lo
	g.op("VMOVUPS %s, %s", g.k("P0"), q)
	for _, p := range []string{"P1", "P2", "P3", "P4", "P5"} {
		g.op("VFMADD213PS %s, %s, %s", g.k(p), r, q) // q = q·r + p
	}
	g.op("VMULPS %s, %s, %s", r, r, n)      // r²
	g.op("VFMADD213PS %s, %s, %s", r, n, q) // q = r²·P(r) + r = e^r − 1
	return s, q
}

// sigmoidParts leaves, for z, e = e^(−|z|) in "e", 1 + e in "den" and
// selects num (σ·den) into "num" and, if other, 1−σ times den into "oth".
func (g *gen) sigmoidParts(z string, other bool) {
	t := g.v("t")
	g.negAbsClamp(z, t, false)
	s, q := g.exp(t)
	g.same("den", "n") // n, r and t are free again
	g.same("num", "t")
	g.same("oth", "r")
	e, den := q, g.v("den")
	g.op("VFMADD213PS %s, %s, %s", s, s, e) // e = s·q + s
	g.op("VADDPS %s, %s, %s", g.k("ONE"), e, den)
	num := g.v("num")
	if g.wide {
		g.op("VPTESTMD %s, %s, K2", g.k("SIGN"), z)
		g.op("VBLENDMPS %s, %s, K2, %s", e, g.k("ONE"), num) // z < 0 ? e : 1
		if other {
			g.op("VBLENDMPS %s, %s, K2, %s", g.k("ONE"), e, g.v("oth")) // z < 0 ? 1 : e
		}
	} else {
		g.op("VBLENDVPS %s, %s, %s, %s", z, e, g.k("ONE"), num)
		if other {
			g.op("VBLENDVPS %s, %s, %s, %s", z, g.k("ONE"), e, g.v("oth"))
		}
	}
}

// The kernels' bodies: x (or y) is in "x"; a forward body leaves its result
// in the register it returns, a backward body leaves f' in the register it
// returns (the caller adds dy·f' into dx).
func sigmoidFwd(g *gen) string {
	g.sigmoidParts(g.v("x"), false)
	g.op("VDIVPS %s, %s, %s", g.v("den"), g.v("num"), g.v("num"))
	return g.v("num")
}

func siluFwd(g *gen) string {
	x := g.v("x")
	g.sigmoidParts(x, false)
	g.op("VMAXPS %s, %s, %s", x, g.k("LO"), x)
	g.op("VMULPS %s, %s, %s", x, g.v("num"), g.v("num"))
	g.op("VDIVPS %s, %s, %s", g.v("den"), g.v("num"), g.v("num"))
	return g.v("num")
}

func tanhFwd(g *gen) string {
	x, t := g.v("x"), g.v("t")
	g.negAbsClamp(x, t, true)
	s, q := g.exp(t)
	m, den, y := q, g.v("n"), g.v("r")
	g.op("VSUBPS %s, %s, %s", g.k("ONE"), s, den) // s − 1
	g.op("VFMADD213PS %s, %s, %s", den, s, m)     // m = s·q + (s − 1) = e^t − 1
	g.op("VADDPS %s, %s, %s", g.k("TWO"), m, den)
	if g.wide {
		g.op("VPXORD %s, %s, %s", g.k("SIGN"), m, m)
		g.op("VDIVPS %s, %s, %s", den, m, y)                    // −m/(2+m)
		g.op("VPTERNLOGD $0xD8, %s, %s, %s", g.k("SIGN"), x, y) // sign bit from x, the rest from y
	} else {
		g.op("VXORPS %s, %s, %s", y, y, y)
		g.op("VSUBPS %s, %s, %s", m, y, y)   // 0 − m: +0, never −0
		g.op("VDIVPS %s, %s, %s", den, y, y) // −m/(2+m) ≥ +0
		g.op("VANDPS %s, %s, %s", g.k("SIGN"), x, t)
		g.op("VORPS %s, %s, %s", t, y, y)
	}
	return y
}

func geluTanhFwd(g *gen) string {
	x, z := g.v("x"), g.v("z")
	g.op("VMAXPS %s, %s, %s", x, g.k("GLO"), x)
	g.op("VMULPS %s, %s, %s", x, x, z)
	g.op("VFMADD213PS %s, %s, %s", g.k("GK0"), g.k("GK1"), z) // x²·k1 + k0
	g.op("VMULPS %s, %s, %s", x, z, z)
	g.sigmoidParts(z, false)
	g.op("VMULPS %s, %s, %s", x, g.v("num"), g.v("num"))
	g.op("VDIVPS %s, %s, %s", g.v("den"), g.v("num"), g.v("num"))
	return g.v("num")
}

// sigmoidRatios turns num, oth and den into σ (in "num") and 1−σ (in "oth").
func (g *gen) sigmoidRatios() {
	den := g.v("den")
	g.op("VDIVPS %s, %s, %s", den, g.k("ONE"), den)
	g.op("VMULPS %s, %s, %s", den, g.v("num"), g.v("num"))
	g.op("VMULPS %s, %s, %s", den, g.v("oth"), g.v("oth"))
}

func siluBwd(g *gen) string {
	x := g.v("x")
	g.sigmoidParts(x, true)
	g.sigmoidRatios()
	g.op("VMAXPS %s, %s, %s", x, g.k("LO"), x)
	g.op("VMINPS %s, %s, %s", x, g.k("HI"), x)
	oth := g.v("oth")
	g.op("VMULPS %s, %s, %s", x, oth, oth)          // x·(1−σ)
	g.op("VADDPS %s, %s, %s", g.k("ONE"), oth, oth) // 1 + x·(1−σ)
	g.op("VMULPS %s, %s, %s", g.v("num"), oth, oth) // σ·(1 + x·(1−σ))
	return oth
}

func geluTanhBwd(g *gen) string {
	x, xx, z := g.v("x"), g.v("xx"), g.v("z")
	g.op("VMAXPS %s, %s, %s", x, g.k("GLO"), x)
	g.op("VMINPS %s, %s, %s", x, g.k("GHI"), x)
	g.op("VMULPS %s, %s, %s", x, x, xx)
	g.op("VMOVUPS %s, %s", xx, z)
	g.op("VFMADD213PS %s, %s, %s", g.k("GK0"), g.k("GK1"), z)
	g.op("VMULPS %s, %s, %s", x, z, z)
	g.sigmoidParts(z, true)
	g.sigmoidRatios()
	oth := g.v("oth")
	g.op("VMULPS %s, %s, %s", x, oth, oth)              // x·(1−σ)
	g.op("VMULPS %s, %s, %s", g.k("GK1X3"), xx, xx)     // 3·k1·x²
	g.op("VADDPS %s, %s, %s", g.k("GK0"), xx, xx)       // z' = 3·k1·x² + k0
	g.op("VFMADD213PS %s, %s, %s", g.k("ONE"), xx, oth) // x·(1−σ)·z' + 1
	g.op("VMULPS %s, %s, %s", g.v("num"), oth, oth)     // σ·(…)
	return oth
}

// Sigmoid and Tanh backward read y: f' = (1 − y)·y and 1 − y², multiplied
// by dy in the order of the Go loops (dy·(1−y)·y, dy·(1−y²)), so the result is
// the same to the bit. They return the product with dy already taken.
func sigmoidBwdY(g *gen, dy string) string {
	y, d := g.v("x"), g.v("d")
	g.op("VSUBPS %s, %s, %s", y, g.k("ONE"), d)
	g.op("VMULPS %s, %s, %s", d, dy, d)
	g.op("VMULPS %s, %s, %s", y, d, d)
	return d
}

func tanhBwdY(g *gen, dy string) string {
	y, d := g.v("x"), g.v("d")
	g.op("VMULPS %s, %s, %s", y, y, d)
	g.op("VSUBPS %s, %s, %s", d, g.k("ONE"), d)
	g.op("VMULPS %s, %s, %s", d, dy, d)
	return d
}

// kernel is one function to write.
type kernel struct {
	name string
	doc  string
	fwd  func(g *gen) string            // forward body, or
	bwdX func(g *gen) string            // backward from x: returns f', or
	bwdY func(g *gen, dy string) string // backward from y: returns dy·f'
}

var kernels = []kernel{
	{name: "sigmoidFwd", doc: "y[i] = σ(x[i]) (sigmoid32)", fwd: sigmoidFwd},
	{name: "siluFwd", doc: "y[i] = x[i]·σ(x[i]) (silu32)", fwd: siluFwd},
	{name: "tanhFwd", doc: "y[i] = tanh(x[i]) (tanh32)", fwd: tanhFwd},
	{name: "geluTanhFwd", doc: "y[i] = x[i]·σ(z(x[i])) (geluTanh32)", fwd: geluTanhFwd},
	{name: "sigmoidBwd", doc: "dx[i] += dy[i]·(1−v[i])·v[i] with v = y", bwdY: sigmoidBwdY},
	{name: "tanhBwd", doc: "dx[i] += dy[i]·(1−v[i]²) with v = y", bwdY: tanhBwdY},
	{name: "siluBwd", doc: "dx[i] += dy[i]·SiLU'(v[i]) with v = x (siluGrad32)", bwdX: siluBwd},
	{name: "geluTanhBwd", doc: "dx[i] += dy[i]·GELUTanh'(v[i]) with v = x (geluTanhGrad32)", bwdX: geluTanhBwd},
}

// write emits kernel k for instruction set a.
func write(out *bytes.Buffer, a isa, k kernel) {
	g := &gen{isa: a, temps: map[string]string{}, consts: map[string]string{}, nextConst: a.regs - 1}
	name := k.name + a.name
	bytesPerVec := 4 * a.lanes
	fwd := k.fwd != nil

	// body writes one vector's work: main loop (masked false) or tail.
	body := func(masked bool) string {
		g.buf = new(bytes.Buffer)
		load := func(ptr, dst string) {
			switch {
			case !masked:
				g.op("VMOVUPS (%s), %s", ptr, dst)
			case a.wide:
				g.op("VMOVUPS.Z (%s), K1, %s", ptr, dst)
			default:
				g.op("VMASKMOVPS (%s), %s, %s", ptr, g.v("mask"), dst)
			}
		}
		store := func(src, ptr string) {
			switch {
			case !masked:
				g.op("VMOVUPS %s, (%s)", src, ptr)
			case a.wide:
				g.op("VMOVUPS %s, K1, (%s)", src, ptr)
			default:
				g.op("VMASKMOVPS %s, %s, (%s)", src, g.v("mask"), ptr)
			}
		}
		load("SI", g.v("x"))
		switch {
		case fwd:
			store(k.fwd(g), "DI")
		case k.bwdX != nil:
			f := k.bwdX(g)
			g.same("dy", "s") // free once f' is known
			g.same("dx", "n")
			dy, dx := g.v("dy"), g.v("dx")
			load("DI", dy)
			load("BX", dx)
			g.op("VFMADD231PS %s, %s, %s", f, dy, dx) // dx += dy·f'
			store(dx, "BX")
		default:
			dy, dx := g.v("dy"), g.v("dx")
			load("DI", dy)
			load("BX", dx)
			g.op("VADDPS %s, %s, %s", k.bwdY(g, dy), dx, dx)
			store(dx, "BX")
		}
		return g.buf.String()
	}
	mainBody := body(false)
	var tailMask string
	if !a.wide {
		tailMask = g.v("mask")
	}
	tailBody := body(true)
	if g.nextTemp > g.nextConst+1 {
		log.Fatalf("%s: %d temporaries and %d constant registers do not fit", name, g.nextTemp, len(g.constRegs))
	}

	g.buf = out
	if fwd {
		fmt.Fprintf(out, "\n// %s: %s.\n//\n// func %s(x, y *float32, n int)\nTEXT ·%s(SB), NOSPLIT, $8-24\n", name, k.doc, name, name)
		g.op("MOVQ x+0(FP), SI")
		g.op("MOVQ y+8(FP), DI")
		g.op("MOVQ n+16(FP), CX")
	} else {
		fmt.Fprintf(out, "\n// %s: %s.\n//\n// func %s(v, dy, dx *float32, n int)\nTEXT ·%s(SB), NOSPLIT, $8-32\n", name, k.doc, name, name)
		g.op("MOVQ v+0(FP), SI")
		g.op("MOVQ dy+8(FP), DI")
		g.op("MOVQ dx+16(FP), BX")
		g.op("MOVQ n+24(FP), CX")
	}
	g.op("STMXCSR saved-4(SP)")
	g.op("MOVL saved-4(SP), AX")
	g.op("ORL $0x8040, AX") // FTZ (bit 15) and DAZ (bit 6)
	g.op("MOVL AX, flush-8(SP)")
	g.op("LDMXCSR flush-8(SP)")
	for _, c := range g.constRegs {
		g.op("VBROADCASTSS actConst<>+%d(SB), %s // %s", 32*constIndex(c), g.consts[c], c)
	}
	fmt.Fprintf(out, "%s_loop:\n", name)
	g.op("CMPQ CX, $%d", a.lanes)
	g.op("JLT %s_tail", name)
	out.WriteString(mainBody)
	g.op("ADDQ $%d, SI", bytesPerVec)
	g.op("ADDQ $%d, DI", bytesPerVec)
	if !fwd {
		g.op("ADDQ $%d, BX", bytesPerVec)
	}
	g.op("SUBQ $%d, CX", a.lanes)
	g.op("JMP %s_loop", name)
	fmt.Fprintf(out, "%s_tail:\n", name)
	g.op("TESTQ CX, CX")
	g.op("JEQ %s_done", name)
	if a.wide {
		g.op("MOVL $1, AX")
		g.op("SHLL CX, AX")
		g.op("DECL AX")
		g.op("KMOVW AX, K1") // the low n mod 16 lanes
	} else {
		g.op("LEAQ actTailMask<>+32(SB), AX")
		g.op("SHLQ $2, CX")
		g.op("SUBQ CX, AX")
		g.op("VMOVDQU (AX), %s", tailMask) // the low n mod 8 lanes: all ones
	}
	out.WriteString(tailBody)
	fmt.Fprintf(out, "%s_done:\n", name)
	g.op("LDMXCSR saved-4(SP)")
	g.op("VZEROUPPER")
	g.op("RET")
}

func main() {
	var out bytes.Buffer
	out.WriteString(`// Code generated by activation_gen.go; DO NOT EDIT.

// Sigmoid, SiLU, Tanh and GELUTanh kernels for AVX2 and AVX-512 (see
// activation_gen.go for how they are organised and activation_f32.go for
// the algorithm).

#include "textflag.h"

`)
	for i, c := range constants {
		for j := range 8 {
			fmt.Fprintf(&out, "DATA actConst<>+%d(SB)/4, $0x%08x", 32*i+4*j, c.bits)
			if j == 0 {
				fmt.Fprintf(&out, " // %s", c.name)
			}
			out.WriteString("\n")
		}
	}
	fmt.Fprintf(&out, "GLOBL actConst<>(SB), RODATA|NOPTR, $%d\n\n", 32*len(constants))
	for i := range 16 {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		fmt.Fprintf(&out, "DATA actTailMask<>+%d(SB)/4, $0x%08x\n", 4*i, v)
	}
	out.WriteString("GLOBL actTailMask<>(SB), RODATA|NOPTR, $64\n")
	for _, a := range []isa{avx2, avx512} {
		for _, k := range kernels {
			write(&out, a, k)
		}
	}
	if err := os.WriteFile("activation_amd64.s", []byte(strings.ReplaceAll(out.String(), " \n", "\n")), 0o644); err != nil {
		log.Fatal(err)
	}
}

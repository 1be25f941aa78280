//go:build ignore

// Command activation_gen writes activation_amd64.s: the AVX2 and AVX-512
// activation kernels declared in activation_amd64.go. Run it with
// `go generate ./kernels` (or `go run activation_gen.go` in this directory).
//
// There are two families of kernels.
//
// Sigmoid, SiLU, Tanh and GELUTanh compute, a vector of lanes at a time (8
// with AVX2, 16 with AVX-512), exactly the steps of the plain Go functions
// of activation_f32.go (sigmoid32, silu32, tanh32, geluTanh32 and their
// gradients), except that a·b + c is one fused multiply-add. Like the GEMM
// and depthwise kernels, each runs with denormals flushed to zero (MXCSR FTZ
// and DAZ) and puts the caller's MXCSR back.
//
// ReLU, ReLU6, Hardswish and Hardsigmoid compute what the reference loops of
// activation.go (actForwardRef, actBackwardRef) compute, bit for bit. Each
// branch of the Go code becomes a comparison (VCMPPS with an ordered
// predicate, false for NaN as Go's <, <=, >, >= are) and a blend; each
// arithmetic step is the same single instruction in the same order (v+3,
// (v·c)/6 with a true division, dy·f' rounded before it is added to dx),
// and lanes whose derivative is 0 keep the bits of dx rather than get 0
// added (which would turn −0 into +0). The ReLU and ReLU6 kernels do no
// arithmetic on x and leave the MXCSR alone, so they keep denormals exactly
// as the Go loops do, on every input. The Hardswish and Hardsigmoid ones
// multiply, add and divide, where a denormal costs a microcode assist (their
// forward pass was 24 times slower on inputs of 1e−40), so they flush
// denormals like the others and match the Go loops bit for bit wherever no
// denormal is involved.
//
// A kernel walks its n elements in whole vectors and finishes the last
// n mod lanes with masked loads and stores (an opmask register on AVX-512,
// VMASKMOVPS with a mask read from actTailMask on AVX2), so nothing past
// element n is read or written.
//
// Forward kernels take (x, y *float32, n int) and set y[i] = f(x[i]);
// backward kernels take (v, dy, dx *float32, n int) and add dy[i]·f' into
// dx[i], with v = x (SiLU, GELUTanh and the piecewise ones) or v = y
// (Sigmoid, Tanh). For the first gradient of a fresh buffer, which need not
// be zeroed: reluBwdSet writes dy[i]·f' into dx[i] without reading dx, and
// every other backward kernel has a twin named with "Set" appended that
// starts from a zeroed register instead of loading dx, so it writes exactly
// what the kernel adds to a dx of +0.
//
// Registers: SI, DI, BX point at the inputs and the output, CX counts the
// elements left. Constants live in vector registers counted down from the
// top of the register file (Z31, or Y15 on AVX2), broadcast once before the
// loop; AVX2 has only 16 registers, so there only the constants that an
// instruction needs in a register are kept in one and the others are memory
// operands, read from actConst (each constant stored 8 times, a full YMM
// vector). Temporaries count up from register 0. K1 holds the tail mask, K2
// and K3 the results of AVX-512 comparisons.
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
// those of activation_f32.go (the exponential, GELUTanh) and activation.go
// (the piecewise activations: 0, 1/2, ±3, 6 and 1/6 rounded to float32).
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
	{"ZERO", f32(0)},
	{"HALF", f32(0.5)},
	{"THREE", f32(3)},
	{"NEG3", f32(-3)},
	{"SIX", f32(6)},
	{"SIXTH", f32(1.0 / 6)},
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

// Predicates of VCMPPS for the piecewise kernels. The ordered ones are false
// when either operand is NaN, like Go's <, <=, >, >=; NLT_UQ is the negation
// of LT_OQ, so true for NaN.
const (
	cmpLT  = 0x11 // LT_OQ: a < b
	cmpLE  = 0x12 // LE_OQ: a <= b
	cmpNLT = 0x15 // NLT_UQ: !(a < b)
	cmpGE  = 0x1d // GE_OQ: a >= b
	cmpGT  = 0x1e // GT_OQ: a > b
)

// cmp sets mask, lane by lane, to a pred b: all-ones lanes of a vector
// register on AVX2, bits of an opmask register on AVX-512. With and, an
// opmask register, the AVX-512 result is also ANDed with and.
func (g *gen) cmp(pred int, a, b, mask, and string) {
	if and != "" {
		g.op("VCMPPS $0x%02x, %s, %s, %s, %s", pred, b, a, and, mask)
		return
	}
	g.op("VCMPPS $0x%02x, %s, %s, %s", pred, b, a, mask)
}

// blend sets dst = mask ? ifSet : ifClear, lane by lane.
func (g *gen) blend(mask, ifSet, ifClear, dst string) {
	if g.wide {
		g.op("VBLENDMPS %s, %s, %s, %s", ifSet, ifClear, mask, dst)
	} else {
		g.op("VBLENDVPS %s, %s, %s, %s", mask, ifSet, ifClear, dst)
	}
}

// addWhere sets dx = mask ? dx + t : dx (dx + t computed as the Go loops do,
// dx the first operand). Lanes outside the mask keep dx's bits: adding 0
// instead would turn −0 into +0 and quieten a signalling NaN. AVX-512 does
// it with one merge-masked add.
func (g *gen) addWhere(mask, t, dx string) {
	if g.wide {
		g.op("VADDPS %s, %s, %s, %s", t, dx, mask, dx)
		return
	}
	s := g.v("sum")
	g.op("VADDPS %s, %s, %s", t, dx, s)
	g.blend(mask, s, dx, dx)
}

// clampReLU6 clamps t to [0, 6] in place, as clampReLU6 of activation.go
// does: t <= 0 gives +0 (also for t = −0), t >= 6 gives 6, NaN stays.
func (g *gen) clampReLU6(t string) {
	if g.wide {
		g.cmp(cmpLE, t, g.k("ZERO"), "K2", "")
		g.cmp(cmpGE, t, g.k("SIX"), "K3", "")
		g.blend("K2", g.k("ZERO"), t, t)
		g.blend("K3", g.k("SIX"), t, t)
		return
	}
	le, ge := g.v("m"), g.v("m2")
	g.cmp(cmpLE, t, g.k("ZERO"), le, "")
	g.cmp(cmpGE, t, g.k("SIX"), ge, "")
	g.op("VANDNPS %s, %s, %s", t, le, t) // t &^ (t <= 0)
	g.blend(ge, g.k("SIX"), t, t)
}

// The piecewise forward bodies (result in the register returned) and
// backward bodies (which update dx themselves).
func reluFwd(g *gen) string {
	x := g.v("x")
	if g.wide {
		g.cmp(cmpLE, x, g.k("ZERO"), "K2", "")
		g.blend("K2", g.k("ZERO"), x, x)
	} else {
		m := g.v("m")
		g.cmp(cmpLE, x, g.k("ZERO"), m, "")
		g.op("VANDNPS %s, %s, %s", x, m, x) // x &^ (x <= 0)
	}
	return x
}

func relu6Fwd(g *gen) string {
	x := g.v("x")
	g.clampReLU6(x)
	return x
}

func hardsigmoidFwd(g *gen) string {
	x, t := g.v("x"), g.v("t")
	g.op("VADDPS %s, %s, %s", g.k("THREE"), x, t) // v + 3
	g.clampReLU6(t)
	g.op("VDIVPS %s, %s, %s", g.k("SIX"), t, t) // c/6
	return t
}

func hardswishFwd(g *gen) string {
	x, t := g.v("x"), g.v("t")
	g.op("VADDPS %s, %s, %s", g.k("THREE"), x, t) // v + 3
	g.clampReLU6(t)
	g.op("VMULPS %s, %s, %s", t, x, t)          // v·c
	g.op("VDIVPS %s, %s, %s", g.k("SIX"), t, t) // (v·c)/6
	return t
}

// between sets a mask to lo < x < hi (both ordered, so false for NaN) and
// returns it.
func (g *gen) between(x, lo, hi string) string {
	if g.wide {
		g.cmp(cmpGT, x, lo, "K2", "")
		g.cmp(cmpLT, x, hi, "K2", "K2")
		return "K2"
	}
	m, m2 := g.v("m"), g.v("m2")
	g.cmp(cmpGT, x, lo, m, "")
	g.cmp(cmpLT, x, hi, m2, "")
	g.op("VANDPS %s, %s, %s", m2, m, m)
	return m
}

// reluBwd: dx += dy where x > 0.
func reluBwd(g *gen, x, dy, dx string) {
	m := "K2"
	if !g.wide {
		m = g.v("m")
	}
	g.cmp(cmpGT, x, g.k("ZERO"), m, "")
	g.addWhere(m, dy, dx)
}

// reluBwdSet: dx = dy where x > 0, else +0; dx is not read.
func reluBwdSet(g *gen, x, dy string) string {
	r := g.v("dx")
	if g.wide {
		g.cmp(cmpGT, x, g.k("ZERO"), "K2", "")
		g.op("VPXORD %s, %s, %s", r, r, r) // AVX-512F (VXORPS on ZMM needs AVX-512DQ)
		g.op("VMOVAPS %s, K2, %s", dy, r)
		return r
	}
	m := g.v("m")
	g.cmp(cmpGT, x, g.k("ZERO"), m, "")
	g.op("VANDPS %s, %s, %s", m, dy, r) // all ones where x > 0, else zero
	return r
}

// relu6Bwd: dx += dy where 0 < x < 6.
func relu6Bwd(g *gen, x, dy, dx string) {
	g.addWhere(g.between(x, g.k("ZERO"), g.k("SIX")), dy, dx)
}

// hardsigmoidBwd: dx += dy·(1/6) where −3 < x < 3.
func hardsigmoidBwd(g *gen, x, dy, dx string) {
	m := g.between(x, g.k("NEG3"), g.k("THREE"))
	p := g.v("p")
	g.op("VMULPS %s, %s, %s", g.k("SIXTH"), dy, p) // dy·(1/6), rounded
	g.addWhere(m, p, dx)
}

// hardswishBwd: nothing where x < −3; dx += dy·(x/3 + 1/2) where x < 3;
// dx += dy elsewhere (x >= 3, and NaN, which fails both tests in Go too).
func hardswishBwd(g *gen, x, dy, dx string) {
	p := g.v("p")
	g.op("VDIVPS %s, %s, %s", g.k("THREE"), x, p) // x/3
	g.op("VADDPS %s, %s, %s", g.k("HALF"), p, p)  // x/3 + 1/2
	g.op("VMULPS %s, %s, %s", p, dy, p)           // dy·(x/3 + 1/2), rounded
	lt3, notLo := "K2", "K3"
	if !g.wide {
		lt3, notLo = g.v("m"), g.v("m2")
	}
	g.cmp(cmpLT, x, g.k("THREE"), lt3, "")
	g.blend(lt3, p, dy, p) // x < 3 ? dy·(x/3 + 1/2) : dy
	if g.wide {
		g.cmp(cmpNLT, x, g.k("NEG3"), notLo, "")
		g.addWhere(notLo, p, dx)
		return
	}
	// AVX2 blends on x < −3 (keep dx) rather than on its negation.
	lo, s := notLo, g.v("sum")
	g.cmp(cmpLT, x, g.k("NEG3"), lo, "")
	g.op("VADDPS %s, %s, %s", p, dx, s)
	g.blend(lo, dx, s, dx)
}

// kernel is one function to write.
type kernel struct {
	name  string
	doc   string
	fwd   func(g *gen) string               // forward body, or
	bwdX  func(g *gen) string               // backward from x: returns f', or
	bwdY  func(g *gen, dy string) string    // backward from y: returns dy·f', or
	bwd   func(g *gen, x, dy, dx string)    // backward from x that updates dx itself, or
	set   func(g *gen, x, dy string) string // backward from x that returns dx, never reading it
	exact bool                              // comparisons and blends (and dx + dy): keep the caller's MXCSR and the Go reference's bits on every input
	// fromZero makes the "Set" twin of a kernel that adds into dx: dx
	// starts as +0 in a register instead of being loaded.
	fromZero bool
}

// setTwin returns the "Set" twin of an add-into backward kernel.
func (k kernel) setTwin() kernel {
	k.name += "Set"
	k.doc = strings.Replace(k.doc, "dx[i] +=", "dx[i] = 0 +", 1)
	k.fromZero = true
	return k
}

// hasSetTwin says whether k adds into dx and gets a "Set" twin (ReLU has
// reluBwdSet, which does not add).
func (k kernel) hasSetTwin() bool {
	return k.fwd == nil && k.set == nil && k.name != "reluBwd"
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
	{name: "reluFwd", doc: "y[i] = x[i] <= 0 ? 0 : x[i]", fwd: reluFwd, exact: true},
	{name: "relu6Fwd", doc: "y[i] = clampReLU6(x[i])", fwd: relu6Fwd, exact: true},
	{name: "hardswishFwd", doc: "y[i] = x[i]·clampReLU6(x[i]+3)/6", fwd: hardswishFwd},
	{name: "hardsigmoidFwd", doc: "y[i] = clampReLU6(x[i]+3)/6", fwd: hardsigmoidFwd},
	{name: "reluBwd", doc: "dx[i] += dy[i] where v[i] > 0, v = x", bwd: reluBwd, exact: true},
	{name: "relu6Bwd", doc: "dx[i] += dy[i] where 0 < v[i] < 6, v = x", bwd: relu6Bwd, exact: true},
	{name: "hardswishBwd", doc: "dx[i] += dy[i]·Hardswish'(v[i]) with v = x, as actBackwardRef", bwd: hardswishBwd},
	{name: "hardsigmoidBwd", doc: "dx[i] += dy[i]·(1/6) where −3 < v[i] < 3, v = x", bwd: hardsigmoidBwd},
	{name: "reluBwdSet", doc: "dx[i] = v[i] > 0 ? dy[i] : 0, v = x", set: reluBwdSet, exact: true},
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
		loadDx := func(dx string) {
			if !k.fromZero {
				load("BX", dx)
				return
			}
			if a.wide {
				g.op("VPXORD %s, %s, %s", dx, dx, dx)
			} else {
				g.op("VXORPS %s, %s, %s", dx, dx, dx)
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
		case k.bwd != nil:
			dy, dx := g.v("dy"), g.v("dx")
			load("DI", dy)
			loadDx(dx)
			k.bwd(g, g.v("x"), dy, dx)
			store(dx, "BX")
		case k.set != nil:
			dy := g.v("dy")
			load("DI", dy)
			store(k.set(g, g.v("x"), dy), "BX")
		case k.bwdX != nil:
			f := k.bwdX(g)
			g.same("dy", "s") // free once f' is known
			g.same("dx", "n")
			dy, dx := g.v("dy"), g.v("dx")
			load("DI", dy)
			loadDx(dx)
			g.op("VFMADD231PS %s, %s, %s", f, dy, dx) // dx += dy·f'
			store(dx, "BX")
		default:
			dy, dx := g.v("dy"), g.v("dx")
			load("DI", dy)
			loadDx(dx)
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
	frame := 8 // the saved and the flushing MXCSR
	if k.exact {
		frame = 0
	}
	if fwd {
		fmt.Fprintf(out, "\n// %s: %s.\n//\n// func %s(x, y *float32, n int)\nTEXT ·%s(SB), NOSPLIT, $%d-24\n", name, k.doc, name, name, frame)
		g.op("MOVQ x+0(FP), SI")
		g.op("MOVQ y+8(FP), DI")
		g.op("MOVQ n+16(FP), CX")
	} else {
		fmt.Fprintf(out, "\n// %s: %s.\n//\n// func %s(v, dy, dx *float32, n int)\nTEXT ·%s(SB), NOSPLIT, $%d-32\n", name, k.doc, name, name, frame)
		g.op("MOVQ v+0(FP), SI")
		g.op("MOVQ dy+8(FP), DI")
		g.op("MOVQ dx+16(FP), BX")
		g.op("MOVQ n+24(FP), CX")
	}
	if !k.exact {
		g.op("STMXCSR saved-4(SP)")
		g.op("MOVL saved-4(SP), AX")
		g.op("ORL $0x8040, AX") // FTZ (bit 15) and DAZ (bit 6)
		g.op("MOVL AX, flush-8(SP)")
		g.op("LDMXCSR flush-8(SP)")
	}
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
	if !k.exact {
		g.op("LDMXCSR saved-4(SP)")
	}
	g.op("VZEROUPPER")
	g.op("RET")
}

func main() {
	var out bytes.Buffer
	out.WriteString(`// Code generated by activation_gen.go; DO NOT EDIT.

// Activation kernels for AVX2 and AVX-512: Sigmoid, SiLU, Tanh and GELUTanh
// (see activation_f32.go for the algorithm) and the exact ReLU, ReLU6,
// Hardswish and Hardsigmoid (see activation.go); activation_gen.go says how
// they are organised.

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
		for _, k := range kernels {
			if k.hasSetTwin() {
				write(&out, a, k.setTwin())
			}
		}
	}
	if err := os.WriteFile("activation_amd64.s", []byte(strings.ReplaceAll(out.String(), " \n", "\n")), 0o644); err != nil {
		log.Fatal(err)
	}
}

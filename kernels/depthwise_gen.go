//go:build ignore

// Command depthwise_gen writes depthwise_amd64.s: the AVX2 and AVX-512
// depthwise convolution kernels declared in depthwise_amd64.go. Run it with
// `go generate ./kernels` (or `go run depthwise_gen.go` in this directory).
//
// Every kernel runs with denormals flushed to zero (begin) and walks, for
// each of a run of planes (planeLoop), the rows [i0, i1) of the "out" plane
// and, along each row, vectors of output columns, reading an "in" plane
// through the R×R filter taps. Three families share that skeleton (see
// depthwise_fast.go for the arithmetic and dwArgs for the arguments):
//
//	dwForward   out = y, in = x:  y = bias (+ y when beta) + Σ w[r,s]·x[…]
//	            (also the stride-1 backward-data pass, run on dy with the
//	            filter flipped, beta = 1)
//	dwFilter    out = dy, in = x: dw[r,s] += Σ dy·x[…], in registers until
//	            the end of the call (its planes are the images of a batch)
//	dwData2     out = dx, in = dy: the stride-2 backward-data pass,
//	            dx = (dx when beta +) Σ w[r,s]·dy[…]; each vector covers
//	            2·lanes columns of dx, even and odd columns gathering from
//	            different taps, interleaved before the store
//
// A row's vectors come in three runs: nl left-edge vectors, interior vectors
// up to mid, and right-edge vectors up to nvec. Interior vectors read and
// write without masks (tap loads are FMA memory operands); edge vectors load
// one mask per access slot from the table that the Go side builds
// (dwEdgeMasks) and use masked loads and stores, so nothing outside a row is
// read or written. A row whose filter taps all fall inside the image takes a
// copy of the loops without per-row tests; border rows test a bit per
// filter row.
//
// General-purpose registers, in every kernel:
//
//	R8  output row i            R11 valid filter rows of row i (bits)
//	R9  byte stride of in rows  R10 3·R9 (rows 3 and 4 of a 5×5 filter)
//	R12 in at row i, column 0   R13 out at row i
//	SI  in at the current vector, BX out at the current vector
//	DX  current mask table entry, CX vector index
//	R15 weights (forward, data) or weight gradient (filter)
//	AX  bias pointer inside the loops; R14 scratch
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

// Offsets of the fields of dwArgs (depthwise.go), under the names go vet
// checks them by.
var fieldOffset = map[string]int{
	"in": 0, "out": 8, "w": 16, "masks": 24, "bias": 32,
	"inH": 40, "inW": 48, "outW": 56, "i0": 64, "i1": 72,
	"row0": 80, "col0": 88, "nl": 96, "mid": 104, "nvec": 112,
	"beta": 120, "rows": 128, "planes": 136, "inPlane": 144,
	"outPlane": 152, "wPlane": 160, "biasPlane": 168, "rowSkip": 176,
}

const argsSize = 184

func arg(name string) string {
	off, ok := fieldOffset[name]
	if !ok {
		log.Fatalf("no field %q", name)
	}
	return fmt.Sprintf("a_%s+%d(FP)", name, off)
}

// isa is one instruction set: its vector width and register file.
type isa struct {
	name  string
	lanes int
	regs  int
	wide  bool // AVX-512: opmask registers and 32 vector registers
}

var (
	avx2   = isa{name: "AVX2", lanes: 8, regs: 16}
	avx512 = isa{name: "AVX512", lanes: 16, regs: 32, wide: true}
)

func (a isa) vreg(i int) string {
	if a.wide {
		return fmt.Sprintf("Z%d", i)
	}
	return fmt.Sprintf("Y%d", i)
}

// slotBytes is the size in the mask table of one access slot of n lanes:
// a bit per lane (AVX-512, as one 32-bit word) or a 32-bit word per lane.
func (a isa) slotBytes(n int) int {
	if a.wide {
		return 4
	}
	return 4 * n
}

// kernel collects the code of one assembly function.
type kernel struct {
	isa
	out    *bytes.Buffer
	labels int
	prefix string
	k      int // filter height and width
	stride int
	next   int // next free vector register

	w     []string // weight registers, "" where a weight is broadcast from memory
	bcast string   // register for a broadcast weight
	acc   []string
	tmp   []string
	mask  []string // AVX2 mask registers
	even  string   // AVX-512 permutation indices for stride 2
	odd   string
	slots []int // lanes of each mask table slot, in table order
	offs  []int // byte offset of each slot in a table entry
	entry int   // bytes per table entry
}

func (c *kernel) op(format string, args ...any) {
	fmt.Fprintf(c.out, "\t"+format+"\n", args...)
}

func (c *kernel) label(l string) { fmt.Fprintf(c.out, "%s:\n", l) }

func (c *kernel) fresh(what string) string {
	c.labels++
	return fmt.Sprintf("%s_%s%d", c.prefix, what, c.labels)
}

func (c *kernel) alloc() string {
	if c.next >= c.regs {
		log.Fatalf("%s: out of vector registers", c.prefix)
	}
	r := c.vreg(c.next)
	c.next++
	return r
}

func (c *kernel) allocN(n int) []string {
	r := make([]string, n)
	for i := range r {
		r[i] = c.alloc()
	}
	return r
}

// weights gives registers to as many of the k·k weights as fit in what is
// left of the register file, keeping one for broadcasts if some do not.
func (c *kernel) weights() {
	n := c.k * c.k
	free := c.regs - c.next
	c.w = make([]string, n)
	if free < n {
		c.bcast = c.alloc()
		free--
	}
	for t := range min(n, free) {
		c.w[t] = c.alloc()
	}
}

func (c *kernel) setSlots(lanes ...int) {
	c.slots = lanes
	c.offs = make([]int, len(lanes))
	c.entry = 0
	for i, n := range lanes {
		c.offs[i] = c.entry
		c.entry += c.slotBytes(n)
	}
}

// kmask returns the opmask register of half h of slot i (AVX-512 edge
// bodies load them all at their start with loadKMasks).
func (c *kernel) kmask(i, h int) string {
	k := 1
	for j := range i {
		k += c.slots[j] / c.lanes
	}
	return fmt.Sprintf("K%d", k+h)
}

func (c *kernel) loadKMasks() {
	for i, n := range c.slots {
		for h := range n / c.lanes {
			c.op("KMOVW %d(DX), %s", c.offs[i]+2*h, c.kmask(i, h))
		}
	}
	n := 0
	for _, lanes := range c.slots {
		n += lanes / c.lanes
	}
	if n > 7 {
		log.Fatalf("%s: %d masks, more than the 7 opmask registers", c.prefix, n)
	}
}

// slotMask returns the mask of half h of slot i, loading it into AVX2 mask
// register reg first.
func (c *kernel) slotMask(i, h, reg int) string {
	if c.wide {
		return c.kmask(i, h)
	}
	c.op("VMOVDQU %d(DX), %s", c.offs[i]+4*c.lanes*h, c.mask[reg])
	return c.mask[reg]
}

func (c *kernel) loadMasked(addr, mask, dst string) {
	if c.wide {
		c.op("VMOVUPS.Z %s, %s, %s", addr, mask, dst)
	} else {
		c.op("VMASKMOVPS %s, %s, %s", addr, mask, dst)
	}
}

func (c *kernel) storeMasked(src, mask, addr string) {
	if c.wide {
		c.op("VMOVUPS %s, %s, %s", src, mask, addr)
	} else {
		c.op("VMASKMOVPS %s, %s, %s", src, mask, addr)
	}
}

func (c *kernel) zero(r string) {
	if c.wide {
		c.op("VPXORD %s, %s, %s", r, r, r)
	} else {
		c.op("VXORPS %s, %s, %s", r, r, r)
	}
}

// at is the address of column col (in floats, from the current vector) of
// filter row r below SI; rows are R9 bytes apart.
func at(col, r int) string {
	base := "(SI)"
	if col != 0 {
		base = fmt.Sprintf("%d(SI)", 4*col)
	}
	switch r {
	case 0:
		return base
	case 1, 2, 4:
		return fmt.Sprintf("%s(R9*%d)", base, r)
	case 3:
		return base + "(R10*1)"
	}
	log.Fatalf("row %d", r)
	return ""
}

// weight returns the register holding weight t, broadcasting it first when
// it lives in memory.
func (c *kernel) weight(t int) string {
	if c.w[t] != "" {
		return c.w[t]
	}
	c.op("VBROADCASTSS %d(R15), %s", 4*t, c.bcast)
	return c.bcast
}

// accs hands out accumulators in rotation and starts each with a multiply
// the first time (when it has not been zeroed).
type accs struct {
	c    *kernel
	regs []string
	used []bool
	n    int
}

func (a *accs) next() int { i := a.n % len(a.regs); a.n++; return i }

// fma adds w·x into accumulator i, x a register or a memory operand.
func (a *accs) fma(i int, w, x string) {
	if a.used[i] {
		a.c.op("VFMADD231PS %s, %s, %s", x, w, a.regs[i])
	} else {
		a.c.op("VMULPS %s, %s, %s", x, w, a.regs[i])
		a.used[i] = true
	}
}

// sum adds every used accumulator into the first one.
func (a *accs) sum() {
	var live []string
	for i, r := range a.regs {
		if a.used[i] {
			live = append(live, r)
		}
	}
	for len(live) > 1 {
		var next []string
		for i := 0; i+1 < len(live); i += 2 {
			a.c.op("VADDPS %s, %s, %s", live[i+1], live[i], live[i])
			next = append(next, live[i])
		}
		if len(live)%2 == 1 {
			next = append(next, live[len(live)-1])
		}
		live = next
	}
}

// rowTest skips the code emitted by body unless bit b of R11 is set (rows
// known to be valid skip the test).
func (c *kernel) rowTest(known bool, b int, body func()) {
	if known {
		body()
		return
	}
	skip := c.fresh("skip")
	c.op("TESTQ $%d, R11", 1<<b)
	c.op("JEQ %s", skip)
	body()
	c.label(skip)
}

// deinterleave loads the 2·lanes columns at col of filter row r and returns
// registers holding the even columns (taps col, col+2, …) and, if odd, the
// odd ones. Pair p of the slots masks edge loads.
func (c *kernel) deinterleave(col, r, p int, edge, odd bool) (string, string) {
	lo, hi := at(col, r), at(col+c.lanes, r)
	if c.wide {
		P, Q, T := c.tmp[0], c.tmp[1], c.tmp[2]
		if edge {
			c.loadMasked(lo, c.kmask(p, 0), P)
			c.loadMasked(hi, c.kmask(p, 1), T)
			hi = T
			if odd {
				c.op("VMOVAPS %s, %s", P, Q)
			}
		} else {
			c.op("VMOVUPS %s, %s", lo, P)
			if odd { // both permutations read the upper vector: load it once
				c.op("VMOVUPS %s, %s", hi, T)
				c.op("VMOVAPS %s, %s", P, Q)
				hi = T
			}
		}
		c.op("VPERMT2PS %s, %s, %s", hi, c.even, P)
		if odd {
			c.op("VPERMT2PS %s, %s, %s", hi, c.odd, Q)
		}
		return P, Q
	}
	P, Q, E := c.tmp[0], c.tmp[1], c.tmp[2]
	if edge {
		c.loadMasked(lo, c.mask[0], P)
		c.loadMasked(hi, c.mask[1], Q)
		hi = Q
	} else {
		c.op("VMOVUPS %s, %s", lo, P)
	}
	// Within each 128-bit half, SHUFPS takes two even (or odd) columns of
	// each source; VPERMPD then puts the 64-bit pairs in order.
	c.op("VSHUFPS $0x88, %s, %s, %s", hi, P, E)
	c.op("VPERMPD $0xd8, %s, %s", E, E)
	if odd {
		c.op("VSHUFPS $0xdd, %s, %s, %s", hi, P, P)
		c.op("VPERMPD $0xd8, %s, %s", P, P)
	}
	return E, P
}

// begin starts a function. Its prologue sets the flush-to-zero and
// denormals-are-zero bits of MXCSR: multiplying denormal numbers costs a
// microcode assist of a hundred cycles or more per instruction, and
// gradients that have decayed to 1e−40 would make a layer a hundred times
// slower. end puts the caller's MXCSR back.
func (c *kernel) begin(name, doc string) {
	c.prefix = name
	fmt.Fprintf(c.out, "\n// %s\n//\n// func %s(a dwArgs)\nTEXT ·%s(SB), NOSPLIT, $8-%d\n", doc, name, name, argsSize)
	c.op("STMXCSR saved-4(SP)")
	c.op("MOVL saved-4(SP), AX")
	c.op("ORL $0x8040, AX") // FTZ (bit 15) and DAZ (bit 6)
	c.op("MOVL AX, flush-8(SP)")
	c.op("LDMXCSR flush-8(SP)")
}

func (c *kernel) end() {
	c.op("LDMXCSR saved-4(SP)")
	c.op("VZEROUPPER")
	c.op("RET")
}

// common loads R9, R10 and R15.
func (c *kernel) common(negStride bool) {
	c.op("MOVQ %s, R9", arg("inW"))
	c.op("SHLQ $2, R9")
	if negStride {
		c.op("NEGQ R9")
	}
	c.op("LEAQ (R9)(R9*2), R10")
	c.op("MOVQ %s, R15", arg("w"))
}

func (c *kernel) loadWeights() {
	for t, r := range c.w {
		if r != "" {
			c.op("VBROADCASTSS %d(R15), %s", 4*t, r)
		}
	}
}

func (c *kernel) loadPermutes() {
	if c.even != "" {
		c.op("VMOVUPS dwEven<>(SB), %s", c.even)
		c.op("VMOVUPS dwOdd<>(SB), %s", c.odd)
	}
}

// planeLoop runs body once per plane of the call: after each, the in, out
// and bias pointers (arguments in memory) and R15 step on by their plane
// strides in bytes.
func (c *kernel) planeLoop(body func()) {
	plane := c.fresh("plane")
	c.label(plane)
	body()
	for _, f := range [][2]string{{"inPlane", "in"}, {"outPlane", "out"}, {"biasPlane", "bias"}} {
		c.op("MOVQ %s, AX", arg(f[0]))
		c.op("ADDQ AX, %s", arg(f[1]))
	}
	c.op("ADDQ %s, R15", arg("wPlane"))
	c.op("DECQ %s", arg("planes"))
	c.op("JNZ %s", plane)
}

// rowBases sets R12 (in at row AX, column col0) and R13 (out at row R8).
func (c *kernel) rowBases() {
	c.op("IMULQ %s, AX", arg("inW"))
	c.op("ADDQ %s, AX", arg("col0"))
	c.op("SHLQ $2, AX")
	c.op("ADDQ %s, AX", arg("in"))
	c.op("MOVQ AX, R12")
	c.op("MOVQ R8, AX")
	c.op("IMULQ %s, AX", arg("outW"))
	c.op("SHLQ $2, AX")
	c.op("ADDQ %s, AX", arg("out"))
	c.op("MOVQ AX, R13")
}

// vectorLoops walks the vectors of a row: left edges, interior, right edges.
func (c *kernel) vectorLoops(inStep, outStep int, body func(edge bool)) {
	left, mid, right, done := c.fresh("left"), c.fresh("mid"), c.fresh("right"), c.fresh("rowdone")
	c.op("MOVQ R12, SI")
	c.op("MOVQ R13, BX")
	c.op("MOVQ %s, DX", arg("masks"))
	c.op("XORL CX, CX")
	step := func(edge bool) {
		if edge {
			c.op("ADDQ $%d, DX", c.entry)
		}
		c.op("ADDQ $%d, SI", inStep)
		c.op("ADDQ $%d, BX", outStep)
		c.op("INCQ CX")
	}
	c.label(left)
	c.op("CMPQ CX, %s", arg("nl"))
	c.op("JGE %s", mid)
	body(true)
	step(true)
	c.op("JMP %s", left)
	c.label(mid)
	c.op("CMPQ CX, %s", arg("mid"))
	c.op("JGE %s", right)
	body(false)
	step(false)
	c.op("JMP %s", mid)
	c.label(right)
	c.op("CMPQ CX, %s", arg("nvec"))
	c.op("JGE %s", done)
	body(true)
	step(true)
	c.op("JMP %s", right)
	c.label(done)
}

// rowLoop runs perRow for rows [i0, i1) of out, after computing in R11 which
// of the rb filter rows read a row of in (ih = i·stride + row0 + r, inside
// [0, inH), and r < rows when limited).
func (c *kernel) rowLoop(rb int, limited bool, before func(), perRow func(known bool)) {
	row, tested, next, end := c.fresh("row"), c.fresh("tested"), c.fresh("next"), c.fresh("end")
	c.op("MOVQ %s, R8", arg("i0"))
	c.label(row)
	c.op("CMPQ R8, %s", arg("i1"))
	c.op("JGE %s", end)
	c.op("MOVQ R8, AX")
	if c.stride == 2 {
		c.op("SHLQ $1, AX")
	}
	c.op("ADDQ %s, AX", arg("row0"))
	c.op("XORL R11, R11")
	for r := range rb {
		skip := c.fresh("invalid")
		c.op("LEAQ %d(AX), CX", r)
		c.op("CMPQ CX, %s", arg("inH"))
		c.op("JCC %s", skip) // unsigned: rows above the image wrap round to large
		if limited {
			c.op("CMPQ %s, $%d", arg("rows"), r)
			c.op("JLE %s", skip)
		}
		c.op("ORQ $%d, R11", 1<<r)
		c.label(skip)
	}
	c.rowBases()
	before()
	c.op("CMPQ R11, $%d", 1<<rb-1)
	c.op("JNE %s", tested)
	perRow(true)
	c.op("JMP %s", next)
	c.label(tested)
	perRow(false)
	c.label(next)
	c.op("INCQ R8")
	c.op("ADDQ %s, R8", arg("rowSkip"))
	c.op("JMP %s", row)
	c.label(end)
}

// forwardSlots: one slot per tap column (stride 1) or per pair of vectors
// (stride 2), then the output store.
func (c *kernel) forwardSlots() {
	var lanes []int
	if c.stride == 1 {
		for range c.k {
			lanes = append(lanes, c.lanes)
		}
	} else {
		for s := 0; s < c.k; s += 2 {
			lanes = append(lanes, 2*c.lanes)
		}
	}
	c.setSlots(append(lanes, c.lanes)...)
}

func genForward(out *bytes.Buffer, a isa, k, stride int) {
	c := &kernel{isa: a, out: out, k: k, stride: stride}
	name := fmt.Sprintf("dwForward%dx%ds%d%s", k, k, stride, a.name)
	c.begin(name, fmt.Sprintf("%s: %d×%d depthwise filter, stride %d, %s.", name, k, k, stride, a.name))
	c.forwardSlots()
	na := 2
	if stride == 1 && a.wide {
		na = 4
	}
	c.acc = c.allocN(na)
	if stride == 1 {
		c.tmp = c.allocN(1)
	} else {
		c.tmp = c.allocN(3)
	}
	if !a.wide {
		c.mask = c.allocN(stride)
	} else if stride == 2 {
		c.even, c.odd = c.alloc(), c.alloc()
	}
	c.weights()
	storeSlot := len(c.slots) - 1

	c.common(false)
	c.loadPermutes()
	body := func(known bool) func(edge bool) {
		return func(edge bool) {
			if edge && a.wide {
				c.loadKMasks()
			}
			A := &accs{c: c, regs: c.acc, used: make([]bool, na)}
			c.op("VBROADCASTSS (AX), %s", c.acc[0])
			A.used[0] = true
			noBeta := c.fresh("nobeta")
			c.op("CMPQ %s, $0", arg("beta"))
			c.op("JEQ %s", noBeta)
			if edge {
				c.loadMasked("(BX)", c.slotMask(storeSlot, 0, 0), c.tmp[0])
				c.op("VADDPS %s, %s, %s", c.tmp[0], c.acc[0], c.acc[0])
			} else {
				c.op("VADDPS (BX), %s, %s", c.acc[0], c.acc[0])
			}
			c.label(noBeta)
			if !known {
				for i := 1; i < na; i++ {
					c.zero(c.acc[i])
					A.used[i] = true
				}
			}
			if stride == 1 {
				for s := range k {
					var m string
					if edge {
						m = c.slotMask(s, 0, 0)
					}
					for r := range k {
						c.rowTest(known, r, func() {
							i, w := A.next(), c.weight(r*k+s)
							if edge {
								c.loadMasked(at(s, r), m, c.tmp[0])
								A.fma(i, w, c.tmp[0])
							} else {
								A.fma(i, w, at(s, r))
							}
						})
					}
				}
			} else {
				for p := 0; 2*p < k; p++ {
					s := 2 * p
					odd := s+1 < k
					if edge && !a.wide {
						c.slotMask(p, 0, 0)
						c.slotMask(p, 1, 1)
					}
					for r := range k {
						c.rowTest(known, r, func() {
							e, o := c.deinterleave(s, r, p, edge, odd)
							A.fma(A.next(), c.weight(r*k+s), e)
							if odd {
								A.fma(A.next(), c.weight(r*k+s+1), o)
							}
						})
					}
				}
			}
			A.sum()
			if edge {
				c.storeMasked(c.acc[0], c.slotMask(storeSlot, 0, 0), "(BX)")
			} else {
				c.op("VMOVUPS %s, (BX)", c.acc[0])
			}
		}
	}
	c.planeLoop(func() {
		c.loadWeights()
		c.rowLoop(k, false, func() { c.op("MOVQ %s, AX", arg("bias")) }, func(known bool) {
			c.vectorLoops(4*a.lanes*stride, 4*a.lanes, body(known))
		})
	})
	c.end()
}

// filterRows is how many filter rows one call of a filter kernel covers:
// its accumulators (rows·k) must fit beside the other registers.
func filterRows(a isa, k, stride int) int {
	other := 1 + 1 // dy and a load temporary
	if stride == 2 {
		other = 1 + 3
		if a.wide {
			other += 2
		}
	}
	if !a.wide {
		other += stride
	}
	return min(k, (a.regs-other)/k)
}

func genFilter(out *bytes.Buffer, a isa, k, stride int) {
	c := &kernel{isa: a, out: out, k: k, stride: stride}
	name := fmt.Sprintf("dwFilter%dx%ds%d%s", k, k, stride, a.name)
	rb := filterRows(a, k, stride)
	c.begin(name, fmt.Sprintf("%s: gradient of a %d×%d depthwise filter, stride %d, %d filter rows per call, %s.", name, k, k, stride, rb, a.name))
	c.forwardSlots()
	c.acc = c.allocN(rb * k)
	D := c.alloc()
	if stride == 1 {
		c.tmp = c.allocN(1)
	} else {
		c.tmp = c.allocN(3)
	}
	if !a.wide {
		c.mask = c.allocN(stride)
	} else if stride == 2 {
		c.even, c.odd = c.alloc(), c.alloc()
	}
	storeSlot := len(c.slots) - 1

	c.common(false)
	c.loadPermutes()
	for _, r := range c.acc {
		c.zero(r)
	}
	body := func(known bool) func(edge bool) {
		return func(edge bool) {
			if edge && a.wide {
				c.loadKMasks()
			}
			if edge {
				c.loadMasked("(BX)", c.slotMask(storeSlot, 0, 0), D)
			} else {
				c.op("VMOVUPS (BX), %s", D)
			}
			acc := func(r, s int) string { return c.acc[r*k+s] }
			if stride == 1 {
				for s := range k {
					var m string
					if edge {
						m = c.slotMask(s, 0, 0)
					}
					for r := range rb {
						c.rowTest(known, r, func() {
							if edge {
								c.loadMasked(at(s, r), m, c.tmp[0])
								c.op("VFMADD231PS %s, %s, %s", c.tmp[0], D, acc(r, s))
							} else {
								c.op("VFMADD231PS %s, %s, %s", at(s, r), D, acc(r, s))
							}
						})
					}
				}
				return
			}
			for p := 0; 2*p < k; p++ {
				s := 2 * p
				odd := s+1 < k
				if edge && !a.wide {
					c.slotMask(p, 0, 0)
					c.slotMask(p, 1, 1)
				}
				for r := range rb {
					c.rowTest(known, r, func() {
						e, o := c.deinterleave(s, r, p, edge, odd)
						c.op("VFMADD231PS %s, %s, %s", e, D, acc(r, s))
						if odd {
							c.op("VFMADD231PS %s, %s, %s", o, D, acc(r, s+1))
						}
					})
				}
			}
		}
	}
	c.planeLoop(func() {
		c.rowLoop(rb, true, func() {}, func(known bool) {
			c.vectorLoops(4*a.lanes*stride, 4*a.lanes, body(known))
		})
	})
	// Add each accumulator's lanes, in a fixed order, into dw.
	done := c.fresh("reduced")
	for r := range rb {
		c.op("CMPQ %s, $%d", arg("rows"), r)
		c.op("JLE %s", done)
		for s := range k {
			c.hsumInto(c.acc[r*k+s], c.tmp[0], 4*(r*k+s))
		}
	}
	c.label(done)
	c.end()
}

// hsumInto adds the lanes of v (clobbered, with t) into the float at off(R15).
func (c *kernel) hsumInto(v, t string, off int) {
	x, xt := "X"+v[1:], "X"+t[1:]
	if c.wide {
		// Whole-register steps: 128-bit forms of X16–X31 would need AVX512VL.
		c.op("VSHUFF32X4 $0x4e, %s, %s, %s", v, v, t)
		c.op("VADDPS %s, %s, %s", t, v, v)
		c.op("VSHUFF32X4 $0xb1, %s, %s, %s", v, v, t)
		c.op("VADDPS %s, %s, %s", t, v, v)
	} else {
		c.op("VEXTRACTF128 $1, %s, %s", v, xt)
		c.op("VADDPS %s, %s, %s", xt, x, x)
		v, t = x, xt
	}
	c.op("VPERMILPS $0x4e, %s, %s", v, t)
	c.op("VADDPS %s, %s, %s", t, v, v)
	c.op("VPERMILPS $0xb1, %s, %s", v, t)
	c.op("VADDPS %s, %s, %s", t, v, v)
	c.op("VADDSS %d(R15), %s, %s", off, x, x)
	c.op("VMOVSS %s, %d(R15)", x, off)
}

// dataTap is one filter column of the stride-2 backward-data pass: dx
// columns of its parity (even: accumulator A, odd: B) gather from dy column
// v·lanes + delta + l.
type dataTap struct {
	s     int
	odd   bool
	delta int
}

// dataTaps lists the taps for the padding (k−1)/2; other paddings of the
// same parity shift every delta by the same amount (col0).
func dataTaps(k int) (taps []dataTap, deltas []int) {
	pad := (k - 1) / 2
	seen := map[int]bool{}
	for s := range k {
		t := dataTap{s: s, odd: (pad-s)%2 != 0}
		if t.odd {
			t.delta = (pad + 1 - s) / 2
		} else {
			t.delta = (pad - s) / 2
		}
		taps = append(taps, t)
		seen[t.delta] = true
	}
	for d := -k; d <= k; d++ {
		if seen[d] {
			deltas = append(deltas, d)
		}
	}
	return taps, deltas
}

func genData2(out *bytes.Buffer, a isa, k int) {
	c := &kernel{isa: a, out: out, k: k, stride: 2}
	name := fmt.Sprintf("dwData%dx%ds2%s", k, k, a.name)
	c.begin(name, fmt.Sprintf("%s: input gradient of a %d×%d depthwise filter, stride 2, %s.", name, k, k, a.name))
	taps, deltas := dataTaps(k)
	var lanes []int
	for range deltas {
		lanes = append(lanes, a.lanes)
	}
	c.setSlots(append(lanes, a.lanes, a.lanes)...)
	store := len(deltas)
	c.acc = c.allocN(2)
	c.tmp = c.allocN(3)
	if !a.wide {
		c.mask = c.allocN(1)
	}
	c.weights()
	T1, T2, L := c.tmp[0], c.tmp[1], c.tmp[2]

	c.common(true)
	body := func(par int, known bool) func(edge bool) {
		return func(edge bool) {
			if edge && a.wide {
				c.loadKMasks()
			}
			A := &accs{c: c, regs: c.acc, used: make([]bool, 2)}
			if !known {
				c.zero(c.acc[0])
				c.zero(c.acc[1])
				A.used[0], A.used[1] = true, true
			}
			for d, delta := range deltas {
				var m string
				if edge {
					m = c.slotMask(d, 0, 0)
				}
				for mrow := 0; par+2*mrow < k; mrow++ {
					r := par + 2*mrow
					var mine []dataTap
					for _, t := range taps {
						if t.delta == delta {
							mine = append(mine, t)
						}
					}
					addr := "(SI)"
					if delta != 0 {
						addr = fmt.Sprintf("%d(SI)", 4*delta)
					}
					if mrow > 0 {
						addr += fmt.Sprintf("(R9*%d)", mrow)
					}
					c.rowTest(known, mrow, func() {
						acc := func(t dataTap) int {
							if t.odd {
								return 1
							}
							return 0
						}
						if len(mine) == 1 && !edge {
							A.fma(acc(mine[0]), c.weight(r*k+mine[0].s), addr)
							return
						}
						if edge {
							c.loadMasked(addr, m, L)
						} else {
							c.op("VMOVUPS %s, %s", addr, L)
						}
						for _, t := range mine {
							A.fma(acc(t), c.weight(r*k+t.s), L)
						}
					})
				}
			}
			for i, u := range A.used {
				if !u {
					c.zero(c.acc[i])
				}
			}
			// Interleave even (A) and odd (B) columns into two vectors of dx.
			Av, Bv := c.acc[0], c.acc[1]
			var d0, d1 string
			if a.wide {
				c.op("VMOVUPS dwLo<>(SB), %s", T1)
				c.op("VPERMI2PS %s, %s, %s", Bv, Av, T1)
				c.op("VMOVUPS dwHi<>(SB), %s", T2)
				c.op("VPERMI2PS %s, %s, %s", Bv, Av, T2)
				d0, d1 = T1, T2
			} else {
				c.op("VUNPCKLPS %s, %s, %s", Bv, Av, T1)
				c.op("VUNPCKHPS %s, %s, %s", Bv, Av, T2)
				c.op("VPERM2F128 $0x20, %s, %s, %s", T2, T1, Av)
				c.op("VPERM2F128 $0x31, %s, %s, %s", T2, T1, Bv)
				d0, d1 = Av, Bv
			}
			// With beta, add dx's old values; without, store over them.
			for h, d := range []string{d0, d1} {
				addr := "(BX)"
				if h == 1 {
					addr = fmt.Sprintf("%d(BX)", 4*a.lanes)
				}
				noBeta := c.fresh("nobeta")
				if edge {
					mk := c.slotMask(store+h, 0, 0)
					c.op("CMPQ %s, $0", arg("beta"))
					c.op("JEQ %s", noBeta)
					c.loadMasked(addr, mk, L)
					c.op("VADDPS %s, %s, %s", L, d, d)
					c.label(noBeta)
					c.storeMasked(d, mk, addr)
				} else {
					c.op("CMPQ %s, $0", arg("beta"))
					c.op("JEQ %s", noBeta)
					c.op("VADDPS %s, %s, %s", addr, d, d)
					c.label(noBeta)
					c.op("VMOVUPS %s, %s", d, addr)
				}
			}
		}
	}
	// Row ih of dx gathers dy row top − m through filter row par + 2m,
	// where ih + row0 = 2·top + par.
	rows0, rows1 := (k+1)/2, k/2
	c.planeLoop(func() {
		c.loadWeights()
		c.data2Rows(rows0, rows1, body)
	})
	c.end()
}

// data2Rows is the row loop of the stride-2 data kernel.
func (c *kernel) data2Rows(rows0, rows1 int, body func(par int, known bool) func(edge bool)) {
	a := c.isa
	row, odd, next, end := c.fresh("row"), c.fresh("oddrow"), c.fresh("next"), c.fresh("end")
	c.op("MOVQ %s, R8", arg("i0"))
	c.label(row)
	c.op("CMPQ R8, %s", arg("i1"))
	c.op("JGE %s", end)
	c.op("MOVQ R8, AX")
	c.op("ADDQ %s, AX", arg("row0"))
	c.op("MOVQ AX, R14")
	c.op("ANDQ $1, R14")
	c.op("SARQ $1, AX")
	c.op("XORL R11, R11")
	for m := range rows0 {
		skip := c.fresh("invalid")
		c.op("LEAQ %d(AX), CX", -m)
		c.op("CMPQ CX, %s", arg("inH"))
		c.op("JCC %s", skip)
		if m >= rows1 {
			c.op("TESTQ R14, R14")
			c.op("JNE %s", skip)
		}
		c.op("ORQ $%d, R11", 1<<m)
		c.label(skip)
	}
	c.rowBases()
	for par, n := range []int{rows0, rows1} {
		if par == 1 {
			c.label(odd)
		} else {
			c.op("TESTQ R14, R14")
			c.op("JNE %s", odd)
		}
		tested := c.fresh("tested")
		c.op("CMPQ R11, $%d", 1<<n-1)
		c.op("JNE %s", tested)
		c.vectorLoops(4*a.lanes, 8*a.lanes, body(par, true))
		c.op("JMP %s", next)
		c.label(tested)
		c.vectorLoops(4*a.lanes, 8*a.lanes, body(par, false))
		c.op("JMP %s", next)
	}
	c.label(next)
	c.op("INCQ R8")
	c.op("JMP %s", row)
	c.label(end)
}

func dataTable(out *bytes.Buffer, name string, vals []int) {
	for i, v := range vals {
		fmt.Fprintf(out, "DATA %s<>+%d(SB)/4, $%d\n", name, 4*i, v)
	}
	fmt.Fprintf(out, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", name, 4*len(vals))
}

func main() {
	var out bytes.Buffer
	out.WriteString(`// Code generated by depthwise_gen.go; DO NOT EDIT.

// Depthwise convolution kernels for AVX2 and AVX-512 (see depthwise_gen.go
// for how they are organised and depthwise_amd64.go for what each computes).

#include "textflag.h"

`)
	var even, odd, lo, hi []int
	for l := range 16 {
		even = append(even, 2*l)
		odd = append(odd, 2*l+1)
	}
	for l := range 8 {
		lo = append(lo, l, 16+l)
		hi = append(hi, 8+l, 24+l)
	}
	out.WriteString("// Permutations for VPERMT2PS / VPERMI2PS: even and odd lanes of a pair of\n// vectors, and the two halves of the interleaving of two vectors.\n")
	dataTable(&out, "dwEven", even)
	dataTable(&out, "dwOdd", odd)
	dataTable(&out, "dwLo", lo)
	dataTable(&out, "dwHi", hi)
	for _, a := range []isa{avx2, avx512} {
		for _, k := range []int{3, 5} {
			for _, s := range []int{1, 2} {
				genForward(&out, a, k, s)
				genFilter(&out, a, k, s)
			}
			genData2(&out, a, k)
		}
	}
	if err := os.WriteFile("depthwise_amd64.s", out.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

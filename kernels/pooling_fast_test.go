package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The fast max-pooling forward pass against its reference, bit for bit, on
// every dispatch path: values (NaN payloads and the sign of zero included)
// and indices, with and without indices.

// maxPoolFastCases returns ragged poolings: narrow and odd widths, widths
// around the vector lengths, 1×1 planes, rectangular windows, strides 1–3,
// padding up to half the window, ceil mode.
func maxPoolFastCases(rng *rand.Rand) []PoolParams {
	ps := []PoolParams{
		pool(1, 3, 112, 112, 3, 2, 1, false, false), // ResNet's stem pool
		pool(1, 2, 28, 28, 2, 2, 0, false, false),   // VGG's
		pool(1, 2, 14, 14, 2, 2, 0, false, false),
		pool(2, 2, 1, 1, 1, 1, 0, false, false),
		pool(1, 2, 1, 1, 2, 2, 1, true, false),
		pool(1, 1, 3, 3, 3, 1, 1, false, false),
		pool(1, 2, 9, 37, 3, 1, 1, false, false),
		pool(1, 2, 9, 37, 3, 2, 1, true, false),
		pool(1, 2, 8, 35, 5, 2, 2, true, false),
		pool(1, 2, 8, 36, 5, 3, 2, true, false),
		pool(1, 1, 4, 70, 2, 1, 1, false, false),
		pool(1, 2, 12, 20, 9, 2, 4, true, false), // 81 taps: more than maxPoolFastTaps
	}
	for _, w := range []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 34, 35, 47, 49, 64, 65, 66} {
		for _, k := range []int{1, 2, 3, 5} {
			for _, s := range []int{1, 2, 3} {
				p := pool(1, 2, 1+rng.IntN(7), w, k, s, rng.IntN(k/2+1), rng.IntN(2) == 0, false)
				if rng.IntN(3) == 0 { // a rectangular window
					p.KH = 1 + rng.IntN(4)
					p.PadH = rng.IntN(p.KH/2 + 1)
					p.StrideH = 1 + rng.IntN(3)
				}
				if p.Validate() == nil {
					ps = append(ps, p)
				}
			}
		}
	}
	return ps
}

// maxPoolInput fills x with one of several kinds of values: 0 normal,
// 1 ties (small integers, ±0, −∞), 2 with NaNs of distinct payloads and ±∞,
// 3 all −∞.
func maxPoolInput(rng *rand.Rand, x []float32, kind int) {
	for i := range x {
		switch kind {
		case 0:
			x[i] = float32(rng.NormFloat64())
		case 1:
			x[i] = [...]float32{0, float32(math.Copysign(0, -1)), 1, 1, 2, float32(math.Inf(-1))}[rng.IntN(6)]
		case 2:
			x[i] = float32(rng.NormFloat64())
			switch rng.IntN(8) {
			case 0:
				x[i] = math.Float32frombits(0x7fc00000 | uint32(rng.IntN(1<<22))) // a NaN with its own payload
			case 1:
				x[i] = float32(math.Inf(1))
			case 2:
				x[i] = float32(math.Inf(-1))
			}
		case 3:
			x[i] = float32(math.Inf(-1))
		}
	}
}

func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func TestMaxPoolFastMatchesReference(t *testing.T) {
	for _, path := range Paths() {
		t.Run(string(path), func(t *testing.T) {
			old, _ := UsePath(path)
			defer UsePath(old)
			rng := rand.New(rand.NewPCG(21, 22))
			for _, p := range maxPoolFastCases(rng) {
				x := make([]float32, p.N*p.C*p.H*p.W)
				n := p.N * p.C * p.OutH() * p.OutW()
				for kind := range 4 {
					maxPoolInput(rng, x, kind)
					wantY, wantIdx := make([]float32, n), make([]int32, n)
					maxPool2dForwardRef(p, x, wantY, wantIdx)
					y, idx, vals := make([]float32, n), make([]int32, n), make([]float32, n)
					MaxPool2dForward(p, x, y, idx)
					MaxPool2dForward(p, x, vals, nil)
					if i := sameBits(y, wantY); i >= 0 {
						t.Fatalf("%v input %d: y[%d] = %v (%#x), want %v (%#x)", p, kind, i, y[i], math.Float32bits(y[i]), wantY[i], math.Float32bits(wantY[i]))
					}
					if i := sameBits(vals, wantY); i >= 0 {
						t.Fatalf("%v input %d without indices: y[%d] = %v (%#x), want %v (%#x)", p, kind, i, vals[i], math.Float32bits(vals[i]), wantY[i], math.Float32bits(wantY[i]))
					}
					for i := range idx {
						if idx[i] != wantIdx[i] {
							t.Fatalf("%v input %d: idx[%d] = %d, want %d", p, kind, i, idx[i], wantIdx[i])
						}
					}
				}
			}
		})
	}
}

// TestMaxPoolRowKernels runs the assembly row kernels on rows of every
// length up to three vectors and a bit, and checks that they write only
// their outputs.
func TestMaxPoolRowKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	const canary = 12345
	for _, path := range Paths() { // only the paths this machine can run
		vec := maxPoolVecSets[path]
		if vec == nil {
			continue
		}
		for stride := 1; stride <= 2; stride++ {
			for _, kw := range []int{1, 2, 3, 5} {
				for n := 1; n <= 3*vec.lanes+1; n++ {
					rows, w := 1+rng.IntN(3), (n-1)*stride+kw+rng.IntN(3)
					offs := make([]int32, rows*kw)
					for r := range rows {
						for s := range kw {
							offs[r*kw+s] = int32(r*w + s)
						}
					}
					x := make([]float32, (rows-1)*w+(n-1)*stride+kw) // ends at the last tap
					maxPoolInput(rng, x, rng.IntN(3))
					wantY, wantIdx := make([]float32, n), make([]int32, n)
					maxPoolRowGo(x, stride, offs, wantY, wantIdx, 7)
					y, idx := make([]float32, n+vec.lanes), make([]int32, n+vec.lanes)
					for i := range y {
						y[i], idx[i] = canary, canary
					}
					name := fmt.Sprintf("%s stride %d kw %d rows %d n %d", path, stride, kw, rows, n)
					for _, withIdx := range []bool{false, true} {
						ip := idx[:n]
						if !withIdx {
							ip = nil
						}
						maxPoolRowVec(vec, stride, x, rows, kw, w, y[:n], ip, 7)
						if i := sameBits(y[:n], wantY); i >= 0 {
							t.Fatalf("%s: y[%d] = %v, want %v", name, i, y[i], wantY[i])
						}
					}
					for i := range n {
						if idx[i] != wantIdx[i] {
							t.Fatalf("%s: idx[%d] = %d, want %d", name, i, idx[i], wantIdx[i])
						}
					}
					for i := n; i < len(y); i++ {
						if y[i] != canary || idx[i] != canary {
							t.Fatalf("%s: wrote past the row at %d", name, i)
						}
					}
				}
			}
		}
	}
}

// BenchmarkMaxPool2d compares the reference with the fast pass on each path,
// for the max pools of ResNet's stem and of VGG, with indices (training) and
// without (inference). Bytes are those of x, y and idx.
func BenchmarkMaxPool2d(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    PoolParams
	}{
		{"resnet-stem/N=1", pool(1, 64, 112, 112, 3, 2, 1, false, false)},
		{"resnet-stem/N=16", pool(16, 64, 112, 112, 3, 2, 1, false, false)},
		{"vgg-64x224", pool(1, 64, 224, 224, 2, 2, 0, false, false)},
		{"vgg-512x14", pool(1, 512, 14, 14, 2, 2, 0, false, false)},
	} {
		p := bc.p
		rng := rand.New(rand.NewPCG(1, 2))
		x := make([]float32, p.N*p.C*p.H*p.W)
		maxPoolInput(rng, x, 0)
		n := p.N * p.C * p.OutH() * p.OutW()
		y, idx := make([]float32, n), make([]int32, n)
		impls := []string{"ref"}
		for _, path := range Paths() {
			impls = append(impls, string(path))
		}
		for _, withIdx := range []bool{true, false} {
			ip, kind := idx, "idx"
			if !withIdx {
				ip, kind = nil, "noidx"
			}
			for _, im := range impls {
				b.Run(bc.name+"/"+kind+"/"+im, func(b *testing.B) {
					if im != "ref" {
						old, _ := UsePath(Path(im))
						defer UsePath(old)
					}
					bytes := 4 * (len(x) + n)
					if withIdx {
						bytes += 4 * n
					}
					b.SetBytes(int64(bytes))
					for b.Loop() {
						if im == "ref" {
							maxPool2dForwardRef(p, x, y, ip)
						} else {
							MaxPool2dForward(p, x, y, ip)
						}
					}
				})
			}
		}
	}
}

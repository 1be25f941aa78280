package dataset

// Resampling exactly as PIL's Image.resize does for 8-bit images
// (libImaging/Resample.c), which is torchvision's reference path for
// Resize and RandomResizedCrop on images:
//
//   - Two separable passes, horizontal first, each producing 8-bit pixels.
//   - For each output pixel, the filter is centred at in0 + (x+0.5)·scale in
//     input coordinates (scale = input/output size) and, when shrinking, is
//     stretched by the scale (support = filter support × scale), so every
//     input pixel contributes: this is PIL's built-in antialiasing.
//   - The taps are computed in float64, normalised to sum to 1, then turned
//     into 22-bit fixed point (rounded away from zero); each output value is
//     (Σ pixel·tap + 2^21) >> 22 clamped to [0, 255].
//   - Bilinear is the triangle filter (support 1); bicubic is Keys' cubic
//     with a = −0.5 (support 2).

import (
	"fmt"
	"image"
	"math"
)

// Interpolation selects the resampling filter.
type Interpolation int

// The filters torchvision's weight presets use.
const (
	Bilinear Interpolation = iota
	Bicubic
)

func (ip Interpolation) String() string {
	if ip == Bicubic {
		return "bicubic"
	}
	return "bilinear"
}

// support returns the filter's half-width in input pixels at scale 1.
func (ip Interpolation) support() float64 {
	if ip == Bicubic {
		return 2
	}
	return 1
}

// weight evaluates the filter at distance x.
func (ip Interpolation) weight(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if ip == Bicubic {
		const a = -0.5
		// Each product is converted explicitly so that the compiler cannot
		// fuse it into an FMA: the C code rounds every step.
		if x < 1 {
			t := float64((a+2)*x) - (a + 3)
			return float64(float64(t*x)*x) + 1
		}
		if x < 2 {
			t := float64((x-5)*x) + 8
			return (float64(t*x) - 4) * a
		}
		return 0
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

// precisionBits is PIL's fixed-point precision for 8-bit resampling: 32 bits
// minus 8 for the pixel value minus 2 for coefficient sums above 1.
const precisionBits = 32 - 8 - 2

// resampleTaps holds, for each output position, the first input index, the
// number of taps and ksize fixed-point coefficients.
type resampleTaps struct {
	ksize  int
	bounds []int // (first, count) pairs
	k      []int32
}

// precomputeTaps follows Resample.c's precompute_coeffs and
// normalize_coeffs_8bpc for an output of outSize covering the input range
// [in0, in1) of an axis of inSize pixels.
func precomputeTaps(inSize int, in0, in1 float32, outSize int, ip Interpolation) resampleTaps {
	scale := float64(in1-in0) / float64(outSize)
	filterscale := max(scale, 1)
	support := ip.support() * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	t := resampleTaps{ksize: ksize, bounds: make([]int, 2*outSize), k: make([]int32, outSize*ksize)}
	w := make([]float64, ksize)
	for xx := range outSize {
		center := float64(in0) + float64(float64(float64(xx)+0.5)*scale)
		ss := 1 / filterscale
		xmin := max(int(center-support+0.5), 0)
		xmax := min(int(center+support+0.5), inSize) - xmin
		ww := 0.0
		for x := range xmax {
			w[x] = ip.weight(float64((float64(x+xmin)-center)+0.5) * ss)
			ww += w[x]
		}
		k := t.k[xx*ksize : (xx+1)*ksize]
		for x := range xmax {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + float64(v*(1<<precisionBits)))
			} else {
				k[x] = int32(0.5 + float64(v*(1<<precisionBits)))
			}
		}
		t.bounds[2*xx], t.bounds[2*xx+1] = xmin, max(xmax, 0)
	}
	return t
}

// padTaps gives every output position the same number of taps, the
// largest count, by moving a position's first input index left where the
// image ends and filling the extra taps with zeros, which add nothing to
// the integer sums. The horizontal pass then runs one trip count for every
// pixel, which the branch predictor learns, instead of a count that
// changes irregularly from pixel to pixel (3, 4, 3, 3, 4, … when
// shrinking by 1.46).
func (t *resampleTaps) padTaps(inSize int) {
	n := 0
	for i := 1; i < len(t.bounds); i += 2 {
		n = max(n, t.bounds[i])
	}
	for i := 0; i < len(t.bounds); i += 2 {
		xmin, count := t.bounds[i], t.bounds[i+1]
		k := t.k[i/2*t.ksize:][:t.ksize]
		// Shift left by s so that [first, first+n) fits in the input, and
		// put the zeros on the side the window grew on.
		first := min(xmin, inSize-n)
		s := xmin - first
		copy(k[s:s+count], k[:count])
		clear(k[:s])
		clear(k[s+count : n])
		t.bounds[i], t.bounds[i+1] = first, n
	}
}

// clipFixed turns a fixed-point accumulator into a pixel value.
func clipFixed(ss int32) uint8 {
	return uint8(min(max(ss>>precisionBits, 0), 255))
}

// ResizeImage returns m resampled to w×h pixels with PIL's arithmetic. An
// image already of that size is copied.
func ResizeImage(m *Image, w, h int, ip Interpolation) *Image {
	return resizeWindow(m, w, h, ip, image.Rect(0, 0, w, h))
}

// resizeWindow computes the pixels in win of m resized to w×h. Every output
// pixel depends only on its own row's and column's taps, so computing a
// window gives exactly the pixels of the full resize cropped to it — which
// is how Resize followed by CenterCrop skips the pixels the crop discards.
func resizeWindow(m *Image, w, h int, ip Interpolation, win image.Rectangle) *Image {
	if w <= 0 || h <= 0 || !win.In(image.Rect(0, 0, w, h)) || win.Empty() {
		panic(fmt.Sprintf("dataset.Resize: output size %d×%d (window %v) invalid for input %d×%d", w, h, win, m.W, m.H))
	}
	if w == m.W && h == m.H {
		return crop(m, win.Min.X, win.Min.Y, win.Dx(), win.Dy())
	}
	// PIL resamples an axis only when its size changes.
	needH, needV := w != m.W, h != m.H
	vert := precomputeTaps(m.H, 0, float32(m.H), h, ip)
	vert.bounds = vert.bounds[2*win.Min.Y : 2*win.Max.Y]
	vert.k = vert.k[win.Min.Y*vert.ksize : win.Max.Y*vert.ksize]
	src := m
	if needH {
		horiz := precomputeTaps(m.W, 0, float32(m.W), w, ip)
		horiz.padTaps(m.W)
		horiz.bounds = horiz.bounds[2*win.Min.X : 2*win.Max.X]
		horiz.k = horiz.k[win.Min.X*horiz.ksize : win.Max.X*horiz.ksize]
		// Only the rows the vertical pass reads are resampled horizontally
		// (all rows of the window when there is no vertical pass).
		first, last := win.Min.Y, win.Max.Y
		if needV {
			n := len(vert.bounds)
			first, last = vert.bounds[0], vert.bounds[n-2]+vert.bounds[n-1]
			for i := 0; i < n; i += 2 {
				vert.bounds[i] -= first
			}
		}
		tmp := NewImage(win.Dx(), last-first, m.C)
		for y := range tmp.H {
			resampleRow(tmp.Row(y), m.Row(y+first), m.C, horiz)
		}
		if !needV {
			return tmp
		}
		src = tmp
	} else {
		src = crop(m, win.Min.X, 0, win.Dx(), m.H)
	}
	// Vertical pass: each output row is a weighted sum of input rows,
	// accumulated row by row (sequential memory access), two rows per pass
	// over the accumulator; the last pass clamps and writes the output. The
	// int32 sums wrap like C's, so their order does not change the result.
	out := NewImage(src.W, win.Dy(), m.C)
	n := src.W * m.C
	acc := make([]int32, n)
	for yy := range out.H {
		ymin, ycount := vert.bounds[2*yy], vert.bounds[2*yy+1]
		k := vert.k[yy*vert.ksize:][:ycount]
		o := out.Row(yy)
		if len(k) == 0 {
			clear(o) // clipFixed(rounding bias) is 0
			continue
		}
		// pair returns input rows j and j+1 and their taps (row j with a
		// zero tap when j is the last one).
		pair := func(j int) ([]uint8, []uint8, int32, int32) {
			a := src.Pix[(ymin+j)*n:][:n]
			if j+1 == len(k) {
				return a, a, k[j], 0
			}
			return a, src.Pix[(ymin+j+1)*n:][:n], k[j], k[j+1]
		}
		if len(k) <= 2 {
			a, b, ka, kb := pair(0)
			vertOut(o, nil, a, b, ka, kb)
			continue
		}
		a, b, ka, kb := pair(0)
		vertFirst(acc, a, b, ka, kb)
		j := 2
		for ; j+2 < len(k); j += 2 {
			a, b, ka, kb = pair(j)
			vertAdd(acc, a, b, ka, kb)
		}
		a, b, ka, kb = pair(j)
		vertOut(o, acc, a, b, ka, kb)
	}
	return out
}

// vertFirst starts the accumulator: rounding bias + a·ka + b·kb.
func vertFirst(acc []int32, a, b []uint8, ka, kb int32) {
	a, b = a[:len(acc)], b[:len(acc)]
	for i := range acc {
		acc[i] = 1<<(precisionBits-1) + int32(a[i])*ka + int32(b[i])*kb
	}
}

// vertAdd adds a·ka + b·kb to the accumulator.
func vertAdd(acc []int32, a, b []uint8, ka, kb int32) {
	a, b = a[:len(acc)], b[:len(acc)]
	for i := range acc {
		acc[i] += int32(a[i])*ka + int32(b[i])*kb
	}
}

// vertOut writes clipFixed(acc + a·ka + b·kb) to o; a nil acc stands for
// the rounding bias alone.
func vertOut(o []uint8, acc []int32, a, b []uint8, ka, kb int32) {
	a, b = a[:len(o)], b[:len(o)]
	if acc == nil {
		for i := range o {
			o[i] = clipFixed(1<<(precisionBits-1) + int32(a[i])*ka + int32(b[i])*kb)
		}
		return
	}
	acc = acc[:len(o)]
	for i := range o {
		o[i] = clipFixed(acc[i] + int32(a[i])*ka + int32(b[i])*kb)
	}
}

// resampleRow is the horizontal pass for one row of c-channel pixels. The
// taps come from padTaps: every output pixel has the same tap count n.
// Three-channel rows with 2 to 4 taps per pixel (bilinear upsampling and
// bilinear shrinking by up to about 1.5, as in Resize 256 and most
// RandomResizedCrops of a typical photo) take kernels with the tap loop
// unrolled; the rest take the plain loops. The int32 sums wrap like C's,
// so grouping the additions differently does not change the result.
func resampleRow(dst, src []uint8, c int, t resampleTaps) {
	outW := len(dst) / c
	if outW == 0 {
		return
	}
	if n := t.bounds[1]; c == 3 && n >= 2 && n <= 4 {
		switch n {
		case 2:
			resampleRow3x2(dst, src, t)
		case 3:
			resampleRow3x3(dst, src, t)
		case 4:
			resampleRow3x4(dst, src, t)
		}
		return
	}
	if c == 3 {
		for xx := range outW {
			xmin, count := t.bounds[2*xx], t.bounds[2*xx+1]
			k := t.k[xx*t.ksize:][:count]
			in := src[3*xmin:][:3*count]
			s0, s1, s2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			for x, kv := range k {
				p := in[3*x : 3*x+3 : 3*x+3]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			d := dst[3*xx : 3*xx+3 : 3*xx+3]
			d[0], d[1], d[2] = clipFixed(s0), clipFixed(s1), clipFixed(s2)
		}
		return
	}
	for xx := range outW {
		xmin, count := t.bounds[2*xx], t.bounds[2*xx+1]
		k := t.k[xx*t.ksize:][:count]
		in := src[xmin*c:]
		for ch := range c {
			ss := int32(1 << (precisionBits - 1))
			for x, kv := range k {
				ss += int32(in[x*c+ch]) * kv
			}
			dst[xx*c+ch] = clipFixed(ss)
		}
	}
}

// resampleRow3x2, resampleRow3x3 and resampleRow3x4 are resampleRow for
// three channels and exactly 2, 3 or 4 taps per output pixel. Each output
// pixel re-slices its taps and input pixels to constant lengths, so the
// unrolled loads need no bounds checks; the three channel sums are
// independent dependency chains. The loops end with dst: the tests on b
// and kk only tell the compiler that their loads are in bounds.
func resampleRow3x2(dst, src []uint8, t resampleTaps) {
	const bias = 1 << (precisionBits - 1)
	b, kk, ks := t.bounds, t.k, t.ksize
	for len(dst) >= 3 && len(b) >= 2 && len(kk) >= 2 {
		k := kk[:2]
		p := src[3*b[0]:][:6]
		k0, k1 := k[0], k[1]
		s0 := bias + int32(p[0])*k0 + int32(p[3])*k1
		s1 := bias + int32(p[1])*k0 + int32(p[4])*k1
		s2 := bias + int32(p[2])*k0 + int32(p[5])*k1
		dst[0], dst[1], dst[2] = clipFixed(s0), clipFixed(s1), clipFixed(s2)
		dst, b, kk = dst[3:], b[2:], kk[ks:]
	}
}

func resampleRow3x3(dst, src []uint8, t resampleTaps) {
	const bias = 1 << (precisionBits - 1)
	b, kk, ks := t.bounds, t.k, t.ksize
	for len(dst) >= 3 && len(b) >= 2 && len(kk) >= 3 {
		k := kk[:3]
		p := src[3*b[0]:][:9]
		k0, k1, k2 := k[0], k[1], k[2]
		s0 := bias + int32(p[0])*k0 + int32(p[3])*k1 + int32(p[6])*k2
		s1 := bias + int32(p[1])*k0 + int32(p[4])*k1 + int32(p[7])*k2
		s2 := bias + int32(p[2])*k0 + int32(p[5])*k1 + int32(p[8])*k2
		dst[0], dst[1], dst[2] = clipFixed(s0), clipFixed(s1), clipFixed(s2)
		dst, b, kk = dst[3:], b[2:], kk[ks:]
	}
}

func resampleRow3x4(dst, src []uint8, t resampleTaps) {
	const bias = 1 << (precisionBits - 1)
	b, kk, ks := t.bounds, t.k, t.ksize
	for len(dst) >= 3 && len(b) >= 2 && len(kk) >= 4 {
		k := kk[:4]
		p := src[3*b[0]:][:12]
		k0, k1, k2, k3 := k[0], k[1], k[2], k[3]
		s0 := bias + int32(p[0])*k0 + int32(p[3])*k1 + int32(p[6])*k2 + int32(p[9])*k3
		s1 := bias + int32(p[1])*k0 + int32(p[4])*k1 + int32(p[7])*k2 + int32(p[10])*k3
		s2 := bias + int32(p[2])*k0 + int32(p[5])*k1 + int32(p[8])*k2 + int32(p[11])*k3
		dst[0], dst[1], dst[2] = clipFixed(s0), clipFixed(s1), clipFixed(s2)
		dst, b, kk = dst[3:], b[2:], kk[ks:]
	}
}

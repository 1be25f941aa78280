package dataset

// Plain reference versions of the tightened pixel kernels (YCbCr→RGB with
// chroma upsampling, the two resampling passes, ToTensor/Normalize's
// imageToCHW), written the obvious way, and tests that the fast versions in
// rgb.go, resample.go and transform.go give exactly the same bytes (bits,
// for floats) on random data, every subsampling ratio, ragged sizes and
// non-zero image origins.

import (
	"bytes"
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// refChroma is the chroma value at image pixel (x, y) as libjpeg's
// upsampling computes it, one pixel at a time.
func refChroma(m *image.YCbCr, plane []uint8, w, h, x, y int) uint8 {
	hx, vy := 1, 1
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hx = 2
	case image.YCbCrSubsampleRatio420:
		hx, vy = 2, 2
	case image.YCbCrSubsampleRatio440:
		vy = 2
	case image.YCbCrSubsampleRatio411:
		hx = 4
	case image.YCbCrSubsampleRatio410:
		hx, vy = 4, 2
	}
	cw, ch := (w+hx-1)/hx, (h+vy-1)/vy
	base := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	at := func(cx, cy int) int32 {
		cx = min(max(cx, 0), cw-1)
		cy = min(max(cy, 0), ch-1)
		return int32(plane[base+cy*m.CStride+cx])
	}
	fancy := (hx == 2 && cw > 2) || (hx == 1 && vy == 2)
	cx, cy := x/hx, y/vy
	if !fancy {
		return uint8(at(cx, cy))
	}
	// Horizontal neighbour: left for even x, right for odd x; vertical
	// neighbour: above for even y, below for odd y.
	dx, dy := -1, -1
	if x%2 == 1 {
		dx = 1
	}
	if y%2 == 1 {
		dy = 1
	}
	switch {
	case vy == 1: // h2v1
		return uint8((3*at(cx, cy) + at(cx+dx, cy) + 1 + int32(x%2)) >> 2)
	case hx == 1: // h1v2
		return uint8((3*at(cx, cy) + at(cx, cy+dy) + 1 + int32(y%2)) >> 2)
	}
	col := func(cx int) int32 { return 3*at(cx, cy) + at(cx, cy+dy) }
	return uint8((3*col(cx) + col(cx+dx) + 8 - int32(x%2)) >> 4)
}

// refYCbCrToRGB is jpegYCbCrToRGB one pixel at a time.
func refYCbCrToRGB(m *image.YCbCr) *Image {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	out := NewImage(w, h, 3)
	for y := range h {
		for x := range w {
			Y := int32(m.Y[m.YOffset(m.Rect.Min.X+x, m.Rect.Min.Y+y)])
			b := refChroma(m, m.Cb, w, h, x, y)
			r := refChroma(m, m.Cr, w, h, x, y)
			p := out.Pix[3*(y*w+x):]
			p[0] = clip8(Y + ycc.crR[r])
			p[1] = clip8(Y + (ycc.cbG[b]+ycc.crG[r])>>16)
			p[2] = clip8(Y + ycc.cbB[b])
		}
	}
	return out
}

func randomYCbCr(rng *rand.Rand, r image.Rectangle, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	m := image.NewYCbCr(r, ratio)
	for _, p := range [][]uint8{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = uint8(rng.IntN(256))
		}
	}
	return m
}

func TestJPEGYCbCrToRGBMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ratios := []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	}
	for _, ratio := range ratios {
		for _, sz := range [][2]int{{1, 1}, {2, 1}, {3, 2}, {4, 3}, {5, 5}, {6, 7}, {7, 4}, {16, 9}, {17, 17}, {33, 20}} {
			w, h := sz[0], sz[1]
			m := randomYCbCr(rng, image.Rect(0, 0, w, h), ratio)
			// A sub-image with an odd origin exercises strides and offsets.
			big := randomYCbCr(rng, image.Rect(0, 0, w+6, h+5), ratio)
			sub := big.SubImage(image.Rect(2, 2, 2+w, 2+h)).(*image.YCbCr)
			for _, src := range []*image.YCbCr{m, sub} {
				got := NewImage(w, h, 3)
				jpegYCbCrToRGB(src, got)
				if want := refYCbCrToRGB(src); !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("%v %d×%d origin %v: fast conversion differs from the reference", ratio, w, h, src.Rect.Min)
				}
			}
		}
	}
}

// refResize is PIL's two-pass resample written with one output value at a
// time and no windowing.
func refResize(m *Image, w, h int, ip Interpolation) *Image {
	pass := func(src *Image, ow, oh int, horiz bool) *Image {
		var t resampleTaps
		if horiz {
			t = precomputeTaps(src.W, 0, float32(src.W), ow, ip)
		} else {
			t = precomputeTaps(src.H, 0, float32(src.H), oh, ip)
		}
		out := NewImage(ow, oh, src.C)
		for y := range oh {
			for x := range ow {
				o := x
				if !horiz {
					o = y
				}
				first, count := t.bounds[2*o], t.bounds[2*o+1]
				for c := range src.C {
					ss := int32(1 << (precisionBits - 1))
					for j := range count {
						sx, sy := first+j, y
						if !horiz {
							sx, sy = x, first+j
						}
						ss += int32(src.Pix[(sy*src.W+sx)*src.C+c]) * t.k[o*t.ksize+j]
					}
					out.Pix[(y*ow+x)*src.C+c] = clipFixed(ss)
				}
			}
		}
		return out
	}
	if w != m.W {
		m = pass(m, w, m.H, true)
	}
	if h != m.H {
		m = pass(m, w, h, false)
	}
	return m
}

func TestResizeMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []int{1, 3} {
		for _, ip := range []Interpolation{Bilinear, Bicubic} {
			for _, sz := range [][4]int{{1, 1, 3, 2}, {7, 5, 3, 2}, {13, 11, 29, 4}, {50, 37, 17, 23}, {31, 9, 31, 20}, {9, 40, 4, 40}, {64, 48, 21, 16}} {
				m := NewImage(sz[0], sz[1], c)
				for i := range m.Pix {
					m.Pix[i] = uint8(rng.IntN(256))
				}
				got := ResizeImage(m, sz[2], sz[3], ip)
				want := refResize(m, sz[2], sz[3], ip)
				if !bytes.Equal(got.Pix, want.Pix) {
					t.Errorf("%v c=%d %d×%d→%d×%d: fast resize differs from the reference", ip, c, sz[0], sz[1], sz[2], sz[3])
				}
			}
		}
	}
}

func BenchmarkJPEGYCbCrToRGB(b *testing.B) {
	m := randomYCbCr(rand.New(rand.NewPCG(5, 6)), image.Rect(0, 0, 500, 375), image.YCbCrSubsampleRatio420)
	out := NewImage(500, 375, 3)
	for b.Loop() {
		jpegYCbCrToRGB(m, out)
	}
}

// refImageToCHW is imageToCHW as two plain passes: value/255, then the
// normalisation.
func refImageToCHW(dst []float32, m *Image, mean, std []float32) {
	plane := m.W * m.H
	for c := range m.C {
		d := dst[c*plane : (c+1)*plane]
		for i := range d {
			d[i] = float32(m.Pix[i*m.C+c]) / 255
		}
		if mean != nil {
			for i, x := range d {
				d[i] = (x - mean[c]) / std[c]
			}
		}
	}
}

func TestImageToCHWMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []int{1, 3} {
		m := NewImage(19, 7, c)
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		m.Pix[0], m.Pix[1] = 0, 255
		mean, std := []float32{0.485, 0.456, 0.406}[:c], []float32{0.229, 0.224, 0.225}[:c]
		for _, norm := range []bool{false, true} {
			got, want := make([]float32, len(m.Pix)), make([]float32, len(m.Pix))
			if norm {
				imageToCHW(got, m, mean, std)
				refImageToCHW(want, m, mean, std)
			} else {
				imageToCHW(got, m, nil, nil)
				refImageToCHW(want, m, nil, nil)
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("c=%d normalise=%v: value %d is %v, want %v", c, norm, i, got[i], want[i])
				}
			}
		}
	}
}

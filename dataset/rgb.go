package dataset

// Pixel conversion from Go's image types to 8-bit interleaved RGB, one typed
// loop per type (never image.Image.At per pixel). Each loop reproduces what
// PIL's convert("RGB") does with the same pixels:
//
//	*image.YCbCr (JPEG)  libjpeg's "fancy" chroma upsampling (triangle filter,
//	                     its exact rounding biases) and its fixed-point YCbCr→RGB
//	                     tables, so only the IDCT differs from PIL's libjpeg-turbo
//	*image.Gray          gray replicated to R, G, B
//	*image.Gray16        v/257 rounded (PIL clips instead; see decode.go)
//	*image.RGBA          Go stores premultiplied colour: divided back by alpha
//	                     as PIL's "RGBa"→"RGB" does, (255·c)/a
//	*image.NRGBA         alpha dropped, colour kept
//	*image.RGBA64 …      16-bit variants of the above, then v/257 rounded
//	*image.Paletted      palette looked up (transparency ignored, as in PIL)
//	*image.CMYK          PIL's cmyk2rgb: (255−k) − c·(255−k)/255 with MULDIV255
//
// WebP is YCbCr too but with limited-range (studio swing) BT.601 values, so
// it has its own conversion with libwebp's constants (webpToRGB).
//
// An unfamiliar pixel type is an error, not a slow path.

import (
	"fmt"
	"image"
	"image/color"
)

// toRGB converts a decoded image to an 8-bit RGB Image.
func toRGB(src image.Image) (*Image, error) {
	r := src.Bounds()
	w, h := r.Dx(), r.Dy()
	out := NewImage(w, h, 3)
	switch m := src.(type) {
	case *image.YCbCr:
		jpegYCbCrToRGB(m, out)
	case *image.Gray:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:w]
			o := out.Row(y)
			for x, v := range in {
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:2*w]
			o := out.Row(y)
			for x := range w {
				v := to8(uint16(in[2*x])<<8 | uint16(in[2*x+1]))
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		}
	case *image.RGBA:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:4*w]
			o := out.Row(y)
			for x := range w {
				p := in[4*x : 4*x+4]
				a := uint32(p[3])
				if a == 255 || a == 0 {
					o[3*x], o[3*x+1], o[3*x+2] = p[0], p[1], p[2]
					continue
				}
				for c := range 3 {
					o[3*x+c] = uint8(min(255*uint32(p[c])/a, 255))
				}
			}
		}
	case *image.NRGBA:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:4*w]
			o := out.Row(y)
			for x := range w {
				o[3*x], o[3*x+1], o[3*x+2] = in[4*x], in[4*x+1], in[4*x+2]
			}
		}
	case *image.RGBA64:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:8*w]
			o := out.Row(y)
			for x := range w {
				p := in[8*x : 8*x+8]
				a := uint32(p[6])<<8 | uint32(p[7])
				for c := range 3 {
					v := uint32(p[2*c])<<8 | uint32(p[2*c+1])
					if a != 0xffff && a != 0 {
						v = min(0xffff*v/a, 0xffff)
					}
					o[3*x+c] = to8(uint16(v))
				}
			}
		}
	case *image.NRGBA64:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:8*w]
			o := out.Row(y)
			for x := range w {
				for c := range 3 {
					o[3*x+c] = to8(uint16(in[8*x+2*c])<<8 | uint16(in[8*x+2*c+1]))
				}
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range m.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:w]
			o := out.Row(y)
			for x, i := range in {
				p := lut[i]
				o[3*x], o[3*x+1], o[3*x+2] = p[0], p[1], p[2]
			}
		}
	case *image.CMYK:
		for y := range h {
			in := m.Pix[m.PixOffset(r.Min.X, r.Min.Y+y):][:4*w]
			o := out.Row(y)
			for x := range w {
				p := in[4*x : 4*x+4]
				nk := 255 - int32(p[3])
				for c := range 3 {
					o[3*x+c] = clip8(nk - muldiv255(int32(p[c]), nk))
				}
			}
		}
	default:
		return nil, fmt.Errorf("unsupported pixel type %T", src)
	}
	return out, nil
}

// to8 scales a 16-bit sample to 8 bits: round(v/257).
func to8(v uint16) uint8 { return uint8((uint32(v)*255 + 32767) / 65535) }

// muldiv255 is PIL's MULDIV255: a·b/255 rounded, for a, b in [0, 255].
func muldiv255(a, b int32) int32 {
	t := a*b + 128
	return ((t >> 8) + t) >> 8
}

// clip8 clamps to [0, 255].
func clip8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// libjpeg's YCbCr→RGB tables (jdcolor.c): 16-bit fixed point, rounded.
var ycc struct {
	crR, cbB, crG, cbG [256]int32
}

func init() {
	const scaleBits = 16
	const half = 1 << (scaleBits - 1)
	fix := func(x float64) int32 { return int32(x*(1<<scaleBits) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		ycc.crR[i] = (fix(1.40200)*x + half) >> scaleBits
		ycc.cbB[i] = (fix(1.77200)*x + half) >> scaleBits
		ycc.crG[i] = -fix(0.71414) * x
		ycc.cbG[i] = -fix(0.34414)*x + half
	}
}

// jpegYCbCrToRGB upsamples the chroma planes of m as libjpeg-turbo does by
// default (do_fancy_upsampling) and converts with libjpeg's tables. The
// loops are written so that the compiler can drop per-pixel bounds checks:
// every slice is cut to its exact length first, and the clamp to [0, 255]
// is a load from clampTab, whose index can never be out of range.
func jpegYCbCrToRGB(m *image.YCbCr, out *Image) {
	w, h := out.W, out.H
	cb := make([]uint8, w)
	cr := make([]uint8, w)
	up := newChromaUpsampler(m, w, h)
	for y := range h {
		up.row(m.Cb, y, cb)
		up.row(m.Cr, y, cr)
		yRow := m.Y[m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y):][:w]
		yccRow(out.Row(y)[:3*w], yRow, cb[:w], cr[:w])
	}
}

// clampBias offsets a converted value (at least −256, below 768 for any
// Y, Cb, Cr) into clampTab, which holds it clamped to [0, 255].
const clampBias = 256

var clampTab [1024]uint8

func init() {
	for i := range clampTab {
		clampTab[i] = clip8(int32(i - clampBias))
	}
}

// yccRow converts one row with libjpeg's tables; cb and cr are as long as
// yRow and o three times as long.
func yccRow(o, yRow, cb, cr []uint8) {
	cb = cb[:len(yRow)]
	cr = cr[:len(yRow)]
	for x, yv := range yRow {
		Y := int32(yv) + clampBias
		b, r := cb[x], cr[x]
		p := o[3*x : 3*x+3 : 3*x+3]
		p[0] = clampTab[uint32(Y+ycc.crR[r])&1023]
		p[1] = clampTab[uint32(Y+(ycc.cbG[b]+ycc.crG[r])>>16)&1023]
		p[2] = clampTab[uint32(Y+ycc.cbB[b])&1023]
	}
}

// chromaUpsampler produces full-resolution rows of a subsampled chroma plane.
type chromaUpsampler struct {
	m      *image.YCbCr
	base   int  // offset of the first chroma sample
	cw, ch int  // size of the chroma plane that holds image data
	hx, vy int  // horizontal and vertical subsampling factors
	fancy  bool // libjpeg's triangle filter (2× factors only) rather than replication
}

func newChromaUpsampler(m *image.YCbCr, w, h int) *chromaUpsampler {
	u := &chromaUpsampler{m: m, hx: 1, vy: 1}
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		u.hx = 2
	case image.YCbCrSubsampleRatio420:
		u.hx, u.vy = 2, 2
	case image.YCbCrSubsampleRatio440:
		u.vy = 2
	case image.YCbCrSubsampleRatio411:
		u.hx = 4
	case image.YCbCrSubsampleRatio410:
		u.hx, u.vy = 4, 2
	}
	u.cw = (w + u.hx - 1) / u.hx
	u.ch = (h + u.vy - 1) / u.vy
	// libjpeg (jdsample.c) uses the triangle filter for 2h1v, 1h2v and 2h2v,
	// for the 2h cases only when the chroma row is wider than 2 samples;
	// 4h cases are replicated (and 1h1v needs nothing).
	u.fancy = (u.hx == 2 && u.cw > 2) || (u.hx == 1 && u.vy == 2)
	u.base = m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	return u
}

// chromaRow returns chroma row cy (clamped into the plane, as libjpeg
// replicates edge rows).
func (u *chromaUpsampler) chromaRow(plane []uint8, cy int) []uint8 {
	cy = min(max(cy, 0), u.ch-1)
	off := u.base + cy*u.m.CStride
	return plane[off : off+u.cw]
}

// row writes the chroma values of image row y into dst (length w).
func (u *chromaUpsampler) row(plane []uint8, y int, dst []uint8) {
	cy := y / u.vy
	near := u.chromaRow(plane, cy)
	if !u.fancy {
		if u.hx == 1 {
			copy(dst, near)
			return
		}
		for x := range dst {
			dst[x] = near[x/u.hx]
		}
		return
	}
	if u.vy == 1 { // h2v1: 3/4 nearer + 1/4 further sample, biases 1 and 2
		h2Row(dst, near, near, 1, 0, 1, 2, 2)
		return
	}
	// Vertical step: the nearer chroma row ×3 plus the further one (above
	// for even rows, below for odd rows).
	farY := cy - 1
	if y%2 == 1 {
		farY = cy + 1
	}
	far := u.chromaRow(plane, farY)
	if u.hx == 1 { // h1v2: (3·near + far + bias) / 4 with bias 1 above, 2 below
		bias := int32(1)
		if y%2 == 1 {
			bias = 2
		}
		dst = dst[:len(near)]
		far = far[:len(near)]
		for x, c := range near {
			dst[x] = uint8((3*int32(c) + int32(far[x]) + bias) >> 2)
		}
		return
	}
	// h2v2: then horizontally 3/4 + 1/4 of the column sums 3·near + far,
	// biases 8 and 7.
	h2Row(dst, near, far, 3, 1, 8, 7, 4)
}

// h2Row is libjpeg's horizontal triangle filter over the column values
// s[i] = a·near[i] + b·far[i]: output 2i is (3·s[i] + s[i−1] + even) >> shift
// and output 2i+1 is (3·s[i] + s[i+1] + odd) >> shift, with the edge
// samples repeated. The column values are computed as the loop reaches
// them and kept in registers. dst holds 2·len(near) or 2·len(near)−1
// values; len(near) ≥ 2 and far is as long as near.
func h2Row(dst, near, far []uint8, a, b, even, odd int32, shift uint) {
	n := len(near)
	far = far[:n]
	prev := a*int32(near[0]) + b*int32(far[0])
	cur := prev
	for i := 0; i < n-1; i++ {
		next := a*int32(near[i+1]) + b*int32(far[i+1])
		c3 := 3 * cur
		d := dst[2*i : 2*i+2 : 2*i+2]
		d[0] = uint8((c3 + prev + even) >> shift)
		d[1] = uint8((c3 + next + odd) >> shift)
		prev, cur = cur, next
	}
	c3 := 3 * cur
	dst[2*n-2] = uint8((c3 + prev + even) >> shift)
	if len(dst) > 2*n-1 {
		dst[2*n-1] = uint8((c3 + cur + odd) >> shift)
	}
}

// webpToRGB converts the output of golang.org/x/image/webp. Lossy WebP is
// limited-range BT.601 YCbCr (Y in 16…235); libwebp converts it with 14-bit
// fixed-point constants (dsp/yuv.h), reproduced here. Chroma is upsampled
// with the same 9-3-3-1 triangle filter libwebp's "fancy upsampler" uses
// (libjpeg's rounding biases, which differ from libwebp's by at most one
// level at a few pixels). Lossless WebP decodes to NRGBA.
func webpToRGB(src image.Image) (*Image, error) {
	var m *image.YCbCr
	switch s := src.(type) {
	case *image.YCbCr:
		m = s
	case *image.NYCbCrA:
		m = &s.YCbCr
	default:
		return toRGB(src)
	}
	r := m.Rect
	w, h := r.Dx(), r.Dy()
	out := NewImage(w, h, 3)
	mulHi := func(v, coeff int32) int32 { return (v * coeff) >> 8 }
	clip := func(v int32) uint8 {
		if v&^16383 == 0 {
			return uint8(v >> 6)
		}
		if v < 0 {
			return 0
		}
		return 255
	}
	cb := make([]uint8, w)
	cr := make([]uint8, w)
	up := newChromaUpsampler(m, w, h)
	for y := range h {
		up.row(m.Cb, y, cb)
		up.row(m.Cr, y, cr)
		yRow := m.Y[m.YOffset(r.Min.X, r.Min.Y+y):][:w]
		o := out.Row(y)
		for x, yv := range yRow {
			yy, u, v := int32(yv), int32(cb[x]), int32(cr[x])
			o[3*x] = clip(mulHi(yy, 19077) + mulHi(v, 26149) - 14234)
			o[3*x+1] = clip(mulHi(yy, 19077) - mulHi(u, 6419) - mulHi(v, 13320) + 8708)
			o[3*x+2] = clip(mulHi(yy, 19077) + mulHi(u, 33050) - 17685)
		}
	}
	return out, nil
}

package dataset

// Geometric pixel operations on 8-bit images, with PIL's semantics: crop
// (regions outside the image are black), flips, the eight transpositions,
// and rotation by an arbitrary angle with nearest-neighbour sampling
// (PIL's Image.rotate, whose affine engine works in 16.16 fixed point).

import (
	"math"
	"strconv"
)

// crop returns the w×h region whose top-left corner is (left, top); parts
// outside m are black, as in PIL's Image.crop.
func crop(m *Image, left, top, w, h int) *Image {
	out := NewImage(w, h, m.C)
	x0, x1 := max(left, 0), min(left+w, m.W)
	if x0 >= x1 {
		return out
	}
	for y := max(top, 0); y < min(top+h, m.H); y++ {
		copy(out.Row(y - top)[(x0-left)*m.C:], m.Row(y)[x0*m.C:x1*m.C])
	}
	return out
}

// flipLeftRight mirrors the image horizontally.
func flipLeftRight(m *Image) *Image {
	out := NewImage(m.W, m.H, m.C)
	c := m.C
	for y := range m.H {
		in, o := m.Row(y), out.Row(y)
		for x := range m.W {
			copy(o[x*c:(x+1)*c], in[(m.W-1-x)*c:])
		}
	}
	return out
}

// flipTopBottom mirrors the image vertically.
func flipTopBottom(m *Image) *Image {
	out := NewImage(m.W, m.H, m.C)
	for y := range m.H {
		copy(out.Row(y), m.Row(m.H-1-y))
	}
	return out
}

// transposeKind names one of PIL's Transpose operations that move whole
// pixels without resampling.
type transposeKind int

const (
	rotate90      transposeKind = iota // counter-clockwise
	rotate180                          //
	rotate270                          // counter-clockwise, i.e. 90° clockwise
	transposeDiag                      // mirror across the main diagonal
	transverse                         // mirror across the other diagonal
)

// transpose applies k. Output pixel (x, y) comes from source column sx,
// row sy, as listed in the switch.
func transpose(m *Image, k transposeKind) *Image {
	w, h := m.H, m.W
	if k == rotate180 {
		w, h = m.W, m.H
	}
	out := NewImage(w, h, m.C)
	c := m.C
	for y := range h {
		o := out.Row(y)
		for x := range w {
			var sx, sy int
			switch k {
			case rotate90:
				sx, sy = m.W-1-y, x
			case rotate180:
				sx, sy = m.W-1-x, m.H-1-y
			case rotate270:
				sx, sy = y, m.H-1-x
			case transposeDiag:
				sx, sy = y, x
			default:
				sx, sy = m.W-1-y, m.H-1-x
			}
			copy(o[x*c:(x+1)*c], m.Pix[(sy*m.W+sx)*c:])
		}
	}
	return out
}

// round15 is Python's round(v, 15): v rounded to 15 decimal places, correctly
// (both Python and strconv round the exact binary value half-to-even).
func round15(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 15, 64), 64)
	return r
}

// rotateNearest rotates m counter-clockwise by angle degrees about its
// centre, keeping its size, with nearest-neighbour sampling; pixels that come
// from outside the image get fill (one value per channel). It follows PIL's
// Image.rotate(angle, NEAREST, expand=False, fillcolor=fill) step by step:
// exact transposes for multiples of 90° where the size allows, otherwise the
// inverse affine matrix with cos/sin rounded to 15 decimals, evaluated in
// 16.16 fixed point from pixel centres (Geometry.c's affine_fixed).
func rotateNearest(m *Image, angle float64, fill []uint8) *Image {
	angle = math.Mod(angle, 360)
	if angle < 0 {
		angle += 360
	}
	switch {
	case angle == 0:
		return m.Clone()
	case angle == 180:
		return transpose(m, rotate180)
	case angle == 90 && m.W == m.H:
		return transpose(m, rotate90)
	case angle == 270 && m.W == m.H:
		return transpose(m, rotate270)
	}
	cx, cy := float64(m.W)/2, float64(m.H)/2
	rad := -(angle * (math.Pi / 180))
	cos, sin := round15(math.Cos(rad)), round15(math.Sin(rad))
	a := [6]float64{cos, sin, 0, -sin, cos, 0}
	// Translation so that the centre maps to itself (products kept apart by
	// explicit conversions so the compiler cannot fuse them into an FMA,
	// which Python's arithmetic does not do).
	a[2] = float64(a[0]*-cx) + float64(a[1]*-cy) + cx
	a[5] = float64(a[3]*-cx) + float64(a[4]*-cy) + cy

	out := NewImage(m.W, m.H, m.C)
	c := m.C
	for i := 0; i < len(out.Pix); i += c {
		copy(out.Pix[i:i+c], fill)
	}
	if a[1] == 0 && a[3] == 0 { // sin rounded to zero: a pure reflection or identity
		if a[0] > 0 {
			return m.Clone()
		}
		return transpose(m, rotate180)
	}
	fits := func(x, y float64) bool {
		return math.Abs(float64(x*a[0])+float64(y*a[1])+a[2]) < 32768 &&
			math.Abs(float64(x*a[3])+float64(y*a[4])+a[5]) < 32768
	}
	W, H := float64(m.W), float64(m.H)
	if fits(0, 0) && fits(W, H) && fits(0, H) && fits(W, 0) {
		fix := func(v float64) int { return int(math.Floor(float64(v*65536) + 0.5)) }
		a0, a1, a3, a4 := fix(a[0]), fix(a[1]), fix(a[3]), fix(a[4])
		a2 := fix(a[2] + float64(a[0]*0.5) + float64(a[1]*0.5))
		a5 := fix(a[5] + float64(a[3]*0.5) + float64(a[4]*0.5))
		for y := range m.H {
			xx, yy := a2, a5
			o := out.Row(y)
			for x := range m.W {
				if xin := xx >> 16; xin >= 0 && xin < m.W {
					if yin := yy >> 16; yin >= 0 && yin < m.H {
						copy(o[x*c:(x+1)*c], m.Pix[(yin*m.W+xin)*c:])
					}
				}
				xx += a0
				yy += a3
			}
			a2 += a1
			a5 += a4
		}
		return out
	}
	// Images too large for 16.16 fixed point: the same walk in float64.
	coord := func(v float64) int {
		if v < 0 {
			return -1
		}
		return int(v)
	}
	xo := a[2] + float64(a[1]*0.5) + float64(a[0]*0.5)
	yo := a[5] + float64(a[4]*0.5) + float64(a[3]*0.5)
	for y := range m.H {
		xx, yy := xo, yo
		o := out.Row(y)
		for x := range m.W {
			if xin := coord(xx); xin >= 0 && xin < m.W {
				if yin := coord(yy); yin >= 0 && yin < m.H {
					copy(o[x*c:(x+1)*c], m.Pix[(yin*m.W+xin)*c:])
				}
			}
			xx += a[0]
			yy += a[3]
		}
		xo += a[1]
		yo += a[4]
	}
	return out
}

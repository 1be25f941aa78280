package dataset

// Colour operations with PIL's arithmetic, as torchvision's PIL path uses
// them: grayscale by ITU-R 601-2 luma in 16-bit fixed point (Convert.c's
// L24), brightness/contrast/saturation as Image.blend between the image and
// a "degenerate" image (black, mean gray, grayscale) in float32 with
// truncation (Blend.c), and hue through PIL's 8-bit HSV conversion
// (Convert.c's rgb2hsv/hsv2rgb) with the hue channel shifted modulo 256.

import (
	"fmt"
)

// luma is PIL's L24: (19595·R + 38470·G + 7471·B + 2^15) >> 16.
func luma(r, g, b uint8) uint8 {
	return uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(b)*7471 + 0x8000) >> 16)
}

// ToGray returns the image converted to gray with the given number of
// channels (1, or 3 identical ones), like torchvision's rgb_to_grayscale
// (PIL convert("L")). A gray image stays as it is.
func ToGray(m *Image, channels int) *Image {
	if channels != 1 && channels != 3 {
		panic(fmt.Sprintf("dataset.ToGray: channels must be 1 or 3, got %d", channels))
	}
	out := NewImage(m.W, m.H, channels)
	n := m.W * m.H
	for i := range n {
		var v uint8
		if m.C == 1 {
			v = m.Pix[i]
		} else {
			v = luma(m.Pix[3*i], m.Pix[3*i+1], m.Pix[3*i+2])
		}
		for c := range channels {
			out.Pix[i*channels+c] = v
		}
	}
	return out
}

// blend is PIL's Image.blend(im1, im2, alpha): im1 + alpha·(im2 − im1) in
// float32, truncated (and clipped when alpha is outside [0, 1]).
func blend(im1, im2 *Image, alpha float32) *Image {
	switch alpha {
	case 0:
		return im1.Clone()
	case 1:
		return im2.Clone()
	}
	out := NewImage(im2.W, im2.H, im2.C)
	inside := alpha >= 0 && alpha <= 1
	for i, b := range im2.Pix {
		a := im1.Pix[i]
		v := float32(a) + float32(alpha*float32(int32(b)-int32(a)))
		switch {
		case inside:
			out.Pix[i] = uint8(v)
		case v <= 0:
			out.Pix[i] = 0
		case v >= 255:
			out.Pix[i] = 255
		default:
			out.Pix[i] = uint8(v)
		}
	}
	return out
}

// blendConst is blend(im1, im2, alpha) for a uniform im1 of value c: every
// output depends on the im2 value alone, so one 256-entry table computed
// with blend's arithmetic gives the same pixels.
func blendConst(c uint8, m *Image, alpha float32) *Image {
	var deg, all [256]uint8
	for i := range all {
		all[i] = uint8(i)
		deg[i] = c
	}
	var lut [256]uint8 // an array indexed by a byte needs no bounds check
	copy(lut[:], blend(&Image{W: 256, H: 1, C: 1, Pix: deg[:]}, &Image{W: 256, H: 1, C: 1, Pix: all[:]}, alpha).Pix)
	out := NewImage(m.W, m.H, m.C)
	dst := out.Pix[:len(m.Pix)]
	for i, v := range m.Pix {
		dst[i] = lut[v]
	}
	return out
}

// AdjustBrightness scales pixel values by factor (0 gives black, 1 the
// original), like torchvision's adjust_brightness (PIL ImageEnhance.Brightness:
// a blend with a black image).
func AdjustBrightness(m *Image, factor float64) *Image {
	return blendConst(0, m, float32(factor))
}

// AdjustContrast blends with a uniform image at the mean gray level
// (0 gives that gray, 1 the original), like torchvision's adjust_contrast
// (PIL ImageEnhance.Contrast: mean of the "L" image, rounded).
func AdjustContrast(m *Image, factor float64) *Image {
	var sum uint64
	if m.C == 1 {
		for _, v := range m.Pix {
			sum += uint64(v)
		}
	} else {
		for i := 0; i < len(m.Pix); i += 3 {
			sum += uint64(luma(m.Pix[i], m.Pix[i+1], m.Pix[i+2]))
		}
	}
	mean := uint8(int(float64(sum)/float64(max(m.W*m.H, 1)) + 0.5))
	return blendConst(mean, m, float32(factor))
}

// AdjustSaturation blends with the grayscale image (0 gives gray, 1 the
// original), like torchvision's adjust_saturation (PIL ImageEnhance.Color).
// Gray images are returned unchanged.
func AdjustSaturation(m *Image, factor float64) *Image {
	if m.C == 1 {
		return m.Clone()
	}
	return blend(ToGray(m, 3), m, float32(factor))
}

// AdjustHue rotates the hue by factor·360° (factor in [−0.5, 0.5]) like
// torchvision's adjust_hue on PIL images: convert to PIL's 8-bit HSV, add
// uint8(factor·255) to H modulo 256, convert back. Gray images are returned
// unchanged.
func AdjustHue(m *Image, factor float64) *Image {
	if factor < -0.5 || factor > 0.5 {
		panic(fmt.Sprintf("dataset.AdjustHue: factor %v is not in [-0.5, 0.5]", factor))
	}
	if m.C == 1 {
		return m.Clone()
	}
	shift := uint8(int(factor * 255)) // numpy's uint8 cast: truncate, wrap
	out := NewImage(m.W, m.H, 3)
	for i := 0; i < len(m.Pix); i += 3 {
		h, s, v := rgbToHSV(m.Pix[i], m.Pix[i+1], m.Pix[i+2])
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = hsvToRGB(h+shift, s, v)
	}
	return out
}

// rgbToHSV is Convert.c's rgb2hsv_row, with its mix of float32 variables and
// float64 constants.
func rgbToHSV(r, g, b uint8) (uint8, uint8, uint8) {
	maxc := max(r, g, b)
	minc := min(r, g, b)
	if maxc == minc {
		return 0, 0, maxc
	}
	cr := float32(maxc - minc)
	s := cr / float32(maxc)
	rc := float32(maxc-r) / cr
	gc := float32(maxc-g) / cr
	bc := float32(maxc-b) / cr
	var h float32
	switch {
	case r == maxc:
		h = bc - gc
	case g == maxc:
		h = float32(2.0 + float64(rc) - float64(bc))
	default:
		h = float32(4.0 + float64(gc) - float64(rc))
	}
	// fmod(h/6 + 1, 1): the argument is in (0, 2), where subtracting 1 is
	// exact, so this equals the C library's fmod bit for bit.
	hh := float64(h)/6.0 + 1.0
	if hh >= 1 {
		hh--
	}
	h = float32(hh)
	return clip8(int32(float64(h) * 255.0)), clip8(int32(float64(s) * 255.0)), maxc
}

// roundHalfAway is C's round() for x ≥ 0 (x − trunc(x) is exact, so this
// matches it bit for bit, and is cheaper than math.Round).
func roundHalfAway(x float64) int32 {
	i := int32(x)
	if x-float64(i) >= 0.5 {
		i++
	}
	return i
}

// hsvToRGB is Convert.c's hsv2rgb.
func hsvToRGB(h, s, v uint8) (uint8, uint8, uint8) {
	if s == 0 {
		return v, v, v
	}
	h6 := float64(h) * 6.0 / 255.0
	i := int(h6) // floor: h6 ≥ 0
	f := float32(h6 - float64(float32(i)))
	fs := float32(float64(s) / 255.0)
	fv := float64(v)
	p := clip8(roundHalfAway(fv * (1.0 - float64(fs))))
	q := clip8(roundHalfAway(fv * (1.0 - float64(fs*f))))
	t := clip8(roundHalfAway(fv * (1.0 - float64(float64(fs)*(1.0-float64(f))))))
	switch i % 6 {
	case 0:
		return v, t, p
	case 1:
		return q, v, p
	case 2:
		return p, v, t
	case 3:
		return p, q, v
	case 4:
		return t, p, v
	}
	return v, p, q
}

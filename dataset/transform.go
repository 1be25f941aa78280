package dataset

// Transforms: composable steps with torchvision's names and behaviour.
//
// A Transform maps a Value (an 8-bit Image before ToTensor, a Float after
// it) to a new Value, drawing any randomness from the *rand.Rand it is
// given. The loader hands each sample a generator seeded from (seed, epoch,
// sample index), so the same sample gets the same augmentation in the same
// epoch whatever the number of workers. Deterministic transforms ignore the
// generator (it may be nil).
//
// The functions without "Random" in their name (ResizeImage, CenterCropImage,
// ResizedCrop, AdjustBrightness, RotateImage …) are the deterministic
// building blocks, like torchvision.transforms.functional.

import (
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"strings"
)

// Transform is one step of a preprocessing pipeline.
type Transform interface {
	Apply(v Value, rng *rand.Rand) Value
	String() string
}

// composed runs its steps in order.
type composed []Transform

// Compose chains transforms, like torchvision's transforms.Compose.
func Compose(ts ...Transform) Transform { return composed(ts) }

func (c composed) Apply(v Value, rng *rand.Rand) Value {
	for i := 0; i < len(c); i++ {
		// Resize then CenterCrop or RandomResizedCrop: resample only the
		// pixels the crop keeps (the same pixels, computed with less work).
		if r, ok := c[i].(resize); ok && i+1 < len(c) && v.Image != nil {
			switch next := c[i+1].(type) {
			case centerCrop:
				if out := r.applyCropped(v.Image, next); out != nil {
					v = Value{Image: out}
					i++
					continue
				}
			case randomResizedCrop:
				v = Value{Image: r.applyRandomResizedCrop(v.Image, next, rng)}
				i++
				continue
			}
		}
		v = c[i].Apply(v, rng)
	}
	return v
}

func (c composed) String() string {
	parts := make([]string, len(c))
	for i, t := range c {
		parts[i] = t.String()
	}
	return "Compose(" + strings.Join(parts, ", ") + ")"
}

// ShorterSide returns the size (w, h) that torchvision's Resize(size) gives
// an image of w0×h0: the shorter side becomes size and the longer one
// int(size·long/short), truncated.
func ShorterSide(w0, h0, size int) (w, h int) {
	if w0 <= h0 {
		return size, int(float64(size) * float64(h0) / float64(w0))
	}
	return int(float64(size) * float64(w0) / float64(h0)), size
}

type resize struct {
	size, h, w int // size > 0: shorter side; otherwise exactly h×w
	ip         Interpolation
}

// Resize scales the shorter side to size keeping the aspect ratio
// (torchvision Resize(size, interpolation)), with PIL's resampling.
func Resize(size int, ip Interpolation) Transform {
	if size <= 0 {
		panic(fmt.Sprintf("dataset.Resize: size %d must be positive", size))
	}
	return resize{size: size, ip: ip}
}

// ResizeTo scales to exactly h×w (torchvision Resize((h, w))).
func ResizeTo(h, w int, ip Interpolation) Transform {
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("dataset.ResizeTo: size %d×%d must be positive", h, w))
	}
	return resize{h: h, w: w, ip: ip}
}

func (r resize) outSize(m *Image) (w, h int) {
	if r.size > 0 {
		return ShorterSide(m.W, m.H, r.size)
	}
	return r.w, r.h
}

func (r resize) Apply(v Value, _ *rand.Rand) Value {
	m := v.mustImage("Resize")
	w, h := r.outSize(m)
	return Value{Image: ResizeImage(m, w, h, r.ip)}
}

// applyCropped resizes and centre-crops in one step when the crop lies
// inside the resized image, and returns nil otherwise.
func (r resize) applyCropped(m *Image, cc centerCrop) *Image {
	w, h := r.outSize(m)
	if cc.w > w || cc.h > h {
		return nil
	}
	top := roundHalfEven(float64(h-cc.h) / 2)
	left := roundHalfEven(float64(w-cc.w) / 2)
	return resizeWindow(m, w, h, r.ip, image.Rect(left, top, left+cc.w, top+cc.h))
}

func (r resize) String() string {
	if r.size > 0 {
		return fmt.Sprintf("Resize(%d, %v)", r.size, r.ip)
	}
	return fmt.Sprintf("Resize((%d, %d), %v)", r.h, r.w, r.ip)
}

// roundHalfEven is Python 3's round() for floats.
func roundHalfEven(x float64) int { return int(math.RoundToEven(x)) }

// CenterCropImage crops the central h×w region like torchvision's
// center_crop: an image smaller than the crop is first padded with black
// (left/top get the smaller half), and the offsets are
// round((H − h) / 2) with Python's round-half-to-even.
func CenterCropImage(m *Image, h, w int) *Image {
	if w > m.W || h > m.H {
		padL, padT := 0, 0
		if w > m.W {
			padL = (w - m.W) / 2
		}
		if h > m.H {
			padT = (h - m.H) / 2
		}
		pw, ph := m.W+max(w-m.W, 0), m.H+max(h-m.H, 0)
		m = crop(m, -padL, -padT, pw, ph)
		if pw == w && ph == h {
			return m
		}
	}
	top := roundHalfEven(float64(m.H-h) / 2)
	left := roundHalfEven(float64(m.W-w) / 2)
	return crop(m, left, top, w, h)
}

type centerCrop struct{ h, w int }

// CenterCrop crops the central h×w region (torchvision CenterCrop).
func CenterCrop(h, w int) Transform {
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("dataset.CenterCrop: size %d×%d must be positive", h, w))
	}
	return centerCrop{h, w}
}

func (c centerCrop) Apply(v Value, _ *rand.Rand) Value {
	return Value{Image: CenterCropImage(v.mustImage("CenterCrop"), c.h, c.w)}
}

// applyRandomResizedCrop is Resize followed by RandomResizedCrop, drawing
// the crop from the same generator in the same order, but resizing only
// the cropped region.
func (r resize) applyRandomResizedCrop(m *Image, rrc randomResizedCrop, rng *rand.Rand) *Image {
	w, h := r.outSize(m)
	p := rrc.Params(w, h, rng)
	region := resizeWindow(m, w, h, r.ip, image.Rect(p.Left, p.Top, p.Left+p.W, p.Top+p.H))
	return ResizeImage(region, rrc.w, rrc.h, rrc.ip)
}

func (c centerCrop) String() string { return fmt.Sprintf("CenterCrop(%d, %d)", c.h, c.w) }

// ResizedCrop crops the h×w region at (top, left) and resizes it to
// outH×outW, like torchvision's resized_crop (PIL crop, then resize).
func ResizedCrop(m *Image, top, left, h, w, outH, outW int, ip Interpolation) *Image {
	return ResizeImage(crop(m, left, top, w, h), outW, outH, ip)
}

// CropParams is the region RandomResizedCrop chose.
type CropParams struct{ Top, Left, H, W int }

type randomResizedCrop struct {
	h, w         int
	scale, ratio [2]float64
	ip           Interpolation
}

// DefaultCropScale and DefaultCropRatio are torchvision's RandomResizedCrop
// defaults: 8%–100% of the area, aspect ratio 3/4–4/3.
var (
	DefaultCropScale = [2]float64{0.08, 1}
	DefaultCropRatio = [2]float64{3.0 / 4, 4.0 / 3}
)

// RandomResizedCrop crops a random region covering a fraction in scale of
// the image area with an aspect ratio (log-uniform) in ratio, and resizes it
// to h×w (torchvision RandomResizedCrop).
func RandomResizedCrop(h, w int, scale, ratio [2]float64, ip Interpolation) Transform {
	if h <= 0 || w <= 0 || scale[0] > scale[1] || ratio[0] > ratio[1] || scale[0] < 0 || ratio[0] <= 0 {
		panic(fmt.Sprintf("dataset.RandomResizedCrop: invalid size %d×%d, scale %v or ratio %v", h, w, scale, ratio))
	}
	return randomResizedCrop{h, w, scale, ratio, ip}
}

// Params draws a crop for an image of width×height exactly as torchvision's
// RandomResizedCrop.get_params does: up to ten tries of (area, log-ratio),
// then a central crop clamped to the ratio range.
func (r randomResizedCrop) Params(width, height int, rng *rand.Rand) CropParams {
	area := float64(height * width)
	logLo, logHi := math.Log(r.ratio[0]), math.Log(r.ratio[1])
	for range 10 {
		target := area * uniform(rng, r.scale[0], r.scale[1])
		aspect := math.Exp(uniform(rng, logLo, logHi))
		w := roundHalfEven(math.Sqrt(target * aspect))
		h := roundHalfEven(math.Sqrt(target / aspect))
		if 0 < w && w <= width && 0 < h && h <= height {
			top := rng.IntN(height - h + 1)
			left := rng.IntN(width - w + 1)
			return CropParams{top, left, h, w}
		}
	}
	inRatio := float64(width) / float64(height)
	w, h := width, height
	switch {
	case inRatio < r.ratio[0]:
		h = roundHalfEven(float64(w) / r.ratio[0])
	case inRatio > r.ratio[1]:
		w = roundHalfEven(float64(h) * r.ratio[1])
	}
	return CropParams{(height - h) / 2, (width - w) / 2, h, w}
}

func (r randomResizedCrop) Apply(v Value, rng *rand.Rand) Value {
	m := v.mustImage("RandomResizedCrop")
	p := r.Params(m.W, m.H, rng)
	return Value{Image: ResizedCrop(m, p.Top, p.Left, p.H, p.W, r.h, r.w, r.ip)}
}

func (r randomResizedCrop) String() string {
	return fmt.Sprintf("RandomResizedCrop((%d, %d), scale=%v, ratio=%v, %v)", r.h, r.w, r.scale, r.ratio, r.ip)
}

// uniform draws from [lo, hi).
func uniform(rng *rand.Rand, lo, hi float64) float64 { return lo + (hi-lo)*rng.Float64() }

type randomHorizontalFlip struct{ p float64 }

// RandomHorizontalFlip mirrors the image left-right with probability p
// (torchvision RandomHorizontalFlip). It works before or after ToTensor.
func RandomHorizontalFlip(p float64) Transform { return randomHorizontalFlip{p} }

func (f randomHorizontalFlip) Apply(v Value, rng *rand.Rand) Value {
	if rng.Float64() >= f.p {
		return v
	}
	if v.Image != nil {
		return Value{Image: flipLeftRight(v.Image)}
	}
	return Value{Float: flipFloat(v.Float)}
}

func (f randomHorizontalFlip) String() string { return fmt.Sprintf("RandomHorizontalFlip(p=%v)", f.p) }

// flipFloat mirrors a CHW float image left-right.
func flipFloat(t *Float) *Float {
	out := &Float{C: t.C, H: t.H, W: t.W, Data: make([]float32, len(t.Data))}
	for r := 0; r < t.C*t.H; r++ {
		in, o := t.Data[r*t.W:(r+1)*t.W], out.Data[r*t.W:(r+1)*t.W]
		for x := range o {
			o[x] = in[t.W-1-x]
		}
	}
	return out
}

// HFlip mirrors an image left-right (torchvision hflip).
func HFlip(m *Image) *Image { return flipLeftRight(m) }

// RotateImage rotates counter-clockwise by angle degrees about the centre,
// keeping the size, nearest-neighbour, filling uncovered pixels with fill,
// like torchvision's rotate on PIL images: no fill is black, one value fills
// every channel (torchvision's number fill), otherwise there must be one
// value per channel (torchvision raises for any other count; this panics).
func RotateImage(m *Image, angle float64, fill ...uint8) *Image {
	return rotateNearest(m, angle, fillColor(fill, m.C))
}

// fillColor expands a fill to one value per channel as torchvision's
// _parse_fill does: none is 0, one value is repeated, c values are kept.
func fillColor(fill []uint8, c int) []uint8 {
	f := make([]uint8, c)
	switch len(fill) {
	case 0:
	case 1:
		for i := range f {
			f[i] = fill[0]
		}
	case c:
		copy(f, fill)
	default:
		panic(fmt.Sprintf("dataset.RotateImage: %d fill values for a %d-channel image (give 1 or %d)", len(fill), c, c))
	}
	return f
}

type randomRotation struct {
	lo, hi float64
	fill   []uint8
}

// RandomRotation rotates by an angle drawn uniformly from [−degrees,
// degrees] (torchvision RandomRotation(degrees), nearest, no expand), with
// fill as RotateImage takes it: none for black, one value for every
// channel, or one per channel.
func RandomRotation(degrees float64, fill ...uint8) Transform {
	if degrees < 0 {
		panic(fmt.Sprintf("dataset.RandomRotation: degrees %v must be non-negative", degrees))
	}
	if len(fill) > 1 && len(fill) != 3 {
		panic(fmt.Sprintf("dataset.RandomRotation: %d fill values (give 1, or 3 for RGB)", len(fill)))
	}
	return randomRotation{-degrees, degrees, fill}
}

func (r randomRotation) Apply(v Value, rng *rand.Rand) Value {
	m := v.mustImage("RandomRotation")
	return Value{Image: RotateImage(m, uniform(rng, r.lo, r.hi), r.fill...)}
}

func (r randomRotation) String() string { return fmt.Sprintf("RandomRotation(%v)", r.hi) }

// JitterParams is one draw of ColorJitter: the order of the four
// adjustments (0 brightness, 1 contrast, 2 saturation, 3 hue) and their
// factors. A factor is used only when its Use flag is set.
type JitterParams struct {
	Order                                 [4]int
	Brightness, Contrast, Saturation, Hue float64
	UseB, UseC, UseS, UseH                bool
}

type colorJitter struct {
	b, c, s                [2]float64
	h                      [2]float64
	useB, useC, useS, useH bool
}

// ColorJitter randomly changes brightness, contrast and saturation by
// factors drawn from [max(0, 1−x), 1+x] and hue by a shift drawn from
// [−hue, hue] (hue ≤ 0.5), applied in a random order, like torchvision's
// ColorJitter. A zero argument leaves that property alone.
func ColorJitter(brightness, contrast, saturation, hue float64) Transform {
	if brightness < 0 || contrast < 0 || saturation < 0 || hue < 0 || hue > 0.5 {
		panic(fmt.Sprintf("dataset.ColorJitter: invalid brightness %v, contrast %v, saturation %v or hue %v", brightness, contrast, saturation, hue))
	}
	around1 := func(x float64) [2]float64 { return [2]float64{max(0, 1-x), 1 + x} }
	return colorJitter{
		b: around1(brightness), c: around1(contrast), s: around1(saturation), h: [2]float64{-hue, hue},
		useB: brightness > 0, useC: contrast > 0, useS: saturation > 0, useH: hue > 0,
	}
}

// Params draws the order and factors as torchvision's ColorJitter.get_params.
func (j colorJitter) Params(rng *rand.Rand) JitterParams {
	var p JitterParams
	copy(p.Order[:], rng.Perm(4))
	p.UseB, p.UseC, p.UseS, p.UseH = j.useB, j.useC, j.useS, j.useH
	if j.useB {
		p.Brightness = uniform(rng, j.b[0], j.b[1])
	}
	if j.useC {
		p.Contrast = uniform(rng, j.c[0], j.c[1])
	}
	if j.useS {
		p.Saturation = uniform(rng, j.s[0], j.s[1])
	}
	if j.useH {
		p.Hue = uniform(rng, j.h[0], j.h[1])
	}
	return p
}

// ApplyJitter applies one ColorJitter draw to an image.
func ApplyJitter(m *Image, p JitterParams) *Image {
	for _, fn := range p.Order {
		switch {
		case fn == 0 && p.UseB:
			m = AdjustBrightness(m, p.Brightness)
		case fn == 1 && p.UseC:
			m = AdjustContrast(m, p.Contrast)
		case fn == 2 && p.UseS:
			m = AdjustSaturation(m, p.Saturation)
		case fn == 3 && p.UseH:
			m = AdjustHue(m, p.Hue)
		}
	}
	return m
}

func (j colorJitter) Apply(v Value, rng *rand.Rand) Value {
	return Value{Image: ApplyJitter(v.mustImage("ColorJitter"), j.Params(rng))}
}

func (j colorJitter) String() string {
	return fmt.Sprintf("ColorJitter(brightness=%v, contrast=%v, saturation=%v, hue=%v)", j.b, j.c, j.s, j.h)
}

type grayscale struct{ channels int }

// Grayscale converts to gray with 1 or 3 output channels (torchvision
// Grayscale(num_output_channels)).
func Grayscale(channels int) Transform {
	if channels != 1 && channels != 3 {
		panic(fmt.Sprintf("dataset.Grayscale: channels must be 1 or 3, got %d", channels))
	}
	return grayscale{channels}
}

func (g grayscale) Apply(v Value, _ *rand.Rand) Value {
	return Value{Image: ToGray(v.mustImage("Grayscale"), g.channels)}
}

func (g grayscale) String() string { return fmt.Sprintf("Grayscale(%d)", g.channels) }

// GrayscaleChannels returns the output channels of the first Grayscale
// step of t (t itself, or a step of a Compose at any depth), or 0 when t
// has none: whether a pipeline, rebuilt from its recorded form, turns its
// images gray.
func GrayscaleChannels(t Transform) int {
	switch t := t.(type) {
	case grayscale:
		return t.channels
	case composed:
		for _, step := range t {
			if n := GrayscaleChannels(step); n > 0 {
				return n
			}
		}
	}
	return 0
}

type randomGrayscale struct{ p float64 }

// RandomGrayscale converts to gray (keeping the channel count) with
// probability p (torchvision RandomGrayscale).
func RandomGrayscale(p float64) Transform { return randomGrayscale{p} }

func (g randomGrayscale) Apply(v Value, rng *rand.Rand) Value {
	m := v.mustImage("RandomGrayscale")
	if rng.Float64() >= g.p {
		return v
	}
	return Value{Image: ToGray(m, m.C)}
}

func (g randomGrayscale) String() string { return fmt.Sprintf("RandomGrayscale(p=%v)", g.p) }

type toTensor struct{}

// ToTensor converts an 8-bit HWC image to float32 CHW in [0, 1]
// (torchvision ToTensor: value/255).
func ToTensor() Transform { return toTensor{} }

func (toTensor) Apply(v Value, _ *rand.Rand) Value {
	if v.Float != nil {
		return v
	}
	m := v.Image
	out := &Float{C: m.C, H: m.H, W: m.W, Data: make([]float32, len(m.Pix))}
	imageToCHW(out.Data, m, nil, nil)
	return Value{Float: out}
}

func (toTensor) String() string { return "ToTensor()" }

// imageToCHW writes m into dst in CHW order as value/255, then, when mean
// and std are given, (value − mean[c]) / std[c], all in float32 as
// torchvision's ToTensor followed by Normalize computes it. An 8-bit value
// has 256 possible results per channel, so they are tabulated first (with
// exactly that arithmetic) and each pixel is one table load per channel.
func imageToCHW(dst []float32, m *Image, mean, std []float32) {
	plane := m.W * m.H
	var lut [3][256]float32
	for c := range m.C {
		for v := range 256 {
			x := float32(v) / 255
			if mean != nil {
				x = (x - mean[c]) / std[c]
			}
			lut[c][v] = x
		}
	}
	if m.C == 1 {
		d, pix := dst[:plane], m.Pix[:plane]
		for i, v := range pix {
			d[i] = lut[0][v]
		}
		return
	}
	d0, d1, d2 := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	pix := m.Pix[:3*plane]
	for i := range d0 {
		p := pix[3*i : 3*i+3 : 3*i+3]
		d0[i], d1[i], d2[i] = lut[0][p[0]], lut[1][p[1]], lut[2][p[2]]
	}
}

type normalize struct{ mean, std []float32 }

// Normalize maps each channel to (x − mean[c]) / std[c] (torchvision
// Normalize). It changes the Float it is given in place.
func Normalize(mean, std []float32) Transform {
	if len(mean) != len(std) || len(mean) == 0 {
		panic(fmt.Sprintf("dataset.Normalize: mean %v and std %v must have the same non-zero length", mean, std))
	}
	for _, s := range std {
		if s == 0 {
			panic(fmt.Sprintf("dataset.Normalize: std %v contains zero", std))
		}
	}
	return normalize{mean, std}
}

func (n normalize) Apply(v Value, _ *rand.Rand) Value {
	t := v.mustFloat("Normalize")
	if t.C != len(n.mean) {
		panic(fmt.Sprintf("dataset.Normalize: %d channel means for a %d-channel image", len(n.mean), t.C))
	}
	plane := t.H * t.W
	for c := range t.C {
		d := t.Data[c*plane : (c+1)*plane]
		mc, sc := n.mean[c], n.std[c]
		for i, x := range d {
			d[i] = (x - mc) / sc
		}
	}
	return v
}

func (n normalize) String() string { return fmt.Sprintf("Normalize(mean=%v, std=%v)", n.mean, n.std) }

// Channel statistics used by torchvision's weight presets.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
	HalfMean     = []float32{0.5, 0.5, 0.5}
	HalfStd      = []float32{0.5, 0.5, 0.5}
)

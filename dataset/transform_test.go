package dataset

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func seeded(s uint64) *rand.Rand { return rand.New(rand.NewPCG(s, 99)) }

// within checks that k successes in n trials agree with probability p
// (five standard deviations: a correct implementation fails about once in
// two million runs, a wrong rate of a few percent fails every time).
func within(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(k)-p*float64(n)) > 5*sd {
		t.Errorf("%s: %d of %d, expected %.0f ± %.0f", what, k, n, p*float64(n), 5*sd)
	}
}

func TestRandomFlipAndGrayscaleRates(t *testing.T) {
	img := NewImage(3, 1, 3)
	copy(img.Pix, []uint8{10, 0, 0, 20, 200, 0, 30, 0, 0})
	rng := seeded(1)
	const n = 4000
	flipped, grayed := 0, 0
	for range n {
		if RandomHorizontalFlip(0.3).Apply(Value{Image: img}, rng).Image.Pix[0] == 30 {
			flipped++
		}
		if g := RandomGrayscale(0.1).Apply(Value{Image: img}, rng).Image; g.Pix[3] == g.Pix[4] {
			grayed++
		}
	}
	within(t, "flip rate", flipped, n, 0.3)
	within(t, "grayscale rate", grayed, n, 0.1)
}

func TestRandomResizedCropRanges(t *testing.T) {
	// Ranges for which no draw is rejected on a 400×300 image, so the
	// scale is exactly uniform.
	scale, ratio := [2]float64{0.1, 0.5}, DefaultCropRatio
	rrc := RandomResizedCrop(10, 10, scale, ratio, Bilinear).(randomResizedCrop)
	rng := seeded(2)
	const W, H, n = 400, 300, 3000
	var sumScale, minS, maxS, minR, maxR = 0.0, 1.0, 0.0, 10.0, 0.0
	for range n {
		p := rrc.Params(W, H, rng)
		if p.Top < 0 || p.Left < 0 || p.Top+p.H > H || p.Left+p.W > W {
			t.Fatalf("crop %+v outside %d×%d", p, W, H)
		}
		s := float64(p.W*p.H) / (W * H)
		r := float64(p.W) / float64(p.H)
		sumScale += s
		minS, maxS, minR, maxR = min(minS, s), max(maxS, s), min(minR, r), max(maxR, r)
	}
	// Rounding w and h to whole pixels moves scale and ratio slightly past
	// their bounds; allow 2%.
	if minS < scale[0]*0.98 || maxS > scale[1]*1.02 || minR < ratio[0]*0.98 || maxR > ratio[1]*1.02 {
		t.Errorf("scale in [%.3f, %.3f], ratio in [%.3f, %.3f]; want %v and %v", minS, maxS, minR, maxR, scale, ratio)
	}
	if mean := sumScale / n; math.Abs(mean-0.3) > 0.01 {
		t.Errorf("mean scale %.3f, want about 0.3 (uniform in %v)", mean, scale)
	}
	if maxS-minS < 0.38 || maxR/minR < 1.7 {
		t.Errorf("draws do not span the ranges: scale %.3f–%.3f ratio %.3f–%.3f", minS, maxS, minR, maxR)
	}
	// A strip far outside the ratio range falls back to a central crop
	// clamped to the range, as torchvision does.
	if p := rrc.Params(1000, 10, rng); p.H != 10 || p.W != 13 || p.Left != 493 {
		t.Errorf("fallback crop %+v, want 13×10 at left 493", p)
	}
}

func TestColorJitterRanges(t *testing.T) {
	cj := ColorJitter(0.2, 0.4, 0.6, 0.1).(colorJitter)
	rng := seeded(3)
	orders := map[[4]int]bool{}
	for range 2000 {
		p := cj.Params(rng)
		orders[p.Order] = true
		if p.Brightness < 0.8 || p.Brightness > 1.2 || p.Contrast < 0.6 || p.Contrast > 1.4 ||
			p.Saturation < 0.4 || p.Saturation > 1.6 || math.Abs(p.Hue) > 0.1 {
			t.Fatalf("factors out of range: %+v", p)
		}
	}
	if len(orders) != 24 {
		t.Errorf("%d of the 24 orders drawn", len(orders))
	}
	if p := ColorJitter(0.2, 0.2, 0, 0).(colorJitter).Params(rng); p.UseS || p.UseH || !p.UseB || !p.UseC {
		t.Errorf("zero arguments must disable their adjustment: %+v", p)
	}
}

func TestRandomTransformsAreDeterministic(t *testing.T) {
	src := decodeOK(t, encodeJPEG(t, synthPhoto(40, 30, 5), 90))
	for _, tf := range []Transform{augment(), SeedTrain(), RandomRotation(30), ColorJitter(0.4, 0.4, 0.4, 0.2)} {
		a := tf.Apply(Value{Image: src}, seeded(11))
		b := tf.Apply(Value{Image: src}, seeded(11))
		c := tf.Apply(Value{Image: src}, seeded(12))
		same := func(x, y Value) bool {
			if x.Image != nil {
				return bytes.Equal(x.Image.Pix, y.Image.Pix)
			}
			for i := range x.Float.Data {
				if x.Float.Data[i] != y.Float.Data[i] {
					return false
				}
			}
			return true
		}
		if !same(a, b) || same(a, c) {
			t.Errorf("%v: same seed differs or different seeds agree", tf)
		}
	}
	// RandomRotation draws its angle uniformly in [−d, d] and rotates by it.
	rng := seeded(4)
	angle := uniform(seeded(4), -30, 30)
	if got, want := RandomRotation(30).Apply(Value{Image: src}, rng).Image, RotateImage(src, angle); !bytes.Equal(got.Pix, want.Pix) {
		t.Error("RandomRotation does not rotate by its drawn angle")
	}
}

func TestSizesAndRounding(t *testing.T) {
	if w, h := ShorterSide(500, 375, 256); w != 341 || h != 256 {
		t.Errorf("500×375 → %d×%d, want 341×256 (long side truncated)", w, h)
	}
	if w, h := ShorterSide(333, 500, 224); w != 224 || h != 336 {
		t.Errorf("333×500 → %d×%d, want 224×336", w, h)
	}
	// 7 rows cropped to 4: offset round(1.5) = 2; 9 rows to 4: round(2.5) = 2
	// (half to even, not math.Round's 3).
	m := NewImage(1, 9, 1)
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	if got := CenterCropImage(m, 4, 1).Pix[0]; got != 2 {
		t.Errorf("9→4 centre crop starts at row %d, want 2", got)
	}
	if got := CenterCropImage(&Image{W: 1, H: 7, C: 1, Pix: m.Pix[:7]}, 4, 1).Pix[0]; got != 2 {
		t.Errorf("7→4 centre crop starts at row %d, want 2", got)
	}
}

func TestStatsPooledVersusPerImage(t *testing.T) {
	black, white := NewImage(4, 4, 1), NewImage(4, 4, 1)
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	var files [][]byte
	for _, m := range []*Image{black, white} {
		g := encodePNG(t, grayImage(m))
		files = append(files, g)
	}
	src := &memSource{files: files, labels: []int{0, 0}, classes: []string{"x"}}
	st, err := ComputeStats(src, Grayscale(1), 2, true)
	if err != nil {
		t.Fatal(err)
	}
	// Pixels are 0 and 1 in equal numbers: pooled std 0.5, but each image
	// alone is constant, so the mean of per-image stds is 0.
	if st.Mean[0] != 0.5 || st.Std[0] != 0.5 || st.MeanImageStd[0] != 0 || st.Pixels != 32 {
		t.Errorf("stats %+v", st)
	}

	photos := newMemSource(t, 150, 16, 12, 1)
	ref, err := ComputeStats(photos, nil, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	par, _ := ComputeStats(photos, nil, 3, true)
	var sum, sumSq [3]float64
	var n float64
	for i := range photos.Len() {
		m, _ := photos.Image(i)
		for j, v := range m.Pix {
			x := float64(v) / 255
			sum[j%3] += x
			sumSq[j%3] += x * x
		}
		n += float64(m.W * m.H)
	}
	for c := range 3 {
		mean := sum[c] / n
		std := math.Sqrt(sumSq[c]/n - mean*mean)
		if math.Abs(ref.Mean[c]-mean) > 1e-9 || math.Abs(ref.Std[c]-std) > 1e-9 {
			t.Errorf("channel %d: mean %v std %v, direct computation %v %v", c, ref.Mean[c], ref.Std[c], mean, std)
		}
		if ref.Mean[c] != par.Mean[c] || ref.Std[c] != par.Std[c] || ref.MeanImageStd[c] != par.MeanImageStd[c] {
			t.Errorf("channel %d differs between 1 and 3 workers", c)
		}
	}
}

// TestResizeCropFusionIsExact: Compose computes Resize+CenterCrop (and
// Resize+RandomResizedCrop) with a windowed resample; it must equal resizing fully and then cropping, for
// shrinking, enlarging, and axes that keep their size.
func TestResizeCropFusionIsExact(t *testing.T) {
	src := decodeOK(t, encodeJPEG(t, synthPhoto(53, 41, 8), 90))
	cases := []struct {
		resize Transform
		h, w   int
	}{
		{Resize(30, Bilinear), 25, 28}, {Resize(77, Bicubic), 70, 77}, {ResizeTo(41, 20, Bilinear), 33, 19},
		{ResizeTo(60, 53, Bicubic), 51, 50}, {Resize(41, Bicubic), 41, 41}, {Resize(30, Bilinear), 31, 31},
	}
	for k, c := range cases {
		fused := Compose(c.resize, CenterCrop(c.h, c.w)).Apply(Value{Image: src}, nil).Image
		separate := CenterCrop(c.h, c.w).Apply(c.resize.Apply(Value{Image: src}, nil), nil).Image
		if !bytes.Equal(fused.Pix, separate.Pix) || fused.W != separate.W || fused.H != separate.H {
			t.Errorf("%v + CenterCrop(%d, %d): fused result differs", c.resize, c.h, c.w)
		}
		rrc := RandomResizedCrop(c.h, c.w, DefaultCropScale, DefaultCropRatio, Bicubic)
		fused = Compose(c.resize, rrc).Apply(Value{Image: src}, seeded(uint64(k))).Image
		separate = rrc.Apply(c.resize.Apply(Value{Image: src}, nil), seeded(uint64(k))).Image
		if !bytes.Equal(fused.Pix, separate.Pix) {
			t.Errorf("%v + %v: fused result differs", c.resize, rrc)
		}
	}
}

// TestRotateFill: one fill value fills every channel, like torchvision's
// number fill (F.rotate(img, 40, fill=77) gives (77, 77, 77) corners on an
// RGB image); a count other than 1 or the channel count panics, as
// torchvision raises.
func TestRotateFill(t *testing.T) {
	m := distinctPixels(8, 6, 3)
	one, three := RotateImage(m, 40, 77), RotateImage(m, 40, 77, 77, 77)
	if !bytes.Equal(one.Pix, three.Pix) || one.Pix[0] != 77 || one.Pix[1] != 77 || one.Pix[2] != 77 {
		t.Errorf("fill 77 on RGB: corner %v, want [77 77 77] as with fill (77, 77, 77)", one.Pix[:3])
	}
	angle := uniform(seeded(5), -30, 30)
	if got := RandomRotation(30, 77).Apply(Value{Image: m}, seeded(5)).Image; !bytes.Equal(got.Pix, RotateImage(m, angle, 77, 77, 77).Pix) {
		t.Error("RandomRotation(30, 77) does not fill every channel with 77")
	}
	if g := RotateImage(distinctPixels(8, 6, 1), 40, 9); g.Pix[0] != 9 {
		t.Errorf("gray fill: corner %d, want 9", g.Pix[0])
	}
	for _, f := range [][]uint8{{1, 2}, {1, 2, 3, 4}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RotateImage with %d fill values on RGB did not panic", len(f))
				}
			}()
			RotateImage(m, 40, f...)
		}()
	}
}

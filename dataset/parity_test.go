package dataset

// Parity with torchvision's PIL path, on fixtures written by
// scripts/fixtures_transforms.py (Debian's PIL 9.4 + torchvision 0.14).
// Transforms start from identical RGB pixels (PNG inputs) and must agree
// within 2 levels per pixel and 0.5 on average; in practice they agree
// exactly, and the test reports the figures. JPEG decoding is compared on
// the mean (Go's IDCT differs from libjpeg's by a level here and there).

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/safetensors"
)

const fixtureDir = "testdata/transforms"

func loadFixture(t *testing.T, name string) *safetensors.File {
	t.Helper()
	f, err := safetensors.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureImage reads a U8 HWC (or HW gray) array as an Image.
func fixtureImage(t *testing.T, f *safetensors.File, name string) *Image {
	t.Helper()
	ten, ok := f.Get(name)
	if !ok {
		t.Fatalf("fixture has no %q", name)
	}
	if ten.DType != safetensors.Uint8 {
		t.Fatalf("%s: dtype %s, want U8", name, ten.DType)
	}
	c := 1
	if len(ten.Shape) == 3 {
		c = ten.Shape[2]
	}
	return &Image{W: ten.Shape[1], H: ten.Shape[0], C: c, Pix: ten.Data}
}

// pixelDiff returns the largest and mean absolute difference in levels.
func pixelDiff(t *testing.T, what string, got, want *Image) (maxd int, mean float64) {
	t.Helper()
	if want.C == 1 && got.C == 3 {
		want = ToGray(want, 3) // gray fixture (PIL mode "L") against our RGB
	}
	if got.W != want.W || got.H != want.H || got.C != want.C {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
	var sum int
	for i, g := range got.Pix {
		d := int(g) - int(want.Pix[i])
		if d < 0 {
			d = -d
		}
		sum += d
		maxd = max(maxd, d)
	}
	return maxd, float64(sum) / float64(len(got.Pix))
}

// parityStats accumulates the worst figures over many comparisons.
type parityStats struct {
	max   int
	mean  float64
	exact int
	total int
}

func (s *parityStats) add(t *testing.T, what string, got, want *Image, maxTol int, meanTol float64) {
	t.Helper()
	m, mean := pixelDiff(t, what, got, want)
	s.max, s.mean, s.total = max(s.max, m), max(s.mean, mean), s.total+1
	if m == 0 {
		s.exact++
	}
	if m > maxTol || mean > meanTol {
		t.Errorf("%s: max diff %d levels, mean %.3f (limits %d, %.2f)", what, m, mean, maxTol, meanTol)
	}
}

func TestTransformParityWithPIL(t *testing.T) {
	var st parityStats
	for n := range 5 {
		name := fmt.Sprintf("img%d", n)
		src, err := DecodeFile(filepath.Join(fixtureDir, name+".png"), DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := loadFixture(t, name+"_resize.safetensors")
		params, _, err := f.Float32("params")
		if err != nil {
			t.Fatal(err)
		}
		small, large, cropSize, eh, ew, cch, ccw := int(params[0]), int(params[1]), int(params[2]), int(params[3]), int(params[4]), int(params[5]), int(params[6])
		for _, ip := range []Interpolation{Bilinear, Bicubic} {
			key := ip.String()
			st.add(t, name+" "+key+"_small", Resize(small, ip).Apply(Value{Image: src}, nil).Image, fixtureImage(t, f, key+"_small"), 2, 0.5)
			big := Compose(Resize(large, ip), CenterCrop(cropSize, cropSize)).Apply(Value{Image: src}, nil).Image
			st.add(t, name+" "+key+"_large", big, fixtureImage(t, f, key+"_large"), 2, 0.5)
			st.add(t, name+" "+key+"_exact", ResizeTo(eh, ew, ip).Apply(Value{Image: src}, nil).Image, fixtureImage(t, f, key+"_exact"), 2, 0.5)
		}
		st.add(t, name+" center_crop", CenterCropImage(src, cch, ccw), fixtureImage(t, f, "center_crop"), 0, 0)
		h, w := src.H, src.W
		st.add(t, name+" resized_crop", ResizedCrop(src, h/7, w/5, h/2, w/3, 32, 40, Bilinear), fixtureImage(t, f, "resized_crop"), 2, 0.5)
		if _, ok := f.Get("center_crop_pad"); ok {
			st.add(t, name+" center_crop_pad", CenterCropImage(src, h+5, w+8), fixtureImage(t, f, "center_crop_pad"), 0, 0)
		}

		// ToTensor + Normalize: float32 arithmetic identical to torch's.
		want, _, err := f.Float32("tensor")
		if err != nil {
			t.Fatal(err)
		}
		norm := Compose(CenterCrop(32, 32), ToTensor(), Normalize(ImageNetMean, ImageNetStd)).Apply(Value{Image: src}, nil).Float
		var worst float64
		for i, v := range norm.Data {
			worst = max(worst, math.Abs(float64(v-want[i])))
		}
		if worst > 1e-6 {
			t.Errorf("%s ToTensor+Normalize: max diff %g", name, worst)
		}

		ops := loadFixture(t, name+"_ops.safetensors")
		base := fixtureImage(t, f, "bilinear_small")
		for _, key := range ops.Names() {
			op, arg, _ := strings.Cut(key, "_")
			x, _ := strconv.ParseFloat(arg, 64)
			var got *Image
			switch op {
			case "brightness":
				got = AdjustBrightness(base, x)
			case "contrast":
				got = AdjustContrast(base, x)
			case "saturation":
				got = AdjustSaturation(base, x)
			case "hue":
				got = AdjustHue(base, x)
			case "gray3":
				got = ToGray(base, 3)
			case "rotate":
				if arg == "fill" {
					got = RotateImage(base, 40, 10, 200, 30)
				} else {
					got = RotateImage(base, x)
				}
			default:
				t.Fatalf("unknown fixture op %q", key)
			}
			st.add(t, name+" "+key, got, fixtureImage(t, ops, key), 2, 0.5)
		}
	}
	t.Logf("transform parity over %d outputs: worst max diff %d levels, worst mean %.4f levels, %d bit-exact", st.total, st.max, st.mean, st.exact)
}

func TestDecodeParityWithPIL(t *testing.T) {
	cases := []struct {
		file    string
		meanTol float64 // levels: the gate is 1/255
	}{
		{"jpeg_420.jpg", 1}, {"jpeg_422.jpg", 1}, {"jpeg_444.jpg", 1}, {"jpeg_odd420.jpg", 1},
		{"jpeg_progressive.jpg", 1}, {"jpeg_gray.jpg", 1}, {"jpeg_cmyk.jpg", 1}, {"jpeg_exif6.jpg", 1},
		{"webp_lossy.webp", 1},
	}
	for _, c := range cases {
		got, err := DecodeFile(filepath.Join(fixtureDir, c.file), DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		f := loadFixture(t, "decode_"+strings.Split(c.file, ".")[0]+".safetensors")
		m, mean := pixelDiff(t, c.file, got, fixtureImage(t, f, "rgb"))
		t.Logf("%-22s %3d×%-3d mean diff %.3f levels (%.5f), max %d", c.file, got.W, got.H, mean, mean/255, m)
		if mean > c.meanTol {
			t.Errorf("%s: mean diff %.3f levels exceeds %.1f", c.file, mean, c.meanTol)
		}
		if _, ok := f.Get("rgb_oriented"); ok {
			oriented, err := DecodeFile(filepath.Join(fixtureDir, c.file), DecodeOptions{ApplyOrientation: true})
			if err != nil {
				t.Fatal(err)
			}
			m, mean := pixelDiff(t, c.file+" oriented", oriented, fixtureImage(t, f, "rgb_oriented"))
			if mean > c.meanTol {
				t.Errorf("%s with EXIF orientation: mean diff %.3f (max %d)", c.file, mean, m)
			}
		}
	}
}

package dataset

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeOK(t testing.TB, b []byte) *Image {
	t.Helper()
	m, err := Decode(b, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantPixel(t *testing.T, what string, m *Image, x, y int, want [3]uint8) {
	t.Helper()
	p := m.Pix[(y*m.W+x)*3:]
	if got := [3]uint8{p[0], p[1], p[2]}; got != want {
		t.Errorf("%s: pixel (%d,%d) = %v, want %v", what, x, y, got, want)
	}
}

// TestDecodePixelTypes checks every typed conversion path against values
// computed by hand, including the cases where PIL's rules are easy to get
// wrong (alpha dropped without premultiplying, 16-bit scaling, palettes).
func TestDecodePixelTypes(t *testing.T) {
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 64}) // translucent: colour must survive as is
	nrgba.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 0})    // fully transparent: colour still kept
	m := decodeOK(t, encodePNG(t, nrgba))
	wantPixel(t, "NRGBA PNG", m, 0, 0, [3]uint8{200, 100, 50})
	wantPixel(t, "NRGBA PNG", m, 1, 0, [3]uint8{10, 20, 30})

	g16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	for i, v := range []uint16{0, 257 * 100, 65535} {
		g16.SetGray16(i, 0, color.Gray16{v})
	}
	m = decodeOK(t, encodePNG(t, g16))
	wantPixel(t, "Gray16 PNG", m, 1, 0, [3]uint8{100, 100, 100})
	wantPixel(t, "Gray16 PNG", m, 2, 0, [3]uint8{255, 255, 255})

	n64 := image.NewNRGBA64(image.Rect(0, 0, 1, 1))
	n64.SetNRGBA64(0, 0, color.NRGBA64{257 * 12, 257*200 + 100, 65535, 1000})
	wantPixel(t, "NRGBA64 PNG", decodeOK(t, encodePNG(t, n64)), 0, 0, [3]uint8{12, 200, 255})

	pal := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.RGBA{1, 2, 3, 255}, color.RGBA{250, 128, 0, 255}})
	pal.SetColorIndex(1, 1, 1)
	wantPixel(t, "paletted PNG", decodeOK(t, encodePNG(t, pal)), 1, 1, [3]uint8{250, 128, 0})
	var gbuf bytes.Buffer
	if err := gif.Encode(&gbuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	wantPixel(t, "GIF", decodeOK(t, gbuf.Bytes()), 1, 1, [3]uint8{250, 128, 0})

	rgba := image.NewRGBA(image.Rect(0, 0, 1, 1))
	rgba.SetRGBA(0, 0, color.RGBA{50, 100, 25, 128}) // premultiplied: straight colour is ~(99, 199, 49)
	var bbuf bytes.Buffer
	if err := tiff.Encode(&bbuf, rgba, nil); err != nil {
		t.Fatal(err)
	}
	wantPixel(t, "premultiplied TIFF", decodeOK(t, bbuf.Bytes()), 0, 0, [3]uint8{99, 199, 49})

	photo := synthPhoto(9, 7, 3)
	bbuf.Reset()
	if err := bmp.Encode(&bbuf, photo); err != nil {
		t.Fatal(err)
	}
	m = decodeOK(t, bbuf.Bytes())
	for y := range 7 {
		for x := range 9 {
			c := photo.RGBAAt(x, y)
			wantPixel(t, "BMP", m, x, y, [3]uint8{c.R, c.G, c.B})
		}
	}

	gray := image.NewGray(image.Rect(0, 0, 1, 1))
	gray.SetGray(0, 0, color.Gray{77})
	wantPixel(t, "gray JPEG", decodeOK(t, encodeJPEG(t, gray, 100)), 0, 0, [3]uint8{77, 77, 77})
}

// A GIF decodes as PIL shows its first frame: on a canvas of the logical
// screen's size, the frame at its offset, the rest filled with the
// transparent index, whose colour is the one its colour table gives (Go's
// decoder returns the frame alone and makes that colour transparent black).
func TestDecodeGIFFrameOnScreen(t *testing.T) {
	b := []byte("GIF89a" +
		"\x03\x00\x02\x00\x80\x00\x00" + // 3×2 screen, global table of 2 colours
		"\x09\x63\xc7\xc8\x0a\x0a" + // colour 0 (9, 99, 199), colour 1 (200, 10, 10)
		"\x21\xf9\x04\x01\x00\x00\x00\x00" + // graphic control: colour 0 is transparent
		"\x2c\x01\x00\x01\x00\x01\x00\x01\x00\x00" + // a 1×1 frame at (1, 1)
		"\x02\x02\x4c\x01\x00" + // its LZW data: colour 1
		"\x3b")
	m := decodeOK(t, b)
	if m.W != 3 || m.H != 2 {
		t.Fatalf("decoded %v, want the 3×2 screen", m)
	}
	for y := range 2 {
		for x := range 3 {
			want := [3]uint8{9, 99, 199}
			if x == 1 && y == 1 {
				want = [3]uint8{200, 10, 10}
			}
			wantPixel(t, "GIF", m, x, y, want)
		}
	}
}

func TestDecodeByContentNotName(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "really_a_png.jpg")
	if err := os.WriteFile(p, encodePNG(t, synthPhoto(4, 3, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := DecodeFile(p, DecodeOptions{})
	if err != nil || m.W != 4 || m.H != 3 {
		t.Fatalf("PNG named .jpg: %v, %v", m, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	jpg := encodeJPEG(t, synthPhoto(64, 48, 2), 90)
	big := image.NewGray(image.Rect(0, 0, 3000, 3000))
	cases := []struct {
		name string
		data []byte
		opt  DecodeOptions
	}{
		{"empty", nil, DecodeOptions{}},
		{"text", []byte("hello, not an image"), DecodeOptions{}},
		{"truncated JPEG", jpg[:len(jpg)/2], DecodeOptions{}},
		{"JPEG header only", jpg[:20], DecodeOptions{}},
		{"too many pixels", encodePNG(t, big), DecodeOptions{MaxPixels: 1 << 20}},
	}
	for _, c := range cases {
		m, err := Decode(c.data, c.opt)
		if err == nil {
			t.Errorf("%s: decoded %v, want an error", c.name, m)
			continue
		}
		t.Logf("%s: %v", c.name, err)
	}
	if _, err := Decode(nil, DecodeOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty input: %v, want ErrEmpty", err)
	}
	if _, err := DecodeFile(filepath.Join(t.TempDir(), "missing.jpg"), DecodeOptions{}); err == nil || !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}

// TestOrientations checks the eight EXIF orientations on a 3×2 image whose
// pixels are numbered, against the upright layouts they describe.
func TestOrientations(t *testing.T) {
	src := NewImage(3, 2, 1)
	copy(src.Pix, []uint8{1, 2, 3, 4, 5, 6}) // rows: 1 2 3 / 4 5 6
	want := map[int][]uint8{
		1: {1, 2, 3, 4, 5, 6},
		2: {3, 2, 1, 6, 5, 4},
		3: {6, 5, 4, 3, 2, 1},
		4: {4, 5, 6, 1, 2, 3},
		5: {1, 4, 2, 5, 3, 6}, // transpose: 2 wide, 3 high
		6: {4, 1, 5, 2, 6, 3}, // 90° clockwise
		7: {6, 3, 5, 2, 4, 1},
		8: {3, 6, 2, 5, 1, 4}, // 90° counter-clockwise
	}
	for o := 1; o <= 8; o++ {
		got := orient(src, o)
		if !bytes.Equal(got.Pix, want[o]) {
			t.Errorf("orientation %d: %v, want %v", o, got.Pix, want[o])
		}
		if o >= 5 && (got.W != 2 || got.H != 3) {
			t.Errorf("orientation %d: size %d×%d, want 2×3", o, got.W, got.H)
		}
	}
}

// FuzzDecode: malformed files of every format give errors, never panics or
// oversized images. Small seeds keep the fuzzer fast, e.g.
//
//	go test ./dataset -run '^$' -fuzz FuzzDecode -fuzztime 60s -fuzzminimizetime 2s
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"jpeg_odd420.jpg", "jpeg_exif6.jpg", "webp_lossy.webp"} {
		b, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	small := synthPhoto(4, 3, 1)
	var buf bytes.Buffer
	png.Encode(&buf, small)
	f.Add(append([]byte(nil), buf.Bytes()...))
	buf.Reset()
	gif.Encode(&buf, small, nil)
	f.Add(append([]byte(nil), buf.Bytes()...))
	buf.Reset()
	bmp.Encode(&buf, small)
	f.Add(append([]byte(nil), buf.Bytes()...))
	buf.Reset()
	tiff.Encode(&buf, small, nil)
	f.Add(append([]byte(nil), buf.Bytes()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, DecodeOptions{MaxPixels: 1 << 20, ApplyOrientation: true})
		if err == nil && (m.W*m.H > 1<<20 || len(m.Pix) != m.W*m.H*3) {
			t.Fatalf("decoded %v with %d values", m, len(m.Pix))
		}
	})
}

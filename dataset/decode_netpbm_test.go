package dataset

// Netpbm files built byte by byte. Every expected value below is what
// Pillow 9.4 (Debian's python3-pil) gives for the same bytes with
// Image.open(...).convert("RGB"), except where a comment says we differ.

import (
	"bytes"
	"errors"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// grayRGB spreads gray values to R, G and B, as convert("RGB") does.
func grayRGB(v ...uint8) []uint8 {
	var out []uint8
	for _, g := range v {
		out = append(out, g, g, g)
	}
	return out
}

func TestDecodeNetpbm(t *testing.T) {
	cases := []struct {
		name string
		file string
		w, h int
		want []uint8
	}{
		{"P6 maxval 255, comments everywhere", "P6 #c1\n#c2\r2#mid\n 1 #x\n255\n\x01\x02\x03\xfa\xfb\xfc", 2, 1,
			[]uint8{1, 2, 3, 250, 251, 252}},
		{"whitespace of every kind", "P6\v1\f1\t255\r\x09\x08\x07", 1, 1, []uint8{9, 8, 7}},
		// Exactly one whitespace byte ends the header: the LF of CR LF is
		// the first sample.
		{"one byte after maxval", "P5\r\n2 1\r\n255\r\n\x0a\x14", 2, 1, grayRGB(10, 10)},
		// The LF ending a comment after maxval is not the separator: the
		// next byte is (PIL skips the comment and goes on reading maxval).
		{"comment after maxval", "P5 2 1 255#c\n\x0a\x14\x1e", 2, 1, grayRGB(20, 30)},
		{"comment inside a number", "P5\n1#c\n2 1\n255\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 12, 1,
			grayRGB(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)},
		// round(v/15·255); a binary sample above maxval gives 255.
		{"P5 maxval 15", "P5 5 1 15\n\x00\x01\x07\x0f\xc8", 5, 1, grayRGB(0, 17, 119, 255, 255)},
		{"P6 maxval 15", "P6 2 1 15\n\x00\x01\x07\x08\x0f\x10", 2, 1, []uint8{0, 17, 119, 136, 255, 255}},
		// 42.5, 127.5 and 212.5 round to even.
		{"P5 maxval 6, ties to even", "P5 7 1 6\n\x00\x01\x02\x03\x04\x05\x06", 7, 1, grayRGB(0, 42, 85, 128, 170, 212, 255)},
		{"P5 maxval 1", "P5 3 1 1\n\x00\x01\x02", 3, 1, grayRGB(0, 255, 255)},
		// Two-byte samples: 128/256·255 = 127.5 → 128.
		{"P6 maxval 256", "P6 1 1 256\n\x00\x80\x01\x00\x00\x01", 1, 1, []uint8{128, 255, 1}},
		{"P6 maxval 1000", "P6 2 1 1000\n\x00\x02\x01\xf4\x03\xe8\x03\xe9\x07\xd0\xff\xff", 2, 1,
			[]uint8{1, 128, 255, 255, 255, 255}},
		{"P6 maxval 65535", "P6 1 1 65535\n\x01\x00\x80\x80\xff\xff", 1, 1, []uint8{1, 128, 255}},
		// 16-bit gray: we scale it as PIL scales 16-bit RGB; PIL makes a
		// mode "I" image whose convert("RGB") clips, giving 0, 255, 255, 255.
		{"P5 maxval 1000", "P5 4 1 1000\n\x00\x00\x00\x04\x01\xf4\x03\xe8", 4, 1, grayRGB(0, 1, 128, 255)},
		{"P5 maxval 65535", "P5 3 1 65535\n\x00\x00\x01\x00\xff\xff", 3, 1, grayRGB(0, 1, 255)},
		{"P2 maxval 15", "P2\n3 2\n# c\n15\n0 1 2\n3 4 15\n", 3, 2, grayRGB(0, 17, 34, 51, 68, 255)},
		// A comment joins the text on either side: "1#c\n2" is 12.
		{"P2 comment in a number", "P2 2 1 255 1#c\n2 3\n", 2, 1, grayRGB(12, 3)},
		{"P2 maxval 1000", "P2 3 1 1000 0 500 1000\n", 3, 1, grayRGB(0, 128, 255)}, // PIL: 0, 255, 255 (mode "I")
		{"P3 maxval 15", "P3 2 1 15\n1 2 3\n4 5 15\n", 2, 1, []uint8{17, 34, 51, 68, 85, 255}},
		{"P1", "P1\n3 2\n1 0 1\n0 1 0\n", 3, 2, grayRGB(0, 255, 0, 255, 0, 255)},
		{"P1 without whitespace", "P1 3 2 10#c\n1010", 3, 2, grayRGB(0, 255, 0, 255, 0, 255)},
		// Rows of 10 pixels take 2 bytes each; 1 is black.
		{"P4", "P4 10 2\n\xb0\x40\x7f\xc0", 10, 2,
			grayRGB(0, 255, 0, 0, 255, 255, 255, 255, 255, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
	}
	for _, c := range cases {
		m, err := Decode([]byte(c.file), DecodeOptions{})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if m.W != c.w || m.H != c.h || m.C != 3 || !bytes.Equal(m.Pix, c.want) {
			t.Errorf("%s: decoded %v %v, want %d×%d %v", c.name, m, m.Pix, c.w, c.h, c.want)
		}
	}
}

func TestDecodeNetpbmErrors(t *testing.T) {
	cases := []struct {
		name string
		file string
		opt  DecodeOptions
		want string
	}{
		{"truncated P6", "P6 2 1 255\n\x01\x02\x03\x04\x05", DecodeOptions{},
			"corrupt netpbm data: truncated: the header promises 1 row of 6 bytes, but the file has 5 bytes after it"},
		{"truncated 16-bit P5", "P5 2 1 65535\n\x01\x02\x03", DecodeOptions{}, "promises 1 row of 4 bytes, but the file has 3 bytes"},
		{"truncated P4", "P4 10 2\n\xb0\x40\x7f", DecodeOptions{}, "promises 2 rows of 2 bytes, but the file has 3 bytes"},
		{"raster missing", "P6 1 1 255", DecodeOptions{}, "the file has 0 bytes after it"},
		{"truncated P2", "P2 3 1 255 7 8 \n", DecodeOptions{}, "truncated: 3 samples expected, 2 found"},
		{"truncated P1", "P1 3 2 1 0 1 0 1\n", DecodeOptions{}, "truncated: 6 pixels expected, 5 found"},
		{"P1 too short for its header", "P1 3 2 10101", DecodeOptions{}, "promises 2 rows of at least 3 bytes, but the file has 5 bytes"},
		// A header of 99999×99999 RGB pixels with no limit on pixels: an
		// error, not 30 GB allocated.
		{"huge size, no limit", "P6 99999 99999 255\n" + strings.Repeat("\x00", 10), DecodeOptions{MaxPixels: math.MaxInt},
			"promises 99999 rows of 299997 bytes, but the file has 10 bytes"},
		{"huge size", "P6 99999 99999 255\n", DecodeOptions{}, "netpbm image of 99999×99999 pixels is empty or larger than the limit"},
		{"zero width", "P5 0 1 255\n", DecodeOptions{}, "netpbm image of 0×1 pixels is empty"},
		{"zero height", "P6 1 0 255\n", DecodeOptions{}, "netpbm image of 1×0 pixels is empty"},
		{"maxval 0", "P5 1 1 0\n\x00", DecodeOptions{}, "corrupt netpbm header: maxval 0 is outside 1–65535"},
		{"maxval 65536", "P5 1 1 65536\n\x00\x00", DecodeOptions{}, "maxval 65536 is outside 1–65535"},
		{"header ends", "P6 1 1", DecodeOptions{}, "corrupt netpbm header: the file ends before the maxval"},
		{"not a number", "P6 a 1 255\n\x00\x00\x00", DecodeOptions{}, `corrupt netpbm header: width: "a" is not a number`},
		{"number too long", "P6 00000000001 1 255\n\x00\x00\x00", DecodeOptions{}, `width: number "0000000000"… is longer than 10 digits`},
		{"ASCII sample above maxval", "P2 2 1 15 7 16\n", DecodeOptions{}, "corrupt netpbm data: sample 1 is 16, above maxval 15"},
		{"bitmap byte not 0 or 1", "P1 3 2 101010 x", DecodeOptions{}, "byte 'x' in a bitmap is not 0 or 1"},
		// The magic number must be followed by whitespace (PIL reads "P6#c"
		// as an unknown magic number), and P7 (PAM) is not read by PIL.
		{"no whitespace after magic", "P6#c\n1 1 255\n\x00\x00\x00", DecodeOptions{}, "not a recognised image format"},
		{"P7", "P7\nWIDTH 1\n", DecodeOptions{}, "not a recognised image format"},
	}
	for _, c := range cases {
		m, err := Decode([]byte(c.file), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, %v; want an error containing %q", c.name, m, err, c.want)
		}
	}

	// DecodeFile puts the file's name in front, as for other formats.
	p := filepath.Join(t.TempDir(), "00001.ppm")
	writeFile(t, p, []byte("P6 2 1 255\n\x01\x02"))
	if _, err := DecodeFile(p, DecodeOptions{}); err == nil || !strings.HasPrefix(err.Error(), p+": corrupt netpbm data: truncated") {
		t.Errorf("DecodeFile: %v", err)
	}
}

// ImageFolder lists .ppm and .pgm files (torchvision's extensions) and they
// load: GTSRB's layout, a folder of PPMs per class.
func TestImageFolderNetpbm(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "00000", "00000_00000.ppm"), []byte("P6\n2 1\n255\n\x01\x02\x03\x04\x05\x06"))
	writeFile(t, filepath.Join(root, "00001", "00000_00000.pgm"), []byte("P5\n2 1\n255\n\x07\x08"))
	src, err := OpenImageFolder(root, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	l, err := NewLoader(src, Compose(ToTensor()), LoaderOptions{BatchSize: 2, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatal(err)
	}
	ep := l.Epoch(0)
	defer ep.Close()
	b, err := ep.Next()
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Labels) != 2 || ep.Skipped() != 0 || len(warnings) != 0 {
		t.Fatalf("loaded %d samples, skipped %d, warnings %q; want both loaded", len(b.Labels), ep.Skipped(), warnings)
	}
	if _, err := ep.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the only batch: %v, want io.EOF", err)
	}
	// Pixels in NCHW, scaled by ToTensor: sample 0's red plane, then sample 1's.
	data := b.Images.Data()
	if data[0] != 1.0/255 || data[1] != 4.0/255 || data[6] != 7.0/255 || data[11] != 8.0/255 {
		t.Errorf("batch data %v", data)
	}
}

// FuzzDecodeNetpbm: malformed Netpbm files give errors, never a panic in
// our decoder (which Decode would turn into a "decoder failed" error) or
// an image of another size than the header's, e.g.
//
//	go test ./dataset -run '^$' -fuzz FuzzDecodeNetpbm -fuzztime 60s
func FuzzDecodeNetpbm(f *testing.F) {
	for _, s := range []string{
		"P6 #c\n2 1\n255\n\x01\x02\x03\xfa\xfb\xfc",
		"P5 5 1 15\n\x00\x01\x07\x0f\xc8",
		"P5 2 1 1000\n\x00\x04\x01\xf4",
		"P6 1 1 65535\n\x01\x00\x80\x80\xff\xff",
		"P2\n3 2\n# c\n15\n0 1 2\n3 4 15\n",
		"P3 2 1 15\n1 2 3\n4 5 15\n",
		"P1 3 2 10#c\n1010",
		"P4 10 2\n\xb0\x40\x7f\xc0",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b, DecodeOptions{MaxPixels: 1 << 16})
		if Sniff(b) != Netpbm {
			return
		}
		if err != nil {
			if strings.Contains(err.Error(), "decoder failed") {
				t.Fatal(err)
			}
			return
		}
		cfg, _ := netpbmConfig(b)
		if m.W != cfg.Width || m.H != cfg.Height || len(m.Pix) != m.W*m.H*3 {
			t.Fatalf("decoded %v with %d values from a header of %d×%d", m, len(m.Pix), cfg.Width, cfg.Height)
		}
	})
}

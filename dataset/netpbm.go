package dataset

// Netpbm: PBM, PGM and PPM files (GTSRB's traffic signs are PPMs).
//
// A file is a magic number, "P1"…"P6", then width, height and (except for
// bitmaps) maxval as decimal numbers, then the raster:
//
//	P1 bitmap, ASCII '0'/'1'     P4 bitmap, 1 bit a pixel, rows padded to a byte
//	P2 gray, ASCII numbers       P5 gray, binary samples
//	P3 RGB, ASCII numbers        P6 RGB, binary samples
//
// Binary samples are one byte when maxval < 256, else two, big-endian. In
// bitmaps 1 is black. Header numbers are separated by any whitespace; a '#'
// starts a comment that runs to the end of the line, and exactly one
// whitespace byte separates the last header number from a binary raster.
//
// What PIL 9.4 (PpmImagePlugin) does with these files, matched here and
// checked against it (decode_netpbm_test.go):
//
//   - a header number is read byte by byte up to the next whitespace byte,
//     which is consumed; a comment inside one is skipped and the number
//     goes on after it ("1#c\n2" is 12), so the byte that ends a comment
//     after maxval is not the separator: the next byte is;
//   - a header number longer than 10 bytes, maxval 0 or above 65535 and a
//     raster shorter than the header promises are errors;
//   - a sample becomes round(v/maxval·255) in float64 with ties to even
//     (Python's round), so maxval 255 keeps samples as they are; a binary
//     sample above maxval gives 255, an ASCII one is an error;
//   - ASCII rasters lose their comments before they are split into
//     numbers, and a bitmap's ASCII raster may hold nothing but '0', '1',
//     whitespace and comments, up to its end.
//
// Where this decoder differs from PIL:
//
//   - 16-bit gray (maxval > 255 in P2/P5) is scaled to 8 bits like 16-bit
//     RGB, as decode.go scales 16-bit PNGs; PIL makes a 32-bit "I" image of
//     it whose convert("RGB") clips at 255, turning nearly every pixel white;
//   - numbers must be plain digits (Python's int also takes "+7" and "1_0");
//   - an ASCII raster that ends early is an error; PIL repeats its last
//     number to fill the image when the file does not end in whitespace.

import (
	"bytes"
	"fmt"
	"image"
	"math"
)

// netpbmHeader is what a Netpbm header says.
type netpbmHeader struct {
	kind   byte // the magic number's digit, '1'…'6'
	w, h   int
	maxval int // 1 for bitmaps
	raster int // offset of the first byte after the header
}

// isNetpbmSpace reports whether c is one of the whitespace bytes Netpbm
// (and PIL) separate numbers with.
func isNetpbmSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// readNetpbmHeader parses the header of b, which Sniff recognised as
// Netpbm.
func readNetpbmHeader(b []byte) (netpbmHeader, error) {
	hd := netpbmHeader{kind: b[1], maxval: 1}
	pos := 3 // "Pn" and the whitespace byte after it
	fields := []*int{&hd.w, &hd.h, &hd.maxval}
	names := []string{"width", "height", "maxval"}
	if hd.kind == '1' || hd.kind == '4' {
		fields = fields[:2]
	}
	for i, field := range fields {
		var tok []byte
		tok, pos = netpbmToken(b, pos)
		if len(tok) == 0 {
			return hd, fmt.Errorf("the file ends before the %s", names[i])
		}
		n, err := netpbmNumber(tok)
		if err != nil {
			return hd, fmt.Errorf("%s: %w", names[i], err)
		}
		*field = n
	}
	if hd.maxval < 1 || hd.maxval > 65535 {
		return hd, fmt.Errorf("maxval %d is outside 1–65535", hd.maxval)
	}
	hd.raster = pos
	return hd, nil
}

// netpbmToken returns the header number that starts at or after b[pos] and
// the position after the whitespace byte that ends it, as PIL's
// _read_token reads it: whitespace before it is skipped, comments anywhere
// are skipped (through their CR or LF), and reading stops after 11 bytes.
func netpbmToken(b []byte, pos int) (tok []byte, next int) {
	for len(tok) <= 10 && pos < len(b) {
		c := b[pos]
		pos++
		switch {
		case isNetpbmSpace(c):
			if len(tok) > 0 {
				return tok, pos
			}
		case c == '#':
			for pos < len(b) && b[pos] != '\n' && b[pos] != '\r' {
				pos++
			}
			pos++ // the CR or LF
		default:
			tok = append(tok, c)
		}
	}
	return tok, min(pos, len(b))
}

// netpbmNumber parses a header or ASCII-raster number: 1 to 10 digits.
func netpbmNumber(tok []byte) (int, error) {
	if len(tok) > 10 {
		return 0, fmt.Errorf("number %q… is longer than 10 digits", tok[:10])
	}
	n := 0
	for _, c := range tok {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a number", tok)
		}
		n = 10*n + int(c-'0')
	}
	return n, nil
}

// netpbmConfig returns the size a Netpbm header gives.
func netpbmConfig(b []byte) (image.Config, error) {
	hd, err := readNetpbmHeader(b)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{Width: hd.w, Height: hd.h}, nil
}

// decodeNetpbm decodes a Netpbm file into 8-bit RGB. Decode has checked
// the header and that width × height is within its limit.
func decodeNetpbm(b []byte) (*Image, error) {
	hd, err := readNetpbmHeader(b)
	if err != nil {
		return nil, err
	}
	w, h, maxval := hd.w, hd.h, hd.maxval
	raster := b[hd.raster:]
	bands := 1
	if hd.kind == '3' || hd.kind == '6' {
		bands = 3
	}
	// The fewest raster bytes a row can take: exact for binary rasters, a
	// byte a value for ASCII ones. Checking them against the file before
	// allocating keeps a lying header from costing gigabytes.
	rowBytes, atLeast := w*bands, "at least "
	switch hd.kind {
	case '4':
		rowBytes, atLeast = (w+7)/8, ""
	case '5', '6':
		if maxval > 255 {
			rowBytes *= 2
		}
		atLeast = ""
	}
	if rowBytes > len(raster)/h {
		return nil, fmt.Errorf("truncated: the header promises %d %s of %s%d bytes, but the file has %d %s after it",
			h, plural(h, "row"), atLeast, rowBytes, len(raster), plural(len(raster), "byte"))
	}
	out := NewImage(w, h, 3)
	// The w·h·bands samples go to the start of out.Pix; gray ones are
	// spread to R, G and B at the end.
	dst := out.Pix[:w*h*bands]
	switch hd.kind {
	case '1':
		err = netpbmPlainBits(dst, raster)
	case '2', '3':
		err = netpbmPlainSamples(dst, raster, maxval)
	case '4':
		for y := range h {
			row := raster[y*rowBytes:]
			for x := range w {
				dst[y*w+x] = bitmapGray(row[x/8] >> (7 - x%8) & 1)
			}
		}
	case '5', '6':
		switch {
		case maxval == 255:
			copy(dst, raster)
		case maxval < 256:
			for i := range dst {
				dst[i] = netpbmScale(int(raster[i]), maxval)
			}
		default:
			for i := range dst {
				dst[i] = netpbmScale(int(raster[2*i])<<8|int(raster[2*i+1]), maxval)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	if bands == 1 {
		// Back to front, so that no gray value is overwritten before it is
		// read (pixel i moves to 3i ≥ i).
		for i := len(dst) - 1; i >= 0; i-- {
			v := dst[i]
			out.Pix[3*i], out.Pix[3*i+1], out.Pix[3*i+2] = v, v, v
		}
	}
	return out, nil
}

// netpbmScale maps a sample to 8 bits as PIL does: round(v/maxval·255)
// computed in float64, ties to even, clipped to 255.
func netpbmScale(v, maxval int) uint8 {
	return uint8(min(math.RoundToEven(float64(v)/float64(maxval)*255), 255))
}

// bitmapGray is the gray of a bitmap bit: 1 is black, 0 white.
func bitmapGray(bit uint8) uint8 { return 255 * (1 - bit) }

// netpbmPlainSamples fills dst with the first len(dst) numbers of an ASCII
// raster, scaled to 8 bits.
func netpbmPlainSamples(dst, raster []byte, maxval int) error {
	fields := bytes.FieldsFunc(stripNetpbmComments(raster), func(r rune) bool { return r < 0x80 && isNetpbmSpace(byte(r)) })
	if len(fields) < len(dst) {
		return fmt.Errorf("truncated: %d samples expected, %d found", len(dst), len(fields))
	}
	for i := range dst {
		v, err := netpbmNumber(fields[i])
		if err != nil {
			return fmt.Errorf("sample %d: %w", i, err)
		}
		if v > maxval {
			return fmt.Errorf("sample %d is %d, above maxval %d", i, v, maxval)
		}
		dst[i] = netpbmScale(v, maxval)
	}
	return nil
}

// netpbmPlainBits fills dst from an ASCII bitmap raster: one '0' or '1' a
// pixel, with whitespace optional. Like PIL, it refuses any other byte in
// the rest of the file too.
func netpbmPlainBits(dst, raster []byte) error {
	n := 0
	for _, c := range stripNetpbmComments(raster) {
		switch {
		case isNetpbmSpace(c):
		case c == '0' || c == '1':
			if n < len(dst) {
				dst[n] = bitmapGray(c - '0')
				n++
			}
		default:
			return fmt.Errorf("byte %q in a bitmap is not 0 or 1", c)
		}
	}
	if n < len(dst) {
		return fmt.Errorf("truncated: %d pixels expected, %d found", len(dst), n)
	}
	return nil
}

// stripNetpbmComments removes from text each '#' through the CR or LF that
// ends its line (which goes too, so the text on either side joins up, as
// in PIL).
func stripNetpbmComments(text []byte) []byte {
	if bytes.IndexByte(text, '#') < 0 {
		return text
	}
	var out []byte
	for {
		i := bytes.IndexByte(text, '#')
		if i < 0 {
			return append(out, text...)
		}
		out = append(out, text[:i]...)
		end := bytes.IndexAny(text[i:], "\r\n")
		if end < 0 {
			return out
		}
		text = text[i+end+1:]
	}
}

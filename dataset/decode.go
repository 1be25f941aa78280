package dataset

// Decoding: bytes → 8-bit RGB Image.
//
// The format comes from the file's first bytes, never its name (real
// datasets contain PNGs and GIFs called .jpg). Go's decoders (image/jpeg,
// image/png, image/gif, golang.org/x/image/{bmp,tiff,webp}) produce one of a
// handful of pixel types; each has its own conversion loop here (rgb.go), so
// no pixel goes through the slow image.Image.At interface; Netpbm, which Go
// lacks, has its own decoder (netpbm.go) that makes RGB directly. The
// result is what PIL's Image.convert("RGB") would give: alpha dropped
// without premultiplying, palettes looked up, CMYK converted with PIL's
// formula, JPEG chroma upsampled and converted with libjpeg's arithmetic.
//
// Two deliberate differences from PIL: 16-bit images are scaled to 8 bits
// by rounding v/257 (PIL clips 16-bit grayscale to 255 instead, which turns
// most 16-bit photos white), and an image larger than MaxPixels is refused
// before any pixel memory is allocated.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels bounds the size of an image Decode accepts when
// DecodeOptions.MaxPixels is 0: 64 megapixels (8192×8192), far beyond any
// photo in a classification dataset, small enough that a corrupt header
// cannot make us allocate gigabytes.
const DefaultMaxPixels = 1 << 26

// DecodeOptions controls Decode.
type DecodeOptions struct {
	// ApplyOrientation rotates or flips a JPEG as its EXIF orientation tag
	// says. torchvision does not (PIL's open ignores the tag), so neither do
	// we by default.
	ApplyOrientation bool
	// MaxPixels refuses images with more pixels than this (0 means
	// DefaultMaxPixels).
	MaxPixels int
}

// Format names an image file format recognised by its content.
type Format string

// The formats Decode reads.
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	BMP  Format = "bmp"
	TIFF Format = "tiff"
	WebP Format = "webp"
	// Netpbm is PBM, PGM and PPM ("P1"…"P6").
	Netpbm Format = "netpbm"
)

// ErrEmpty is returned (wrapped) for a zero-length file.
var ErrEmpty = errors.New("empty file")

// Sniff recognises the format from the first bytes of a file, or returns "".
func Sniff(b []byte) Format {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return JPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG
	case bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF
	case bytes.HasPrefix(b, []byte("BM")):
		return BMP
	case bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*")):
		return TIFF
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return WebP
	case len(b) >= 3 && b[0] == 'P' && '1' <= b[1] && b[1] <= '6' && isNetpbmSpace(b[2]):
		return Netpbm
	}
	return ""
}

// DecodeFile reads and decodes the image at path. Errors name the file.
func DecodeFile(path string, opt DecodeOptions) (*Image, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	img, err := Decode(b, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// Decode decodes an image file held in memory into 8-bit RGB.
func Decode(b []byte, opt DecodeOptions) (img *Image, err error) {
	if len(b) == 0 {
		return nil, ErrEmpty
	}
	format := Sniff(b)
	if format == "" {
		return nil, fmt.Errorf("not a recognised image format (starts with % x)", b[:min(len(b), 8)])
	}
	// Go's decoders return errors for the corruptions they anticipate; a
	// few malformed inputs still reach a panic deep inside one (an index
	// out of range). Such a file is corrupt data, not a bug of ours.
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("corrupt %s data (decoder failed: %v)", format, r)
		}
	}()
	maxPixels := opt.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultMaxPixels
	}
	cfg, err := decodeConfig(format, b)
	if err != nil {
		return nil, fmt.Errorf("corrupt %s header: %w", format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/max(cfg.Height, 1) {
		return nil, fmt.Errorf("%s image of %d×%d pixels is empty or larger than the limit of %d pixels", format, cfg.Width, cfg.Height, maxPixels)
	}
	if format == Netpbm {
		if img, err = decodeNetpbm(b); err != nil {
			return nil, fmt.Errorf("corrupt %s data: %w", format, err)
		}
		return img, nil
	}
	src, err := decodeFull(format, b)
	if err != nil {
		return nil, fmt.Errorf("corrupt %s data: %w", format, err)
	}
	if m, ok := src.(*image.Paletted); ok && format == GIF {
		src = gifFirstFrame(b, m, cfg.Width, cfg.Height)
	}
	if format == WebP {
		img, err = webpToRGB(src)
	} else {
		img, err = toRGB(src)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", format, err)
	}
	if opt.ApplyOrientation && format == JPEG {
		img = orient(img, exifOrientation(b))
	}
	return img, nil
}

func decodeConfig(f Format, b []byte) (image.Config, error) {
	r := bytes.NewReader(b)
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case BMP:
		return bmp.DecodeConfig(r)
	case TIFF:
		return tiff.DecodeConfig(r)
	case Netpbm:
		return netpbmConfig(b)
	default:
		return webp.DecodeConfig(r)
	}
}

// decodeFull decodes the whole image (the first frame of a GIF).
func decodeFull(f Format, b []byte) (image.Image, error) {
	r := bytes.NewReader(b)
	switch f {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r)
	case BMP:
		return bmp.Decode(r)
	case TIFF:
		return tiff.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// gifFirstFrame returns the first frame m of the GIF file b as PIL shows
// it, where Go's decoder differs in two ways:
//
//   - PIL paints the frame onto a canvas of the logical screen's size w×h
//     at the frame's offset, the rest filled with the frame's transparent
//     index (index 0 when it has none); Go returns the frame alone;
//   - Go turns the colour of the transparent index into transparent black,
//     where PIL's convert("RGB") keeps the colour the colour table gives it.
//
// Go's decoder does not return the colour table or the transparent index,
// so they are read from b again; where that finds no table, Go's palette
// stays.
func gifFirstFrame(b []byte, m *image.Paletted, w, h int) *image.Paletted {
	table, transparent := gifFirstTable(b)
	pal := append(color.Palette(nil), m.Palette...)
	for i := 0; i < len(pal) && 3*i+2 < len(table); i++ {
		pal[i] = color.RGBA{table[3*i], table[3*i+1], table[3*i+2], 0xFF}
	}
	canvas := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	if transparent >= 0 {
		for i := range canvas.Pix {
			canvas.Pix[i] = uint8(transparent)
		}
	}
	r := m.Rect.Intersect(canvas.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(canvas.Pix[canvas.PixOffset(r.Min.X, y):][:r.Dx()], m.Pix[m.PixOffset(r.Min.X, y):])
	}
	return canvas
}

// gifFirstTable walks the blocks of a GIF file up to its first image and
// returns the colour table that image uses (its local one, or the global
// one) as RGB triples, and the transparent index its graphic control
// extension names, or −1.
func gifFirstTable(b []byte) (table []byte, transparent int) {
	transparent = -1
	const header = 13 // "GIF89a" and the logical screen descriptor
	if len(b) < header {
		return nil, -1
	}
	// A colour table flag (bit 7) and size 2^(bits 0–2 + 1) entries.
	tableSize := func(flags byte) int {
		if flags&0x80 == 0 {
			return 0
		}
		return 3 << (flags&7 + 1)
	}
	var global []byte
	p := header
	if n := tableSize(b[10]); p+n <= len(b) {
		global, p = b[p:p+n], p+n
	}
	for p+1 < len(b) {
		switch b[p] {
		case 0x21: // extension: a label, then data sub-blocks up to an empty one
			if b[p+1] == 0xF9 && p+6 < len(b) && b[p+2] == 4 { // graphic control
				transparent = -1
				if b[p+3]&1 != 0 {
					transparent = int(b[p+6])
				}
			}
			for p += 2; p < len(b) && b[p] != 0; p += 1 + int(b[p]) {
			}
			p++
		case 0x2C: // image descriptor: position, size, flags, local table
			const descriptor = 10
			if p+descriptor > len(b) {
				return nil, -1
			}
			if n := tableSize(b[p+9]); n > 0 {
				if p+descriptor+n > len(b) {
					return nil, -1
				}
				return b[p+descriptor : p+descriptor+n], transparent
			}
			return global, transparent
		default:
			return nil, -1
		}
	}
	return nil, -1
}

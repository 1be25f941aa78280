package dataset

// Decoding: bytes → 8-bit RGB Image.
//
// The format comes from the file's first bytes, never its name (real
// datasets contain PNGs and GIFs called .jpg). Go's decoders (image/jpeg,
// image/png, image/gif, golang.org/x/image/{bmp,tiff,webp}) produce one of a
// handful of pixel types; each has its own conversion loop here (rgb.go), so
// no pixel goes through the slow image.Image.At interface. The result is what
// PIL's Image.convert("RGB") would give: alpha dropped without
// premultiplying, palettes looked up, CMYK converted with PIL's formula,
// JPEG chroma upsampled and converted with libjpeg's arithmetic.
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
	src, err := decodeFull(format, b)
	if err != nil {
		return nil, fmt.Errorf("corrupt %s data: %w", format, err)
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

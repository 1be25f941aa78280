package dataset

import "fmt"

// Image is an 8-bit image with interleaved channels: the value of channel c
// at column x, row y is Pix[(y*W+x)*C+c]. C is 3 (RGB, what decoding
// produces, like PIL's convert("RGB")) or 1 (gray, as IDX sources such as
// MNIST produce, like PIL's mode "L").
type Image struct {
	W, H, C int
	Pix     []uint8
}

// NewImage returns a black image of the given size and channel count.
func NewImage(w, h, c int) *Image {
	if w < 0 || h < 0 || (c != 1 && c != 3) {
		panic(fmt.Sprintf("dataset.NewImage: invalid size %d×%d×%d (channels must be 1 or 3)", w, h, c))
	}
	return &Image{W: w, H: h, C: c, Pix: make([]uint8, w*h*c)}
}

// Row returns the pixels of row y (W·C values).
func (m *Image) Row(y int) []uint8 {
	n := m.W * m.C
	return m.Pix[y*n : (y+1)*n]
}

// Clone returns a deep copy.
func (m *Image) Clone() *Image {
	return &Image{W: m.W, H: m.H, C: m.C, Pix: append([]uint8(nil), m.Pix...)}
}

// String describes the image's size.
func (m *Image) String() string { return fmt.Sprintf("Image(%d×%d×%d)", m.W, m.H, m.C) }

// Float is a float32 image in planar (CHW) layout: the value of channel c at
// column x, row y is Data[(c*H+y)*W+x]. ToTensor makes one from an Image.
type Float struct {
	C, H, W int
	Data    []float32
}

// Value is what flows through a transform pipeline: an 8-bit Image before
// ToTensor and a Float after it. Exactly one of the two fields is set.
type Value struct {
	Image *Image
	Float *Float
}

// Shape returns (channels, height, width) of whichever representation is set.
func (v Value) Shape() (c, h, w int) {
	if v.Image != nil {
		return v.Image.C, v.Image.H, v.Image.W
	}
	return v.Float.C, v.Float.H, v.Float.W
}

// mustImage returns v's 8-bit image or panics naming the transform that
// needed one: an 8-bit transform placed after ToTensor is a pipeline mistake.
func (v Value) mustImage(op string) *Image {
	if v.Image == nil {
		panic(fmt.Sprintf("dataset.%s: needs an 8-bit image but got a float tensor; place it before ToTensor", op))
	}
	return v.Image
}

// mustFloat returns v's float image or panics naming the transform.
func (v Value) mustFloat(op string) *Float {
	if v.Float == nil {
		panic(fmt.Sprintf("dataset.%s: needs a float tensor but got an 8-bit image; place it after ToTensor", op))
	}
	return v.Float
}

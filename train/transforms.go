package train

// Two torchvision transforms the small-image recipes need and the dataset
// package does not have (yet): Pad and RandomCrop with padding. The
// default comparison pads MNIST's 28×28 digits to 32×32 (Pad(2)), and its
// augmentation shifts them by up to two pixels (RandomCrop(32, padding=2)),
// the classic MNIST/CIFAR augmentation. Both fill with 0 (black) and work on
// 8-bit images of any channel count.

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/dataset"
)

// padImage returns m with p black pixels added on every side.
func padImage(m *dataset.Image, p int) *dataset.Image {
	out := dataset.NewImage(m.W+2*p, m.H+2*p, m.C)
	for y := range m.H {
		copy(out.Row(y + p)[p*m.C:], m.Row(y))
	}
	return out
}

// cropImage returns the h×w window of m at (top, left).
func cropImage(m *dataset.Image, top, left, h, w int) *dataset.Image {
	out := dataset.NewImage(w, h, m.C)
	for y := range h {
		copy(out.Row(y), m.Row(top + y)[left*m.C:(left+w)*m.C])
	}
	return out
}

type pad struct{ p int }

// Pad adds p black pixels on every side (torchvision Pad(p)).
func Pad(p int) dataset.Transform {
	if p < 0 {
		panic(fmt.Sprintf("train.Pad: negative padding %d", p))
	}
	return pad{p}
}

func (t pad) Apply(v dataset.Value, _ *rand.Rand) dataset.Value {
	if v.Image == nil {
		panic("train.Pad: needs an 8-bit image; place it before ToTensor")
	}
	return dataset.Value{Image: padImage(v.Image, t.p)}
}

func (t pad) String() string { return fmt.Sprintf("Pad(%d)", t.p) }

type randomCrop struct{ size, padding int }

// RandomCrop pads the image by padding black pixels on every side and cuts
// a size×size window at a uniformly drawn position (torchvision
// RandomCrop(size, padding)).
func RandomCrop(size, padding int) dataset.Transform {
	if size < 1 || padding < 0 {
		panic(fmt.Sprintf("train.RandomCrop: size %d, padding %d", size, padding))
	}
	return randomCrop{size, padding}
}

func (t randomCrop) Apply(v dataset.Value, rng *rand.Rand) dataset.Value {
	if v.Image == nil {
		panic("train.RandomCrop: needs an 8-bit image; place it before ToTensor")
	}
	m := padImage(v.Image, t.padding)
	if m.W < t.size || m.H < t.size {
		panic(fmt.Sprintf("train.RandomCrop: %d×%d image (after padding) is smaller than the %d×%d crop", m.W, m.H, t.size, t.size))
	}
	top, left := rng.IntN(m.H-t.size+1), rng.IntN(m.W-t.size+1)
	return dataset.Value{Image: cropImage(m, top, left, t.size, t.size)}
}

func (t randomCrop) String() string {
	return fmt.Sprintf("RandomCrop(%d, padding=%d)", t.size, t.padding)
}

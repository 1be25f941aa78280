package dataset

// Pad and RandomCrop with padding, the classic small-image pipeline of
// MNIST and CIFAR: Pad(2) makes MNIST's 28×28 digits 32×32, and
// RandomCrop(32, padding=4) shifts a CIFAR image by up to four pixels.
// Both fill with 0 (black, torchvision's default fill in constant mode)
// and work on 8-bit images of any channel count.

import (
	"fmt"
	"math/rand/v2"
)

type pad struct{ p int }

// Pad adds p black pixels on every side (torchvision Pad(p)).
func Pad(p int) Transform {
	if p < 0 {
		panic(fmt.Sprintf("dataset.Pad: negative padding %d", p))
	}
	return pad{p}
}

func (t pad) Apply(v Value, _ *rand.Rand) Value {
	m := v.mustImage("Pad")
	return Value{Image: crop(m, -t.p, -t.p, m.W+2*t.p, m.H+2*t.p)}
}

func (t pad) String() string { return fmt.Sprintf("Pad(%d)", t.p) }

type randomCrop struct{ size, padding int }

// RandomCrop pads the image by padding black pixels on every side and cuts
// a size×size window at a uniformly drawn position, the row drawn first
// (torchvision RandomCrop(size, padding)).
func RandomCrop(size, padding int) Transform {
	if size < 1 || padding < 0 {
		panic(fmt.Sprintf("dataset.RandomCrop: size %d, padding %d", size, padding))
	}
	return randomCrop{size, padding}
}

func (t randomCrop) Apply(v Value, rng *rand.Rand) Value {
	m := v.mustImage("RandomCrop")
	h, w := m.H+2*t.padding, m.W+2*t.padding
	if w < t.size || h < t.size {
		panic(fmt.Sprintf("dataset.RandomCrop: %d×%d image (after padding) is smaller than the %d×%d crop", w, h, t.size, t.size))
	}
	top, left := rng.IntN(h-t.size+1), rng.IntN(w-t.size+1)
	return Value{Image: crop(m, left-t.padding, top-t.padding, t.size, t.size)}
}

func (t randomCrop) String() string {
	return fmt.Sprintf("RandomCrop(%d, padding=%d)", t.size, t.padding)
}

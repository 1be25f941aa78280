package dataset

import (
	"math/rand/v2"
	"testing"
)

// padded is the pixel (x, y) of m padded by p black pixels, by definition.
func padded(m *Image, p, x, y, c int) uint8 {
	x, y = x-p, y-p
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return 0
	}
	return m.Row(y)[x*m.C+c]
}

func distinctPixels(w, h, c int) *Image {
	m := NewImage(w, h, c)
	for i := range m.Pix {
		m.Pix[i] = uint8(i%250 + 1)
	}
	return m
}

// TestPadAndRandomCrop checks Pad's pixels and RandomCrop's windows
// against padding by definition, on gray and colour images, and that
// RandomCrop draws the row and then the column, uniformly.
func TestPadAndRandomCrop(t *testing.T) {
	for _, c := range []int{1, 3} {
		m := distinctPixels(5, 4, c)
		for _, p := range []int{0, 1, 3} {
			got := Pad(p).Apply(Value{Image: m}, nil).Image
			if got.W != m.W+2*p || got.H != m.H+2*p || got.C != c {
				t.Fatalf("Pad(%d) of %v: %v", p, m, got)
			}
			for y := range got.H {
				for x := range got.W {
					for ch := range c {
						if v := got.Row(y)[x*c+ch]; v != padded(m, p, x, y, ch) {
							t.Fatalf("Pad(%d), %d channels: pixel (%d, %d, %d) = %d, want %d", p, c, x, y, ch, v, padded(m, p, x, y, ch))
						}
					}
				}
			}
		}
		const size, p = 4, 2
		rng, draws := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
		seen := map[[2]int]bool{}
		for range 400 {
			got := RandomCrop(size, p).Apply(Value{Image: m}, rng).Image
			top, left := draws.IntN(m.H+2*p-size+1), draws.IntN(m.W+2*p-size+1)
			seen[[2]int{top, left}] = true
			if got.W != size || got.H != size || got.C != c {
				t.Fatalf("RandomCrop(%d, %d) of %v: %v", size, p, m, got)
			}
			for y := range size {
				for x := range size {
					for ch := range c {
						if v, want := got.Row(y)[x*c+ch], padded(m, p, left+x, top+y, ch); v != want {
							t.Fatalf("RandomCrop at (%d, %d): pixel (%d, %d, %d) = %d, want %d", top, left, x, y, ch, v, want)
						}
					}
				}
			}
		}
		if want := (m.H + 2*p - size + 1) * (m.W + 2*p - size + 1); len(seen) != want {
			t.Errorf("RandomCrop took %d of the %d windows", len(seen), want)
		}
	}
	if RandomCrop(3, 1).String() != "RandomCrop(3, padding=1)" || Pad(2).String() != "Pad(2)" {
		t.Errorf("names %s, %s", RandomCrop(3, 1), Pad(2))
	}
}

package dataset

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestResampleRowTapCounts compares ResizeImage with refResize on random
// widths, so that the horizontal pass runs with every padded tap count
// from 1 to well above the unrolled kernels' 2, 3 and 4, for 1 and 3
// channels and both filters, and checks that each unrolled kernel was
// reached.
func TestResampleRowTapCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	seen := map[int]bool{}
	for range 400 {
		inW, outW := 1+rng.IntN(90), 1+rng.IntN(90)
		if inW == outW {
			continue
		}
		c := []int{1, 3}[rng.IntN(2)]
		ip := []Interpolation{Bilinear, Bicubic}[rng.IntN(2)]
		m := NewImage(inW, 1+rng.IntN(4), c)
		for i := range m.Pix {
			m.Pix[i] = uint8(rng.IntN(256))
		}
		outH := 1 + rng.IntN(4)
		if got, want := ResizeImage(m, outW, outH, ip), refResize(m, outW, outH, ip); !bytes.Equal(got.Pix, want.Pix) {
			t.Fatalf("%v c=%d %d×%d→%d×%d: fast resize differs from the reference", ip, c, m.W, m.H, outW, outH)
		}
		if c == 3 {
			taps := precomputeTaps(inW, 0, float32(inW), outW, ip)
			taps.padTaps(inW)
			seen[taps.bounds[1]] = true
		}
	}
	for n := 2; n <= 4; n++ {
		if !seen[n] {
			t.Errorf("no 3-channel resize had %d taps per pixel", n)
		}
	}
}

// BenchmarkResampleRow: the horizontal pass alone on 3-channel rows, with
// the tap counts of the train pipeline: 500→341 (Resize 256 of a 500×375
// photo, 4 taps) and 290→224 (a RandomResizedCrop region, 3 taps).
func BenchmarkResampleRow(b *testing.B) {
	for _, sz := range [][2]int{{500, 341}, {290, 224}} {
		taps := precomputeTaps(sz[0], 0, float32(sz[0]), sz[1], Bilinear)
		taps.padTaps(sz[0])
		src, dst := make([]uint8, 3*sz[0]), make([]uint8, 3*sz[1])
		for i := range src {
			src[i] = uint8(i * 7)
		}
		b.Run(fmt.Sprintf("%d→%d", sz[0], sz[1]), func(b *testing.B) {
			for b.Loop() {
				resampleRow(dst, src, 3, taps)
			}
		})
	}
}

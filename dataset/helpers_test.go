package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// synthPhoto makes a deterministic w×h RGB image with smooth gradients,
// noise and a hard-edged block, as a stand-in for a photo.
func synthPhoto(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 128 + 100*math.Sin(6*fx+float64(seed))*math.Cos(4*fy)
			g := 128 + 90*math.Cos(5*fy+3*fx)
			b := 255 * fx * fy
			if x > w/4 && x < w/2 && y > h/3 && y < 2*h/3 {
				r, g, b = 240, 30, 60
			}
			n := rng.NormFloat64() * 8
			m.SetRGBA(x, y, color.RGBA{clampByte(r + n), clampByte(g + n), clampByte(b + n), 255})
		}
	}
	return m
}

func clampByte(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

func encodeJPEG(t testing.TB, m image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// memSource is a Source over images kept in memory (as encoded files or
// ready pixels) for tests and benchmarks.
type memSource struct {
	files   [][]byte
	labels  []int
	classes []string
}

func (s *memSource) Len() int          { return len(s.files) }
func (s *memSource) Classes() []string { return s.classes }
func (s *memSource) Label(i int) int   { return s.labels[i] }
func (s *memSource) Name(i int) string { return "mem[" + string(rune('0'+i%10)) + "]" }
func (s *memSource) Image(i int) (*Image, error) {
	return Decode(s.files[i], DecodeOptions{})
}

// newMemSource holds n JPEGs of size w×h (a few distinct ones, repeated),
// labelled i mod classes.
func newMemSource(t testing.TB, n, w, h, classes int) *memSource {
	distinct := make([][]byte, 4)
	for i := range distinct {
		distinct[i] = encodeJPEG(t, synthPhoto(w, h, uint64(i)), 90)
	}
	s := &memSource{}
	for i := range n {
		s.files = append(s.files, distinct[i%len(distinct)])
		s.labels = append(s.labels, i%classes)
	}
	for c := range classes {
		s.classes = append(s.classes, string(rune('a'+c)))
	}
	return s
}

// grayImage wraps a one-channel Image as an image.Gray for encoding.
func grayImage(m *Image) *image.Gray {
	return &image.Gray{Pix: m.Pix, Stride: m.W, Rect: image.Rect(0, 0, m.W, m.H)}
}

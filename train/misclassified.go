package train

// Misclassified test images, saved as PNG files so that a person (or the
// dashboard) can look at what the model gets wrong: the most confident
// mistakes, named NN-LABEL-as-PREDICTED.png, in the order of confidence.

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/safetensors"
)

// saveMisclassified writes the images of the mistakes under Dir and
// describes them.
func (t *Trainer) saveMisclassified(mistakes []mistake) ([]Misclassified, error) {
	out := []Misclassified{}
	if len(mistakes) == 0 {
		return out, nil
	}
	dir := filepath.Join(t.Dir, MisclassDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("saving misclassified images: %w", err)
	}
	classes := t.Data.Test.Classes()
	for i, m := range mistakes {
		img, err := t.Data.Test.Image(m.index)
		if err != nil {
			return nil, fmt.Errorf("saving misclassified images: %w", err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, stdImage(img)); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", t.Data.Test.Name(m.index), err)
		}
		name := fmt.Sprintf("%02d-%s-as-%s.png", i+1, fileSafe(classes[m.label]), fileSafe(classes[m.pred]))
		if err := safetensors.WriteAtomic(filepath.Join(dir, name), b.Bytes()); err != nil {
			return nil, fmt.Errorf("saving misclassified images: %w", err)
		}
		out = append(out, Misclassified{Index: m.index, Name: t.Data.Test.Name(m.index), Label: classes[m.label],
			Predicted: classes[m.pred], Confidence: m.confidence, File: filepath.ToSlash(filepath.Join(filepath.Base(t.Dir), MisclassDir, name))})
	}
	return out, nil
}

// stdImage wraps an 8-bit gray image as an image.Gray, and converts an RGB
// one to image.NRGBA (opaque).
func stdImage(m *dataset.Image) image.Image {
	r := image.Rect(0, 0, m.W, m.H)
	if m.C == 1 {
		return &image.Gray{Pix: m.Pix, Stride: m.W, Rect: r}
	}
	out := image.NewNRGBA(r)
	for i := range m.W * m.H {
		copy(out.Pix[4*i:4*i+3], m.Pix[3*i:3*i+3])
		out.Pix[4*i+3] = 255
	}
	return out
}

// maxNameBytes is the most bytes of a class name that fileSafe keeps: two
// of them in NN-LABEL-as-PREDICTED.png, with the temporary name's additions
// while the file is written, stay within the 255 bytes file systems allow
// for a name.
const maxNameBytes = 100

// fileSafe turns a class name into something usable in a file name: the
// characters that do not belong there become '_', and a name longer than
// maxNameBytes is cut there (at a character boundary). The file's number
// keeps two mistakes with long names apart.
func fileSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, s)
	if len(s) > maxNameBytes {
		cut := maxNameBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

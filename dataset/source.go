package dataset

// Sources: indexable collections of labelled images.
//
// Every source answers the same questions: how many items, the class names,
// the label of item i (cheaply, without decoding, so that splits and
// shuffles do not touch the pixels), the image of item i (decoded on
// demand; an error names the file or record), and a name for item i used in
// warnings. Sources are safe for concurrent Image calls.

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
)

// Source is a dataset of labelled images.
type Source interface {
	Len() int
	Classes() []string
	Label(i int) int
	Image(i int) (*Image, error)
	Name(i int) string
}

// WarnFunc receives one human-readable warning (a skipped file, a count).
type WarnFunc func(msg string)

// StderrWarn writes warnings to standard error; it is the default.
func StderrWarn(msg string) { fmt.Fprintln(os.Stderr, "dataset: warning:", msg) }

// files is a Source of image files on disk with known labels.
type files struct {
	paths   []string
	labels  []int
	classes []string
	opt     DecodeOptions
}

func (f *files) Len() int                    { return len(f.paths) }
func (f *files) Classes() []string           { return f.classes }
func (f *files) Label(i int) int             { return f.labels[i] }
func (f *files) Name(i int) string           { return f.paths[i] }
func (f *files) Image(i int) (*Image, error) { return DecodeFile(f.paths[i], f.opt) }

// Subset is a view of some items of a source, in the given order.
type Subset struct {
	Src     Source
	Indices []int
}

func (s *Subset) Len() int                    { return len(s.Indices) }
func (s *Subset) Classes() []string           { return s.Src.Classes() }
func (s *Subset) Label(i int) int             { return s.Src.Label(s.Indices[i]) }
func (s *Subset) Name(i int) string           { return s.Src.Name(s.Indices[i]) }
func (s *Subset) Image(i int) (*Image, error) { return s.Src.Image(s.Indices[i]) }

// SplitStratified divides src into a training and a validation subset.
// Within each class, the items are shuffled with a generator seeded by seed
// and round(valFraction·count) of them go to validation, so both subsets keep
// the class proportions. Each subset lists its items in source order. The
// result depends only on the labels, valFraction and seed.
func SplitStratified(src Source, valFraction float64, seed uint64) (train, val *Subset) {
	if valFraction < 0 || valFraction > 1 {
		panic(fmt.Sprintf("dataset.SplitStratified: fraction %v is not in [0, 1]", valFraction))
	}
	byClass := make([][]int, len(src.Classes()))
	for i := range src.Len() {
		l := src.Label(i)
		byClass[l] = append(byClass[l], i)
	}
	// The stream constant ("SPLIT") keeps this generator apart from the loader's.
	rng := rand.New(rand.NewPCG(seed, 0x53504c4954))
	var tr, va []int
	for _, idx := range byClass {
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		nv := roundHalfEven(valFraction * float64(len(idx)))
		va = append(va, idx[:nv]...)
		tr = append(tr, idx[nv:]...)
	}
	slices.Sort(tr)
	slices.Sort(va)
	return &Subset{src, tr}, &Subset{src, va}
}

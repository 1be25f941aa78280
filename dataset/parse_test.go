package dataset

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomImage is a w×h RGB image of random pixels.
func randomImage(w, h int, seed uint64) *Image {
	m := NewImage(w, h, 3)
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
	}
	return m
}

// TestParseEvalTransformRoundTrip rebuilds, from their String forms, the
// evaluation pipelines cmd/train records (MNIST padded or resized, CIFAR-10
// as it is, photographs through a preset) and checks that each gives the
// same string and the same tensor as the original.
func TestParseEvalTransformRoundTrip(t *testing.T) {
	mnist := Normalize([]float32{0.1307, 0.1307, 0.1307}, []float32{0.3081, 0.3081, 0.3081})
	for _, tf := range []Transform{
		Compose(Pad(2), Grayscale(3), ToTensor(), mnist),
		Compose(ResizeTo(29, 29, Bilinear), Grayscale(3), ToTensor(), mnist),
		Compose(ToTensor(), Normalize([]float32{0.4914, 0.4822, 0.4465}, []float32{0.247, 0.2435, 0.2616})),
		Preset{ResizeSize: 36, CropSize: 32, Interpolation: Bilinear, Mean: ImageNetMean, Std: ImageNetStd}.Eval(),
		Preset{ResizeSize: 256, CropSize: 224, Interpolation: Bicubic, Mean: HalfMean, Std: HalfStd}.Eval(),
		Compose(CenterCrop(20, 24), Grayscale(1), Grayscale(3), ToTensor()),
	} {
		got, err := ParseEvalTransform(tf.String())
		if err != nil {
			t.Errorf("%v: %v", tf, err)
			continue
		}
		if got.String() != tf.String() {
			t.Errorf("%v rebuilt as %v", tf, got)
		}
		for i, size := range [][2]int{{28, 28}, {50, 37}} {
			img := randomImage(size[0], size[1], uint64(i))
			want := tf.Apply(Value{Image: img}, nil).Float
			have := got.Apply(Value{Image: img}, nil).Float
			if have.C != want.C || have.H != want.H || have.W != want.W || !slices.Equal(have.Data, want.Data) {
				t.Errorf("%v on a %d×%d image: the rebuilt pipeline gives other values", tf, size[0], size[1])
			}
		}
	}
}

// TestParseEvalTransformFlattens checks that a Compose inside a Compose gives
// its steps in place.
func TestParseEvalTransformFlattens(t *testing.T) {
	tf, err := ParseEvalTransform("Compose(Compose(Pad(1), Compose(Grayscale(3))), ToTensor())")
	if err != nil || tf.String() != "Compose(Pad(1), Grayscale(3), ToTensor())" {
		t.Errorf("got %v, %v", tf, err)
	}
}

// TestParseEvalTransformRefuses checks that what cannot be rebuilt, or would
// not give a three-channel tensor, is an error saying why.
func TestParseEvalTransformRefuses(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Compose(RandomCrop(32, padding=2), ToTensor())", "RandomCrop draws at random"},
		{"Compose(RandomHorizontalFlip(p=0.5), ToTensor())", "RandomHorizontalFlip draws at random"},
		{"Compose(Solarize(128), ToTensor())", "unknown step Solarize"},
		{"Compose(Pad(2), Grayscale(3))", "no ToTensor"},
		{"Compose(ToTensor(), Pad(2))", "Pad after ToTensor"},
		{"Compose(Normalize(mean=[0.5], std=[0.5]), ToTensor())", "Normalize before ToTensor"},
		{"Compose(ToTensor(), Normalize(mean=[0.5], std=[0.5]))", "1 channel means for a 3-channel image"},
		{"Compose(Grayscale(1), ToTensor(), Normalize(mean=[0.5], std=[0.5]))", "1-channel tensors; the models take 3"},
		{"Compose(Grayscale(2), ToTensor())", `"2" channels, want 1 or 3`},
		{"Compose(ToTensor(), Normalize(mean=[0.5 0.5 0.5], std=[0.5 0 0.5]))", "a standard deviation is zero"},
		{"Compose(ToTensor(), Normalize(mean=[0.5 NaN 0.5], std=[0.5 0.5 0.5]))", `mean value "NaN" is not a finite number`},
		{"Compose(ToTensor(), Normalize(mean=[0.5 0.5], std=[0.5 0.5 0.5]))", "2 means and 3 standard deviations"},
		{"Compose(Resize(100000, bilinear), ToTensor())", `"100000" is not a size from 1 to 8192`},
		{"Compose(Resize((32, 0), bilinear), ToTensor())", `"0" is not a size from 1 to 8192`},
		{"Compose(Resize(32, lanczos), ToTensor())", `unknown interpolation " lanczos"`},
		{"Compose(Pad(-1), ToTensor())", `"-1" is not a size from 0 to 8192`},
		{"Compose(Pad(2, 3), ToTensor())", "Pad takes 1 arguments"},
		{"Compose(Pad(2), ToTensor()", "unbalanced brackets"},
		{"Compose(Pad(2))), ToTensor()", "unbalanced brackets"},
		{"Pad 2", `"Pad 2" is not a step NAME(ARGUMENTS)`},
		{"", "is not a step"},
	} {
		if _, err := ParseEvalTransform(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one mentioning %q", c.in, err, c.want)
		}
	}
}

// GrayscaleChannels finds a Grayscale step at any depth of a pipeline,
// rebuilt from its recorded form or not.
func TestGrayscaleChannels(t *testing.T) {
	mnist, err := ParseEvalTransform("Compose(Pad(2), Grayscale(3), ToTensor(), Normalize(mean=[0.1307 0.1307 0.1307], std=[0.3081 0.3081 0.3081]))")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tf   Transform
		want int
	}{
		{mnist, 3},
		{Grayscale(1), 1},
		{Compose(Resize(8, Bilinear), Compose(CenterCrop(4, 4), Grayscale(3))), 3},
		{Compose(Resize(8, Bilinear), ToTensor()), 0},
		{RandomGrayscale(1), 0},
	} {
		if got := GrayscaleChannels(c.tf); got != c.want {
			t.Errorf("GrayscaleChannels(%v) = %d, want %d", c.tf, got, c.want)
		}
	}
}

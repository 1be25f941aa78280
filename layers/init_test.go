package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

// moments returns the mean, the standard deviation and the largest absolute
// value of d, in float64.
func moments(d []float32) (mean, std, maxAbs float64) {
	for _, v := range d {
		mean += float64(v)
		maxAbs = max(maxAbs, math.Abs(float64(v)))
	}
	mean /= float64(len(d))
	for _, v := range d {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(d))), maxAbs
}

// checkMoments fails unless d's mean and standard deviation match a
// distribution with the given ones: the mean within 5 standard errors, the
// standard deviation within 2%.
func checkMoments(t *testing.T, name string, d []float32, wantMean, wantStd float64) {
	t.Helper()
	mean, std, _ := moments(d)
	if se := wantStd / math.Sqrt(float64(len(d))); math.Abs(mean-wantMean) > 5*se {
		t.Errorf("%s: mean %.5g, want %.5g ± %.2g", name, mean, wantMean, 5*se)
	}
	if math.Abs(std-wantStd) > 0.02*wantStd {
		t.Errorf("%s: std %.5g, want %.5g ± 2%%", name, std, wantStd)
	}
}

// checkUniform fails unless d looks like U(−bound, bound): every value inside,
// the extremes near the bound, mean 0 and std bound/√3.
func checkUniform(t *testing.T, name string, d []float32, bound float64) {
	t.Helper()
	_, _, maxAbs := moments(d)
	if maxAbs > bound || maxAbs < 0.99*bound {
		t.Errorf("%s: largest |value| %.6g, want just under the bound %.6g", name, maxAbs, bound)
	}
	checkMoments(t, name, d, 0, bound/math.Sqrt(3))
}

// PyTorch's default initialisation: kaiming_uniform(a=√5) gives weights in
// U(−1/√fan_in, 1/√fan_in), and the bias uses the same bound.
func TestDefaultInitMatchesPyTorch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	conv := NewConv2d(rng, 64, 96, 3, ConvOpts{Bias: WithBias})
	checkUniform(t, "Conv2d weight", conv.Weight.Data(), 1/math.Sqrt(64*9))
	grouped := NewConv2d(rng, 64, 128, 3, ConvOpts{Groups: 4})
	checkUniform(t, "grouped Conv2d weight", grouped.Weight.Data(), 1/math.Sqrt(16*9))
	lin := NewLinear(rng, 400, 300, WithBias)
	checkUniform(t, "Linear weight", lin.Weight.Data(), 1/math.Sqrt(400))

	// Biases are short; check only that they fill their range.
	bias := NewLinear(rng, 25, 5000, WithBias).Bias.Data()
	checkUniform(t, "Linear bias", bias, 1/math.Sqrt(25))
	if b := NewConv2d(rng, 3, 4, 3, ConvOpts{}).Bias; b != nil {
		t.Errorf("ConvOpts{} made a bias %v", b)
	}
	if got := Parameters(conv); len(got) != 2 || got[0].Name != "weight" || got[1].Name != "bias" {
		t.Errorf("Conv2d parameters %v", got)
	}

	bn := NewBatchNorm2d(5, BatchNormOpts{})
	for _, c := range []struct {
		name string
		t    *autograd.Tensor
		want float32
	}{{"weight", bn.Weight, 1}, {"bias", bn.Bias, 0}, {"running_mean", bn.RunningMean, 0}, {"running_var", bn.RunningVar, 1}, {"num_batches_tracked", bn.NumBatchesTracked, 0}} {
		for _, v := range c.t.Data() {
			if v != c.want {
				t.Errorf("BatchNorm2d %s = %v, want all %v", c.name, c.t.Data(), c.want)
				break
			}
		}
	}
}

func TestInitHelpers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	w := autograd.Zeros(128, 64, 3, 3)
	KaimingNormal(rng, w, FanOut)
	checkMoments(t, "KaimingNormal fan_out", w.Data(), 0, math.Sqrt(2.0/(128*9)))
	KaimingNormal(rng, w, FanIn)
	checkMoments(t, "KaimingNormal fan_in", w.Data(), 0, math.Sqrt(2.0/(64*9)))
	KaimingUniform(rng, w, 0, FanOut)
	checkUniform(t, "KaimingUniform a=0 fan_out", w.Data(), math.Sqrt(6.0/(128*9)))

	v := autograd.Zeros(100_000)
	Normal(rng, v, 0.5, 0.01)
	checkMoments(t, "Normal(0.5, 0.01)", v.Data(), 0.5, 0.01)
	Uniform(rng, v, -3, -1)
	mean, std, _ := moments(v.Data())
	lo, hi := slices.Min(v.Data()), slices.Max(v.Data())
	if lo < -3 || hi >= -1 || lo > -2.99 || hi < -1.01 || math.Abs(mean+2) > 0.01 || math.Abs(std-1/math.Sqrt(3)) > 0.01 {
		t.Errorf("Uniform(-3, -1): range [%v, %v], mean %v, std %v", lo, hi, mean, std)
	}
	Ones(v)
	if slices.Min(v.Data()) != 1 || slices.Max(v.Data()) != 1 {
		t.Error("Ones left a value other than 1")
	}
	Zeros(v)
	if slices.Min(v.Data()) != 0 || slices.Max(v.Data()) != 0 {
		t.Error("Zeros left a value other than 0")
	}
	if in, out := Fans([]int{10, 20}); in != 20 || out != 10 {
		t.Errorf("Fans of a linear weight (10, 20) = %d, %d; want 20, 10", in, out)
	}
}

// The same seed builds the same model; another seed does not.
func TestInitIsReproducible(t *testing.T) {
	build := func(seed uint64) Module {
		rng := rand.New(rand.NewPCG(seed, 0))
		return NewSequential(
			NewConv2d(rng, 3, 8, 3, ConvOpts{Bias: WithBias}),
			NewBatchNorm2d(8, BatchNormOpts{}),
			NewDropout(rng, 0.5),
			NewLinear(rng, 8, 4, WithBias),
		)
	}
	digest := func(m Module) string {
		var s string
		for _, p := range Parameters(m) {
			s += fmt.Sprint(p.Name, p.Tensor.Data())
		}
		return s
	}
	a, b, c := digest(build(7)), digest(build(7)), digest(build(8))
	if a != b {
		t.Error("two models built from seed 7 differ")
	}
	if a == c {
		t.Error("models built from seeds 7 and 8 are identical")
	}
}

// A nil generator draws nothing and leaves the weights zero; ResetParameters
// later draws exactly what the constructor would have drawn from the same
// generator state; and a constructor given a generator draws PyTorch's
// default in the documented order (weight, then bias), consuming the
// generator as it always did.
func TestNilGeneratorSkipsInit(t *testing.T) {
	allZero := func(m Module) bool {
		for _, p := range Parameters(m) {
			if slices.ContainsFunc(p.Tensor.Data(), func(v float32) bool { return v != 0 }) || !p.Tensor.RequiresGrad() {
				return false
			}
		}
		return true
	}
	conv := NewConv2d(nil, 6, 9, 3, ConvOpts{Groups: 3, Bias: WithBias})
	lin := NewLinear(nil, 13, 4, WithBias)
	se := NewSqueezeExcitation(nil, 8, 2, 0, 0)
	for name, m := range map[string]Module{"Conv2d": conv, "Linear": lin, "SqueezeExcitation": se} {
		if !allZero(m) {
			t.Errorf("%s built with a nil generator: parameters not all zero (or not trainable)", name)
		}
	}
	if !slices.Equal(conv.Weight.Shape(), []int{9, 2, 3, 3}) || !slices.Equal(lin.Bias.Shape(), []int{4}) {
		t.Errorf("shapes %v and %v", conv.Weight.Shape(), lin.Bias.Shape())
	}

	// The constructor's draws, spelled out.
	ref := rand.New(rand.NewPCG(11, 12))
	wantConvW, wantConvB := autograd.Zeros(9, 2, 3, 3), autograd.Zeros(9)
	KaimingUniform(ref, wantConvW, math.Sqrt(5), FanIn)
	Uniform(ref, wantConvB, -1/math.Sqrt(18), 1/math.Sqrt(18))
	wantLinW, wantLinB := autograd.Zeros(4, 13), autograd.Zeros(4)
	Uniform(ref, wantLinW, -1/math.Sqrt(13), 1/math.Sqrt(13))
	Uniform(ref, wantLinB, -1/math.Sqrt(13), 1/math.Sqrt(13))

	built := rand.New(rand.NewPCG(11, 12))
	bc := NewConv2d(built, 6, 9, 3, ConvOpts{Groups: 3, Bias: WithBias})
	bl := NewLinear(built, 13, 4, WithBias)
	reset := rand.New(rand.NewPCG(11, 12))
	conv.ResetParameters(reset)
	lin.ResetParameters(reset)
	for _, c := range []struct {
		name      string
		got, want *autograd.Tensor
	}{
		{"NewConv2d weight", bc.Weight, wantConvW}, {"NewConv2d bias", bc.Bias, wantConvB},
		{"NewLinear weight", bl.Weight, wantLinW}, {"NewLinear bias", bl.Bias, wantLinB},
		{"Conv2d.ResetParameters weight", conv.Weight, wantConvW}, {"Conv2d.ResetParameters bias", conv.Bias, wantConvB},
		{"Linear.ResetParameters weight", lin.Weight, wantLinW}, {"Linear.ResetParameters bias", lin.Bias, wantLinB},
	} {
		if !slices.Equal(c.got.Data(), c.want.Data()) {
			t.Errorf("%s differs from PyTorch's default drawn in order", c.name)
		}
	}
	if a, b, c := ref.Uint64(), built.Uint64(), reset.Uint64(); a != b || a != c {
		t.Errorf("generators left in different states: %d, %d, %d", a, b, c)
	}
}

package layers_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
)

// The network of scripts/fixtures_layers.py, built with package layers. It
// exercises a custom module with named children (fixtureBlock, like a
// torchvision residual block) next to nested Sequentials.

type fixtureBlock struct {
	layers.Base
	conv1, conv2 *layers.Conv2d
	bn1          *layers.BatchNorm2d
	act          *layers.Activation
	pool         *layers.AvgPool2d
}

func newFixtureBlock(rng *rand.Rand) *fixtureBlock {
	b := &fixtureBlock{}
	b.conv1 = layers.Add(&b.Base, "conv1", layers.NewConv2d(rng, 8, 12, 1, layers.ConvOpts{}))
	b.bn1 = layers.Add(&b.Base, "bn1", layers.NewBatchNorm2d(12, layers.BatchNormOpts{Cumulative: true}))
	b.act = layers.Add(&b.Base, "act", layers.NewSiLU())
	b.conv2 = layers.Add(&b.Base, "conv2", layers.NewConv2d(rng, 12, 12, 3, layers.ConvOpts{Padding: 2, Dilation: 2, Groups: 3, Bias: layers.WithBias}))
	b.pool = layers.Add(&b.Base, "pool", layers.NewAvgPool2d(3, layers.PoolOpts{Stride: 1, Padding: 1, CountExcludePad: true}))
	return b
}

func (b *fixtureBlock) Forward(x *autograd.Tensor) *autograd.Tensor {
	x = b.act.Forward(b.bn1.Forward(b.conv1.Forward(x)))
	return b.pool.Forward(b.conv2.Forward(x))
}

type fixtureNet struct {
	layers.Base
	features, classifier *layers.Sequential
	block                *fixtureBlock
	avgpool              *layers.AdaptiveAvgPool2d
}

func newFixtureNet(rng *rand.Rand) *fixtureNet {
	n := &fixtureNet{}
	n.features = layers.Add(&n.Base, "features", layers.NewSequential(
		layers.NewConv2d(rng, 3, 8, 3, layers.ConvOpts{Stride: 2, Padding: 1}),
		layers.NewBatchNorm2d(8, layers.BatchNormOpts{}),
		layers.NewReLU(),
		layers.NewSequential(
			layers.NewConv2d(rng, 8, 8, 3, layers.ConvOpts{Stride: 2, Padding: 1, Groups: 8}),
			layers.NewBatchNorm2d(8, layers.BatchNormOpts{Eps: 1e-3, Momentum: 0.01}),
			layers.NewHardswish(),
			layers.NewSqueezeExcitation(rng, 8, 4, kernels.ReLU, kernels.Hardsigmoid),
		),
		layers.NewMaxPool2d(3, layers.PoolOpts{Stride: 2, Padding: 1}),
	))
	n.block = layers.Add(&n.Base, "block", newFixtureBlock(rng))
	n.avgpool = layers.Add(&n.Base, "avgpool", layers.NewAdaptiveAvgPool2d(1, 1))
	n.classifier = layers.Add(&n.Base, "classifier", layers.NewSequential(
		layers.NewFlatten(),
		layers.NewDropout(rng, 0),
		layers.NewLinear(rng, 12, 5, layers.WithBias),
	))
	return n
}

func (n *fixtureNet) Forward(x *autograd.Tensor) *autograd.Tensor {
	return n.classifier.Forward(n.avgpool.Forward(n.block.Forward(n.features.Forward(x))))
}

// fixtureTensor reads one tensor of f as a Go tensor.
func fixtureTensor(t *testing.T, f *safetensors.File, name string) *autograd.Tensor {
	t.Helper()
	v, shape, err := f.Float32(name)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return autograd.New(v, shape...)
}

// compare fails unless every element of got differs from want by at most
// 1e-4·max(|want|, 0.1·max|want|), and returns the worst relative error in
// that sense (≤ 1e-4 passes). The floor at a tenth of the largest value
// exists because float32 rounding, here and in PyTorch, is relative to the
// sums that produced a value, not to the value: a gradient that nearly
// cancels to zero carries the rounding of its large terms.
func compare(t *testing.T, name string, got, want []float32) float64 {
	t.Helper()
	const rtol = 1e-4
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", name, len(got), len(want))
		return math.Inf(1)
	}
	floor := 0.0 // errors on values below this are measured against it
	for _, w := range want {
		floor = max(floor, 0.1*math.Abs(float64(w)))
	}
	worst, at := 0.0, 0
	for i := range want {
		diff := math.Abs(float64(got[i]) - float64(want[i]))
		e := diff / max(math.Abs(float64(want[i])), floor, math.SmallestNonzeroFloat32)
		if e > worst || math.IsNaN(e) {
			worst, at = e, i
		}
	}
	if !(worst <= rtol) {
		t.Errorf("%s: element %d is %v, PyTorch says %v", name, at, got[at], want[at])
	}
	return worst
}

// The fixture network loads PyTorch's state dict with the same keys in the
// same order, and matches PyTorch's outputs in eval and train mode, every
// parameter gradient, and the running statistics after the training step.
func TestMatchesPyTorch(t *testing.T) {
	model, err := safetensors.ReadFile("testdata/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	io, err := safetensors.ReadFile("testdata/io.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	net := newFixtureNet(rand.New(rand.NewPCG(1, 2)))

	var keys []string
	for _, e := range layers.StateDict(net) {
		keys = append(keys, e.Name)
	}
	if !slices.Equal(keys, model.Names()) {
		t.Fatalf("state dict keys differ from PyTorch's:\n got %v\nwant %v", keys, model.Names())
	}
	if _, err := layers.LoadStateDict(net, model, layers.LoadOptions{Strict: true}); err != nil {
		t.Fatal(err)
	}

	worst := map[string]float64{}
	x := fixtureTensor(t, io, "x")
	layers.SetTraining(net, false)
	worst["eval output"] = compare(t, "eval output", net.Forward(autograd.NoGrad(x)).Data(), fixtureTensor(t, io, "out_eval").Data())

	layers.SetTraining(net, true)
	out := net.Forward(x).Retain()
	autograd.Sum(autograd.Mul(out, fixtureTensor(t, io, "r"))).Backward()
	worst["train output"] = compare(t, "train output", out.Data(), fixtureTensor(t, io, "out_train").Data())
	for _, p := range layers.Parameters(net) {
		name := "grad." + p.Name
		worst["gradients"] = max(worst["gradients"], compare(t, name, p.Tensor.Grad(), fixtureTensor(t, io, name).Data()))
	}
	for _, b := range layers.Buffers(net) {
		name := "after." + b.Name
		worst["buffers"] = max(worst["buffers"], compare(t, name, b.Tensor.Data(), fixtureTensor(t, io, name).Data()))
	}
	t.Logf("largest relative error vs PyTorch: %v", worst)
}

// Evaluation-mode inference changes no state, so one model serves several
// goroutines at once, each getting the single-goroutine answer bit for bit.
func TestConcurrentEvalInference(t *testing.T) {
	net := newFixtureNet(rand.New(rand.NewPCG(3, 4)))
	layers.SetTraining(net, false)
	x := autograd.NoGrad(autograd.Full(0.5, 2, 3, 17, 17))
	want := slices.Clone(net.Forward(x).Data())
	got := make([][]float32, 4)
	var wg sync.WaitGroup
	for g := range got {
		wg.Go(func() { got[g] = net.Forward(x).Data() })
	}
	wg.Wait()
	for g := range got {
		if !slices.Equal(got[g], want) {
			t.Errorf("goroutine %d: output differs from the single-goroutine one", g)
		}
	}
}

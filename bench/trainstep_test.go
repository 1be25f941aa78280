package bench

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
)

// BenchmarkTrainStepSmallCNN measures one training step (forward, loss,
// backward, SGD update) of a small CNN on a batch of 32 RGB 32×32 images and
// reports its memory behaviour:
//
//	first-step-MB    bytes allocated by the very first step (every buffer is new)
//	B/op             bytes allocated by a steady-state step (buffers are reused)
//	peak-heap-MB     live heap right after the forward pass, when the
//	                 activations the backward pass needs are all alive
func BenchmarkTrainStepSmallCNN(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const batch = 32
	x := autograd.Zeros(batch, 3, 32, 32)
	for i, d := 0, x.Data(); i < len(d); i++ {
		d[i] = rng.Float32()
	}
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = rng.IntN(10)
	}
	model := layers.NewSequential(
		layers.NewConv2d(rng, 3, 32, 3, layers.ConvOpts{Padding: 1}),
		layers.NewBatchNorm2d(32, layers.BatchNormOpts{}),
		layers.NewReLU(),
		layers.NewMaxPool2d(2, layers.PoolOpts{}),
		layers.NewConv2d(rng, 32, 64, 3, layers.ConvOpts{Padding: 1}),
		layers.NewBatchNorm2d(64, layers.BatchNormOpts{}),
		layers.NewReLU(),
		layers.NewMaxPool2d(2, layers.PoolOpts{}),
		layers.NewFlatten(),
		layers.NewLinear(rng, 64*8*8, 10, true),
	)
	var ps []*autograd.Tensor
	for _, p := range layers.Parameters(model) {
		ps = append(ps, p.Tensor)
	}
	opt, err := optim.NewSGD([]optim.Group{{Params: ps, LR: 0.01}}, optim.SGDConfig{Momentum: 0.9})
	if err != nil {
		b.Fatal(err)
	}
	var peak uint64
	step := func() {
		logits := model.Forward(x)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
		loss := autograd.CrossEntropy(logits, labels, autograd.CrossEntropyOptions{})
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
	}
	autograd.FreePool()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	step()
	runtime.ReadMemStats(&after)
	first := after.TotalAlloc - before.TotalAlloc
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(first)/(1<<20), "first-step-MB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

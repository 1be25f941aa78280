package layers_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
)

// The learning test: a small CNN must actually learn a small image problem.
//
// The problem: 12×12 grey images each holding one bar, horizontal, vertical
// or along either diagonal, at a random place and brightness on a noisy
// background. The class is the bar's orientation, so a model has to find
// local edge patterns wherever they are: the job convolutions exist for.

const side = 12

// barImages returns n images (N, 1, side, side) and their orientation labels.
func barImages(rng *rand.Rand, n int) (*autograd.Tensor, []int) {
	data := make([]float32, n*side*side)
	labels := make([]int, n)
	for i := range n {
		img := data[i*side*side : (i+1)*side*side]
		for p := range img {
			img[p] = 0.3 * rng.Float32()
		}
		class := rng.IntN(4)
		labels[i] = class
		level := 0.7 + 0.3*rng.Float32()
		r, c := 2+rng.IntN(side-4), 2+rng.IntN(side-4)
		for d := -2; d <= 2; d++ {
			var y, x int
			switch class {
			case 0:
				y, x = r, c+d // horizontal
			case 1:
				y, x = r+d, c // vertical
			case 2:
				y, x = r+d, c+d // diagonal
			case 3:
				y, x = r+d, c-d // anti-diagonal
			}
			img[y*side+x] = level
		}
	}
	return autograd.New(data, n, 1, side, side), labels
}

// smallCNN is conv-BN-ReLU-pool twice, then a linear classifier.
func smallCNN(rng *rand.Rand, classes int) *layers.Sequential {
	return layers.NewSequential(
		layers.NewConv2d(rng, 1, 8, 3, layers.ConvOpts{Padding: 1}),
		layers.NewBatchNorm2d(8, layers.BatchNormOpts{}),
		layers.NewReLU(),
		layers.NewMaxPool2d(2, layers.PoolOpts{}),
		layers.NewConv2d(rng, 8, 16, 3, layers.ConvOpts{Padding: 1}),
		layers.NewBatchNorm2d(16, layers.BatchNormOpts{}),
		layers.NewReLU(),
		layers.NewMaxPool2d(2, layers.PoolOpts{}),
		layers.NewFlatten(),
		layers.NewLinear(rng, 16*3*3, classes, true),
	)
}

func params(m layers.Module) []*autograd.Tensor {
	var ps []*autograd.Tensor
	for _, p := range layers.Parameters(m) {
		ps = append(ps, p.Tensor)
	}
	return ps
}

func accuracy(logits *autograd.Tensor, labels []int) float64 {
	classes := logits.Dim(1)
	data := logits.Data()
	correct := 0
	for i, y := range labels {
		row := data[i*classes : (i+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == y {
			correct++
		}
	}
	return float64(correct) / float64(len(labels))
}

func TestSmallCNNLearnsBarOrientation(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	trainX, trainY := barImages(rng, 512)
	testX, testY := barImages(rng, 256)
	model := smallCNN(rng, 4)
	opt, err := optim.NewAdam([]optim.Group{{Params: params(model), LR: 0.01}}, optim.DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	const batch = 32
	var first, last float64 // mean loss of the first and last epoch
	for epoch := range 6 {
		sum := 0.0
		for lo := 0; lo < 512; lo += batch {
			x := autograd.Narrow(trainX, lo, lo+batch)
			loss := autograd.CrossEntropy(model.Forward(x), trainY[lo:lo+batch], autograd.CrossEntropyOptions{})
			opt.ZeroGrad()
			loss.Backward()
			opt.Step()
			sum += float64(loss.Item())
		}
		mean := sum / (512 / batch)
		if epoch == 0 {
			first = mean
		}
		last = mean
	}
	layers.SetTraining(model, false)
	acc := accuracy(model.Forward(autograd.NoGrad(testX)), testY)
	t.Logf("loss %.3f → %.3f, test accuracy %.1f%%", first, last, 100*acc)
	if last > first/4 {
		t.Errorf("loss fell only from %.3f to %.3f", first, last)
	}
	if acc < 0.9 {
		t.Errorf("test accuracy %.1f%%, want at least 90%%", 100*acc)
	}
}

// A steady-state training step reuses the memory of the step before: it
// allocates far less than the first step, which had to create every buffer.
func TestTrainingStepReusesMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, y := barImages(rng, 64)
	model := smallCNN(rng, 4)
	opt, err := optim.NewSGD([]optim.Group{{Params: params(model), LR: 0.01}}, optim.SGDConfig{Momentum: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	step := func() uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		loss := autograd.CrossEntropy(model.Forward(x), y, autograd.CrossEntropyOptions{})
		opt.ZeroGrad()
		loss.Backward()
		opt.Step()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	firstStep := step()
	var steady uint64
	for range 5 {
		steady = max(steady, step())
	}
	t.Logf("bytes allocated: first step %d, steady state at most %d", firstStep, steady)
	if steady*5 > firstStep {
		t.Errorf("a steady-state step allocated %d bytes, more than a fifth of the first step's %d", steady, firstStep)
	}
}

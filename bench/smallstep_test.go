package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
	"github.com/gocnn/gocnn/zoo"
)

// BenchmarkSmallTrainStep measures the training step of the default
// comparison of cmd/train: the four reference architectures at the widths of
// their recipes (cmd/train/recipes.go), 3×32×32 input, 10 classes, batch 64,
// AdamW. It is the benchmark to profile when the default run is too slow:
//
//	go test ./bench -run '^$' -bench SmallTrainStep -benchtime 20x -cpuprofile /tmp/cpu.out
func BenchmarkSmallTrainStep(b *testing.B) {
	const batch = 64
	for _, c := range []struct {
		name  string
		width float64
	}{{"vgg16_bn", 0.25}, {"resnet50", 0.25}, {"mobilenet_v3_large", 0.5}, {"efficientnet_b0", 0.5}} {
		b.Run(fmt.Sprintf("%s/width=%g", c.name, c.width), func(b *testing.B) {
			m, err := zoo.New(c.name, zoo.Options{Classes: 10, WidthMult: c.width, InputSize: 32, Dropout: -1, StochasticDepth: -1})
			if err != nil {
				b.Fatal(err)
			}
			s, err := zoo.Summarize(m, 32)
			if err != nil {
				b.Fatal(err)
			}
			var params []*autograd.Tensor
			for _, p := range layers.Parameters(m) {
				params = append(params, p.Tensor)
			}
			opt, err := optim.NewAdamW([]optim.Group{{Params: params, LR: 1e-3, WeightDecay: 0.05}}, optim.DefaultAdamConfig())
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			x := autograd.Zeros(batch, 3, 32, 32)
			for i, d := 0, x.Data(); i < len(d); i++ {
				d[i] = float32(rng.NormFloat64())
			}
			labels := make([]int, batch)
			for i := range labels {
				labels[i] = rng.IntN(10)
			}
			runZooBench(b, batch, 3*float64(s.FLOPs)*batch, func() {
				loss := autograd.CrossEntropy(m.Forward(x), labels, autograd.CrossEntropyOptions{})
				opt.ZeroGrad()
				loss.Backward()
				opt.Step()
			})
		})
	}
}

package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
	"github.com/gocnn/gocnn/zoo"
)

// Model throughput at 224×224 for every zoo architecture (full width, 1000
// classes), batch 1 and 16:
//
//	BenchmarkZooInference  evaluation-mode forward under NoGrad
//	BenchmarkZooTrainStep  training-mode forward, cross-entropy, backward and
//	                       an SGD step with momentum
//
// Each reports images/s (per wall-clock second) and cpu-ms/image (CPU time
// of the whole process per image, steadier than wall time on a shared
// machine), plus GFLOP/s of the forward pass (2 × MACs per image, from the
// summary; a training step counts 3 × the forward's FLOPs, the usual
// estimate). One untimed step first fills the buffer pool. The models are
// big (VGG-16 takes seconds per training step), so run few iterations:
//
//	go test ./bench -run '^$' -bench 'Zoo' -benchtime 2x -timeout 60m
//
// GOCNN_BENCH_MODELS=resnet50,mobilenet_v3_large limits the architectures.
// scripts/bench_models.py measures PyTorch on the same models; docs/PERF.md
// ("Models") puts the figures side by side.

func zooBenchModels(b *testing.B) []string {
	list := os.Getenv("GOCNN_BENCH_MODELS")
	if list == "" {
		return zoo.Names()
	}
	names, err := zoo.ParseNames(list)
	if err != nil {
		b.Fatal(err)
	}
	return names
}

// zooBenchCase is one model at one batch size with its input and labels.
type zooBenchCase struct {
	model  *zoo.Model
	x      *autograd.Tensor
	labels []int
	flops  float64 // forward FLOPs for the whole batch
}

func newZooBenchCase(b *testing.B, m *zoo.Model, batch int) zooBenchCase {
	s, err := zoo.Summarize(m, 224)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(batch)))
	c := zooBenchCase{model: m, x: autograd.Zeros(batch, 3, 224, 224), labels: make([]int, batch), flops: float64(s.FLOPs) * float64(batch)}
	for i, d := 0, c.x.Data(); i < len(d); i++ {
		d[i] = float32(rng.NormFloat64())
	}
	for i := range c.labels {
		c.labels[i] = rng.IntN(1000)
	}
	return c
}

// runZooBench times step after one untimed call and reports the rates.
func runZooBench(b *testing.B, batch int, flopsPerStep float64, step func()) {
	step()
	b.ResetTimer()
	cpu0, wall0 := processCPUTime(), time.Now()
	for b.Loop() {
		step()
	}
	wall, cpu := time.Since(wall0).Seconds(), (processCPUTime() - cpu0).Seconds()
	images := float64(b.N * batch)
	b.ReportMetric(images/wall, "images/s")
	b.ReportMetric(cpu*1e3/images, "cpu-ms/image")
	b.ReportMetric(flopsPerStep*float64(b.N)/wall/1e9, "GFLOP/s")
}

func BenchmarkZooInference(b *testing.B) {
	for _, name := range zooBenchModels(b) {
		m, err := zoo.New(name, zoo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		layers.SetTraining(m, false)
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				c := newZooBenchCase(b, m, batch)
				x := autograd.NoGrad(c.x)
				runZooBench(b, batch, c.flops, func() { autograd.Release(m.Forward(x)) })
			})
		}
	}
}

func BenchmarkZooTrainStep(b *testing.B) {
	for _, name := range zooBenchModels(b) {
		m, err := zoo.New(name, zoo.Options{})
		if err != nil {
			b.Fatal(err)
		}
		layers.SetTraining(m, true)
		var params []*autograd.Tensor
		for _, p := range layers.Parameters(m) {
			params = append(params, p.Tensor)
		}
		opt, err := optim.NewSGD([]optim.Group{{Params: params, LR: 1e-4}}, optim.SGDConfig{Momentum: 0.9})
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) {
				c := newZooBenchCase(b, m, batch)
				runZooBench(b, batch, 3*c.flops, func() {
					loss := autograd.CrossEntropy(m.Forward(c.x), c.labels, autograd.CrossEntropyOptions{})
					opt.ZeroGrad()
					loss.Backward()
					opt.Step()
				})
			})
		}
	}
}

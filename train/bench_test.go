package train

import (
	"errors"
	"io"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/optim"
)

// BenchmarkLoopOverhead compares one training step of the trainer with the
// bare minimum for the same model and batch size (ResNet-18 at width 1/4,
// 64 MNIST images at 32×32, AdamW):
//
//	bare     forward, cross-entropy, backward, optimiser step on a batch
//	         already in memory
//	trainer  the trainer's step (dropout reseeding, heap sampling, NaN
//	         check, accuracy counting, schedule) with batches coming from
//	         the loader (decoding and transforms on a worker goroutine)
//
// Both report wall ms/step and the process's CPU ms/step (getrusage; the
// loader's goroutine included), which a shared machine disturbs far less;
// docs/PERF.md records the ratio.
func BenchmarkLoopOverhead(b *testing.B) {
	data := tinyData(b, 1000, 10, false)
	cfg := tinyConfig()
	cfg.BatchSize, cfg.Epochs = 64, 1000
	newTrainer := func() *Trainer {
		m := tinyModel(b, 1)
		return &Trainer{Model: m, Config: cfg, Data: data, Dir: b.TempDir()}
	}
	b.Run("bare", func(b *testing.B) {
		t := newTrainer()
		loaders, err := t.setup()
		if err != nil {
			b.Fatal(err)
		}
		ep := loaders.train.Epoch(0)
		batch, err := ep.Next()
		ep.Close()
		if err != nil {
			b.Fatal(err)
		}
		var params []*autograd.Tensor
		for _, p := range layers.Parameters(t.Model) {
			params = append(params, p.Tensor)
		}
		opt, err := optim.NewAdamW([]optim.Group{{Params: params, LR: cfg.LR}}, optim.DefaultAdamConfig())
		if err != nil {
			b.Fatal(err)
		}
		layers.SetTraining(t.Model, true)
		b.ResetTimer()
		cpu := cpuSeconds()
		for b.Loop() {
			loss := autograd.CrossEntropy(t.Model.Forward(batch.Images), batch.Labels, autograd.CrossEntropyOptions{})
			loss.Backward()
			opt.Step()
			opt.ZeroGrad()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
		b.ReportMetric(1000*(cpuSeconds()-cpu)/float64(b.N), "cpu-ms/step")
	})
	b.Run("trainer", func(b *testing.B) {
		t := newTrainer()
		loaders, err := t.setup()
		if err != nil {
			b.Fatal(err)
		}
		applyStrategy(t.Model, cfg.Strategy, 0)
		epoch, index := 0, 0
		ep := loaders.train.Epoch(epoch)
		defer func() { ep.Close() }()
		b.ResetTimer()
		cpu := cpuSeconds()
		for b.Loop() {
			batch, err := ep.Next()
			if errors.Is(err, io.EOF) {
				ep.Close()
				epoch++
				ep = loaders.train.Epoch(epoch)
				batch, err = ep.Next()
			}
			if err != nil {
				b.Fatal(err)
			}
			if err := t.trainBatch(batch, nil, index); err != nil {
				b.Fatal(err)
			}
			t.optimizerStep()
			index++
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
		b.ReportMetric(1000*(cpuSeconds()-cpu)/float64(b.N), "cpu-ms/step")
	})
}

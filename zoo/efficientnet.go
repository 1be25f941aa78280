package zoo

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
)

// EfficientNet-B0 (Tan & Le, 2019) as torchvision builds it
// (efficientnet.py, width and depth multipliers 1):
//
//	features.0     3×3 conv, stride 2, 32 channels, BN, SiLU
//	features.1…7   seven stages of MBConv blocks (table below); a stage's
//	               first block carries its stride and channel change
//	features.8     1×1 conv to 4× the last stage's channels (1280), BN, SiLU
//	avgpool        global average pooling
//	classifier     Dropout(0.2) Linear(1280, classes)
//
// An MBConv block expands its input c to c·ratio channels (1×1 conv, BN,
// SiLU; skipped when the ratio is 1), runs a depthwise k×k conv (BN, SiLU),
// squeeze-and-excitation to max(1, c/4) channels (SiLU, then Sigmoid),
// and a 1×1 projection (BN, no activation). Blocks that keep their shape
// add their input back after stochastic depth, whose probability grows
// linearly with the block's index: 0.2·i/16 for block i of 16. Batch norms
// keep PyTorch's defaults (eps 1e-5, momentum 0.1). The width multiplier
// rounds every channel count c·w with _make_divisible(·, 8), as
// torchvision's _efficientnet_conf(width_mult=w) does (its efficientnet_b0()
// builder ignores a width_mult keyword: build a width-w model to export as
// setting, last = _efficientnet_conf("efficientnet_b0", width_mult=w,
// depth_mult=1.0); EfficientNet(setting, 0.2, last_channel=last), as
// scripts/fixtures_zoo.py does). Stages:
// features.0 is the stem, features.1–7 are stage1–stage7, and features.8
// joins stage7.

// efficientNetStage is one row of EfficientNet-B0's table.
type efficientNetStage struct {
	expandRatio, kernel, stride, in, out, blocks int
}

var efficientNetB0Stages = []efficientNetStage{
	{1, 3, 1, 32, 16, 1},
	{6, 3, 2, 16, 24, 2},
	{6, 5, 2, 24, 40, 2},
	{6, 3, 2, 40, 80, 3},
	{6, 5, 1, 80, 112, 3},
	{6, 5, 2, 112, 192, 4},
	{6, 3, 1, 192, 320, 1},
}

// efficientNetLastConvRatio is the width of the final 1×1 convolution
// relative to the last stage's output.
const efficientNetLastConvRatio = 4

func efficientNetB0(rng *rand.Rand, o Options) backbone {
	adjust := func(c float64) int { return makeDivisible(c * o.WidthMult) }
	bn := layers.BatchNormOpts{}
	silu := actp(kernels.SiLU)
	features := layers.NewSequential()
	features.Append(convNormAct(3, adjust(float64(efficientNetB0Stages[0].in)), 3, 2, 1, bn, silu))
	stages := []stageSpec{{"stem", []string{"features.0"}}}

	total := 0
	for _, s := range efficientNetB0Stages {
		total += s.blocks
	}
	id := 0
	var in int
	for i, s := range efficientNetB0Stages {
		stage := layers.NewSequential()
		in = adjust(float64(s.in))
		out := adjust(float64(s.out))
		stride := s.stride
		for range s.blocks {
			sd := probability(o.StochasticDepth) * float64(id) / float64(total)
			stage.Append(newMBConv(rng, in, out, s.expandRatio, s.kernel, stride, sd))
			in, stride = out, 1
			id++
		}
		stages = append(stages, stageSpec{stageName(i + 1), []string{fmt.Sprintf("features.%d", features.Len())}})
		features.Append(stage)
	}
	out := efficientNetLastConvRatio * in
	last := &stages[len(stages)-1]
	last.paths = append(last.paths, fmt.Sprintf("features.%d", features.Len()))
	features.Append(convNormAct(in, out, 1, 1, 1, bn, silu))
	return backbone{
		modules:  []layers.NamedModule{{Name: "features", Module: features}},
		features: out,
		stages:   stages,
	}
}

func newMBConv(rng *rand.Rand, in, out, expandRatio, kernel, stride int, stochasticDepth float64) *MBConv {
	bn := layers.BatchNormOpts{}
	silu := actp(kernels.SiLU)
	expanded := makeDivisible(float64(in * expandRatio))
	block := layers.NewSequential()
	if expanded != in {
		block.Append(convNormAct(in, expanded, 1, 1, 1, bn, silu))
	}
	block.Append(convNormAct(expanded, expanded, kernel, stride, expanded, bn, silu))
	block.Append(layers.NewSqueezeExcitation(noInit, expanded, max(1, in/4), kernels.SiLU, kernels.Sigmoid))
	block.Append(convNormAct(expanded, out, 1, 1, 1, bn, nil))
	b := &MBConv{Residual: stride == 1 && in == out}
	b.Block = layers.Add(&b.Base, "block", block)
	b.StochasticDepth = layers.Add(&b.Base, "stochastic_depth", layers.NewStochasticDepth(rng, stochasticDepth))
	return b
}

func efficientNetHead(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
	return layers.NewAdaptiveAvgPool2d(1, 1), layers.NewSequential(
		layers.NewDropout(rng, probability(o.Dropout)),
		layers.NewLinear(noInit, features, o.Classes, layers.WithBias),
	)
}

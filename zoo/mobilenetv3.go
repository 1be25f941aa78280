package zoo

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
)

// MobileNetV3 Large and Small (Howard et al., 2019) as torchvision builds
// them (mobilenetv3.py, without the reduced tail or dilation):
//
//	features.0        3×3 conv, stride 2, BN, Hardswish
//	features.1…       InvertedResidual blocks from the tables below
//	features.last     1×1 conv to 6× the last block's channels, BN, Hardswish
//	avgpool           global average pooling
//	classifier        Linear(·, 1280 or 1024) Hardswish Dropout(0.2) Linear(·, classes)
//
// Every batch norm has eps 0.001 and momentum 0.01. A block's
// squeeze-and-excitation squeezes its expanded channels e to
// _make_divisible(e/4, 8) with ReLU and scales with Hardsigmoid. The width
// multiplier rounds every channel count c·w with _make_divisible(·, 8).
// Stages: features.0 is the stem; a new stage starts at each stride-2
// block, and the final 1×1 convolution joins the last stage.

// mobileNetV3Block is one row of the MobileNetV3 tables (paper Tables 1, 2).
type mobileNetV3Block struct {
	in, kernel, expanded, out int
	se, hardswish             bool
	stride                    int
}

var mobileNetV3Large = []mobileNetV3Block{
	{16, 3, 16, 16, false, false, 1},
	{16, 3, 64, 24, false, false, 2},
	{24, 3, 72, 24, false, false, 1},
	{24, 5, 72, 40, true, false, 2},
	{40, 5, 120, 40, true, false, 1},
	{40, 5, 120, 40, true, false, 1},
	{40, 3, 240, 80, false, true, 2},
	{80, 3, 200, 80, false, true, 1},
	{80, 3, 184, 80, false, true, 1},
	{80, 3, 184, 80, false, true, 1},
	{80, 3, 480, 112, true, true, 1},
	{112, 3, 672, 112, true, true, 1},
	{112, 5, 672, 160, true, true, 2},
	{160, 5, 960, 160, true, true, 1},
	{160, 5, 960, 160, true, true, 1},
}

var mobileNetV3Small = []mobileNetV3Block{
	{16, 3, 16, 16, true, false, 2},
	{16, 3, 72, 24, false, false, 2},
	{24, 3, 88, 24, false, false, 1},
	{24, 5, 96, 40, true, true, 2},
	{40, 5, 240, 40, true, true, 1},
	{40, 5, 240, 40, true, true, 1},
	{40, 5, 120, 48, true, true, 1},
	{48, 5, 144, 48, true, true, 1},
	{48, 5, 288, 96, true, true, 2},
	{96, 5, 576, 96, true, true, 1},
	{96, 5, 576, 96, true, true, 1},
}

// mobileNetV3BN is MobileNetV3's batch-norm configuration.
var mobileNetV3BN = layers.BatchNormOpts{Eps: 0.001, Momentum: 0.01}

// mobileNetV3LastConvRatio is the width of the final 1×1 convolution
// relative to the last block's output.
const mobileNetV3LastConvRatio = 6

func mobileNetV3Builder(table []mobileNetV3Block) func(rng *rand.Rand, o Options) backbone {
	return func(_ *rand.Rand, o Options) backbone {
		adjust := func(c int) int { return makeDivisible(float64(c) * o.WidthMult) }
		features := layers.NewSequential()
		in := adjust(table[0].in)
		features.Append(convNormAct(3, in, 3, 2, 1, mobileNetV3BN, actp(kernels.Hardswish)))
		stages := []stageSpec{{"stem", []string{"features.0"}}, {name: stageName(1)}}
		for _, cfg := range table {
			if cfg.stride == 2 && len(stages[len(stages)-1].paths) > 0 {
				stages = append(stages, stageSpec{name: stageName(len(stages))})
			}
			last := &stages[len(stages)-1]
			last.paths = append(last.paths, fmt.Sprintf("features.%d", features.Len()))
			features.Append(newInvertedResidual(in, adjust(cfg.expanded), adjust(cfg.out), cfg))
			in = adjust(cfg.out)
		}
		out := mobileNetV3LastConvRatio * in
		last := &stages[len(stages)-1]
		last.paths = append(last.paths, fmt.Sprintf("features.%d", features.Len()))
		features.Append(convNormAct(in, out, 1, 1, 1, mobileNetV3BN, actp(kernels.Hardswish)))
		return backbone{
			modules:  []layers.NamedModule{{Name: "features", Module: features}},
			features: out,
			stages:   stages,
		}
	}
}

func newInvertedResidual(in, expanded, out int, cfg mobileNetV3Block) *InvertedResidual {
	act := kernels.ReLU
	if cfg.hardswish {
		act = kernels.Hardswish
	}
	block := layers.NewSequential()
	if expanded != in {
		block.Append(convNormAct(in, expanded, 1, 1, 1, mobileNetV3BN, &act))
	}
	block.Append(convNormAct(expanded, expanded, cfg.kernel, cfg.stride, expanded, mobileNetV3BN, &act))
	if cfg.se {
		block.Append(layers.NewSqueezeExcitation(noInit, expanded, makeDivisible(float64(expanded/4)), kernels.ReLU, kernels.Hardsigmoid))
	}
	block.Append(convNormAct(expanded, out, 1, 1, 1, mobileNetV3BN, nil))
	b := &InvertedResidual{Residual: cfg.stride == 1 && in == out}
	b.Block = layers.Add(&b.Base, "block", block)
	return b
}

func mobileNetV3Head(lastChannel int) func(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
	return func(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
		hidden := makeDivisible(float64(lastChannel) * o.WidthMult)
		return layers.NewAdaptiveAvgPool2d(1, 1), layers.NewSequential(
			layers.NewLinear(noInit, features, hidden, layers.WithBias),
			layers.NewHardswish(),
			layers.NewDropout(rng, probability(o.Dropout)),
			layers.NewLinear(noInit, hidden, o.Classes, layers.WithBias),
		)
	}
}

package zoo

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/layers"
)

// ResNet-18 and ResNet-50 (He et al., 2015) as torchvision builds them
// (ResNet v1.5: a Bottleneck's stride sits on its 3×3 convolution):
//
//	conv1    7×7 convolution, stride 2, padding 3, 64 channels, no bias
//	bn1, relu, maxpool (3×3, stride 2, padding 1)
//	layer1…layer4  BasicBlocks (ResNet-18: 2, 2, 2, 2) or Bottlenecks
//	         (ResNet-50: 3, 4, 6, 3) with 64, 128, 256, 512 planes; the first
//	         block of layer2–4 has stride 2, and the first block of a layer
//	         whose shape changes has a 1×1 projection "downsample"
//	avgpool  global average pooling
//	fc       Linear(512·expansion, classes)
//
// The width multiplier scales the stem's 64 channels and every layer's
// planes with ScaleChannels (a Bottleneck's output stays 4× its planes).
// Stages: conv1/bn1/relu/maxpool are the stem, layer1–layer4 stage1–stage4.

// resnetPlanes lists the planes of layer1–layer4.
var resnetPlanes = [4]int{64, 128, 256, 512}

// resnetStem is the stem's width.
const resnetStem = 64

func resnetBuilder(bottleneck bool, depths [4]int) func(rng *rand.Rand, o Options) backbone {
	return func(_ *rand.Rand, o Options) backbone {
		in := ScaleChannels(resnetStem, o.WidthMult)
		b := backbone{
			modules: []layers.NamedModule{
				{Name: "conv1", Module: layers.NewConv2d(noInit, 3, in, 7, layers.ConvOpts{Stride: 2, Padding: 3})},
				{Name: "bn1", Module: layers.NewBatchNorm2d(in, layers.BatchNormOpts{})},
				{Name: "relu", Module: layers.NewReLU()},
				{Name: "maxpool", Module: layers.NewMaxPool2d(3, layers.PoolOpts{Stride: 2, Padding: 1})},
			},
			stages: []stageSpec{{"stem", []string{"conv1", "bn1", "relu", "maxpool"}}},
		}
		for i, depth := range depths {
			planes := ScaleChannels(resnetPlanes[i], o.WidthMult)
			stride := 2
			if i == 0 {
				stride = 1
			}
			layer := layers.NewSequential()
			for range depth {
				if bottleneck {
					layer.Append(newBottleneck(in, planes, stride))
					in = planes * bottleneckExpansion
				} else {
					layer.Append(newBasicBlock(in, planes, stride))
					in = planes
				}
				stride = 1
			}
			name := fmt.Sprintf("layer%d", i+1)
			b.modules = append(b.modules, layers.NamedModule{Name: name, Module: layer})
			b.stages = append(b.stages, stageSpec{stageName(i + 1), []string{name}})
		}
		b.features = in
		return b
	}
}

func resnetHead(_ *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
	return layers.NewAdaptiveAvgPool2d(1, 1), layers.NewLinear(noInit, features, o.Classes, layers.WithBias)
}

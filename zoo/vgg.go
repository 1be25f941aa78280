package zoo

import (
	"fmt"
	"math/rand/v2"

	"github.com/gocnn/gocnn/layers"
)

// VGG-16 (Simonyan & Zisserman, 2014), configuration "D", as torchvision's
// vgg16 and vgg16_bn build it:
//
//	features    13 3×3 convolutions (padding 1, with bias) each followed by
//	            [BatchNorm2d and] ReLU, in five blocks of 2, 2, 3, 3, 3
//	            convolutions (64, 128, 256, 512, 512 channels), each block
//	            closed by a 2×2 max pool
//	avgpool     adaptive average pooling to 7×7
//	classifier  Linear(512·7·7, 4096) ReLU Dropout Linear(4096, 4096) ReLU
//	            Dropout Linear(4096, classes)
//
// The width multiplier scales every block's channels and the classifier's
// 4096 with ScaleChannels. Stages: the first block is the stem, blocks 2–5
// are stage1–stage4.

// vgg16Blocks lists the convolution widths of each block of VGG-16.
var vgg16Blocks = [][]int{{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}}

// vggHidden is the width of VGG's hidden classifier layers.
const vggHidden = 4096

// vggPool is the side of the feature map VGG's own head reads.
const vggPool = 7

func vggBuilder(batchNorm bool) func(rng *rand.Rand, o Options) backbone {
	return func(_ *rand.Rand, o Options) backbone {
		features := layers.NewSequential()
		var stages []stageSpec
		in := 3
		for i, block := range vgg16Blocks {
			var paths []string
			add := func(m layers.Module) {
				paths = append(paths, fmt.Sprintf("features.%d", features.Len()))
				features.Append(m)
			}
			for _, c := range block {
				out := ScaleChannels(c, o.WidthMult)
				add(layers.NewConv2d(noInit, in, out, 3, layers.ConvOpts{Padding: 1, Bias: layers.WithBias}))
				if batchNorm {
					add(layers.NewBatchNorm2d(out, layers.BatchNormOpts{}))
				}
				add(layers.NewReLU())
				in = out
			}
			add(layers.NewMaxPool2d(2, layers.PoolOpts{}))
			stages = append(stages, stageSpec{stageName(i), paths})
		}
		return backbone{
			modules:  []layers.NamedModule{{Name: "features", Module: features}},
			features: in,
			stages:   stages,
		}
	}
}

// stageName names backbone stage i: "stem", then "stage1", "stage2", ….
func stageName(i int) string {
	if i == 0 {
		return "stem"
	}
	return fmt.Sprintf("stage%d", i)
}

func vggHead(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
	hidden := ScaleChannels(vggHidden, o.WidthMult)
	p := probability(o.Dropout)
	return layers.NewAdaptiveAvgPool2d(vggPool, vggPool), layers.NewSequential(
		layers.NewLinear(noInit, features*vggPool*vggPool, hidden, layers.WithBias),
		layers.NewReLU(),
		layers.NewDropout(rng, p),
		layers.NewLinear(noInit, hidden, hidden, layers.WithBias),
		layers.NewReLU(),
		layers.NewDropout(rng, p),
		layers.NewLinear(noInit, hidden, o.Classes, layers.WithBias),
	)
}

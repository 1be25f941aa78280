package layers_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// A small classifier built as an nn.Sequential would be, saved as a state
// dict, and loaded into a second copy whose classifier has a different
// number of classes: non-strict loading takes every weight that fits and
// reports the one that does not.
func ExampleLoadStateDict() {
	rng := rand.New(rand.NewPCG(1, 2))
	build := func(classes int) *layers.Sequential {
		return layers.NewSequential(
			layers.NewConv2d(rng, 3, 8, 3, layers.ConvOpts{Padding: 1}),
			layers.NewBatchNorm2d(8, layers.BatchNormOpts{}),
			layers.NewReLU(),
			layers.NewAdaptiveAvgPool2d(1, 1),
			layers.NewFlatten(),
			layers.NewLinear(rng, 8, classes, layers.WithBias),
		)
	}
	pretrained := build(10)
	for _, t := range layers.StateDict(pretrained) {
		fmt.Println(t.Name, t.DType, t.Shape)
	}

	dir, err := os.MkdirTemp("", "layers-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "pretrained.safetensors")
	if err := layers.SaveStateDict(path, pretrained, map[string]string{"classes": "10"}); err != nil {
		fmt.Println(err)
		return
	}
	fineTuned := build(4)
	report, err := layers.LoadStateDictFile(path, fineTuned, layers.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report)

	layers.SetTraining(fineTuned, false)
	logits := fineTuned.Forward(autograd.NoGrad(autograd.Zeros(2, 3, 16, 16)))
	fmt.Println(logits.Shape())
	// Output:
	// 0.weight F32 [8 3 3 3]
	// 1.weight F32 [8]
	// 1.bias F32 [8]
	// 1.running_mean F32 [8]
	// 1.running_var F32 [8]
	// 1.num_batches_tracked I64 []
	// 5.weight F32 [10 8]
	// 5.bias F32 [10]
	// 6 keys loaded; 2 with a different shape: 5.weight (model [4 8], file [10 8]), 5.bias (model [4], file [10])
	// [2 4]
}

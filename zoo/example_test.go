package zoo_test

import (
	"fmt"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

// A ResNet-18 at an eighth of its width, for 37 classes, with a linear
// probe: only the head trains.
func ExampleNew() {
	m, err := zoo.New("resnet18", zoo.Options{Classes: 37, WidthMult: 0.125, InputSize: 64})
	if err != nil {
		fmt.Println(err)
		return
	}
	zoo.Strategy{Kind: zoo.LinearProbe}.Apply(m, 0)
	for _, s := range m.Stages() {
		fmt.Printf("%-6s %-23s %6d params, frozen %v\n", s.Name, strings.Join(s.Modules, " "), s.Params, s.Frozen)
	}
	layers.SetTraining(m, false)
	logits := m.Forward(autograd.NoGrad(autograd.Zeros(2, 3, 64, 64)))
	fmt.Println(logits.Shape())
	// Output:
	// stem   conv1 bn1 relu maxpool    1192 params, frozen true
	// stage1 layer1                    2368 params, frozen true
	// stage2 layer2                    8352 params, frozen true
	// stage3 layer3                   33088 params, frozen true
	// stage4 layer4                  131712 params, frozen true
	// head   avgpool fc                2405 params, frozen false
	// [2 37]
}

// MobileNetV3-Small at 224×224, described without running it.
func ExampleSummarize() {
	m, err := zoo.New("mobilenet_v3_small", zoo.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := zoo.Summarize(m, 224)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d layers, %d blocks\n", len(s.Layers), len(s.Blocks))
	fmt.Printf("parameters %d, MACs %.4f G, FLOPs %.4f G, weights %.2f MB\n",
		s.Params, float64(s.MACs)/1e9, float64(s.FLOPs)/1e9, float64(s.WeightBytes)/1e6)
	last := s.Layers[len(s.Layers)-1]
	fmt.Println(last.Name, last.Type, last.Detail, last.Output)
	// Output:
	// 157 layers, 20 blocks
	// parameters 2542856, MACs 0.0565 G, FLOPs 0.1130 G, weights 10.17 MB
	// classifier.3 Linear 1024→1000 [1000]
}

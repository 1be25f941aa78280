package layers

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gocnn/gocnn/autograd"
)

// Weight initialisation, in place, with the distributions of torch.nn.init.
//
// Every function overwrites t's values with draws from rng (or constants), in
// row-major order, so the same generator state always yields the same tensor.
// The draws differ from PyTorch's bit for bit (different generators) but not
// in distribution.
//
// Fans follow torch.nn.init._calculate_fan_in_and_fan_out: for a weight of
// shape (out, in, k1, k2, …), fan_in = in·k1·k2·… and fan_out = out·k1·k2·….
// A grouped convolution's weight is (out, in/groups, kh, kw), so its fan_in
// is per group, as in PyTorch.

// FanMode picks which fan scales a kaiming initialisation.
type FanMode int

const (
	// FanIn preserves the variance of activations in the forward pass.
	FanIn FanMode = iota
	// FanOut preserves the variance of gradients in the backward pass;
	// torchvision's ResNet, VGG, MobileNetV3 and EfficientNet use it for
	// their convolutions.
	FanOut
)

// Fans returns fan_in and fan_out of a weight shape with at least two
// dimensions.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("layers.Fans: shape %v has fewer than 2 dimensions", shape))
	}
	receptive := 1
	for _, d := range shape[2:] {
		receptive *= d
	}
	return shape[1] * receptive, shape[0] * receptive
}

func (m FanMode) of(shape []int) int {
	in, out := Fans(shape)
	if m == FanOut {
		return out
	}
	return in
}

// Uniform fills t with draws from U(lo, hi).
func Uniform(rng *rand.Rand, t *autograd.Tensor, lo, hi float64) {
	d := t.Data()
	for i := range d {
		d[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

// Normal fills t with draws from N(mean, std²).
func Normal(rng *rand.Rand, t *autograd.Tensor, mean, std float64) {
	d := t.Data()
	for i := range d {
		d[i] = float32(mean + std*rng.NormFloat64())
	}
}

// KaimingUniform fills t like torch.nn.init.kaiming_uniform_(t, a, mode,
// nonlinearity="leaky_relu"): U(−b, b) with b = √3·gain/√fan and
// gain = √(2/(1+a²)). With a = √5 and FanIn (PyTorch's default for Conv2d and
// Linear weights) the bound is exactly 1/√fan_in.
func KaimingUniform(rng *rand.Rand, t *autograd.Tensor, a float64, mode FanMode) {
	gain := math.Sqrt(2 / (1 + a*a))
	bound := math.Sqrt(3) * gain / math.Sqrt(float64(mode.of(t.Shape())))
	Uniform(rng, t, -bound, bound)
}

// KaimingNormal fills t like torch.nn.init.kaiming_normal_(t, mode=mode,
// nonlinearity="relu"): N(0, 2/fan).
func KaimingNormal(rng *rand.Rand, t *autograd.Tensor, mode FanMode) {
	Normal(rng, t, 0, math.Sqrt(2/float64(mode.of(t.Shape()))))
}

// Zeros sets every value of t to 0.
func Zeros(t *autograd.Tensor) { clear(t.Data()) }

// Ones sets every value of t to 1.
func Ones(t *autograd.Tensor) {
	d := t.Data()
	for i := range d {
		d[i] = 1
	}
}

// defaultInit is the ResetParameters of Conv2d and Linear: weight
// kaiming-uniform with a = √5 (bound 1/√fan_in), bias U(−1/√fan_in, 1/√fan_in).
func defaultInit(rng *rand.Rand, weight, bias *autograd.Tensor) {
	KaimingUniform(rng, weight, math.Sqrt(5), FanIn)
	if bias != nil {
		fanIn, _ := Fans(weight.Shape())
		bound := 1 / math.Sqrt(float64(fanIn))
		Uniform(rng, bias, -bound, bound)
	}
}

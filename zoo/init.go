package zoo

import (
	"math"
	"math/rand/v2"

	"github.com/gocnn/gocnn/layers"
)

// Weight initialisation as torchvision's model constructors do it. The
// builders make every layer with noInit (weights zero, nothing drawn), and
// New draws each weight once, walking the modules in order:
//
//	Conv2d       weight ~ N(0, 2/fan_out) (kaiming_normal_, mode="fan_out"), bias = 0
//	BatchNorm2d  weight = 1, bias = 0
//	Linear       VGG, MobileNetV3: weight ~ N(0, 0.01²), bias = 0
//	             EfficientNet: weight ~ U(−1/√out, 1/√out), bias = 0
//	             ResNet: PyTorch's default (Linear.ResetParameters)
//
// With Options.ZeroInitResidual, zeroInitResidual then sets to 0 the γ of
// the batch norm that closes each residual branch.

// noInit is the generator the builders hand to layers.NewConv2d,
// layers.NewLinear and layers.NewSqueezeExcitation: nil, so they draw
// nothing and initTorchvision draws each weight once.
var noInit *rand.Rand

// initTorchvision initialises every Conv2d, BatchNorm2d and Linear in m, in
// module order, drawing from rng; linear is the architecture's Linear
// initialisation.
func initTorchvision(rng *rand.Rand, m layers.Module, linear func(*rand.Rand, *layers.Linear)) {
	for _, nm := range layers.Modules(m) {
		switch l := nm.Module.(type) {
		case *layers.Conv2d:
			layers.KaimingNormal(rng, l.Weight, layers.FanOut)
			if l.Bias != nil {
				layers.Zeros(l.Bias)
			}
		case *layers.BatchNorm2d:
			layers.Ones(l.Weight)
			layers.Zeros(l.Bias)
		case *layers.Linear:
			linear(rng, l)
		}
	}
}

// defaultLinear is ResNet's Linear initialisation: torchvision keeps
// PyTorch's default for its fc.
func defaultLinear(rng *rand.Rand, l *layers.Linear) { l.ResetParameters(rng) }

// normalLinear is VGG's and MobileNetV3's Linear initialisation.
func normalLinear(rng *rand.Rand, l *layers.Linear) {
	layers.Normal(rng, l.Weight, 0, 0.01)
	layers.Zeros(l.Bias)
}

// uniformFanOutLinear is EfficientNet's Linear initialisation.
func uniformFanOutLinear(rng *rand.Rand, l *layers.Linear) {
	r := 1 / math.Sqrt(float64(l.Weight.Dim(0)))
	layers.Uniform(rng, l.Weight, -r, r)
	layers.Zeros(l.Bias)
}

// residualBlock is a block whose residual branch ends in a batch norm
// before the input is added back.
type residualBlock interface {
	// zeroInitLast sets the γ (weight) of the branch's last batch norm to
	// 0, so the branch adds nothing until training moves it; a block
	// without a skip connection does nothing.
	zeroInitLast()
}

// zeroInitResidual applies zeroInitLast to every residual block in m, as
// torchvision's zero_init_residual (ResNet) and timm's zero_init_last
// (inverted residuals) do.
func zeroInitResidual(m layers.Module) {
	for _, nm := range layers.Modules(m) {
		if b, ok := nm.Module.(residualBlock); ok {
			b.zeroInitLast()
		}
	}
}

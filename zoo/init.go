package zoo

import (
	"math"
	"math/rand/v2"

	"github.com/gocnn/gocnn/layers"
)

// Weight initialisation as torchvision's model constructors do it, after
// every layer has been built with PyTorch's defaults: a walk over the
// modules that redraws convolutions, resets batch norms and, depending on
// the architecture, redraws Linear layers.
//
//	Conv2d       weight ~ N(0, 2/fan_out) (kaiming_normal_, mode="fan_out"), bias = 0
//	BatchNorm2d  weight = 1, bias = 0
//	Linear       VGG, MobileNetV3: weight ~ N(0, 0.01²), bias = 0
//	             EfficientNet: weight ~ U(−1/√out, 1/√out), bias = 0
//	             ResNet: PyTorch's default (kept)

// initTorchvision re-initialises every Conv2d, BatchNorm2d and (when
// linear is not nil) Linear in m, in module order.
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
			if linear != nil {
				linear(rng, l)
			}
		}
	}
}

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

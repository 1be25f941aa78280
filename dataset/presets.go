package dataset

// Preprocessing presets per model family, matching the weights they go with.
//
// Evaluation follows torchvision's weight presets (ImageClassification):
// Resize(ResizeSize, Interpolation) → CenterCrop(CropSize) → ToTensor →
// Normalize(Mean, Std). Training follows torchvision's reference recipe:
// RandomResizedCrop(CropSize, Interpolation) → RandomHorizontalFlip(0.5) →
// ToTensor → Normalize.

import (
	"fmt"
	"strings"
)

// Preset describes a model family's input pipeline.
type Preset struct {
	Name          string
	ResizeSize    int // shorter side before the centre crop (evaluation)
	CropSize      int
	Interpolation Interpolation
	Mean, Std     []float32
}

// Presets lists the known model families. Sources: torchvision 0.14's
// weight enums (resnet.py, vgg.py, mobilenetv3.py, efficientnet.py) and, for
// the 0.5/0.5 normalisation, timm's ViT and TF-ported EfficientNetV2
// configurations.
var Presets = []Preset{
	{"resnet50", 256, 224, Bilinear, ImageNetMean, ImageNetStd},           // IMAGENET1K_V1
	{"resnet50-v2", 232, 224, Bilinear, ImageNetMean, ImageNetStd},        // IMAGENET1K_V2
	{"vgg16", 256, 224, Bilinear, ImageNetMean, ImageNetStd},              // IMAGENET1K_V1
	{"mobilenet_v3_large", 256, 224, Bilinear, ImageNetMean, ImageNetStd}, // IMAGENET1K_V1
	{"mobilenet_v3_large-v2", 232, 224, Bilinear, ImageNetMean, ImageNetStd},
	{"mobilenet_v3_small", 256, 224, Bilinear, ImageNetMean, ImageNetStd},
	{"efficientnet_b0", 256, 224, Bicubic, ImageNetMean, ImageNetStd},    // ported from timm
	{"efficientnet_v2_s", 384, 384, Bilinear, ImageNetMean, ImageNetStd}, // torchvision
	{"tf_efficientnetv2_s", 384, 384, Bicubic, HalfMean, HalfStd},        // timm, TF weights
	{"vit", 248, 224, Bicubic, HalfMean, HalfStd},                        // timm ViT: crop_pct 0.9
}

// LookupPreset returns the preset with the given name (case-insensitive).
func LookupPreset(name string) (Preset, error) {
	for _, p := range Presets {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	names := make([]string, len(Presets))
	for i, p := range Presets {
		names[i] = p.Name
	}
	return Preset{}, fmt.Errorf("no preset named %q (known: %s)", name, strings.Join(names, ", "))
}

// Eval returns the evaluation pipeline.
func (p Preset) Eval() Transform {
	return Compose(Resize(p.ResizeSize, p.Interpolation), CenterCrop(p.CropSize, p.CropSize), ToTensor(), Normalize(p.Mean, p.Std))
}

// Train returns the training pipeline.
func (p Preset) Train() Transform {
	return Compose(
		RandomResizedCrop(p.CropSize, p.CropSize, DefaultCropScale, DefaultCropRatio, p.Interpolation),
		RandomHorizontalFlip(0.5),
		ToTensor(), Normalize(p.Mean, p.Std))
}

// SeedTrain is the training pipeline of the project's seed experiments:
// Resize(256) → RandomResizedCrop(224, scale 0.8–1) → RandomHorizontalFlip
// → ColorJitter(brightness 0.2, contrast 0.2) → ToTensor → Normalize
// (ImageNet).
func SeedTrain() Transform {
	return Compose(
		Resize(256, Bilinear),
		RandomResizedCrop(224, 224, [2]float64{0.8, 1}, DefaultCropRatio, Bilinear),
		RandomHorizontalFlip(0.5),
		ColorJitter(0.2, 0.2, 0, 0),
		ToTensor(), Normalize(ImageNetMean, ImageNetStd))
}

// Package zoo builds the reference CNN classifiers of gocnn exactly as
// torchvision 0.14 builds them: VGG-16 (with and without batch norm),
// ResNet-18 and ResNet-50, MobileNetV3 Large and Small, and
// EfficientNet-B0.
//
// Exactly means: the same layers in the same order with the same options
// and defaults, the same state-dict keys in the same order (so a torchvision
// checkpoint exported to safetensors loads by name), the same parameter
// counts (ResNet-50: 25,557,032) and the same weight initialisation
// distributions. The package's tests compare key lists and shapes with
// torchvision's at full size and logits, losses and every parameter's
// gradient with PyTorch's on reduced-width models.
//
// Build a model by name with New; Names lists the names:
//
//	m, err := zoo.New("resnet50", zoo.Options{Classes: 37})
//	logits := m.Forward(images) // (N, 3, H, W) → (N, 37)
//
// Options choose the number of classes, a width multiplier (torchvision's
// for MobileNetV3 and EfficientNet, gocnn's ScaleChannels for VGG and
// ResNet, to make CPU-sized variants), dropout, stochastic depth, whether
// residual branches start at zero (ZeroInitResidual), the input size and
// the classifier head: the architecture's own, or global average
// pooling followed by a Linear layer, an MLP or a custom stack.
//
// For transfer learning every model is cut into stages: the stem, the
// backbone's stages and the head. Freeze, Unfreeze and TrainLastStages act
// on them (frozen stages neither train nor update batch-norm statistics),
// Strategy turns linear probing, partial or full fine-tuning and progressive
// unfreezing into per-epoch stage settings and parameter groups, and
// LoadPretrained loads a checkpoint's backbone even when its head was
// trained for another number of classes.
//
// Summarize describes a model without running it: each layer's output
// shape, parameters, multiply-accumulates and activation memory, the
// blocks and skip connections, and the totals, as a value that serialises
// to JSON.
package zoo

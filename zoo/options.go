package zoo

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Options: what a caller chooses when building a model (number of classes,
// width, dropout, input size, head), and the evaluation preset that goes
// with a model's weights. Both are plain data that serialise to JSON, so a
// checkpoint can carry them and rebuild the same model.

// Options configures New. The zero value builds the architecture exactly as
// torchvision does, for 1000 classes at 224×224.
type Options struct {
	// Classes is the number of outputs of the head; 0 means 1000.
	Classes int `json:"classes"`
	// WidthMult scales the channels of every stage; 0 means 1. MobileNetV3
	// and EfficientNet use torchvision's width_mult (channels rounded to a
	// multiple of 8 by _make_divisible); VGG and ResNet use gocnn's own rule,
	// ScaleChannels, which also scales VGG's 4096-wide classifier.
	WidthMult float64 `json:"width_mult"`
	// Dropout is the probability of the head's dropout layers: 0 means the
	// architecture's default (0.5 for VGG, 0.2 for MobileNetV3 and
	// EfficientNet, none for ResNet), a negative value means no dropout.
	Dropout float64 `json:"dropout"`
	// StochasticDepth is EfficientNet's drop probability for its last block
	// (block i of n drops with StochasticDepth·i/n): 0 means 0.2, a negative
	// value means none. Other architectures ignore it.
	StochasticDepth float64 `json:"stochastic_depth"`
	// ZeroInitResidual starts every residual branch at zero: the γ
	// (weight) of the batch norm that closes the branch is 0 instead of 1,
	// so each block begins as (nearly) the identity and the network as a
	// shallower one (Goyal et al., 2017). This is torchvision's ResNet
	// option zero_init_residual (bn3 of every Bottleneck, bn2 of every
	// BasicBlock, projection shortcut or not), extended as timm's
	// zero_init_last to the MobileNetV3 and EfficientNet blocks that add
	// their input back (the γ of the projection's batch norm); blocks
	// without a skip connection keep γ = 1. VGG has no residual blocks and
	// ignores it. The default, false, is torchvision's.
	ZeroInitResidual bool `json:"zero_init_residual,omitempty"`
	// InputSize is the side of the square images the model is summarised
	// and evaluated at; 0 means 224. Forward accepts any size the
	// architecture allows, InputSize only sets the default preset and the
	// summary.
	InputSize int `json:"input_size"`
	// BNEps overrides the batch-norm epsilon of every BatchNorm2d (0 keeps
	// the architecture's: 1e-5, or 1e-3 for MobileNetV3). Weights ported
	// from timm need timm's value.
	BNEps float64 `json:"bn_eps,omitempty"`
	// Head chooses the classifier head.
	Head HeadSpec `json:"head"`
	// Seed seeds the generator that draws the initial weights.
	Seed uint64 `json:"seed"`
}

// HeadKind names a classifier head.
type HeadKind string

// The heads a model can carry. Every head reads the backbone's last feature
// map; all but HeadOwn first average it to one value per channel.
const (
	// HeadOwn is the architecture's own head, with torchvision's names:
	// VGG's 7×7 pooling and three Linear layers, ResNet's fc,
	// MobileNetV3's Linear–Hardswish–Dropout–Linear, EfficientNet's
	// Dropout–Linear.
	HeadOwn HeadKind = "own"
	// HeadLinear is global average pooling followed by one Linear layer.
	HeadLinear HeadKind = "linear"
	// HeadMLP is global average pooling → Linear → ReLU → Dropout → Linear,
	// with one hidden layer of HeadSpec.Hidden[0] units (default 512).
	HeadMLP HeadKind = "mlp"
	// HeadCustom is global average pooling followed by a Linear → ReLU →
	// Dropout group for each size in HeadSpec.Hidden, then the output Linear.
	HeadCustom HeadKind = "custom"
)

// HeadKinds lists the heads in the order they are documented.
var HeadKinds = []HeadKind{HeadOwn, HeadLinear, HeadMLP, HeadCustom}

// DefaultMLPHidden is the hidden size of an MLP head when none is given.
const DefaultMLPHidden = 512

// HeadSpec describes a classifier head. The zero value is HeadOwn. Heads
// other than HeadOwn use Options.Dropout (resolved as for the architecture)
// between hidden layers and PyTorch's default Linear initialisation, as
// assigning a new nn.Linear to a torchvision model does.
type HeadSpec struct {
	Kind   HeadKind `json:"kind,omitempty"`
	Hidden []int    `json:"hidden,omitempty"`
}

// ParseHead reads a head from its command-line spelling: "own", "linear",
// "mlp", "mlp:1024", or "custom:1024,256".
func ParseHead(s string) (HeadSpec, error) {
	kind, sizes, _ := strings.Cut(s, ":")
	spec := HeadSpec{Kind: HeadKind(kind)}
	if sizes != "" {
		for _, f := range strings.Split(sizes, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				return HeadSpec{}, fmt.Errorf("head %q: %q is not a layer size", s, f)
			}
			spec.Hidden = append(spec.Hidden, n)
		}
	}
	return spec, spec.validate()
}

// own reports whether h is the architecture's own head (the zero value is).
func (h HeadSpec) own() bool { return h.Kind == "" || h.Kind == HeadOwn }

// String spells the head as ParseHead reads it.
func (h HeadSpec) String() string {
	kind := h.Kind
	if kind == "" {
		kind = HeadOwn
	}
	if len(h.Hidden) == 0 {
		return string(kind)
	}
	sizes := make([]string, len(h.Hidden))
	for i, n := range h.Hidden {
		sizes[i] = fmt.Sprint(n)
	}
	return string(kind) + ":" + strings.Join(sizes, ",")
}

func (h HeadSpec) validate() error {
	for _, n := range h.Hidden {
		if n <= 0 {
			return fmt.Errorf("head %s: hidden sizes must be positive", h)
		}
	}
	switch h.Kind {
	case "", HeadOwn, HeadLinear:
		if len(h.Hidden) > 0 {
			return fmt.Errorf("head %s: a %q head has no hidden layers", h, h.Kind)
		}
	case HeadMLP:
		if len(h.Hidden) > 1 {
			return fmt.Errorf("head %s: an MLP head has one hidden layer (use custom for more)", h)
		}
	case HeadCustom:
		if len(h.Hidden) == 0 {
			return fmt.Errorf("head %s: a custom head needs its hidden sizes, as custom:1024,256", h)
		}
	default:
		return fmt.Errorf("unknown head %q (valid: %s)", h.Kind, joinKinds())
	}
	return nil
}

func joinKinds() string {
	s := make([]string, len(HeadKinds))
	for i, k := range HeadKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// hiddenSizes returns the widths of the hidden Linear layers of a non-own head.
func (h HeadSpec) hiddenSizes() []int {
	if h.Kind == HeadMLP && len(h.Hidden) == 0 {
		return []int{DefaultMLPHidden}
	}
	return h.Hidden
}

// resolve fills in the defaults of an architecture and checks the ranges.
// The result has every field explicit (Dropout and StochasticDepth stay
// negative for "none"), so building from it again gives the same model.
func (o Options) resolve(a *arch) (Options, error) {
	if o.Classes == 0 {
		o.Classes = 1000
	}
	if o.WidthMult == 0 {
		o.WidthMult = 1
	}
	if o.Dropout == 0 {
		o.Dropout = a.dropout
		if o.Dropout == 0 {
			o.Dropout = -1
		}
	}
	if o.StochasticDepth == 0 {
		o.StochasticDepth = a.stochasticDepth
		if o.StochasticDepth == 0 {
			o.StochasticDepth = -1
		}
	}
	if o.InputSize == 0 {
		o.InputSize = 224
	}
	if o.Head.Kind == "" {
		o.Head.Kind = HeadOwn
	}
	switch {
	case o.Classes < 1:
		return o, fmt.Errorf("%s: %d classes (need at least 1)", a.name, o.Classes)
	case !(o.WidthMult > 0 && o.WidthMult <= 16):
		return o, fmt.Errorf("%s: width multiplier %v is outside (0, 16]", a.name, o.WidthMult)
	case math.IsNaN(o.Dropout) || o.Dropout >= 1:
		return o, fmt.Errorf("%s: dropout %v is not below 1", a.name, o.Dropout)
	case math.IsNaN(o.StochasticDepth) || o.StochasticDepth >= 1:
		return o, fmt.Errorf("%s: stochastic depth %v is not below 1", a.name, o.StochasticDepth)
	case o.InputSize < a.minInput:
		return o, fmt.Errorf("%s: input size %d is below the architecture's minimum of %d", a.name, o.InputSize, a.minInput)
	case o.BNEps < 0 || math.IsNaN(o.BNEps):
		return o, fmt.Errorf("%s: batch-norm epsilon %v is negative", a.name, o.BNEps)
	}
	if err := o.Head.validate(); err != nil {
		return o, fmt.Errorf("%s: %w", a.name, err)
	}
	return o, nil
}

// probability turns a resolved Dropout or StochasticDepth into a
// probability (negative means none).
func probability(p float64) float64 { return max(p, 0) }

// ScaleChannels is gocnn's width rule for VGG and ResNet: c·w rounded to the
// nearest integer (halves up), at least 1.
func ScaleChannels(c int, w float64) int {
	return max(1, int(math.Floor(float64(c)*w+0.5)))
}

// makeDivisible is torchvision's _make_divisible(v, 8): v rounded to the
// nearest multiple of 8 (halves up), at least 8, and never more than 10%
// below v.
func makeDivisible(v float64) int {
	const divisor = 8
	n := max(divisor, int(v+divisor/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// Preset is the evaluation transform a model's weights expect, as
// torchvision's ImageClassification preset: resize the shorter side to
// ResizeSize with Interpolation ("bilinear" or "bicubic"), centre-crop
// CropSize×CropSize, scale to [0, 1] and normalise each channel with Mean
// and Std.
type Preset struct {
	ResizeSize    int       `json:"resize_size"`
	CropSize      int       `json:"crop_size"`
	Interpolation string    `json:"interpolation"`
	Mean          []float32 `json:"mean"`
	Std           []float32 `json:"std"`
}

// ImageNet's channel statistics, the normalisation of every torchvision
// classification preset.
var (
	ImageNetMean = []float32{0.485, 0.456, 0.406}
	ImageNetStd  = []float32{0.229, 0.224, 0.225}
)

// DefaultPreset returns the evaluation preset of an architecture at an
// input size: torchvision's resize 256 / crop 224 at 224 (bicubic for
// EfficientNet, bilinear otherwise), and at other sizes a crop of the input
// size after resizing to ⌊size·256/224⌋.
func DefaultPreset(name string, inputSize int) (Preset, error) {
	a, err := lookup(name)
	if err != nil {
		return Preset{}, err
	}
	return a.preset(inputSize), nil
}

func (a *arch) preset(inputSize int) Preset {
	return Preset{
		ResizeSize:    inputSize * 256 / 224,
		CropSize:      inputSize,
		Interpolation: a.interpolation,
		Mean:          append([]float32(nil), ImageNetMean...),
		Std:           append([]float32(nil), ImageNetStd...),
	}
}

// Validate checks that the preset describes a usable transform.
func (p Preset) Validate() error {
	switch {
	case p.CropSize < 1 || p.ResizeSize < p.CropSize:
		return fmt.Errorf("preset: crop %d after resize %d (need 1 ≤ crop ≤ resize)", p.CropSize, p.ResizeSize)
	case p.Interpolation != "bilinear" && p.Interpolation != "bicubic":
		return fmt.Errorf("preset: interpolation %q (valid: bilinear, bicubic)", p.Interpolation)
	case len(p.Mean) != 3 || len(p.Std) != 3:
		return fmt.Errorf("preset: %d means and %d standard deviations (need 3 each)", len(p.Mean), len(p.Std))
	}
	for _, s := range p.Std {
		if !(s > 0) {
			return fmt.Errorf("preset: standard deviation %v is not positive", s)
		}
	}
	return nil
}

package zoo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/gocnn/gocnn/layers"
)

// The registry: every architecture by name, with what New needs to build it
// and the defaults that differ between architectures.

// arch is one architecture of the zoo.
type arch struct {
	name            string
	dropout         float64 // default head dropout (0: none)
	stochasticDepth float64 // default stochastic depth (0: none)
	interpolation   string  // of the evaluation preset
	minInput        int     // smallest input side the architecture accepts
	headName        string  // "fc" or "classifier"
	// build makes the backbone for resolved options, its weights zero
	// (noInit); rng seeds only its random modules (stochastic depth).
	build func(rng *rand.Rand, o Options) backbone
	// ownHead makes the architecture's own head, its weights zero: the
	// pooling before it and the head itself; rng seeds its dropout.
	ownHead func(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module)
	// linearInit initialises the Linear layers of the backbone and own
	// head as torchvision does.
	linearInit func(rng *rand.Rand, l *layers.Linear)
}

// backbone is what an architecture's build function returns.
type backbone struct {
	modules  []layers.NamedModule // top-level modules before the pooling
	features int                  // channels of the last feature map
	stages   []stageSpec          // the backbone's stages, stem first
}

type stageSpec struct {
	name  string
	paths []string
}

var archs = []*arch{
	{name: "vgg16", dropout: 0.5, interpolation: "bilinear", minInput: 32, headName: "classifier",
		build: vggBuilder(false), ownHead: vggHead, linearInit: normalLinear},
	{name: "vgg16_bn", dropout: 0.5, interpolation: "bilinear", minInput: 32, headName: "classifier",
		build: vggBuilder(true), ownHead: vggHead, linearInit: normalLinear},
	{name: "resnet18", interpolation: "bilinear", minInput: 1, headName: "fc",
		build: resnetBuilder(false, [4]int{2, 2, 2, 2}), ownHead: resnetHead, linearInit: defaultLinear},
	{name: "resnet50", interpolation: "bilinear", minInput: 1, headName: "fc",
		build: resnetBuilder(true, [4]int{3, 4, 6, 3}), ownHead: resnetHead, linearInit: defaultLinear},
	{name: "mobilenet_v3_large", dropout: 0.2, interpolation: "bilinear", minInput: 1, headName: "classifier",
		build: mobileNetV3Builder(mobileNetV3Large), ownHead: mobileNetV3Head(1280), linearInit: normalLinear},
	{name: "mobilenet_v3_small", dropout: 0.2, interpolation: "bilinear", minInput: 1, headName: "classifier",
		build: mobileNetV3Builder(mobileNetV3Small), ownHead: mobileNetV3Head(1024), linearInit: normalLinear},
	{name: "efficientnet_b0", dropout: 0.2, stochasticDepth: 0.2, interpolation: "bicubic", minInput: 1, headName: "classifier",
		build: efficientNetB0, ownHead: efficientNetHead, linearInit: uniformFanOutLinear},
}

// Names returns the names New accepts, in the zoo's order.
func Names() []string {
	names := make([]string, len(archs))
	for i, a := range archs {
		names[i] = a.name
	}
	return names
}

func lookup(name string) (*arch, error) {
	for _, a := range archs {
		if a.name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("unknown model %q (valid: %s)", name, strings.Join(Names(), ", "))
}

// ParseNames splits a comma-separated list of model names, as the programs'
// -model flag takes it, checking each; "all" stands for every model.
func ParseNames(list string) ([]string, error) {
	var out []string
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "all" {
			out = append(out, Names()...)
			continue
		}
		if _, err := lookup(name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, nil
}

// seedStream is the second word of the PCG generator New draws weights from.
const seedStream = 0x7a6f6f // "zoo"

// New builds the named architecture (see Names) with the given options and
// torchvision's weight initialisation, drawn once from a generator seeded
// with o.Seed after the layers are built (init.go). The model starts in
// training mode, as a PyTorch module does.
func New(name string, o Options) (*Model, error) {
	a, err := lookup(name)
	if err != nil {
		return nil, err
	}
	o, err = o.resolve(a)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, seedStream))
	b := a.build(rng, o)
	for _, c := range b.modules {
		initTorchvision(rng, c.Module, a.linearInit)
		if o.ZeroInitResidual {
			zeroInitResidual(c.Module)
		}
	}
	m := &Model{Arch: a.name, Options: o, backbone: b.modules, features: b.features, headName: a.headName}
	m.pool, m.head = a.head(rng, o, b.features)
	for _, s := range b.stages {
		m.stages = append(m.stages, stage{name: s.name, paths: s.paths})
	}
	m.stages = append(m.stages, stage{name: "head"})
	m.register()
	if o.BNEps > 0 {
		setBNEps(m, o.BNEps)
	}
	if _, err := Summarize(m, o.InputSize); err != nil {
		return nil, err
	}
	return m, nil
}

// head builds the head o asks for on features channels, initialised: the
// own head as torchvision initialises it, the others with PyTorch's
// default, drawn as they are built.
func (a *arch) head(rng *rand.Rand, o Options, features int) (*layers.AdaptiveAvgPool2d, layers.Module) {
	if o.Head.Kind == HeadOwn {
		pool, head := a.ownHead(rng, o, features)
		initTorchvision(rng, head, a.linearInit)
		return pool, head
	}
	return layers.NewAdaptiveAvgPool2d(1, 1), newHead(rng, o.Head, features, o.Classes, probability(o.Dropout))
}

// newHead builds a linear, MLP or custom head: Linear → ReLU → Dropout for
// each hidden size, then the output Linear, in one Sequential.
func newHead(rng *rand.Rand, spec HeadSpec, features, classes int, dropout float64) *layers.Sequential {
	head := layers.NewSequential()
	in := features
	for _, h := range spec.hiddenSizes() {
		head.Append(layers.NewLinear(rng, in, h, layers.WithBias))
		head.Append(layers.NewReLU())
		head.Append(layers.NewDropout(rng, dropout))
		in = h
	}
	return head.Append(layers.NewLinear(rng, in, classes, layers.WithBias))
}

// setBNEps sets the epsilon of every batch norm in m.
func setBNEps(m layers.Module, eps float64) {
	for _, nm := range layers.Modules(m) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok {
			bn.Eps = eps
		}
	}
}

// bnEps returns the epsilon of m's first batch norm, or 0 if it has none.
func bnEps(m layers.Module) float64 {
	for _, nm := range layers.Modules(m) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok {
			return bn.Eps
		}
	}
	return 0
}

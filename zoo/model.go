package zoo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// Model: a zoo classifier is a backbone (the architecture's feature
// extractor, its modules registered under torchvision's names), an adaptive
// average pooling named "avgpool", and a head named as torchvision names it
// ("fc" for ResNet, "classifier" otherwise). Forward runs
//
//	image (N, 3, H, W) → backbone → feature map (N, C, h, w)
//	                   → avgpool → (N, C, p, p) → flatten → head → logits (N, classes)
//
// with p = 7 for VGG's own head and 1 otherwise. The backbone is also cut
// into stages (stem, stage1 … stageK) and the head forms the last stage;
// freezing works stage by stage.

// Model is a classifier built by New.
type Model struct {
	layers.Base
	// Arch is the architecture's name, as New takes it.
	Arch string
	// Options are the options the model was built with, every default
	// filled in.
	Options Options

	backbone []layers.NamedModule // children before the pooling, in torchvision's order
	pool     *layers.AdaptiveAvgPool2d
	headName string
	head     layers.Module
	features int // channels of the backbone's output
	stages   []stage
}

// stage is a group of top-level modules that is frozen or trained together.
type stage struct {
	name    string
	paths   []string // dotted module names
	modules []layers.Module
	frozen  bool
}

// register builds the module tree from the model's fields, in torchvision's
// order, and finds each stage's modules by name.
func (m *Model) register() {
	for _, c := range m.backbone {
		m.AddModule(c.Name, c.Module)
	}
	m.AddModule("avgpool", m.pool)
	m.AddModule(m.headName, m.head)
	byName := map[string]layers.Module{}
	for _, nm := range layers.Modules(m) {
		byName[nm.Name] = nm.Module
	}
	last := &m.stages[len(m.stages)-1]
	last.paths = []string{"avgpool", m.headName}
	for i := range m.stages {
		s := &m.stages[i]
		for _, p := range s.paths {
			mod, ok := byName[p]
			if !ok {
				panic(fmt.Sprintf("zoo: stage %s of %s names module %q, which the model lacks", s.name, m.Arch, p))
			}
			s.modules = append(s.modules, mod)
		}
	}
}

// Forward maps images (N, 3, H, W) to logits (N, classes). In training mode
// the frozen stages still run in evaluation mode (see Freeze).
func (m *Model) Forward(x *autograd.Tensor) *autograd.Tensor {
	if m.Training() {
		m.keepFrozenInEval()
	}
	f := m.ForwardBackbone(x)
	out := m.ForwardHead(f)
	autograd.ReleaseIntermediate(f, x, out)
	return out
}

// ForwardBackbone returns the backbone's last feature map (N, C, h, w), the
// input of the pooling and the head.
//
// In an inference pass (x made under NoGrad) Forward, ForwardBackbone,
// ForwardHead and every block give each intermediate result back to the
// buffer pool once it has been read (layers.Step), so the next pass reuses
// the memory instead of allocating it afresh. The caller owns only x and the
// result; to keep an intermediate feature map, run the children one by one
// (layers.Children) and keep their outputs.
func (m *Model) ForwardBackbone(x *autograd.Tensor) *autograd.Tensor {
	if len(x.Shape()) != 4 || x.Dim(1) != 3 {
		panic(fmt.Sprintf("zoo.%s: input %v, want images (N, 3, H, W)", m.Arch, x.Shape()))
	}
	mods := make([]layers.Module, len(m.backbone))
	for i, c := range m.backbone {
		mods[i] = c.Module
	}
	return layers.Steps(x, x, mods...)
}

// ForwardHead pools a backbone feature map and applies the head; f stays
// the caller's.
func (m *Model) ForwardHead(f *autograd.Tensor) *autograd.Tensor {
	pooled := autograd.Flatten(m.pool.Forward(f))
	out := m.head.Forward(pooled)
	autograd.ReleaseIntermediate(pooled, f, out)
	return out
}

// FeatureChannels returns the number of channels of the backbone's output.
func (m *Model) FeatureChannels() int { return m.features }

// HeadName returns the name the head is registered under: "fc" for ResNet,
// "classifier" for the others. Its state dict keys start with this name
// and a dot.
func (m *Model) HeadName() string { return m.headName }

// ReplaceHead puts a new head for classes outputs on the model, drawn from
// rng; the backbone and its weights stay as they are, and so do the frozen
// stages (the new head is trainable, in the model's mode). The pooling and
// head are swapped in place (layers' SetModule), so the head's keys stay
// last in the state dict. HeadOwn gives the architecture's own head with
// its torchvision initialisation.
func (m *Model) ReplaceHead(rng *rand.Rand, spec HeadSpec, classes int) error {
	a, err := lookup(m.Arch)
	if err != nil {
		return err
	}
	o := m.Options
	o.Head, o.Classes = spec, classes
	o, err = o.resolve(a)
	if err != nil {
		return err
	}
	m.Options = o
	m.pool, m.head = a.head(rng, o, m.features)
	m.SetModule("avgpool", m.pool)
	m.SetModule(m.headName, m.head)
	last := len(m.stages) - 1
	m.stages[last].modules = []layers.Module{m.pool, m.head}
	m.setFrozen(last, false) // also puts the new head in the model's mode
	return nil
}

// Stage describes one stage of a model: its name ("stem", "stage1", …,
// "head"), the dotted names of its top-level modules, its parameter count
// and whether it is frozen.
type Stage struct {
	Name    string   `json:"name"`
	Modules []string `json:"modules"`
	Params  int64    `json:"params"`
	Frozen  bool     `json:"frozen"`
}

// Stages returns the model's stages in order, the head last.
func (m *Model) Stages() []Stage {
	out := make([]Stage, len(m.stages))
	for i, s := range m.stages {
		var n int64
		for _, mod := range s.modules {
			for _, p := range layers.Parameters(mod) {
				n += int64(p.Tensor.Numel())
			}
		}
		out[i] = Stage{Name: s.name, Modules: slices.Clone(s.paths), Params: n, Frozen: s.frozen}
	}
	return out
}

// BackboneStages returns the number of stages before the head.
func (m *Model) BackboneStages() int { return len(m.stages) - 1 }

// Freeze freezes the named stages: their parameters stop requiring
// gradients (an optimiser skips them and backward records nothing for a
// frozen prefix of the network), and their modules run in evaluation mode,
// so batch norm uses and keeps its running statistics and dropout is off,
// even while the model trains. layers.SetTraining(model, true) cannot undo
// this: Forward puts frozen stages back in evaluation mode.
func (m *Model) Freeze(names ...string) error { return m.setFrozenByName(true, names) }

// Unfreeze makes the named stages trainable again; their modules follow the
// model's mode.
func (m *Model) Unfreeze(names ...string) error { return m.setFrozenByName(false, names) }

func (m *Model) setFrozenByName(frozen bool, names []string) error {
	idx := make([]int, len(names))
	for i, name := range names {
		idx[i] = slices.IndexFunc(m.stages, func(s stage) bool { return s.name == name })
		if idx[i] < 0 {
			return fmt.Errorf("%s has no stage %q (stages: %s)", m.Arch, name, strings.Join(m.stageNames(), ", "))
		}
	}
	for _, i := range idx {
		m.setFrozen(i, frozen)
	}
	return nil
}

func (m *Model) stageNames() []string {
	names := make([]string, len(m.stages))
	for i, s := range m.stages {
		names[i] = s.name
	}
	return names
}

// TrainLastStages makes the head and the last n backbone stages trainable
// and freezes the others: n = 0 is a linear probe (only the head trains),
// n = BackboneStages() trains everything. n is clamped to that range.
func (m *Model) TrainLastStages(n int) {
	n = min(max(n, 0), m.BackboneStages())
	firstTrained := m.BackboneStages() - n
	for i := range m.stages {
		m.setFrozen(i, i < firstTrained)
	}
}

func (m *Model) setFrozen(i int, frozen bool) {
	s := &m.stages[i]
	s.frozen = frozen
	for _, mod := range s.modules {
		layers.SetRequiresGrad(mod, !frozen)
		layers.SetTraining(mod, m.Training() && !frozen)
	}
}

// keepFrozenInEval puts the frozen stages back in evaluation mode, in case
// layers.SetTraining switched the whole tree.
func (m *Model) keepFrozenInEval() {
	for _, s := range m.stages {
		if !s.frozen {
			continue
		}
		for _, mod := range s.modules {
			layers.SetTraining(mod, false)
		}
	}
}

// BackboneParams returns the parameters of every stage but the head, frozen
// or not, in state-dict order: with HeadParams, the two parameter groups of
// fine-tuning with separate learning rates (optim.Group{Params: …}).
func (m *Model) BackboneParams() []*autograd.Tensor {
	var out []*autograd.Tensor
	for _, c := range m.backbone {
		for _, p := range layers.Parameters(c.Module) {
			out = append(out, p.Tensor)
		}
	}
	return out
}

// HeadParams returns the head's parameters in state-dict order.
func (m *Model) HeadParams() []*autograd.Tensor {
	var out []*autograd.Tensor
	for _, p := range layers.Parameters(m.head) {
		out = append(out, p.Tensor)
	}
	return out
}

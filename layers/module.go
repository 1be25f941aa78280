package layers

import (
	"fmt"
	"strings"

	"github.com/gocnn/gocnn/autograd"
)

// Module is a network building block: it maps an input tensor to an output
// tensor and owns named parameters, buffers and child modules.
//
// A module type embeds Base, registers what it owns in its constructor, and
// implements Forward:
//
//	type Block struct {
//		layers.Base
//		conv *layers.Conv2d
//		bn   *layers.BatchNorm2d
//	}
//
//	func NewBlock(…) *Block {
//		b := &Block{}
//		b.conv = layers.Add(&b.Base, "conv", layers.NewConv2d(…))
//		b.bn = layers.Add(&b.Base, "bn", layers.NewBatchNorm2d(…))
//		return b
//	}
//
// Names compose with dots through the tree of modules, exactly as in
// PyTorch, so a state dict key reads "layer1.0.conv1.weight".
type Module interface {
	Forward(x *autograd.Tensor) *autograd.Tensor
	base() *Base
}

// Base holds what a module owns, in registration order (which is the order
// of PyTorch's state_dict: a module's own parameters, then its buffers, then
// each child in turn). Embed it in every module.
type Base struct {
	params   []NamedTensor
	buffers  []NamedTensor
	children []child
	eval     bool // zero value: training mode, PyTorch's default
}

// NamedTensor is a tensor with its dotted name.
type NamedTensor struct {
	Name   string
	Tensor *autograd.Tensor
}

type child struct {
	name   string
	module Module
}

func (b *Base) base() *Base { return b }

// AddParam registers a trainable parameter (it is set to require gradients)
// and returns it.
func (b *Base) AddParam(name string, t *autograd.Tensor) *autograd.Tensor {
	t.SetRequiresGrad(true)
	b.params = append(b.params, NamedTensor{name, t})
	return t
}

// AddBuffer registers a tensor that is state but not trained, such as
// BatchNorm's running statistics, and returns it.
func (b *Base) AddBuffer(name string, t *autograd.Tensor) *autograd.Tensor {
	b.buffers = append(b.buffers, NamedTensor{name, t})
	return t
}

// AddModule registers a child module under name.
func (b *Base) AddModule(name string, m Module) {
	b.children = append(b.children, child{name, m})
}

// SetModule replaces the child registered under name by m, in place: m
// keeps the old child's position in the registration order, so state-dict
// keys keep their order (PyTorch's setattr on an existing submodule does the
// same). m keeps its own training mode. It panics if b has no child of that
// name or m is nil. A module that keeps the child in a typed field as well
// must update the field itself; Sequential keeps none, so
// s.SetModule("2", m) replaces its third module.
func (b *Base) SetModule(name string, m Module) {
	if m == nil {
		panic(fmt.Sprintf("layers.SetModule: nil module for %q", name))
	}
	for i := range b.children {
		if b.children[i].name == name {
			b.children[i].module = m
			return
		}
	}
	names := make([]string, len(b.children))
	for i, c := range b.children {
		names[i] = c.name
	}
	panic(fmt.Sprintf("layers.SetModule: no child %q (children: %s)", name, strings.Join(names, ", ")))
}

// Add registers child m under name in parent and returns m with its own type,
// so constructors can keep a typed field: b.conv = layers.Add(&b.Base, "conv", conv).
func Add[M Module](parent *Base, name string, m M) M {
	parent.AddModule(name, m)
	return m
}

// Training reports whether the module is in training mode (the default).
func (b *Base) Training() bool { return !b.eval }

// SetTraining puts m and all its descendants in training mode (on) or
// evaluation mode (off), like PyTorch's module.train(on).
func SetTraining(m Module, on bool) {
	b := m.base()
	b.eval = !on
	for _, c := range b.children {
		SetTraining(c.module, on)
	}
}

// Children returns m's direct children with their names.
func Children(m Module) []NamedModule {
	var out []NamedModule
	for _, c := range m.base().children {
		out = append(out, NamedModule{c.name, c.module})
	}
	return out
}

// NamedModule is a module with its dotted name.
type NamedModule struct {
	Name   string
	Module Module
}

// Modules returns m and all its descendants, depth first, each with its
// dotted name ("" for m itself), like PyTorch's named_modules().
func Modules(m Module) []NamedModule {
	var out []NamedModule
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		out = append(out, NamedModule{prefix, m})
		for _, c := range m.base().children {
			walk(join(prefix, c.name), c.module)
		}
	}
	walk("", m)
	return out
}

// Parameters returns every parameter of m and its descendants with dotted
// names, in PyTorch's named_parameters() order.
func Parameters(m Module) []NamedTensor {
	return collect(m, func(b *Base) []NamedTensor { return b.params })
}

// Buffers returns every buffer of m and its descendants with dotted names.
func Buffers(m Module) []NamedTensor {
	return collect(m, func(b *Base) []NamedTensor { return b.buffers })
}

// StateTensors returns parameters and buffers together, in PyTorch's
// state_dict() order: for each module, its parameters, its buffers, then its
// children.
func StateTensors(m Module) []NamedTensor {
	return collect(m, func(b *Base) []NamedTensor { return append(append([]NamedTensor(nil), b.params...), b.buffers...) })
}

func collect(m Module, own func(*Base) []NamedTensor) []NamedTensor {
	var out []NamedTensor
	var walk func(prefix string, m Module)
	walk = func(prefix string, m Module) {
		b := m.base()
		for _, n := range own(b) {
			out = append(out, NamedTensor{join(prefix, n.Name), n.Tensor})
		}
		for _, c := range b.children {
			walk(join(prefix, c.name), c.module)
		}
	}
	walk("", m)
	return out
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// SetRequiresGrad freezes (false) or unfreezes (true) every parameter of m
// and its descendants.
func SetRequiresGrad(m Module, on bool) {
	for _, p := range Parameters(m) {
		p.Tensor.SetRequiresGrad(on)
	}
}

// ZeroGrad drops the gradients of every parameter of m.
func ZeroGrad(m Module) {
	for _, p := range Parameters(m) {
		p.Tensor.ZeroGrad()
	}
}

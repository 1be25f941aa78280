package layers

import (
	"fmt"
	"strconv"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
)

// Structural modules: Sequential chains modules and names them by position
// ("0", "1", …) as torch.nn.Sequential does; Identity and Flatten reshape
// nothing or everything after the batch dimension.

// Sequential applies its modules in order, each to the previous one's output.
// Its modules are its registered children, so SetModule replaces one.
type Sequential struct {
	Base
}

// NewSequential returns a Sequential of mods, named "0", "1", ….
func NewSequential(mods ...Module) *Sequential {
	s := &Sequential{}
	for _, m := range mods {
		s.Append(m)
	}
	return s
}

// Append adds m at the end, under the next index, and returns s.
func (s *Sequential) Append(m Module) *Sequential {
	s.AddModule(strconv.Itoa(s.Len()), m)
	return s
}

// Len returns the number of modules.
func (s *Sequential) Len() int { return len(s.children) }

// At returns module i; negative i counts from the end, as in Python.
func (s *Sequential) At(i int) Module {
	j := i
	if j < 0 {
		j += s.Len()
	}
	if j < 0 || j >= s.Len() {
		panic(fmt.Sprintf("layers.Sequential.At: index %d out of range for %d modules", i, s.Len()))
	}
	return s.children[j].module
}

// Forward runs x through every module in turn. In an inference pass (x made
// under NoGrad) each intermediate result goes back to the buffer pool once
// the next module has read it (see Step); x and the result are the caller's.
// A BatchNorm2d followed by an Activation whose derivative can be read from
// its result (autograd.ActGradFromResult: ReLU, ReLU6) runs as one op
// (BatchNorm2d.ForwardAct), with the values the two give.
func (s *Sequential) Forward(x *autograd.Tensor) *autograd.Tensor {
	return chain(x, x, len(s.children), s.at)
}

// at returns module i, or nil past the end.
func (s *Sequential) at(i int) Module {
	if i >= len(s.children) {
		return nil
	}
	return s.children[i].module
}

// Steps runs h through mods in turn, as Sequential.Forward runs its modules
// (in is the chaining module's own input, see Step): for a block that
// chains its registered modules in its own Forward, such as ResNet's.
func Steps(h, in *autograd.Tensor, mods ...Module) *autograd.Tensor {
	return chain(h, in, len(mods), func(i int) Module {
		if i >= len(mods) {
			return nil
		}
		return mods[i]
	})
}

// chain runs h through the n modules at(0), at(1), … with Step, a fused
// BatchNorm2d and activation as one step.
func chain(h, in *autograd.Tensor, n int, at func(int) Module) *autograd.Tensor {
	for i := 0; i < n; i++ {
		if bn, act, ok := fusedNorm(at(i), at(i+1)); ok {
			h = stepAct(bn, act, h, in)
			i++
			continue
		}
		h = Step(at(i), h, in)
	}
	return h
}

// fusedNorm reports whether m and next are a BatchNorm2d and an Activation
// that run as one op, and returns them.
func fusedNorm(m, next Module) (*BatchNorm2d, kernels.Act, bool) {
	bn, ok := m.(*BatchNorm2d)
	if !ok {
		return nil, 0, false
	}
	a, ok := next.(*Activation)
	if !ok || !autograd.ActGradFromResult(a.Fn) {
		return nil, 0, false
	}
	return bn, a.Fn, true
}

// stepAct is Step for a BatchNorm2d and its activation as one op.
func stepAct(bn *BatchNorm2d, act kernels.Act, h, in *autograd.Tensor) *autograd.Tensor {
	out := bn.ForwardAct(h, act)
	autograd.ReleaseIntermediate(h, in, out)
	return out
}

// Step returns m.Forward(h) and, in an inference pass, gives h's storage back
// to the buffer pool (autograd.ReleaseIntermediate) unless the result or in
// shares it. It is the step of a module that chains others: in is the
// chaining module's own input, which belongs to its caller, and h is in or a
// result of an earlier step, which nobody outside the chaining module holds.
// Identity, Flatten and Dropout in evaluation mode return their input or a
// view of it; the check is on storage, so such an h lives on until a later
// step's result no longer shares it. Recorded (training) passes release
// nothing: Backward needs their results.
func Step(m Module, h, in *autograd.Tensor) *autograd.Tensor {
	out := m.Forward(h)
	autograd.ReleaseIntermediate(h, in, out)
	return out
}

// Identity returns its input unchanged (torch.nn.Identity); it stands in for
// a removed layer, such as a classifier replaced by a feature extractor.
type Identity struct{ Base }

// NewIdentity returns an Identity.
func NewIdentity() *Identity { return &Identity{} }

// Forward returns x.
func (*Identity) Forward(x *autograd.Tensor) *autograd.Tensor { return x }

// Flatten reshapes (N, d1, d2, …) to (N, d1·d2·…), as torch.nn.Flatten()
// with its default start_dim=1. It copies nothing.
type Flatten struct{ Base }

// NewFlatten returns a Flatten.
func NewFlatten() *Flatten { return &Flatten{} }

// Forward flattens x.
func (*Flatten) Forward(x *autograd.Tensor) *autograd.Tensor { return autograd.Flatten(x) }

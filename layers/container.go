package layers

import (
	"fmt"
	"strconv"

	"github.com/gocnn/gocnn/autograd"
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

// Forward runs x through every module in turn.
func (s *Sequential) Forward(x *autograd.Tensor) *autograd.Tensor {
	for _, c := range s.children {
		x = c.module.Forward(x)
	}
	return x
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

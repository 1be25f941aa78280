package layers

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

// SetModule swaps a child in place: the new child's tensors take the old
// one's place in the state-dict order, a Sequential runs the new module,
// and an unknown name or a nil module panics with a message naming it.
func TestSetModule(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	s := NewSequential(NewLinear(rng, 2, 3, WithBias), NewReLU(), NewLinear(rng, 3, 4, WithBias))
	parent := &Sequential{}
	parent.AddModule("body", s)
	parent.AddModule("norm", NewBatchNorm2d(4, BatchNormOpts{}))
	parent.AddModule("head", NewLinear(rng, 4, 5, NoBias))

	replacement := NewLinear(rng, 3, 6, NoBias)
	s.SetModule("2", replacement)
	parent.SetModule("norm", NewIdentity())
	newHead := NewSequential(NewLinear(rng, 6, 7, WithBias))
	parent.SetModule("head", newHead)

	want := []string{"body.0.weight", "body.0.bias", "body.2.weight", "head.0.weight", "head.0.bias"}
	if got := stateKeys(parent); !slices.Equal(got, want) {
		t.Errorf("state-dict keys after SetModule %q, want %q", got, want)
	}
	if s.Len() != 3 || s.At(2) != Module(replacement) || Children(parent)[2].Module != Module(newHead) {
		t.Errorf("Len %d, At(2) %T, head %T", s.Len(), s.At(2), Children(parent)[2].Module)
	}
	x := autograd.New([]float32{1, -2}, 1, 2)
	if got := s.Forward(x).Shape(); !slices.Equal(got, []int{1, 6}) {
		t.Errorf("Sequential output %v after replacing its last Linear, want [1 6]", got)
	}

	for _, c := range []struct {
		name string
		m    Module
		want string
	}{{"tail", NewReLU(), `no child "tail" (children: body, norm, head)`}, {"head", nil, `nil module for "head"`}} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, c.want) {
					t.Errorf("SetModule(%q, %v) panicked with %q, want it to mention %q", c.name, c.m, msg, c.want)
				}
			}()
			parent.SetModule(c.name, c.m)
		}()
	}
}

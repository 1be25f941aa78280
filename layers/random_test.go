package layers

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gocnn/gocnn/autograd"
)

// masks runs every module of s on a tensor of ones and returns the outputs.
func masks(s *Sequential, x *autograd.Tensor) [][]float32 {
	var out [][]float32
	for i := range s.Len() {
		out = append(out, slices.Clone(s.At(i).Forward(x).Data()))
	}
	return out
}

func TestReseedReproducesMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewSequential(NewDropout(rng, 0.5), NewSequential(NewDropout(rng, 0.5)))
	two := NewSequential(s.At(0), s.At(1).(*Sequential).At(0)) // both dropouts, flat
	x := autograd.Full(1, 2000)

	Reseed(s, 42)
	first := masks(two, x)
	Reseed(s, 42)
	again := masks(two, x)
	Reseed(s, 43)
	other := masks(two, x)

	for i := range first {
		if !slices.Equal(first[i], again[i]) {
			t.Errorf("dropout %d: masks after Reseed(42) twice differ", i)
		}
		if slices.Equal(first[i], other[i]) {
			t.Errorf("dropout %d: Reseed(42) and Reseed(43) give the same mask", i)
		}
		zeros := 0
		for _, v := range first[i] {
			switch v {
			case 0:
				zeros++
			case 2:
			default:
				t.Fatalf("dropout %d: value %v, want 0 or 2", i, v)
			}
		}
		if zeros < 900 || zeros > 1100 {
			t.Errorf("dropout %d: %d of 2000 zeroed at p = 0.5", i, zeros)
		}
	}
	if slices.Equal(first[0], first[1]) {
		t.Error("two dropout layers drew the same mask")
	}

	SetTraining(s, false)
	if got := s.At(0).Forward(x); got != x {
		t.Error("dropout in eval mode did not return its input")
	}
}

// Models built from the same seed draw the same masks without any Reseed.
func TestRandomModulesSeededByConstructor(t *testing.T) {
	x := autograd.Full(1, 64, 3)
	var outs [][]float32
	for range 2 {
		rng := rand.New(rand.NewPCG(9, 9))
		outs = append(outs, masks(NewSequential(NewStochasticDepth(rng, 0.25)), x)[0])
	}
	if !slices.Equal(outs[0], outs[1]) {
		t.Error("two StochasticDepth modules built from one seed drew different masks")
	}
	for i := 0; i < 64; i++ { // whole samples are kept (×4/3) or dropped
		row := outs[0][3*i : 3*i+3]
		if row[0] != row[1] || row[1] != row[2] || (row[0] != 0 && row[0] != float32(1/0.75)) {
			t.Fatalf("sample %d: %v, want all 0 or all 4/3", i, row)
		}
	}
}

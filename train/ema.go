package train

// An exponential moving average (EMA) of a model's weights, as timm's
// ModelEmaV2 keeps it: after every optimiser step each floating-point entry
// of the state dict (parameters and BatchNorm running statistics) moves
// towards the model's value,
//
//	ema = d·ema + (1 − d)·model,   d = min(Decay, (1 + updates)/(10 + updates)),
//
// the warm-up of d letting the average forget its random start quickly. It
// is computed as ema += (1 − d)·(model − ema), as PyTorch's lerp (timm's
// ModelEmaV3) computes it once 1 − d < ½ (for the first updates of the
// warm-up lerp takes model − (model − ema)·d instead), so that a value the
// model does not change — a frozen pretrained weight, its batch norm's
// running statistics — keeps its exact bits in the average too; d·x +
// (1 − d)·x in float32 can be an ulp off x.
// Integer counters (num_batches_tracked) are copied. Evaluation swaps the
// averaged values into the model and back, with no extra copy of the model.

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
)

// EMA holds the averaged copy of a model's state.
type EMA struct {
	Decay   float64
	updates int64
	names   []string
	live    [][]float32 // the model's tensors, in state dict order
	shadow  [][]float32
	counter []bool // integer counters: copied, not averaged
}

// NewEMA starts an average at the model's current state.
func NewEMA(model layers.Module, decay float64) *EMA {
	e := &EMA{Decay: decay}
	for _, nt := range layers.StateTensors(model) {
		d := nt.Tensor.Data()
		e.names = append(e.names, nt.Name)
		e.live = append(e.live, d)
		e.shadow = append(e.shadow, slices.Clone(d))
		e.counter = append(e.counter, strings.HasSuffix(nt.Name, "num_batches_tracked"))
	}
	return e
}

// Update moves the average towards the model's current state.
func (e *EMA) Update() {
	d := min(e.Decay, float64(1+e.updates)/float64(10+e.updates))
	e.updates++
	take := float32(1 - d)
	for i, live := range e.live {
		shadow := e.shadow[i]
		if e.counter[i] {
			copy(shadow, live)
			continue
		}
		kernels.Parallel(len(live), kernels.GrainFor(len(live), 3), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				shadow[j] += take * (live[j] - shadow[j])
			}
		})
	}
}

// Swap exchanges the model's values with the averaged ones; calling it
// twice restores the model.
func (e *EMA) Swap() {
	for i, live := range e.live {
		shadow := e.shadow[i]
		for j := range live {
			live[j], shadow[j] = shadow[j], live[j]
		}
	}
}

// tensors returns the average as named tensors, each name prefixed.
func (e *EMA) tensors(prefix string) []safetensors.Tensor {
	var out []safetensors.Tensor
	for i, name := range e.names {
		out = append(out, safetensors.F32(prefix+name, []int{len(e.shadow[i])}, e.shadow[i]))
	}
	return out
}

// load restores the average from tensors written by tensors, after
// updates updates (one per optimiser step).
func (e *EMA) load(f *safetensors.File, prefix string, updates int) error {
	values := make([][]float32, len(e.names))
	for i, name := range e.names {
		v, _, err := f.Float32(prefix + name)
		if err != nil {
			return fmt.Errorf("EMA weights (does the checkpoint come from a run without an EMA?): %w", err)
		}
		if len(v) != len(e.shadow[i]) {
			return fmt.Errorf("EMA weights %s hold %d values, the model's %d", name, len(v), len(e.shadow[i]))
		}
		values[i] = v
	}
	for i, v := range values {
		copy(e.shadow[i], v)
	}
	e.updates = int64(updates)
	return nil
}

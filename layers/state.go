package layers

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/safetensors"
)

// State dicts: a model's parameters and buffers as named safetensors
// tensors, in PyTorch's state_dict order (for each module in depth-first
// order: its parameters, its buffers, then its children). Values are
// float32, row-major, shaped as in PyTorch; integer buffers
// (num_batches_tracked) are int64, as PyTorch saves them. A file exported
// from torchvision therefore loads as it is, and a file saved here loads into
// torchvision with load_state_dict.

// integerBuffers is implemented by modules some of whose buffers are
// integers in PyTorch (they are float32 tensors here).
type integerBuffers interface {
	integerBuffer(name string) bool
}

// stateEntry is one state dict key of a model.
type stateEntry struct {
	name    string
	tensor  *autograd.Tensor
	integer bool
}

func stateEntries(m Module) []stateEntry {
	var out []stateEntry
	for _, nm := range Modules(m) {
		b := nm.Module.base()
		for _, p := range b.params {
			out = append(out, stateEntry{join(nm.Name, p.Name), p.Tensor, false})
		}
		ints, _ := nm.Module.(integerBuffers)
		for _, buf := range b.buffers {
			out = append(out, stateEntry{join(nm.Name, buf.Name), buf.Tensor, ints != nil && ints.integerBuffer(buf.Name)})
		}
	}
	return out
}

// StateDict returns copies of m's parameters and buffers, named and ordered
// as PyTorch's state_dict(), ready for safetensors.WriteFile.
func StateDict(m Module) []safetensors.Tensor {
	entries := stateEntries(m)
	out := make([]safetensors.Tensor, len(entries))
	for i, e := range entries {
		if !e.integer {
			out[i] = safetensors.F32(e.name, e.tensor.Shape(), e.tensor.Data())
			continue
		}
		ints := make([]int64, e.tensor.Numel())
		for j, v := range e.tensor.Data() {
			ints[j] = int64(math.Round(float64(v)))
		}
		out[i] = safetensors.I64(e.name, e.tensor.Shape(), ints)
	}
	return out
}

// SaveStateDict writes m's state dict to path atomically (a crash leaves
// either the old file or the new one), with optional string metadata.
func SaveStateDict(path string, m Module, metadata map[string]string) error {
	if err := safetensors.WriteFile(path, StateDict(m), metadata); err != nil {
		return fmt.Errorf("saving state dict to %s: %w", path, err)
	}
	return nil
}

// LoadOptions controls LoadStateDict.
type LoadOptions struct {
	// Strict turns any missing, unexpected or mis-shaped key into an error,
	// and then nothing is loaded. Without it, every key that matches is
	// loaded and the rest is only reported.
	Strict bool
	// Skip, if set, drops the file keys for which it returns true before
	// anything else happens (say, a pretrained classifier that a new head
	// replaces). They are listed in LoadReport.Skipped.
	Skip func(fileKey string) bool
	// Rename, if set, maps each remaining file key to the model key it
	// fills (say, timm's names to torchvision's).
	Rename func(fileKey string) string
}

// LoadReport says what LoadStateDict did with each key.
type LoadReport struct {
	Loaded        []string        // model keys filled from the file
	Missing       []string        // model keys the file lacks
	Unexpected    []string        // file keys (as the file spells them) the model lacks
	ShapeMismatch []ShapeMismatch // keys in both whose shapes differ
	Skipped       []string        // file keys dropped by LoadOptions.Skip
}

// ShapeMismatch is a key present in the model and the file with different
// shapes.
type ShapeMismatch struct {
	Name        string // the model key
	Model, File []int
}

// Clean reports whether every model key was loaded and every file key used.
func (r LoadReport) Clean() bool {
	return len(r.Missing) == 0 && len(r.Unexpected) == 0 && len(r.ShapeMismatch) == 0
}

// String says how many keys were loaded and lists the problems.
func (r LoadReport) String() string {
	if r.Clean() {
		return fmt.Sprintf("all %d keys loaded", len(r.Loaded))
	}
	return fmt.Sprintf("%d keys loaded; %s", len(r.Loaded), r.problems())
}

func (r LoadReport) problems() string {
	var parts []string
	if len(r.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing from the file: %s", len(r.Missing), strings.Join(r.Missing, ", ")))
	}
	if len(r.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d unexpected in the file: %s", len(r.Unexpected), strings.Join(r.Unexpected, ", ")))
	}
	if len(r.ShapeMismatch) > 0 {
		var ms []string
		for _, s := range r.ShapeMismatch {
			ms = append(ms, fmt.Sprintf("%s (model %v, file %v)", s.Name, s.Model, s.File))
		}
		parts = append(parts, fmt.Sprintf("%d with a different shape: %s", len(ms), strings.Join(ms, ", ")))
	}
	return strings.Join(parts, "; ")
}

// LoadStateDict copies the tensors of f into m's parameters and buffers, in
// place (tensors keep their identity, so an optimiser holding them sees the
// new values). File values of any dtype safetensors reads (F32, F16, BF16,
// I64, …) are converted to float32.
//
// A file without num_batches_tracked is accepted, as PyTorch accepts one: the
// counters it lacks are set to zero and not reported missing.
//
// With opts.Strict, any missing, unexpected or mis-shaped key is an error
// naming them all, and m is left untouched (the report's Loaded is empty).
// Otherwise whatever matches is loaded and the report lists the rest. The
// report is returned in both cases. Other errors (two file keys renamed to
// one model key, a tensor whose data cannot be converted) leave m untouched
// too.
func LoadStateDict(m Module, f *safetensors.File, opts LoadOptions) (LoadReport, error) {
	var report LoadReport
	byKey := map[string]int{} // model key → index in f.Tensors
	var kept []int            // indices in f.Tensors not skipped, in file order
	for i, t := range f.Tensors {
		if opts.Skip != nil && opts.Skip(t.Name) {
			report.Skipped = append(report.Skipped, t.Name)
			continue
		}
		key := t.Name
		if opts.Rename != nil {
			key = opts.Rename(t.Name)
		}
		if j, dup := byKey[key]; dup {
			return report, fmt.Errorf("loading state dict: file keys %q and %q both map to model key %q", f.Tensors[j].Name, t.Name, key)
		}
		byKey[key] = i
		kept = append(kept, i)
	}

	type staged struct {
		dst    *autograd.Tensor
		values []float32 // nil: set to zero
	}
	var plan []staged
	used := make([]bool, len(f.Tensors))
	for _, e := range stateEntries(m) {
		i, ok := byKey[e.name]
		if !ok {
			if e.integer {
				plan = append(plan, staged{e.tensor, nil})
			} else {
				report.Missing = append(report.Missing, e.name)
			}
			continue
		}
		used[i] = true
		t := f.Tensors[i]
		if !slices.Equal(t.Shape, e.tensor.Shape()) {
			report.ShapeMismatch = append(report.ShapeMismatch, ShapeMismatch{e.name, slices.Clone(e.tensor.Shape()), slices.Clone(t.Shape)})
			continue
		}
		values, err := t.Float32()
		if err != nil {
			return report, fmt.Errorf("loading state dict: %w", err)
		}
		plan = append(plan, staged{e.tensor, values})
		report.Loaded = append(report.Loaded, e.name)
	}
	for _, i := range kept {
		if !used[i] {
			report.Unexpected = append(report.Unexpected, f.Tensors[i].Name)
		}
	}
	if opts.Strict && !report.Clean() {
		report.Loaded = nil
		return report, fmt.Errorf("state dict does not match the model, nothing loaded: %s", report.problems())
	}
	for _, s := range plan {
		if s.values == nil {
			clear(s.dst.Data())
		} else {
			copy(s.dst.Data(), s.values)
		}
	}
	return report, nil
}

// LoadStateDictFile reads the safetensors file at path and loads it into m
// with LoadStateDict. Errors name the file.
func LoadStateDictFile(path string, m Module, opts LoadOptions) (LoadReport, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return LoadReport{}, err
	}
	report, err := LoadStateDict(m, f, opts)
	if err != nil {
		return report, fmt.Errorf("%s: %w", path, err)
	}
	return report, nil
}

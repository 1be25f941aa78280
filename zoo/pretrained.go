package zoo

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
)

// Weights on disk: safetensors files whose tensor names are torchvision's
// state-dict keys, so a file exported from torchvision (by
// scripts/export_torchvision.py) loads as it is. gocnn's own files carry
// string metadata ("__metadata__" in the safetensors header) that says how
// to rebuild and use the model:
//
//	gocnn.architecture    the model name, as New takes it ("resnet50")
//	gocnn.options         Options as JSON
//	gocnn.class_names     the class names as a JSON list, in output order
//	gocnn.preset          the evaluation Preset as JSON
//	gocnn.eval_transform  the exact evaluation pipeline, as the dataset
//	                      package's Transform.String writes it (optional;
//	                      cmd/train records it, since a Preset cannot say
//	                      "pad" or "gray to three channels")
//
// LoadPretrained fills an existing model (for fine-tuning: a checkpoint
// whose head has another class count gives the backbone and leaves the new
// head as initialised); Load builds the model a file is for and loads it.
// Both refuse a training checkpoint (package train's checkpoint.safetensors,
// marked by gocnn.checkpoint metadata): its tensors are the model's under
// "model." beside the optimiser's state, and it does not record the
// model's options, so it cannot be rebuilt; the weights to use are the
// ones training writes beside it.

// Metadata keys of gocnn checkpoints.
const (
	MetaArchitecture  = "gocnn.architecture"
	MetaOptions       = "gocnn.options"
	MetaClassNames    = "gocnn.class_names"
	MetaPreset        = "gocnn.preset"
	MetaEvalTransform = "gocnn.eval_transform"
	// MetaCheckpoint marks a training checkpoint (package train writes its
	// state under this key); such a file is refused here.
	MetaCheckpoint = "gocnn.checkpoint"
)

// Info is what a checkpoint's metadata says about its model. Fields the
// file does not carry are empty (nil for Options and Preset).
type Info struct {
	Arch       string
	Options    *Options
	ClassNames []string
	Preset     *Preset
	// EvalTransform is the exact evaluation pipeline the weights were
	// tested with, as Transform.String wrote it; the Preset is the nearest
	// a preset can say.
	EvalTransform string
}

// ReadInfo parses the gocnn metadata of f, read from path (for messages).
// A training checkpoint is an error that says which file to use instead.
func ReadInfo(f *safetensors.File, path string) (Info, error) {
	if _, ok := f.Metadata[MetaCheckpoint]; ok {
		return Info{}, fmt.Errorf("%s: this is a training checkpoint (%s metadata: the model's tensors as model.* beside the optimiser's state, "+
			"kept to resume the run), not model weights; use best.safetensors in the same folder, the weights training keeps", path, MetaCheckpoint)
	}
	info := Info{Arch: f.Metadata[MetaArchitecture], EvalTransform: f.Metadata[MetaEvalTransform]}
	if info.Arch != "" {
		if _, err := lookup(info.Arch); err != nil {
			return info, fmt.Errorf("%s: metadata %s: %w", path, MetaArchitecture, err)
		}
	}
	decode := func(key string, dst any) error {
		s, ok := f.Metadata[key]
		if !ok {
			return nil
		}
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			return fmt.Errorf("%s: metadata %s is not valid: %w", path, key, err)
		}
		return nil
	}
	var o Options
	var p Preset
	if err := decode(MetaOptions, &o); err != nil {
		return info, err
	}
	if _, ok := f.Metadata[MetaOptions]; ok {
		info.Options = &o
	}
	if err := decode(MetaClassNames, &info.ClassNames); err != nil {
		return info, err
	}
	if err := decode(MetaPreset, &p); err != nil {
		return info, err
	}
	if _, ok := f.Metadata[MetaPreset]; ok {
		if err := p.Validate(); err != nil {
			return info, fmt.Errorf("%s: metadata %s: %w", path, MetaPreset, err)
		}
		info.Preset = &p
	}
	if info.Options != nil && info.ClassNames != nil && len(info.ClassNames) != info.Options.Classes {
		return info, fmt.Errorf("%s: metadata names %d classes but the options say %d", path, len(info.ClassNames), info.Options.Classes)
	}
	return info, nil
}

// SaveOptions adds what Save writes beside the weights.
type SaveOptions struct {
	// ClassNames are the names of the model's outputs, in order (optional;
	// if given, one per class).
	ClassNames []string
	// Preset is the evaluation transform; nil means DefaultPreset.
	Preset *Preset
	// Metadata holds further string entries (a trainer's epoch, say).
	Metadata map[string]string
}

// Save writes m's state dict to path (atomically) with the gocnn metadata.
func Save(path string, m *Model, opts SaveOptions) error {
	if opts.ClassNames != nil && len(opts.ClassNames) != m.Options.Classes {
		return fmt.Errorf("saving %s: %d class names for a model with %d classes", path, len(opts.ClassNames), m.Options.Classes)
	}
	preset := opts.Preset
	if preset == nil {
		a, err := lookup(m.Arch)
		if err != nil {
			return err
		}
		p := a.preset(m.Options.InputSize)
		preset = &p
	}
	meta := maps.Clone(opts.Metadata)
	if meta == nil {
		meta = map[string]string{}
	}
	meta[MetaArchitecture] = m.Arch
	for key, v := range map[string]any{MetaOptions: m.Options, MetaPreset: preset} {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("saving %s: %w", path, err)
		}
		meta[key] = string(b)
	}
	if opts.ClassNames != nil {
		b, err := json.Marshal(opts.ClassNames)
		if err != nil {
			return fmt.Errorf("saving %s: %w", path, err)
		}
		meta[MetaClassNames] = string(b)
	}
	return layers.SaveStateDict(path, m, meta)
}

// Load builds the model a weights file is for and loads the file into it
// strictly. A gocnn checkpoint names its architecture and options in its
// metadata, and those are used; for a file without them (a bare torchvision
// export), arch and o say what to build. If both the file and arch name an
// architecture, they must agree.
func Load(path, arch string, o Options) (*Model, Info, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, Info{}, err
	}
	info, err := ReadInfo(f, path)
	if err != nil {
		return nil, info, err
	}
	switch {
	case info.Arch != "" && arch != "" && info.Arch != arch:
		return nil, info, fmt.Errorf("%s: a %s checkpoint cannot load into %s", path, info.Arch, arch)
	case info.Arch != "" && info.Options != nil:
		arch, o = info.Arch, *info.Options
	case info.Arch != "":
		arch = info.Arch
	case arch == "":
		return nil, info, fmt.Errorf("%s: no %s metadata; name the architecture (one of %s)", path, MetaArchitecture, strings.Join(Names(), ", "))
	}
	m, err := New(arch, o)
	if err != nil {
		return nil, info, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := loadPretrained(m, f, path, info, PretrainedOptions{Strict: true}); err != nil {
		return nil, info, err
	}
	// ReadInfo checks the class names against the options; a file without
	// options is checked here, against the head it loaded, so that a
	// program naming each output never runs out of names.
	if info.ClassNames != nil && len(info.ClassNames) != m.Options.Classes {
		return nil, info, fmt.Errorf("%s: metadata %s names %d classes but the weights are for %d", path, MetaClassNames, len(info.ClassNames), m.Options.Classes)
	}
	return m, info, nil
}

// PretrainedOptions controls LoadPretrained.
type PretrainedOptions struct {
	// Strict requires the head to fit too: a checkpoint with another class
	// count or head is then an error. Without it such a head is skipped and
	// the model keeps its own.
	Strict bool
}

// ErrHeadMismatch is wrapped by the error of a strict load whose head does
// not fit the model (another class count, or another head kind).
var ErrHeadMismatch = errors.New("the head does not fit")

// LoadReport says what LoadPretrained did.
type LoadReport struct {
	// Loaded lists the model keys filled from the file.
	Loaded []string
	// Skipped lists the file's head keys that were not loaded because the
	// head does not fit the model (another class count or head kind); the
	// model keeps its freshly initialised head, or, when only some of the
	// own head's layers fit (see LoadPretrained), those layers.
	Skipped []string
	// BNEps is the batch-norm epsilon adopted from the checkpoint's
	// options (timm's differs from torchvision's), 0 if unchanged.
	BNEps float64

	partialHead bool // some of the head's layers were loaded, the Skipped ones not
}

// String summarises the report.
func (r LoadReport) String() string {
	s := fmt.Sprintf("%d keys loaded", len(r.Loaded))
	switch {
	case r.partialHead:
		s += fmt.Sprintf("; head partly loaded: skipped (%s), those layers newly initialised", strings.Join(r.Skipped, ", "))
	case len(r.Skipped) > 0:
		s += fmt.Sprintf("; head skipped (%s), new head initialised", strings.Join(r.Skipped, ", "))
	}
	if r.BNEps != 0 {
		s += fmt.Sprintf("; batch-norm eps set to %g", r.BNEps)
	}
	return s
}

// LoadPretrained loads the weights at path into m by torchvision names.
// The backbone must match exactly (every key present with its shape, no
// stray keys); the head is loaded when it fits and otherwise skipped, or
// refused with opts.Strict. When m and the file both carry the
// architecture's own head, a head that does not fit as a whole is loaded
// layer by layer: each layer whose keys all fit is loaded and the others
// are skipped. Fine-tuning a 1000-class VGG or MobileNetV3 for 37 classes
// thus keeps the pretrained hidden Linear layers of the classifier and
// initialises only the last one, as replacing classifier[6] (VGG) or
// classifier[3] (MobileNetV3) of a torchvision model does. On error m is
// unchanged. A gocnn checkpoint for another architecture is refused by its
// metadata; one whose options set a batch-norm epsilon makes m adopt it.
func LoadPretrained(m *Model, path string, opts PretrainedOptions) (LoadReport, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return LoadReport{}, err
	}
	info, err := ReadInfo(f, path)
	if err != nil {
		return LoadReport{}, err
	}
	return loadPretrained(m, f, path, info, opts)
}

func loadPretrained(m *Model, f *safetensors.File, path string, info Info, opts PretrainedOptions) (LoadReport, error) {
	var report LoadReport
	if info.Arch != "" && info.Arch != m.Arch {
		return report, fmt.Errorf("%s: a %s checkpoint cannot load into %s", path, info.Arch, m.Arch)
	}
	prefix := m.headName + "."
	isHead := func(key string) bool { return strings.HasPrefix(key, prefix) }
	body := newChain(m.backbone)
	if problems := compareKeys(body, f, isHead); !problems.Clean() {
		return report, fmt.Errorf("%s: not a %s checkpoint: %s%s", path, m.Arch, brief(problems), prefixHint(f))
	}
	headFits, why := m.headFits(f, prefix)
	if !headFits && opts.Strict {
		return report, fmt.Errorf("%s: %w %s: %s (load non-strictly to keep the backbone and train a new head)", path, ErrHeadMismatch, m.Arch, why)
	}

	bodyReport, err := layers.LoadStateDict(body, f, layers.LoadOptions{Strict: true, Skip: isHead})
	if err != nil {
		return report, fmt.Errorf("%s: %w", path, err)
	}
	report.Loaded = bodyReport.Loaded
	head := newChain([]layers.NamedModule{{Name: m.headName, Module: m.head}})
	load := isHead // the file keys to load into the head
	if !headFits {
		fitting := map[string]bool{}
		if m.Options.Head.own() && (info.Options == nil || info.Options.Head.own()) {
			fitting = m.fittingHeadLayers(f, prefix)
		}
		load = func(k string) bool { return fitting[k] }
		for _, t := range f.Tensors {
			if isHead(t.Name) && !fitting[t.Name] {
				report.Skipped = append(report.Skipped, t.Name)
			}
		}
		report.partialHead = len(fitting) > 0
	}
	// Strict when the whole head fits; otherwise the layers left out are
	// the model's keys the file does not fill, which is intended.
	headReport, err := layers.LoadStateDict(head, f, layers.LoadOptions{Strict: headFits, Skip: func(k string) bool { return !load(k) }})
	if err != nil {
		return report, fmt.Errorf("%s: %w", path, err)
	}
	report.Loaded = append(report.Loaded, headReport.Loaded...)
	if info.Options != nil && info.Options.BNEps > 0 && info.Options.BNEps != bnEps(m) {
		setBNEps(m, info.Options.BNEps)
		m.Options.BNEps = info.Options.BNEps
		report.BNEps = info.Options.BNEps
	}
	return report, nil
}

// compareKeys lists how the file's keys (but those skipped) differ from
// m's state dict: missing, unexpected and mis-shaped keys, as LoadStateDict
// would report them, without loading anything. A missing
// num_batches_tracked is accepted, as LoadStateDict accepts it.
func compareKeys(m layers.Module, f *safetensors.File, skip func(string) bool) layers.LoadReport {
	var r layers.LoadReport
	file := map[string][]int{}
	for _, t := range f.Tensors {
		if !skip(t.Name) {
			file[t.Name] = t.Shape
		}
	}
	known := map[string]bool{}
	for _, e := range layers.StateTensors(m) {
		known[e.Name] = true
		shape, ok := file[e.Name]
		switch {
		case !ok && !strings.HasSuffix(e.Name, ".num_batches_tracked"):
			r.Missing = append(r.Missing, e.Name)
		case ok && !slices.Equal(shape, e.Tensor.Shape()):
			r.ShapeMismatch = append(r.ShapeMismatch, layers.ShapeMismatch{Name: e.Name, Model: e.Tensor.Shape(), File: shape})
		}
	}
	for _, t := range f.Tensors {
		if !skip(t.Name) && !known[t.Name] {
			r.Unexpected = append(r.Unexpected, t.Name)
		}
	}
	return r
}

// headFits reports whether the file's keys under prefix are exactly the
// head's state-dict keys with the same shapes, and if not, why.
func (m *Model) headFits(f *safetensors.File, prefix string) (bool, string) {
	want := map[string][]int{}
	for _, t := range layers.StateTensors(m.head) {
		want[prefix+t.Name] = t.Tensor.Shape()
	}
	var problems []string
	seen := 0
	for _, t := range f.Tensors {
		if !strings.HasPrefix(t.Name, prefix) {
			continue
		}
		shape, ok := want[t.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s %v is not in the model's head", t.Name, t.Shape))
		case !slices.Equal(shape, t.Shape):
			problems = append(problems, fmt.Sprintf("%s is %v in the file, %v in the model", t.Name, t.Shape, shape))
		default:
			seen++
		}
	}
	if seen < len(want) && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("the file has %d of the head's %d keys", seen, len(want)))
	}
	return len(problems) == 0, strings.Join(problems, "; ")
}

// fittingHeadLayers returns the file keys of the head's layers that the
// file fills completely: every key of the layer present under prefix with
// the model's shape.
func (m *Model) fittingHeadLayers(f *safetensors.File, prefix string) map[string]bool {
	byLayer := map[string][]layers.NamedTensor{} // "3" → 3.weight, 3.bias
	for _, t := range layers.StateTensors(m.head) {
		layer := ""
		if i := strings.LastIndexByte(t.Name, '.'); i >= 0 {
			layer = t.Name[:i]
		}
		byLayer[layer] = append(byLayer[layer], t)
	}
	fitting := map[string]bool{}
	for _, keys := range byLayer {
		fits := true
		for _, t := range keys {
			ft, ok := f.Get(prefix + t.Name)
			fits = fits && ok && slices.Equal(ft.Shape, t.Tensor.Shape())
		}
		if !fits {
			continue
		}
		for _, t := range keys {
			fitting[prefix+t.Name] = true
		}
	}
	return fitting
}

// prefixHint explains a file whose every key starts with "module.": a
// state dict saved from a model wrapped in DataParallel or
// DistributedDataParallel, which the export script unwraps.
func prefixHint(f *safetensors.File) string {
	if len(f.Tensors) == 0 {
		return ""
	}
	for _, t := range f.Tensors {
		if !strings.HasPrefix(t.Name, "module.") {
			return ""
		}
	}
	return `; every key starts with "module." (saved from DataParallel): export it with scripts/export_torchvision.py --pth, which removes the prefix`
}

// brief describes a failed backbone load in a line: counts and the first
// few keys of each kind of problem.
func brief(r layers.LoadReport) string {
	var parts []string
	list := func(what string, keys []string) {
		if len(keys) == 0 {
			return
		}
		shown := keys[:min(len(keys), 3)]
		more := ""
		if len(keys) > len(shown) {
			more = ", …"
		}
		parts = append(parts, fmt.Sprintf("%d %s (%s%s)", len(keys), what, strings.Join(shown, ", "), more))
	}
	list("model keys missing from the file", r.Missing)
	list("file keys the model lacks", r.Unexpected)
	var shapes []string
	for _, s := range r.ShapeMismatch {
		shapes = append(shapes, fmt.Sprintf("%s: model %v, file %v", s.Name, s.Model, s.File))
	}
	list("keys with another shape", shapes)
	return strings.Join(parts, "; ")
}

// chain runs modules in order under the names it is given; it lets part of
// a model (its backbone, its head) be loaded or run as a module of its own.
type chain struct {
	layers.Base
	mods []layers.Module
}

func newChain(mods []layers.NamedModule) *chain {
	c := &chain{}
	for _, nm := range mods {
		c.AddModule(nm.Name, nm.Module)
		c.mods = append(c.mods, nm.Module)
	}
	return c
}

// Forward applies the modules in turn, as layers.Sequential does (an
// inference pass recycles the intermediate results).
func (c *chain) Forward(x *autograd.Tensor) *autograd.Tensor {
	h := x
	for _, m := range c.mods {
		h = layers.Step(m, h, x)
	}
	return h
}

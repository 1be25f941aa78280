// Command predict classifies images with a zoo model and prints the top
// classes with their probabilities, or the raw logits as JSON.
//
//	predict -weights runs/pets/resnet50/best.safetensors cat.jpg dog.png
//	predict -model resnet50 -weights resnet50_tv.safetensors photo.jpg
//	predict -weights best.safetensors -logits photo.jpg
//	predict -weights best.safetensors photos/
//
// A directory stands for the image files under it (at any depth, in the
// order filepath.WalkDir visits them: each directory's entries by name),
// picked by extension as ImageFolder picks them (.jpg, .png, .ppm, …).
//
// A gocnn checkpoint (written by zoo.Save, cmd/train or
// scripts/export_torchvision.py) names its architecture, options, class
// names and evaluation preset, so -weights is enough. A bare state dict
// needs -model (and -classes unless it has 1000). A training checkpoint
// (cmd/train's checkpoint.safetensors, kept to resume a run) is refused
// with a message pointing at best.safetensors beside it, and a PyTorch
// .pth file at scripts/export_torchvision.py.
//
// Each image is decoded and goes through the evaluation transform of the
// weights, then the model runs in evaluation mode. The transform is, first
// found:
//
//   - the exact pipeline the run evaluated with, which cmd/train records
//     with the weights (metadata gocnn.eval_transform; for MNIST digits
//     Pad(2), Grayscale(3), ToTensor, Normalize). An image it maps to
//     another size than the model's input (it was made for images of the
//     data set's size) goes through the preset instead (after
//     Grayscale(3) when the pipeline has one), with a warning naming the
//     image. A recorded pipeline predict cannot rebuild gives a
//     warning naming the weights, and the preset is used.
//   - the preset stored with the weights (resize, centre crop, normalise);
//   - the architecture's default preset (torchvision's resize 256 / crop
//     224 / ImageNet mean and std).
//
// -v prints the transform used, and where it came from, on standard error.
//
// Output: for each image its path, then one line per class of the top -top:
// rank, probability and class name ("class N", N the output index, when
// the weights name no classes: a bare state dict, or an export of random
// or .pth weights). With -logits, one JSON object per image and line:
// {"image": PATH, "logits": [...]}, the logits in class order.
//
// An image that cannot be read or decoded gets a message naming it on
// standard error and the others are still classified; so does one of more
// than dataset.DefaultMaxPixels (64 megapixels), refused before it is
// decoded, as PIL refuses decompression bombs. An image whose
// logits are not all finite (damaged weights: NaN values, a negative
// BatchNorm running variance) gets a warning naming it and the weights on
// standard error; its probabilities are printed as they come out (NaN),
// and with -logits the values that are not finite are null, since JSON has
// no NaN or infinity.
//
// Exit codes: 0 success; 2 bad flags or inputs (weights that do not fit, or
// any image that could not be classified; one message per problem, naming
// the file, on standard error); 1 any other failure.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/zoo"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a mistake in the flags or inputs: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }

type options struct {
	model, weights  string
	classes, top    int
	batch           int
	logits, verbose bool
	images          []string
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.model, "model", "", "architecture, needed when the weights do not name it ("+strings.Join(zoo.Names(), ", ")+")")
	fs.StringVar(&o.weights, "weights", "", "safetensors weights (required)")
	fs.IntVar(&o.classes, "classes", 0, "number of classes of bare weights (default 1000); checked against a checkpoint's")
	fs.IntVar(&o.top, "top", 5, "number of classes to print per image")
	fs.IntVar(&o.batch, "batch", 8, "images per forward pass")
	fs.BoolVar(&o.logits, "logits", false, "print the raw logits as JSON lines instead of the top classes")
	fs.BoolVar(&o.verbose, "v", false, "say on standard error which model and which transform are used")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: predict [-model NAME] -weights FILE [-classes N] [-top 5] [-logits] [-v] IMAGE|DIR...")
		fmt.Fprint(stderr, `
Images go through the evaluation transform recorded with the weights
(gocnn.eval_transform, which cmd/train writes: the exact pipeline the run
evaluated with, such as MNIST's Pad(2)); an image it maps to another size
than the model's input, or weights without one, use the preset stored
with the weights (resize, centre crop, normalise), or else the
architecture's default preset. -v says which.
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	images, err := expandDirs(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return exitUsage
	}
	o.images = images
	err = protect(func() error { return predict(o, stdout, stderr) })
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stderr, "predict: %v\n", err)
	return exitFailure
}

// expandDirs replaces each directory among args by the image files under
// it, in filepath.WalkDir's order; other arguments stay as they are (a missing file
// is reported when it is read). A directory without image files is an
// error naming it.
func expandDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if st, err := os.Stat(a); err != nil || !st.IsDir() {
			out = append(out, a)
			continue
		}
		n := len(out)
		err := filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && dataset.HasImageExtension(path) {
				out = append(out, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: a directory with no image files under it", a)
		}
	}
	return out, nil
}

func predict(o options, stdout, stderr io.Writer) error {
	switch {
	case o.weights == "":
		return usageError{errors.New("-weights is required")}
	case len(o.images) == 0:
		return usageError{errors.New("no images to classify")}
	case o.top < 1:
		return usageError{fmt.Errorf("-top %d: the number of classes to print must be at least 1", o.top)}
	case o.batch < 1:
		return usageError{fmt.Errorf("-batch %d: the number of images per forward pass must be at least 1", o.batch)}
	case o.classes < 0:
		return usageError{fmt.Errorf("-classes %d: give the number of classes of bare weights, or leave it out", o.classes)}
	}
	m, info, err := zoo.Load(o.weights, o.model, zoo.Options{Classes: o.classes})
	if err != nil {
		if errors.Is(err, zoo.ErrHeadMismatch) && o.classes == 0 && info.Options == nil {
			err = fmt.Errorf("%w; bare weights for another number of classes than 1000 need -classes N", err)
		}
		return usageError{err}
	}
	if o.classes != 0 && o.classes != m.Options.Classes {
		return usageError{fmt.Errorf("%s is for %d classes, -classes says %d", o.weights, m.Options.Classes, o.classes)}
	}
	pl, err := choosePipeline(o.weights, m, info, stderr)
	if err != nil {
		return err
	}
	if o.verbose {
		fmt.Fprintf(stderr, "predict: %s: %s, %d classes, input 3×%d×%d; transform %v (%s)\n",
			o.weights, m.Arch, m.Options.Classes, pl.size, pl.size, pl.tf, pl.source)
	}
	names := info.ClassNames
	if names == nil {
		for i := range m.Options.Classes {
			names = append(names, fmt.Sprintf("class %d", i))
		}
	}
	layers.SetTraining(m, false)
	unreadable := 0
	for start := 0; start < len(o.images); start += o.batch {
		x, paths, errs := loadBatch(o.images[start:min(start+o.batch, len(o.images))], &pl, stderr)
		for _, err := range errs {
			fmt.Fprintf(stderr, "predict: %v\n", err)
		}
		unreadable += len(errs)
		if len(paths) == 0 {
			continue
		}
		logits := m.Forward(autograd.NoGrad(x))
		warnNonFinite(stderr, o, paths, logits)
		if o.logits {
			err = printLogits(stdout, paths, logits)
		} else {
			probs := autograd.Softmax(logits)
			err = printTop(stdout, paths, probs, names, o.top)
			autograd.Release(probs)
		}
		autograd.Release(logits)
		if err != nil {
			return err
		}
	}
	if unreadable > 0 {
		return usageError{fmt.Errorf("%d of %d images could not be classified", unreadable, len(o.images))}
	}
	return nil
}

// pipeline is how images reach the model.
type pipeline struct {
	tf     dataset.Transform
	source string // where tf came from, for -v and warnings
	// fallback is the preset's transform (after Grayscale(3) when tf has
	// one), for an image that tf maps to another size than the model's
	// input; nil when tf is the preset's.
	fallback dataset.Transform
	size     int             // the model's input side
	weights  string          // the weights file, for warnings
	warned   map[[2]int]bool // image sizes (w, h) that fell back, warned of once each
}

// choosePipeline picks the transform for weights m loaded from path with
// info: the recorded evaluation pipeline when there is one that can be
// rebuilt (else a warning on stderr naming the file), the preset stored
// with the weights, or the architecture's default preset.
func choosePipeline(path string, m *zoo.Model, info zoo.Info, stderr io.Writer) (pipeline, error) {
	preset, source := info.Preset, "the preset stored with the weights"
	if preset == nil {
		p, err := zoo.DefaultPreset(m.Arch, m.Options.InputSize)
		if err != nil {
			return pipeline{}, err
		}
		preset, source = &p, "the default preset of "+m.Arch
	}
	pl := pipeline{tf: presetTransform(*preset), source: source, size: preset.CropSize, weights: path}
	if info.EvalTransform == "" {
		return pl, nil
	}
	tf, err := dataset.ParseEvalTransform(info.EvalTransform)
	if err != nil {
		fmt.Fprintf(stderr, "predict: warning: %s: the evaluation transform recorded with the weights (%s = %q) cannot be rebuilt: %v; "+
			"using %s (%v) instead, so predictions may differ from the run's own evaluation\n",
			path, zoo.MetaEvalTransform, info.EvalTransform, err, pl.source, pl.tf)
		return pl, nil
	}
	pl.fallback, pl.tf, pl.source = pl.tf, tf, "recorded with the weights as "+zoo.MetaEvalTransform
	if dataset.GrayscaleChannels(tf) == 3 {
		// A model trained on gray images (MNIST's digits, replicated to
		// three channels) sees a photo of another size gray too.
		pl.fallback = dataset.Compose(dataset.Grayscale(3), pl.fallback)
	}
	pl.warned = map[[2]int]bool{}
	return pl, nil
}

// presetTransform is a preset's torchvision evaluation pipeline: resize,
// centre crop, ToTensor, Normalize.
func presetTransform(p zoo.Preset) dataset.Transform {
	ip := dataset.Bilinear
	if p.Interpolation == "bicubic" {
		ip = dataset.Bicubic
	}
	return dataset.Preset{ResizeSize: p.ResizeSize, CropSize: p.CropSize, Interpolation: ip, Mean: p.Mean, Std: p.Std}.Eval()
}

// loadBatch decodes and transforms the images into one (N, 3, size, size)
// batch of those that could be read, returned with their paths, and an
// error naming each of the others. An image the pipeline's transform maps
// to another size goes through its fallback, with a warning on stderr for
// the first image of each size.
func loadBatch(paths []string, pl *pipeline, stderr io.Writer) (x *autograd.Tensor, read []string, errs []error) {
	size := pl.size
	plane := 3 * size * size
	fits := func(f *dataset.Float) bool { return f.C == 3 && f.H == size && f.W == size }
	var data []float32
	for _, path := range paths {
		img, err := dataset.DecodeFile(path, dataset.DecodeOptions{})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		f := pl.tf.Apply(dataset.Value{Image: img}, nil).Float
		if !fits(f) && pl.fallback != nil {
			if !pl.warned[[2]int{img.W, img.H}] {
				pl.warned[[2]int{img.W, img.H}] = true
				fmt.Fprintf(stderr, "predict: warning: %s: the evaluation transform recorded with %s gives %d×%d×%d from this %d×%d image, not the model's 3×%d×%d "+
					"(it was made for images of another size); using the preset's transform %v instead, for it and any other %d×%d image\n",
					path, pl.weights, f.C, f.H, f.W, img.W, img.H, size, size, pl.fallback, img.W, img.H)
			}
			f = pl.fallback.Apply(dataset.Value{Image: img}, nil).Float
		}
		// The preset's transform always gives its crop size; a mismatch
		// here would be a bug of this program, reported rather than read
		// past.
		if !fits(f) {
			errs = append(errs, fmt.Errorf("%s: the transform gave %d×%d×%d, want 3×%d×%d", path, f.C, f.H, f.W, size, size))
			continue
		}
		data = append(data, f.Data[:plane]...)
		read = append(read, path)
	}
	if len(read) > 0 {
		x = autograd.New(data, len(read), 3, size, size)
	}
	return x, read, errs
}

// warnNonFinite names, on stderr, each image whose logits are not all
// finite: the weights, not the image, are at fault.
func warnNonFinite(stderr io.Writer, o options, paths []string, logits *autograd.Tensor) {
	classes := logits.Dim(1)
	for i, path := range paths {
		for _, v := range logits.Data()[i*classes : (i+1)*classes] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				consequence := "its probabilities cannot be trusted"
				if o.logits {
					consequence = "they are written as null"
				}
				fmt.Fprintf(stderr, "predict: warning: %s: the model's outputs are not finite (%v among the logits), so %s; "+
					"the weights %s are probably damaged (NaN or infinite values, or a BatchNorm running variance below zero)\n",
					path, v, consequence, o.weights)
				break
			}
		}
	}
}

// jsonLogit is a logit as -logits writes it: a number, or null when it is
// NaN or infinite, which JSON cannot hold.
type jsonLogit float32

func (l jsonLogit) MarshalJSON() ([]byte, error) {
	if v := float64(l); math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float32(l))
}

func printLogits(w io.Writer, paths []string, logits *autograd.Tensor) error {
	classes := logits.Dim(1)
	enc := json.NewEncoder(w)
	for i, path := range paths {
		row := make([]jsonLogit, classes)
		for c, v := range logits.Data()[i*classes : (i+1)*classes] {
			row[c] = jsonLogit(v)
		}
		if err := enc.Encode(struct {
			Image  string      `json:"image"`
			Logits []jsonLogit `json:"logits"`
		}{path, row}); err != nil {
			return err
		}
	}
	return nil
}

func printTop(w io.Writer, paths []string, probs *autograd.Tensor, names []string, top int) error {
	classes := probs.Dim(1)
	for i, path := range paths {
		row := probs.Data()[i*classes : (i+1)*classes]
		order := make([]int, classes)
		for c := range order {
			order[c] = c
		}
		// Highest probability first; equal ones in class order.
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case row[a] > row[b]:
				return -1
			case row[a] < row[b]:
				return 1
			}
			return 0
		})
		if _, err := fmt.Fprintln(w, path); err != nil {
			return err
		}
		for rank, c := range order[:min(top, classes)] {
			if _, err := fmt.Fprintf(w, "  %d. %.4f  %s\n", rank+1, row[c], names[c]); err != nil {
				return err
			}
		}
	}
	return nil
}

// protect turns a panic into an error with the stack, so the program ends
// with a message and exit code 1 rather than a crash dump.
func protect(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v\n%s", r, debug.Stack())
		}
	}()
	return fn()
}

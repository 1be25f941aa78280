package main

// Flags: their definitions and help, their parsing and checking. A flag
// that is not given takes the architecture's recipe value (recipes.go)
// where there is one, so `train` alone runs the tuned default comparison
// and `train -lr 1e-3` changes only the learning rate.

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocnn/gocnn/safetensors"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// referenceModels are the models the default run compares.
const referenceModels = "vgg16_bn,resnet50,mobilenet_v3_large,efficientnet_b0"

// options are the parsed flags.
type options struct {
	models        []string
	data          string
	input         int
	width         float64
	epochs        int
	batch         int
	evalBatch     int
	lr            float64
	optimizer     string
	schedule      string
	warmup        float64
	wd            float64
	momentum      float64
	nesterov      bool
	classWeights  []float64
	strategy      zoo.Strategy
	weights       string
	head          zoo.HeadSpec
	augment       bool
	val           float64
	workers       int
	seed          uint64
	out           string
	resume        string
	limit         int
	evalOnly      bool
	smoothing     float64
	clip          float64
	accum         int
	ema           float64
	patience      int
	bnRecal       int
	misclassified int
	dropout       float64
	stochDepth    float64
	cpuProfile    string
	zeroInit      bool
	checkpoint    time.Duration

	// stampedOut: out is the default runs/<timestamp>, which execute
	// creates afresh (adding -2, -3, … when a run started in the same
	// second took it); a directory given with -out must not hold a run.
	stampedOut bool

	set  map[string]bool // flags given on the command line
	args []string        // the command line, as given (stored in results.json for -resume)
}

// help texts, shown by -h.
const usageHeader = `Usage: train [flags]

Trains, evaluates and compares image classifiers. With no flags it compares
vgg16_bn, resnet50, mobilenet_v3_large and efficientnet_b0, CPU-sized
(width multipliers, 32×32 input), on the embedded MNIST sample, and prints
a quality table and a cost table. Flags that are not given take each
model's recipe value (printed before training).

Exit codes: 0 success, 2 bad flags or inputs, 130 interrupted (checkpoint
saved; continue with -resume DIR), 1 other failures.

Flags:
`

// newFlagSet defines every flag on fs, writing into o.
func newFlagSet(o *options, models, strategy, head, augment *string) *flag.FlagSet {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.StringVar(models, "model", referenceModels, "models to train, comma-separated, or \"all\" (one of: "+strings.Join(zoo.Names(), ", ")+")")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (read it with go tool pprof)")
	fs.StringVar(&o.data, "data", "mnist-sample", "the images: "+dataKinds)
	fs.IntVar(&o.input, "input", 0, "input size in pixels (default 32 for MNIST, Fashion-MNIST and CIFAR-10, 224 for photographs)")
	fs.Float64Var(&o.width, "width", 0, "width multiplier of every model (default: the recipe's; 1 with -weights)")
	fs.IntVar(&o.epochs, "epochs", 0, "training epochs (default: the recipe's)")
	fs.IntVar(&o.batch, "batch", 0, "training batch size (default: the recipe's)")
	fs.IntVar(&o.evalBatch, "eval-batch", 250, "evaluation batch size (also timed for inference throughput)")
	fs.Float64Var(&o.lr, "lr", 0, "peak learning rate of the head; the backbone's is scaled by the strategy (default: the recipe's)")
	fs.StringVar(&o.optimizer, "optimizer", "", "sgd, adam or adamw (default: the recipe's)")
	fs.StringVar(&o.schedule, "schedule", "", "learning-rate schedule: constant, cosine, step (×0.1 every third of the epochs) or onecycle (default: the recipe's)")
	fs.Float64Var(&o.warmup, "warmup", 0, "linear warm-up in epochs, before the schedule (default: the recipe's)")
	fs.Float64Var(&o.wd, "wd", 0, "weight decay, not applied to batch-norm parameters and biases (default: the recipe's)")
	fs.Float64Var(&o.momentum, "momentum", 0.9, "SGD momentum, or Adam's β₁")
	fs.BoolVar(&o.nesterov, "nesterov", false, "Nesterov momentum (SGD)")
	fs.Func("class-weights", "cross-entropy weight of each class, comma-separated in label order (default: all 1)", func(v string) error {
		o.classWeights = nil
		for _, f := range strings.Split(v, ",") {
			w, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || w < 0 || math.IsInf(w, 0) {
				return fmt.Errorf("%q is not a weight (want numbers ≥ 0)", f)
			}
			o.classWeights = append(o.classWeights, w)
		}
		return nil
	})
	fs.StringVar(strategy, "strategy", "full", "transfer learning: linear-probe, partial:N (last N stages), full, full:SCALE (backbone learning rate × SCALE) or progressive:EPOCHS (unfreeze one more stage every EPOCHS)")
	fs.StringVar(&o.weights, "weights", "", "pretrained weights (safetensors with torchvision names) to start from; with -eval-only, the weights to evaluate (a gocnn file names its architecture and options, so -model and -width may be left out)")
	fs.StringVar(head, "head", "own", "classifier head: own, linear, mlp, mlp:HIDDEN or custom:H1,H2,…")
	fs.Func("zero-init-residual", "on or off: start every residual block as the identity (the γ of the batch norm closing each residual branch = 0, torchvision's zero_init_residual; default: the recipe's)", func(v string) error {
		switch v {
		case "on", "off":
			o.zeroInit = v == "on"
			return nil
		}
		return fmt.Errorf("want on or off, not %q", v)
	})
	fs.StringVar(augment, "augment", "", "training augmentation: on or off (default: the recipe's)")
	fs.Float64Var(&o.val, "val", 0, "fraction of the training images held out for validation (stratified, seeded), evaluated every epoch; the best epoch is tested")
	fs.IntVar(&o.workers, "workers", 1, "goroutines decoding and transforming images")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the weights, the data order, the augmentation and dropout")
	fs.StringVar(&o.out, "out", "", "run directory (default runs/<timestamp>); it must not hold a run already: continue one with -resume")
	fs.StringVar(&o.resume, "resume", "", "continue the interrupted or killed run in this directory, with its own flags (-workers, -cpuprofile and -checkpoint-every may be set afresh)")
	fs.DurationVar(&o.checkpoint, "checkpoint-every", 10*time.Minute, "also write the checkpoint in the middle of an epoch when this much time has passed since the last one, so that a killed run loses at most about this much (0: only at the end of each epoch and on Ctrl-C)")
	fs.IntVar(&o.limit, "limit", 0, "use at most this many training images (class-balanced), for quick runs")
	fs.BoolVar(&o.evalOnly, "eval-only", false, "evaluate -weights on the test split without training")
	fs.Float64Var(&o.smoothing, "label-smoothing", 0, "label smoothing ε of the cross-entropy (default: the recipe's)")
	fs.Float64Var(&o.clip, "clip", 0, "clip the gradients' global norm to this value (0: no clipping; default: the recipe's)")
	fs.IntVar(&o.accum, "accum", 1, "accumulate gradients over this many batches per optimiser step")
	fs.Float64Var(&o.ema, "ema", 0, "keep an exponential moving average of the weights with this decay, and evaluate it (0: off)")
	fs.IntVar(&o.patience, "patience", 0, "with -val: stop after this many epochs without a better validation result (0: never)")
	fs.IntVar(&o.bnRecal, "bn-recal", 0, "re-estimate batch-norm statistics on this many training batches before each evaluation (0: off; default: the recipe's)")
	fs.IntVar(&o.misclassified, "misclassified", 8, "misclassified test images to save per model")
	fs.Float64Var(&o.dropout, "dropout", 0, "dropout of the head (0: the recipe's or the architecture's default, negative: none)")
	fs.Float64Var(&o.stochDepth, "stochastic-depth", 0, "EfficientNet's stochastic depth for its last block (0: the recipe's or the architecture's default, negative: none)")
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses and checks args. -h prints the help and returns
// flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{args: append([]string{}, args...), set: map[string]bool{}}
	var models, strategy, head, augment string
	fs := newFlagSet(o, &models, &strategy, &head, &augment)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprint(stderr, usageHeader)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usageError{err}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q (flags start with -)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	if o.resume != "" {
		return resumeFlags(o)
	}
	var err error
	if o.models, err = zoo.ParseNames(models); err != nil {
		return nil, usagef("-model: %v", err)
	}
	seen := map[string]bool{}
	for _, m := range o.models {
		if seen[m] {
			return nil, usagef("-model: %s is listed twice", m)
		}
		seen[m] = true
	}
	if o.strategy, err = zoo.ParseStrategy(strategy); err != nil {
		return nil, usagef("-strategy: %v", err)
	}
	if o.head, err = zoo.ParseHead(head); err != nil {
		return nil, usagef("-head: %v", err)
	}
	switch augment {
	case "on":
		o.augment = true
	case "off", "":
	default:
		return nil, usagef("-augment %q: want on or off", augment)
	}
	checks := []struct {
		bad bool
		msg string
	}{
		{o.input < 0, "-input must be positive"},
		{o.width < 0 || math.IsNaN(o.width), "-width must be positive"},
		{o.epochs < 0 || o.set["epochs"] && o.epochs < 1, "-epochs must be at least 1"},
		{o.batch < 0 || o.set["batch"] && o.batch < 2, "-batch must be at least 2"},
		{o.evalBatch < 1, "-eval-batch must be at least 1"},
		{o.lr < 0 || math.IsNaN(o.lr) || math.IsInf(o.lr, 0), "-lr must be a positive number"},
		{o.warmup < 0 || math.IsNaN(o.warmup), "-warmup must be at least 0"},
		{o.wd < 0 || math.IsNaN(o.wd), "-wd must be at least 0"},
		{o.bnRecal < 0, "-bn-recal must be at least 0"},
		{!(o.val >= 0 && o.val < 1), "-val must be a fraction in [0, 1)"},
		{o.workers < 1, "-workers must be at least 1"},
		{o.checkpoint < 0, "-checkpoint-every must be at least 0"},
		{o.limit < 0, "-limit must be at least 0"},
		{o.accum < 1, "-accum must be at least 1"},
		{o.misclassified < 0, "-misclassified must be at least 0"},
		{o.patience > 0 && o.val == 0, "-patience needs a validation split (-val)"},
		{o.evalOnly && o.weights == "", "-eval-only needs -weights"},
	}
	for _, c := range checks {
		if c.bad {
			return nil, usageError{errors.New(c.msg)}
		}
	}
	if o.optimizer != "" && !slices.Contains(train.Optimizers, o.optimizer) {
		return nil, usagef("-optimizer %q: want one of %s", o.optimizer, strings.Join(train.Optimizers, ", "))
	}
	if o.schedule != "" && !slices.Contains(train.Schedules, o.schedule) {
		return nil, usagef("-schedule %q: want one of %s", o.schedule, strings.Join(train.Schedules, ", "))
	}
	if o.weights != "" {
		f, err := safetensors.ReadFile(o.weights)
		if err != nil {
			return nil, usagef("-weights: %v", err)
		}
		info, err := zoo.ReadInfo(f, o.weights)
		if err != nil {
			return nil, usagef("-weights: %v", err)
		}
		switch {
		case !o.set["model"] && info.Arch != "":
			o.models = []string{info.Arch}
		case !o.set["model"]:
			return nil, usagef("-weights %s does not say its architecture: name it with -model", o.weights)
		case len(o.models) > 1:
			return nil, usagef("-weights belongs to one architecture: give a single -model")
		}
	}
	if _, _, err := parseData(o.data); err != nil {
		return nil, usageError{err}
	}
	if o.out == "" {
		o.out, o.stampedOut = filepath.Join("runs", time.Now().Format("20060102-150405")), true
	}
	return o, nil
}

// resumeFlags re-reads the flags of the run in o.resume from its
// results.json; no other flag may be given.
func resumeFlags(o *options) (*options, error) {
	var extra []string
	for name := range o.set {
		if name != "resume" && !resumeMayChange[name] {
			extra = append(extra, "-"+name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return nil, usagef("-resume continues a run with its own flags: drop %s", strings.Join(extra, ", "))
	}
	path := filepath.Join(o.resume, "results.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("-resume: %v", err)
	}
	var r train.Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, usagef("-resume: %s: %v", path, err)
	}
	for _, a := range r.Run.Args {
		if a == "-resume" || strings.HasPrefix(a, "-resume=") || a == "--resume" || strings.HasPrefix(a, "--resume=") {
			return nil, usagef("-resume: %s records a resumed command line", path)
		}
	}
	again, err := parseFlags(r.Run.Args, io.Discard)
	if err != nil {
		return nil, usagef("-resume: the flags stored in %s: %v", path, err)
	}
	again.out, again.stampedOut = o.resume, false
	again.resume = o.resume
	if o.set["workers"] {
		again.workers = o.workers
	}
	if o.set["cpuprofile"] {
		again.cpuProfile = o.cpuProfile
	}
	if o.set["checkpoint-every"] {
		again.checkpoint = o.checkpoint
	}
	return again, nil
}

// resumeMayChange are the flags a resumed run may set afresh: they change
// how fast the run goes, not what it computes (the loader's results do not
// depend on its workers), so the resumed run still repeats the interrupted
// one bit for bit.
var resumeMayChange = map[string]bool{"workers": true, "cpuprofile": true, "checkpoint-every": true}

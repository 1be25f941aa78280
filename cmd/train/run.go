package main

// One run: open the data, settle and check every model's configuration
// (and, with -resume, its checkpoint), and only then create the run
// directory; then for each model build it, train it (or only evaluate it),
// record its results, and finally print the comparison tables and write the
// dashboard (report.html). results.json is rewritten after every model, so
// an interrupted comparison keeps what finished, and -resume skips the
// models that did. A new run never writes into a directory that holds
// another run: -out must not hold one, and the default runs/<timestamp> is
// made afresh. A run in progress holds its directory's lock (lock_flock.go),
// so a second run with the same -out, or a -resume of it, is refused.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/internal/vis"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// execute carries out the run described by o.
func execute(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	if o.resume == "" && !o.stampedOut {
		if err := checkFreshOut(o.out); err != nil {
			return err
		}
	}
	kind, dir, err := parseData(o.data)
	if err != nil {
		return usageError{err}
	}
	warn := func(msg string) { fmt.Fprintln(stderr, "warning:", msg) }
	trainSrc, testSrc, err := sources(kind, dir, o.seed, warn)
	if err != nil {
		return usagef("-data %s: %v", o.data, err)
	}
	counts := []string{fmt.Sprintf("-data %s has %d", o.data, trainSrc.Len())}
	if o.limit > 0 {
		trainSrc = limitSource(trainSrc, o.limit, o.seed)
		counts = append(counts, fmt.Sprintf("-limit %d keeps %d", o.limit, trainSrc.Len()))
	}
	var valSrc dataset.Source
	if o.val > 0 {
		tr, va := dataset.SplitStratified(trainSrc, o.val, o.seed)
		if va.Len() == 0 {
			return usagef("-val %v leaves no validation images out of %d", o.val, trainSrc.Len())
		}
		trainSrc, valSrc = tr, va
		counts = append(counts, fmt.Sprintf("-val %v leaves %d", o.val, trainSrc.Len()))
	}
	input := o.input
	if input == 0 {
		input = 224
		if kind.smallImages() {
			input = 32
		}
	}

	results := &train.Results{Run: train.NewRunInfo(o.args), Models: []train.ModelResult{}}
	if o.resume != "" {
		unlock, err := lockRun(o.out, warn)
		if err != nil {
			return err
		}
		defer unlock()
		if err := readResults(filepath.Join(o.out, "results.json"), results); err != nil {
			return err
		}
	}
	plans, err := planModels(o, kind, input, results, trainSrc, len(testSrc.Classes()), strings.Join(counts, ", "), warn)
	if err != nil {
		return err
	}
	if o.resume == "" {
		if o.stampedOut {
			if o.out, err = newRunDir(o.out); err != nil {
				return err
			}
		} else if err := os.MkdirAll(o.out, 0o755); err != nil {
			return fmt.Errorf("creating the run directory: %w", err)
		}
		unlock, err := lockRun(o.out, warn)
		if err != nil {
			return err
		}
		defer unlock()
		// Again under the lock: a run that held it may have finished
		// between the first check and now.
		if !o.stampedOut {
			if err := checkFreshOut(o.out); err != nil {
				return err
			}
		}
	}
	resultsPath := filepath.Join(o.out, "results.json")
	if err := train.WriteResults(resultsPath, results); err != nil {
		return err
	}
	terminal := false
	if f, ok := stdout.(*os.File); ok {
		terminal = train.IsTerminal(f)
	}
	fmt.Fprintf(stdout, "data: %s — %d training, %d validation, %d test images, %d classes; input %s\n",
		o.data, trainSrc.Len(), lenOf(valSrc), testSrc.Len(), len(testSrc.Classes()), describeInput(kind, input))
	fmt.Fprintf(stdout, "run directory: %s\n", o.out)

	var failed []string // models whose training failed; the others still train
	for _, p := range plans {
		if p.done {
			fmt.Fprintf(stdout, "%s: already finished in this run, kept\n", p.name)
			continue
		}
		res, err := trainOne(ctx, o, p, input, filepath.Join(o.out, p.name), trainSrc, valSrc, testSrc, stdout, terminal, warn)
		if res != nil {
			if bad := res.NonFinite(); len(bad) > 0 {
				warn(fmt.Sprintf("%s: not finite, written as null in results.json: %s", p.name, strings.Join(bad, ", ")))
			}
			setResult(results, *res)
			results.Run.Finished = time.Now().UTC()
			if werr := train.WriteResults(resultsPath, results); werr != nil && err == nil {
				err = werr
			}
		}
		if err != nil && res != nil && res.Status == "failed" && ctx.Err() == nil {
			// One model failing (its loss diverged, say) is recorded in
			// results.json as failed; the comparison goes on without it.
			fmt.Fprintf(stderr, "train: %s failed: %v\n", p.name, err)
			failed = append(failed, p.name)
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if res.Test != nil {
			fmt.Fprintf(stdout, "%s: test accuracy %.2f%%, macro F1 %.4f (%s)\n", p.name, 100*res.Test.Accuracy, res.Test.Macro.F1, res.Status)
		}
	}
	printTables(stdout, results.Models)
	fmt.Fprintf(stdout, "\nresults: %s\n", resultsPath)
	written, err := report.Generate(o.out)
	switch {
	case len(written) > 0: // the page itself, written before the charts
		fmt.Fprintf(stdout, "dashboard: %s\n", written[0])
		if err != nil {
			return fmt.Errorf("writing the dashboard's charts: %w", err)
		}
	case err != nil:
		return fmt.Errorf("writing the dashboard: %w", err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed (results.json says why); the other models were trained and compared", strings.Join(failed, ", "))
	}
	return nil
}

// lockFile is the name of the run directory's lock (lockRun).
const lockFile = ".lock"

// checkFreshOut refuses a run directory given with -out that already holds
// a run (its results.json, or a model's checkpoint): a new run there would
// overwrite them, and an interrupted run is continued with -resume instead.
// A directory that does not exist yet, or holds other files only, is fine.
func checkFreshOut(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return usagef("-out: %v", err)
	case !st.IsDir():
		return usagef("-out %s is not a directory", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return usagef("-out: %v", err)
	}
	var held []string
	hasResults := false
	for _, e := range entries {
		if e.Name() == "results.json" {
			held, hasResults = append([]string{e.Name()}, held...), true
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), train.CheckpointFile)); err == nil {
			held = append(held, filepath.Join(e.Name(), train.CheckpointFile))
		}
	}
	switch {
	case len(held) == 0:
		return nil
	case hasResults:
		return usagef("%s already holds a run (%s); pass -resume %s to continue it, or choose another -out", dir, strings.Join(held, ", "), dir)
	default:
		return usagef("%s already holds checkpoints of a run (%s) but not its results.json, so -resume cannot continue it; choose another -out", dir, strings.Join(held, ", "))
	}
}

// newRunDir creates the directory of a new run at base, or at base-2,
// base-3, … when another run (started in the same second) has taken base,
// and returns its path.
func newRunDir(base string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(base), 0o755); err != nil {
		return "", fmt.Errorf("creating the run directory: %w", err)
	}
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("creating the run directory: %w", err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

// modelPlan is one model's part of the run, settled before the run
// directory is touched.
type modelPlan struct {
	name            string
	done            bool // finished in the run being resumed: kept as it is
	rec             recipe
	augment         bool
	cfg             train.Config
	trainTF, evalTF dataset.Transform
	preset          zoo.Preset
	resume          bool // continue from the model's checkpoint
}

// planModels settles every model's recipe, configuration and transforms
// and checks them against the data (classes weighted, training images
// enough for a batch; counts says where the training images went), and,
// with -resume, checks each model's checkpoint. Whatever can be refused is
// refused here, before anything is written.
func planModels(o *options, kind dataKind, input int, results *train.Results, trainSrc dataset.Source, classes int,
	counts string, warn dataset.WarnFunc) ([]modelPlan, error) {
	var plans []modelPlan
	for _, name := range o.models {
		p := modelPlan{name: name}
		prior := resultIndex(results, name)
		if prior >= 0 && finished(results.Models[prior].Status) {
			p.done = true
			plans = append(plans, p)
			continue
		}
		p.rec = recipeFor(name, kind.smallImages(), o.weights != "")
		p.augment = p.rec.Augment
		if o.set["augment"] {
			p.augment = o.augment
		}
		var err error
		if p.trainTF, p.evalTF, err = transforms(kind, name, input, p.augment); err != nil {
			return nil, usagef("%s: %v", name, err)
		}
		if p.preset, err = evalPreset(kind, name, input); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p.cfg = configFor(o, p.rec)
		p.cfg.Augmented = p.augment
		if err := p.cfg.Validate(classes); err != nil {
			return nil, usagef("%s: %v", name, err)
		}
		if o.evalOnly {
			plans = append(plans, p)
			continue
		}
		if p.cfg.BatchesPerEpoch(trainSrc.Len()) == 0 {
			return nil, usagef("%s: %d training images make no batch of %d (%s)", name, trainSrc.Len(), p.cfg.BatchSize, counts)
		}
		if o.resume != "" {
			checkpoint := filepath.Join(o.out, name, train.CheckpointFile)
			_, err := os.Stat(checkpoint)
			switch {
			case err == nil:
				if err := train.CheckCheckpoint(checkpoint, p.cfg, trainSrc.Len()); err != nil {
					return nil, usagef("-resume: %v", err)
				}
				p.resume = true
			case errors.Is(err, fs.ErrNotExist):
				// An interrupted model saved a checkpoint, and so did one
				// that trained an epoch; one that failed before has none.
				if prior >= 0 && (results.Models[prior].Status == "interrupted" || results.Models[prior].EpochsRun > 0) {
					warn(fmt.Sprintf("%s: results.json records it as %s, but its checkpoint %s is missing: training it again from the start",
						name, results.Models[prior].Status, checkpoint))
				}
			default:
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// trainOne builds one model and trains (or only evaluates) it in dir.
func trainOne(ctx context.Context, o *options, p modelPlan, input int, dir string,
	trainSrc, valSrc, testSrc dataset.Source, stdout io.Writer, terminal bool, warn dataset.WarnFunc) (*train.ModelResult, error) {
	name, rec, cfg := p.name, p.rec, p.cfg
	width := rec.Width
	if o.set["width"] {
		width = o.width
	}
	classes := testSrc.Classes()
	dropout, stochDepth := rec.Dropout, rec.StochasticDepth
	if o.set["dropout"] {
		dropout = o.dropout
	}
	if o.set["stochastic-depth"] {
		stochDepth = o.stochDepth
	}
	zeroInit := rec.ZeroInitResidual
	if o.set["zero-init-residual"] {
		zeroInit = o.zeroInit
	}
	mo := zoo.Options{Classes: len(classes), WidthMult: width, Dropout: dropout, StochasticDepth: stochDepth,
		ZeroInitResidual: zeroInit, InputSize: input, Head: o.head, Seed: o.seed}
	var model *zoo.Model
	switch {
	case o.evalOnly:
		// A gocnn file says how to rebuild its model (width, head, …); a
		// bare torchvision export is built from the flags.
		m, _, err := zoo.Load(o.weights, name, mo)
		if err != nil {
			return nil, usageError{err}
		}
		model = m
	default:
		m, err := zoo.New(name, mo)
		if err != nil {
			return nil, usageError{err}
		}
		model = m
		if o.weights != "" {
			loaded, err := zoo.LoadPretrained(model, o.weights, zoo.PretrainedOptions{})
			if err != nil {
				return nil, usageError{err}
			}
			fmt.Fprintf(stdout, "%s: weights %s: %s\n", name, o.weights, loaded)
		}
	}
	t := &train.Trainer{
		Model:  model,
		Config: cfg,
		Data: train.Data{Name: o.data, Train: trainSrc, Val: valSrc, Test: testSrc, TrainTransform: p.trainTF,
			EvalTransform: p.evalTF, Workers: o.workers, Warn: warn},
		Dir:             dir,
		Resume:          p.resume,
		CheckpointEvery: o.checkpoint,
		Preset:          &p.preset,
		Metadata:        map[string]string{zoo.MetaEvalTransform: p.evalTF.String()},
		Misclassified:   o.misclassified,
		Progress:        train.NewProgress(stdout, terminal, name),
	}
	var res *train.ModelResult
	var err error
	if o.evalOnly {
		fmt.Fprintf(stdout, "%s: evaluating %s on %d test images\n", name, o.weights, testSrc.Len())
		res, err = t.Evaluate()
	} else {
		fmt.Fprintf(stdout, "%s: width %g, %d epochs, batch %d, %s lr %g, %s schedule (warm-up %g epochs), weight decay %g, label smoothing %g, gradient clipping %g, strategy %s, augmentation %s, zero-init residual %s, batch-norm re-estimation on %d batches\n",
			name, width, cfg.Epochs, cfg.BatchSize, cfg.Optimizer, cfg.LR, cfg.Schedule, cfg.WarmupEpochs, cfg.WeightDecay,
			cfg.LabelSmoothing, cfg.ClipNorm, cfg.Strategy, onOff(p.augment), onOff(zeroInit), cfg.BNRecalibrate)
		res, err = t.Run(ctx)
	}
	if err == nil && res != nil && finished(res.Status) {
		// The model now holds the weights it was tested with: store its
		// feature maps and Grad-CAM for the dashboard.
		if verr := vis.Write(dir, res.Files.BestWeights, model, testSrc, p.evalTF, vis.Options{}); verr != nil {
			warn(fmt.Sprintf("%s: no feature maps or Grad-CAM for the dashboard: %v", name, verr))
		}
	}
	return res, err
}

// configFor merges the recipe with the flags given.
func configFor(o *options, r recipe) train.Config {
	pick := func(flag string, given, recipe float64) float64 {
		if o.set[flag] {
			return given
		}
		return recipe
	}
	pickInt := func(flag string, given, recipe int) int {
		if o.set[flag] {
			return given
		}
		return recipe
	}
	pickString := func(flag, given, recipe string) string {
		if o.set[flag] {
			return given
		}
		return recipe
	}
	c := train.Config{
		Epochs:         pickInt("epochs", o.epochs, r.Epochs),
		BatchSize:      pickInt("batch", o.batch, r.Batch),
		EvalBatch:      o.evalBatch,
		Optimizer:      pickString("optimizer", o.optimizer, r.Optimizer),
		LR:             pick("lr", o.lr, r.LR),
		Momentum:       o.momentum,
		Nesterov:       o.nesterov,
		ClassWeights:   o.classWeights,
		WeightDecay:    pick("wd", o.wd, r.WD),
		Schedule:       pickString("schedule", o.schedule, r.Schedule),
		WarmupEpochs:   pick("warmup", o.warmup, r.Warmup),
		LabelSmoothing: pick("label-smoothing", o.smoothing, r.LabelSmoothing),
		ClipNorm:       pick("clip", o.clip, r.ClipNorm),
		AccumSteps:     o.accum,
		EMADecay:       o.ema,
		Strategy:       o.strategy,
		Patience:       o.patience,
		BNRecalibrate:  pickInt("bn-recal", o.bnRecal, r.BNRecal),
		CacheFeatures:  true,
		Seed:           o.seed,
	}
	if c.Schedule == "step" {
		c.StepEpochs, c.StepGamma = max(1, c.Epochs/3), 0.1
	}
	if !o.set["warmup"] {
		// The recipe's warm-up, at most a fifth of the epochs given; none
		// for one-cycle, which warms up by itself.
		c.WarmupEpochs = min(c.WarmupEpochs, float64(c.Epochs)/5)
		if c.Schedule == "onecycle" {
			c.WarmupEpochs = 0
		}
	}
	return c
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func lenOf(src dataset.Source) int {
	if src == nil {
		return 0
	}
	return src.Len()
}

// finished reports whether a model's status means it need not run again.
func finished(status string) bool { return status == "ok" || status == "stopped-early" }

// resultIndex returns the position of the named model's result, or -1.
func resultIndex(r *train.Results, name string) int {
	for i, m := range r.Models {
		if m.Model == name {
			return i
		}
	}
	return -1
}

// setResult adds or replaces a model's result.
func setResult(r *train.Results, m train.ModelResult) {
	if i := resultIndex(r, m.Model); i >= 0 {
		r.Models[i] = m
		return
	}
	r.Models = append(r.Models, m)
}

// readResults loads the results of the run being resumed, keeping its
// start time and command line.
func readResults(path string, into *train.Results) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return usagef("-resume: %v", err)
	}
	var old train.Results
	if err := json.Unmarshal(b, &old); err != nil {
		return usagef("-resume: %s: %v", path, err)
	}
	into.Run.Started, into.Run.Args, into.Models = old.Run.Started, old.Run.Args, old.Models
	if into.Models == nil {
		into.Models = []train.ModelResult{}
	}
	return nil
}

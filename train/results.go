package train

// results.json: everything a run measured, as one JSON document (the schema
// is documented field by field in docs/RESULTS.md). A run compares one or
// more models; each gets a ModelResult with its configuration, its test
// metrics, its history, its efficiency figures and the zoo's summary. The
// file is rewritten atomically after each model, so an interrupted
// comparison keeps the results of the models that finished.
//
// A number that is not finite (the NaN test loss of a model with damaged
// weights, the NaN confidences of its mistakes) has no JSON spelling, and
// encoding/json refuses it. results.json writes it as null (jsonnull.go),
// and reading the file gives NaN for that null: a float64 in these types
// is NaN exactly when the value it stands for was not a finite number (an
// infinity comes back as NaN too). NonFinite names such values, for a
// warning.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/safetensors"
)

// ResultsVersion is the schema version written to results.json; it changes
// when a field changes meaning or disappears.
const ResultsVersion = 1

// Results is the content of results.json.
type Results struct {
	Version int           `json:"version"`
	Run     RunInfo       `json:"run"`
	Models  []ModelResult `json:"models"`
}

// RunInfo describes the program run and the machine.
type RunInfo struct {
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Args        []string  `json:"args"` // command-line arguments after the program name
	GitCommit   string    `json:"git_commit"`
	GitModified bool      `json:"git_modified"` // the working tree had uncommitted changes
	GoVersion   string    `json:"go_version"`
	OS          string    `json:"os"`
	Arch        string    `json:"arch"`
	CPUPath     string    `json:"cpu_path"` // kernel dispatch path in use (generic, avx2, avx512)
	GOMAXPROCS  int       `json:"gomaxprocs"`
	Threads     int       `json:"threads"` // goroutines per kernel call (kernels.Threads)
	NumCPU      int       `json:"num_cpu"`
}

// NewRunInfo fills in the run metadata; Finished is left for the caller.
func NewRunInfo(args []string) RunInfo {
	commit, modified := gitCommit()
	return RunInfo{
		Started:     time.Now().UTC(),
		Args:        append([]string{}, args...),
		GitCommit:   commit,
		GitModified: modified,
		GoVersion:   runtime.Version(),
		OS:          runtime.GOOS,
		Arch:        runtime.GOARCH,
		CPUPath:     string(kernels.CurrentPath()),
		GOMAXPROCS:  runtime.GOMAXPROCS(0),
		Threads:     kernels.Threads(),
		NumCPU:      runtime.NumCPU(),
	}
}

// gitCommit returns the commit the program was built from: the version
// control stamp of `go build`, or else what git says about the working
// directory (`go run` and tests are not stamped); "unknown" if neither
// works.
func gitCommit() (string, bool) {
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev string
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			return rev, modified
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown", false
	}
	status, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), err == nil && len(strings.TrimSpace(string(status))) > 0
}

// ModelResult is everything measured for one model.
type ModelResult struct {
	Model   string          `json:"model"`   // architecture name
	Options json.RawMessage `json:"options"` // the zoo's build options (width, classes, head, …)
	Config  Config          `json:"config"`
	Data    DataInfo        `json:"data"`
	Stages  []string        `json:"stages"` // stage names, input to head

	// Status is "ok", "stopped-early" (early stopping), "interrupted" or
	// "failed"; Error says why for the last two.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`

	EpochsRun int          `json:"epochs_run"`
	BestEpoch int          `json:"best_epoch"` // epoch whose weights were tested (the last without validation)
	BestVal   *EvalSummary `json:"best_val,omitempty"`
	// Test holds the test metrics of the best weights; nil if the run did
	// not get that far.
	Test          *Metrics        `json:"test,omitempty"`
	History       []EpochRecord   `json:"history"`
	Efficiency    Efficiency      `json:"efficiency"`
	Misclassified []Misclassified `json:"misclassified"`
	Summary       json.RawMessage `json:"summary,omitempty"` // the zoo's per-layer summary and block structure
	Files         Files           `json:"files"`
}

// DataInfo describes the data a model was trained and tested on.
type DataInfo struct {
	Name           string   `json:"name"` // as given to -data
	Classes        []string `json:"classes"`
	Train          int      `json:"train_images"`
	Val            int      `json:"val_images"`
	Test           int      `json:"test_images"`
	Input          []int    `json:"input"` // C, H, W of one image as the model sees it
	TrainTransform string   `json:"train_transform,omitempty"`
	EvalTransform  string   `json:"eval_transform"`
}

// Efficiency holds the cost figures of a model.
type Efficiency struct {
	TrainSeconds         float64         `json:"train_seconds"`     // wall time of training, evaluations included, summed over resumes
	TrainCPUSeconds      float64         `json:"train_cpu_seconds"` // process CPU time (user + system) of the same: on a shared machine the load-independent figure
	TrainImagesPerSecond float64         `json:"train_images_per_second"`
	InferenceBatch1      InferenceTiming `json:"inference_batch1"`
	InferenceEvalBatch   InferenceTiming `json:"inference_eval_batch"`
	Params               int64           `json:"params"`
	TrainableParams      int64           `json:"trainable_params"` // in the last epoch
	MACs                 int64           `json:"macs"`             // multiply-accumulates of one forward pass of one image
	FLOPs                int64           `json:"flops"`            // 2 × MACs
	SizeMB               float64         `json:"size_mb"`          // float32 parameters and buffers, 10⁶ bytes
	PeakHeapMB           float64         `json:"peak_heap_mb"`     // largest live heap seen after a training forward pass
	MaxRSSMB             float64         `json:"max_rss_mb"`       // the process's peak resident memory so far
}

// Misclassified is one wrongly classified test image.
type Misclassified struct {
	Index      int     `json:"index"` // item in the test source
	Name       string  `json:"name"`  // file or record name
	Label      string  `json:"label"`
	Predicted  string  `json:"predicted"`
	Confidence float64 `json:"confidence"` // softmax probability of the predicted class
	File       string  `json:"file"`       // PNG under the run directory
}

// Files lists the files written for a model, relative to the run
// directory (none for an evaluation without training).
type Files struct {
	Checkpoint  string `json:"checkpoint,omitempty"`
	BestWeights string `json:"best_weights,omitempty"`
	HistoryCSV  string `json:"history_csv,omitempty"`
}

// MarshalJSON encodes r as results.json holds it: a number that is not
// finite is written as null.
func (r Results) MarshalJSON() ([]byte, error) {
	type plain Results // the same fields without these methods
	return MarshalNullable(plain(r))
}

// UnmarshalJSON decodes results.json into r; a null where a number belongs
// reads as NaN.
func (r *Results) UnmarshalJSON(b []byte) error {
	type plain Results
	return UnmarshalNullable(b, (*plain)(r))
}

// WriteResults writes r to path as indented JSON, atomically; numbers that
// are not finite are written as null (see NonFinite).
func WriteResults(path string, r *Results) error {
	r.Version = ResultsVersion
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding results: %w", err)
	}
	if err := safetensors.WriteAtomic(path, append(inlineScalarArrays(b), '\n')); err != nil {
		return fmt.Errorf("writing results %s: %w", path, err)
	}
	return nil
}

// inlineScalarArrays puts each array of numbers, strings, booleans or
// nulls in indented JSON on one line, "[1, 0, 3]": a confusion matrix then
// reads as a grid, a row to a line, and a thousand classes take a thousand
// lines rather than a million. Arrays that hold objects or arrays keep one
// element to a line. It relies on json.MarshalIndent's layout: a line that
// ends in "[" opens a non-empty array, and a line of an array's element is
// a scalar unless it opens or closes an object or array (a string cannot
// span lines).
func inlineScalarArrays(indented []byte) []byte {
	lines := bytes.Split(indented, []byte("\n"))
	out := make([][]byte, 0, len(lines))
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if !bytes.HasSuffix(line, []byte("[")) {
			out = append(out, line)
			continue
		}
		var elems [][]byte
		end := i + 1
		for ; end < len(lines); end++ {
			t := bytes.TrimSpace(lines[end])
			if len(t) == 0 || t[0] == ']' || t[0] == '}' || t[len(t)-1] == '[' || t[len(t)-1] == '{' {
				break
			}
			elems = append(elems, bytes.TrimSuffix(t, []byte(",")))
		}
		closing := bytes.TrimSpace(lines[end])
		if closing[0] != ']' { // an element is an object or an array
			out = append(out, line)
			continue
		}
		joined := append(slices.Clone(line), bytes.Join(elems, []byte(", "))...)
		out = append(out, append(joined, closing...))
		i = end
	}
	return bytes.Join(out, []byte("\n"))
}

// ensureDir creates dir and its parents if needed.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating output directory: %w", err)
	}
	return nil
}

// NonFinite returns the JSON paths of m's numbers that are not finite,
// such as "test.loss", "history[2].val.loss" or
// "misclassified[0].confidence"; results.json holds null there.
func (m *ModelResult) NonFinite() []string {
	var paths []string
	nonFinite(reflect.ValueOf(m).Elem(), "", &paths)
	return paths
}

// nonFinite appends to paths the JSON path, under prefix, of every float
// in v that is NaN or infinite.
func nonFinite(v reflect.Value, prefix string, paths *[]string) {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			*paths = append(*paths, prefix)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			nonFinite(v.Elem(), prefix, paths)
		}
	case reflect.Slice, reflect.Array:
		if k := v.Type().Elem().Kind(); k <= reflect.Uintptr || k == reflect.String {
			return // booleans, integers, bytes (json.RawMessage) or strings
		}
		for i := range v.Len() {
			nonFinite(v.Index(i), prefix+"["+strconv.Itoa(i)+"]", paths)
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			nonFinite(iter.Value(), fmt.Sprintf("%s[%v]", prefix, iter.Key()), paths)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case !f.IsExported() || name == "-":
				continue
			case name == "" && f.Anonymous:
				nonFinite(v.Field(i), prefix, paths) // encoding/json lifts its fields
				continue
			case name == "":
				name = f.Name
			}
			if prefix != "" {
				name = prefix + "." + name
			}
			nonFinite(v.Field(i), name, paths)
		}
	}
}

package train

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// resultsWith returns results with one model holding the given test loss,
// validation loss and mistake confidence, and finite numbers elsewhere.
func resultsWith(testLoss, valLoss, confidence float64) *Results {
	return &Results{
		Run: RunInfo{Started: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC), Args: []string{"-epochs", "1"}},
		Models: []ModelResult{{
			Model: "resnet18", Options: json.RawMessage(`{"classes":3}`), Status: "ok",
			Config:    Config{Epochs: 1, LR: 0.1, ClassWeights: []float64{1, 2.5}},
			EpochsRun: 1, BestEpoch: 1,
			Test: &Metrics{Samples: 4, Loss: testLoss, Accuracy: 0.75, TopK: 3, TopKAccuracy: 1,
				Macro: Averages{Precision: 0.5, Recall: 0.25, F1: 1.0 / 3}, Confusion: [][]int{{1, 0}, {1, 2}},
				PerClass: []ClassReport{{Class: "cat", Precision: 0.5, Recall: 1, F1: 2.0 / 3, Support: 1}}},
			History: []EpochRecord{{Epoch: 1, LR: 0.1, TrainLoss: 2.25, TrainAccuracy: 0.5,
				Val: &EvalSummary{Loss: valLoss, Accuracy: 0.5}, Seconds: 1.5, ImagesPerSecond: 80}},
			Efficiency:    Efficiency{TrainSeconds: 1.5, InferenceBatch1: InferenceTiming{Batch: 1, MsPerImage: 0.25, ImagesPerSecond: 4000}},
			Misclassified: []Misclassified{{Index: 3, Label: "cat", Predicted: "dog", Confidence: confidence}},
			Files:         Files{HistoryCSV: "resnet18/history.csv"},
		}},
	}
}

// TestResultsWriteNonFiniteAsNull checks that NaN and infinities, which
// encoding/json refuses, are written as null, read back as NaN, and named
// by NonFinite.
func TestResultsWriteNonFiniteAsNull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	r := resultsWith(math.NaN(), math.Inf(1), math.Inf(-1))
	if err := WriteResults(path, r); err != nil {
		t.Fatalf("writing results with NaN and infinite values: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b) || strings.Contains(string(b), "NaN") || strings.Contains(string(b), "Inf") {
		t.Fatalf("results.json is not plain JSON:\n%s", b)
	}
	for _, want := range []string{`"loss": null,`, `"confidence": null,`, `"accuracy": 0.75,`, `"train_loss": 2.25,`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("results.json lacks %s:\n%s", want, b)
		}
	}

	var back Results
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	m := back.Models[0]
	if !math.IsNaN(m.Test.Loss) || !math.IsNaN(m.History[0].Val.Loss) || !math.IsNaN(m.Misclassified[0].Confidence) {
		t.Errorf("null did not read back as NaN: test loss %v, val loss %v, confidence %v",
			m.Test.Loss, m.History[0].Val.Loss, m.Misclassified[0].Confidence)
	}
	// Everything else comes back as it was.
	want := resultsWith(0, 0, 0).Models[0]
	m.Test.Loss, m.History[0].Val.Loss, m.Misclassified[0].Confidence = 0, 0, 0
	got, _ := json.Marshal(m)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) || !back.Run.Started.Equal(r.Run.Started) {
		t.Errorf("read back\n%s\nwant\n%s", got, wantJSON)
	}

	paths := r.Models[0].NonFinite()
	if want := []string{"test.loss", "history[0].val.loss", "misclassified[0].confidence"}; !slices.Equal(paths, want) {
		t.Errorf("NonFinite() = %q, want %q", paths, want)
	}
	if paths := resultsWith(1, 2, 0.5).Models[0].NonFinite(); paths != nil {
		t.Errorf("NonFinite() of finite results = %q, want none", paths)
	}
}

// TestResultsEncodingUnchanged checks that finite results are written byte
// for byte as encoding/json writes the same fields, so the null handling
// changes nothing else.
func TestResultsEncodingUnchanged(t *testing.T) {
	type plain Results
	r := resultsWith(0.1, 1e-300, 1.0/3)
	r.Models[0].Config.StepGamma = 0 // omitempty
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(plain(*r), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestResultsMissingNumberStaysZero checks that a number absent from the
// file (an omitted field) reads as zero, not as NaN: only null means "not
// finite".
func TestResultsMissingNumberStaysZero(t *testing.T) {
	var r Results
	doc := `{"version": 1, "models": [{"model": "vgg16", "config": {"lr": 0.5}, "test": {"accuracy": null}}]}`
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	m := r.Models[0]
	if m.Config.LR != 0.5 || m.Config.StepGamma != 0 || m.Test.Loss != 0 || !math.IsNaN(m.Test.Accuracy) {
		t.Errorf("lr %v, step_gamma %v, test loss %v, test accuracy %v; want 0.5, 0, 0, NaN",
			m.Config.LR, m.Config.StepGamma, m.Test.Loss, m.Test.Accuracy)
	}
	if err := json.Unmarshal([]byte(`{"version": 1, "models": [{"test": {"loss": "high"}}]}`), &r); err == nil ||
		!strings.Contains(err.Error(), "cannot unmarshal string") {
		t.Errorf("a string for a number: error %v, want encoding/json's", err)
	}
}

// Embedded is embedded by TestNullableShapes: an exported type with a
// method, as train.ModelResult is in the dashboard's data.
type Embedded struct {
	X    float64 `json:"x"`
	Tags []string
}

func (e *Embedded) Double() float64 { return 2 * e.X }

// TestNullableShapes runs MarshalNullable and UnmarshalNullable over the
// shapes the dashboard's data has (an embedded pointer to a type with
// methods, shadowed by an outer field, maps, arrays, nil pointers) and
// checks that unexported fields survive decoding.
func TestNullableShapes(t *testing.T) {
	type outer struct {
		*Embedded
		Tags   int                `json:"Tags"` // shadows Embedded.Tags
		M      map[string]float64 `json:"m"`
		A      [2]float64         `json:"a"`
		Nil    *Embedded          `json:"nil"`
		Plain  []int              `json:"plain,omitempty"`
		hidden float64
	}
	v := outer{Embedded: &Embedded{X: math.NaN(), Tags: []string{"t"}}, Tags: 7, M: map[string]float64{"k": math.Inf(1), "j": 2},
		A: [2]float64{1.5, math.NaN()}, hidden: 4}
	b, err := MarshalNullable(v)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"x":null,"Tags":7,"m":{"j":2,"k":null},"a":[1.5,null],"nil":null}`
	if string(b) != want {
		t.Errorf("MarshalNullable: %s, want %s", b, want)
	}
	back := outer{hidden: 4}
	if err := UnmarshalNullable(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Embedded == nil || !math.IsNaN(back.Double()) || back.Tags != 7 || !math.IsNaN(back.M["k"]) || back.M["j"] != 2 ||
		back.A[0] != 1.5 || !math.IsNaN(back.A[1]) || back.Nil != nil || back.hidden != 4 {
		t.Errorf("UnmarshalNullable: %+v (embedded %+v)", back, back.Embedded)
	}
	if b, err := MarshalNullable(nil); err != nil || string(b) != "null" {
		t.Errorf("MarshalNullable(nil) = %s, %v", b, err)
	}
	if err := UnmarshalNullable([]byte(`{}`), back); err == nil {
		t.Error("UnmarshalNullable into a non-pointer: no error")
	}
}

// TestResultsInlineScalarArrays checks that results.json writes each array
// of scalars on one line (a confusion matrix a row to a line) and arrays of
// objects an element to a line, and reads back the same.
func TestResultsInlineScalarArrays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	r := resultsWith(0.5, 0.25, 0.9)
	r.Models[0].Test.Confusion = [][]int{{1, 0, 7}, {1, 2, 0}, {0, 0, 3}}
	r.Run.Args = []string{"-data", `a "quoted", [bracketed] arg`}
	if err := WriteResults(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\"confusion\": [\n          [1, 0, 7],\n          [1, 2, 0],\n          [0, 0, 3]\n        ]\n",
		`"args": ["-data", "a \"quoted\", [bracketed] arg"]`,
		`"class_weights": [1, 2.5]`,
		"\"misclassified\": [\n        {",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("results.json lacks %s:\n%s", want, b)
		}
	}
	var back Results
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(back.Models)
	want, _ := json.Marshal(r.Models)
	if string(got) != string(want) || !slices.Equal(back.Run.Args, r.Run.Args) {
		t.Errorf("read back\n%s\nwant\n%s", got, want)
	}
}

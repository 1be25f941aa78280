package layers

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/safetensors"
)

// stateNet is a small model with nested names, parameters and buffers:
//
//	0.weight 0.bias 1.weight 1.bias 1.running_mean 1.running_var
//	1.num_batches_tracked 2.0.weight 2.0.bias
func stateNet(seed uint64) *Sequential {
	rng := rand.New(rand.NewPCG(seed, 0))
	bn := NewBatchNorm2d(3, BatchNormOpts{})
	for _, t := range []*autograd.Tensor{bn.Weight, bn.Bias, bn.RunningMean, bn.RunningVar} {
		Uniform(rng, t, 0.5, 1.5)
	}
	bn.NumBatchesTracked.Data()[0] = float32(seed)
	return NewSequential(
		NewLinear(rng, 4, 3, WithBias),
		bn,
		NewSequential(NewLinear(rng, 3, 2, WithBias)),
	)
}

func stateKeys(m Module) []string {
	var names []string
	for _, t := range StateDict(m) {
		names = append(names, t.Name)
	}
	return names
}

// parse encodes tensors into a safetensors file in memory and parses it back.
func parse(t *testing.T, tensors []safetensors.Tensor) *safetensors.File {
	t.Helper()
	b, err := safetensors.Encode(tensors, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStateDictNamesOrderAndTypes(t *testing.T) {
	m := stateNet(5)
	want := []string{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
		"1.num_batches_tracked", "2.0.weight", "2.0.bias"}
	sd := StateDict(m)
	if got := stateKeys(m); !slices.Equal(got, want) {
		t.Fatalf("keys %v\nwant %v", got, want)
	}
	for _, e := range sd {
		wantType := safetensors.Float32
		if strings.HasSuffix(e.Name, "num_batches_tracked") {
			wantType = safetensors.Int64
		}
		if e.DType != wantType {
			t.Errorf("%s: dtype %s, want %s", e.Name, e.DType, wantType)
		}
	}
	nbt := sd[6]
	if len(nbt.Shape) != 0 || int64(binary.LittleEndian.Uint64(nbt.Data)) != 5 {
		t.Errorf("num_batches_tracked: shape %v, value %v; want a scalar 5", nbt.Shape, nbt.Data)
	}
}

// Go → file → Go restores every parameter and buffer exactly, and the file
// keeps the metadata.
func TestStateDictRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	src, dst := stateNet(1), stateNet(2)
	if err := SaveStateDict(path, src, map[string]string{"arch": "stateNet"}); err != nil {
		t.Fatal(err)
	}
	report, err := LoadStateDictFile(path, dst, LoadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if !report.Clean() || len(report.Loaded) != 9 {
		t.Errorf("report %v", report)
	}
	if !reflect.DeepEqual(StateDict(src), StateDict(dst)) {
		t.Error("the loaded model's state dict differs from the saved one")
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata["arch"] != "stateNet" {
		t.Errorf("metadata %v", f.Metadata)
	}
}

// mismatchedFile holds stateNet's state with 0.bias missing, 2.0.weight of
// the wrong shape and an extra key.
func mismatchedFile(t *testing.T) *safetensors.File {
	var tensors []safetensors.Tensor
	for _, e := range StateDict(stateNet(3)) {
		switch e.Name {
		case "0.bias":
			continue
		case "2.0.weight":
			e = safetensors.F32(e.Name, []int{3, 2}, make([]float32, 6))
		}
		tensors = append(tensors, e)
	}
	tensors = append(tensors, safetensors.F32("head.weight", []int{1}, []float32{1}))
	return parse(t, tensors)
}

func TestStrictLoadNamesEveryProblemAndLoadsNothing(t *testing.T) {
	m := stateNet(4)
	before := StateDict(m)
	report, err := LoadStateDict(m, mismatchedFile(t), LoadOptions{Strict: true})
	if err == nil {
		t.Fatal("strict load of a mismatched file succeeded")
	}
	for _, want := range []string{"0.bias", "head.weight", "2.0.weight (model [2 3], file [3 2])", "nothing loaded"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if len(report.Loaded) != 0 {
		t.Errorf("strict failure reports loaded keys %v", report.Loaded)
	}
	if !reflect.DeepEqual(before, StateDict(m)) {
		t.Error("a failed strict load changed the model")
	}
}

func TestNonStrictLoadReportsExactly(t *testing.T) {
	m := stateNet(4)
	oldBias := slices.Clone(m.At(0).(*Linear).Bias.Data())
	report, err := LoadStateDict(m, mismatchedFile(t), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := LoadReport{
		Loaded:        []string{"0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "2.0.bias"},
		Missing:       []string{"0.bias"},
		Unexpected:    []string{"head.weight"},
		ShapeMismatch: []ShapeMismatch{{"2.0.weight", []int{2, 3}, []int{3, 2}}},
	}
	if !reflect.DeepEqual(report, want) {
		t.Errorf("report\n%+v\nwant\n%+v", report, want)
	}
	ref := stateNet(3)
	if got, want := m.At(0).(*Linear).Weight.Data(), ref.At(0).(*Linear).Weight.Data(); !slices.Equal(got, want) {
		t.Error("0.weight was not loaded")
	}
	if got := m.At(0).(*Linear).Bias.Data(); !slices.Equal(got, oldBias) {
		t.Error("the missing 0.bias changed")
	}
	if got := m.At(1).(*BatchNorm2d).NumBatchesTracked.Data()[0]; got != 3 {
		t.Errorf("num_batches_tracked = %v, want 3 from the file", got)
	}
}

// Skip drops file keys, Rename maps the rest onto model keys, and two file
// keys renamed onto one model key are an error.
func TestLoadSkipAndRename(t *testing.T) {
	var tensors []safetensors.Tensor
	for _, e := range StateDict(stateNet(6)) {
		e.Name = "backbone." + e.Name
		tensors = append(tensors, e)
	}
	tensors = append(tensors, safetensors.F32("fc.weight", []int{9}, make([]float32, 9)))
	f := parse(t, tensors)
	m := stateNet(7)
	opts := LoadOptions{
		Strict: true,
		Skip:   func(k string) bool { return strings.HasPrefix(k, "fc.") },
		Rename: func(k string) string { return strings.TrimPrefix(k, "backbone.") },
	}
	report, err := LoadStateDict(m, f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(report.Skipped, []string{"fc.weight"}) || len(report.Loaded) != 9 {
		t.Errorf("report %+v", report)
	}
	if !reflect.DeepEqual(StateDict(m), StateDict(stateNet(6))) {
		t.Error("renamed keys did not load")
	}

	opts.Rename = func(string) string { return "0.weight" }
	if _, err := LoadStateDict(m, f, opts); err == nil || !strings.Contains(err.Error(), `both map to model key "0.weight"`) {
		t.Errorf("two keys renamed onto one: error %v", err)
	}
}

// Files without num_batches_tracked (older PyTorch, other tools) load
// strictly; the counters restart from zero. F16 and BF16 values are widened.
func TestLoadWithoutCountersAndHalfPrecision(t *testing.T) {
	var tensors []safetensors.Tensor
	for _, e := range StateDict(stateNet(8)) {
		if strings.HasSuffix(e.Name, "num_batches_tracked") {
			continue
		}
		if e.Name == "0.weight" { // 12 values, all 0.5 in F16
			half := make([]byte, 24)
			for i := range 12 {
				binary.LittleEndian.PutUint16(half[2*i:], 0x3800)
			}
			e = safetensors.Tensor{Name: e.Name, DType: safetensors.Float16, Shape: e.Shape, Data: half}
		}
		if e.Name == "0.bias" { // 3 values, all −2 in BF16
			e = safetensors.Tensor{Name: e.Name, DType: safetensors.BFloat16, Shape: e.Shape, Data: []byte{0x00, 0xc0, 0x00, 0xc0, 0x00, 0xc0}}
		}
		tensors = append(tensors, e)
	}
	m := stateNet(9)
	report, err := LoadStateDict(m, parse(t, tensors), LoadOptions{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Loaded) != 8 || !report.Clean() {
		t.Errorf("report %+v", report)
	}
	if got := m.At(1).(*BatchNorm2d).NumBatchesTracked.Data()[0]; got != 0 {
		t.Errorf("num_batches_tracked = %v after loading a file without it, want 0", got)
	}
	lin := m.At(0).(*Linear)
	if slices.Max(lin.Weight.Data()) != 0.5 || slices.Min(lin.Weight.Data()) != 0.5 {
		t.Errorf("F16 weight loaded as %v, want all 0.5", lin.Weight.Data())
	}
	if !slices.Equal(lin.Bias.Data(), []float32{-2, -2, -2}) {
		t.Errorf("BF16 bias loaded as %v, want all -2", lin.Bias.Data())
	}
}

// A damaged file is an error naming the file, never a panic, and the model
// is untouched.
func TestLoadDamagedFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveStateDict(good, stateNet(1), nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[string][]byte{
		"truncated.safetensors":  b[:len(b)-5],
		"bad-length.safetensors": append(binary.LittleEndian.AppendUint64(nil, math.MaxUint32), b[8:]...),
		"empty.safetensors":      nil,
	}
	m := stateNet(2)
	before := StateDict(m)
	for name, data := range damaged {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadStateDictFile(path, m, LoadOptions{}); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	if _, err := LoadStateDictFile(filepath.Join(dir, "absent.safetensors"), m, LoadOptions{}); err == nil {
		t.Error("loading a file that does not exist succeeded")
	}
	if !reflect.DeepEqual(before, StateDict(m)) {
		t.Error("a failed load changed the model")
	}
}

// A model built without BatchNorm's optional parts has no keys for them.
func TestBatchNormOptionalState(t *testing.T) {
	plain := NewBatchNorm2d(4, BatchNormOpts{NoAffine: true, NoRunningStats: true})
	if keys := stateKeys(plain); len(keys) != 0 {
		t.Errorf("BatchNorm2d without affine or running stats has keys %v", keys)
	}
	stats := NewBatchNorm2d(4, BatchNormOpts{NoAffine: true})
	if keys := stateKeys(stats); !slices.Equal(keys, []string{"running_mean", "running_var", "num_batches_tracked"}) {
		t.Errorf("BatchNorm2d without affine has keys %v", keys)
	}
}

package safetensors

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Files written by scripts/safetensors_np.py (the numpy writer the fixture
// scripts use) load here with the right values.
func TestReadsNumpyWrittenFile(t *testing.T) {
	f, err := ReadFile("testdata/from_numpy.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	w, shape, _ := f.Float32("layer1.0.conv1.weight")
	if !slices.Equal(shape, []int{2, 3, 2, 2}) {
		t.Fatalf("shape %v", shape)
	}
	for i, v := range w {
		if v != float32(i)/8-1 {
			t.Fatalf("weight[%d] = %v", i, v)
		}
	}
	half, _, _ := f.Float32("half")
	want := []float32{1, -2.5, 65504, 5.9604645e-08, float32(math.Inf(1)), 0}
	if !slices.Equal(half, want) {
		t.Errorf("half %v, want %v", half, want)
	}
	if n, shape, _ := f.Float32("bn.num_batches_tracked"); n[0] != 7 || len(shape) != 0 {
		t.Errorf("counter %v shape %v", n, shape)
	}
	if d, _, _ := f.Float32("double"); !slices.Equal(d, []float32{0.1, 0.2}) {
		t.Errorf("double %v", d)
	}
	if b, _, _ := f.Float32("bytes"); !slices.Equal(b, []float32{0, 128, 255}) {
		t.Errorf("bytes %v", b)
	}
	if f.Metadata["arch"] != "resnet18" || f.Metadata["classes"] != "cat,dog" {
		t.Errorf("metadata %v", f.Metadata)
	}
}

// Files written here load on the numpy side (skipped where python3 with
// numpy is missing; .ci/run installs it).
func TestNumpyReadsOurFile(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import numpy").Run() != nil {
		t.Skip("needs /usr/bin/python3 with numpy (apt-get install -y python3-numpy)")
	}
	path := filepath.Join(t.TempDir(), "ours.safetensors")
	w := []float32{0.5, -1.25, 3e-39, 7}
	if err := WriteFile(path, []Tensor{F32("fc.weight", []int{2, 2}, w), I64("n", nil, []int64{-3})}, map[string]string{"arch": "x"}); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", "../scripts/check_safetensors.py", path).Output()
	if err != nil {
		t.Fatalf("python side failed: %v\n%s", err, out)
	}
	var got struct {
		Metadata map[string]string
		Tensors  map[string]struct {
			DType  string
			Shape  []int
			Values []float64
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	fc := got.Tensors["fc.weight"]
	if fc.DType != "float32" || !slices.Equal(fc.Shape, []int{2, 2}) {
		t.Errorf("fc.weight came back as %s %v", fc.DType, fc.Shape)
	}
	for i, v := range fc.Values {
		if float32(v) != w[i] {
			t.Errorf("fc.weight[%d] = %v, want %v", i, v, w[i])
		}
	}
	if n := got.Tensors["n"]; n.DType != "int64" || len(n.Shape) != 0 || n.Values[0] != -3 {
		t.Errorf("n came back as %+v", n)
	}
	if got.Metadata["arch"] != "x" {
		t.Errorf("metadata %v", got.Metadata)
	}
	_ = os.Remove(path)
}

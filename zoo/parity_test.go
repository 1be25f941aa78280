package zoo

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/safetensors"
)

// Parity with PyTorch on reduced models (scripts/fixtures_zoo.py): the same
// weights and inputs, computed on both sides by fixtureValues, must give the
// same eval-mode logits, and in training mode (batch statistics, no dropout
// or stochastic depth) the same loss and parameter gradients.

// fixtureInputIndex is the tensor index of the input batch.
const fixtureInputIndex = 0xFFFFF

// fixtureValues returns n values in [0, 1), multiples of 2⁻²⁴, from
// splitmix64 of (index << 32) + j + 1: the Go twin of fixture_values in
// scripts/fixtures_zoo.py.
func fixtureValues(index uint64, n int) []float64 {
	out := make([]float64, n)
	for j := range out {
		z := (index<<32 + uint64(j) + 1) * 0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		out[j] = float64(z>>40) / (1 << 24)
	}
	return out
}

// fixtureTensor fills t, the state-dict entry name at position index, as
// fixture_tensor does.
func fixtureTensor(index int, name string, t *autograd.Tensor) {
	u := fixtureValues(uint64(index), t.Numel())
	shape := t.Shape()
	var f func(u float64) float64
	switch {
	case strings.HasSuffix(name, "running_var") || (len(shape) == 1 && strings.HasSuffix(name, "weight")):
		f = func(u float64) float64 { return 0.5 + u }
	case len(shape) == 1:
		f = func(u float64) float64 { return (2*u - 1) * 0.2 }
	default:
		fanIn, _ := layers.Fans(shape)
		s := math.Sqrt(6 / float64(fanIn))
		f = func(u float64) float64 { return (2*u - 1) * s }
	}
	d := t.Data()
	for i := range d {
		d[i] = float32(f(u[i]))
	}
}

// fillFixture gives m the fixture weights, in state-dict order.
func fillFixture(m layers.Module) {
	for i, e := range layers.StateTensors(m) {
		if !strings.HasSuffix(e.Name, "num_batches_tracked") {
			fixtureTensor(i, e.Name, e.Tensor)
		}
	}
}

func fixtureInput(shape ...int) *autograd.Tensor {
	x := autograd.Zeros(shape...)
	for i, u := range fixtureValues(fixtureInputIndex, x.Numel()) {
		x.Data()[i] = float32(2*u - 1)
	}
	return x
}

// relErr returns ‖a−b‖/‖b‖ in float64.
func relErr(a, b []float32) float64 {
	return diffNorm(a, b) / norm(b)
}

func diffNorm(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return math.Sqrt(s)
}

func norm(a []float32) float64 {
	var s float64
	for _, v := range a {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

type parityFixture struct {
	f                      *safetensors.File
	width                  float64
	classes, size, batch   int
	targets                []int
	path                   string
	evalLogits, trainLogit []float32
	loss                   float32
}

func readParityFixture(t *testing.T, arch string) parityFixture {
	t.Helper()
	path := filepath.Join("testdata", "parity_"+arch+".safetensors")
	f, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := parityFixture{f: f, path: path}
	atoi := func(key string) int {
		n, err := strconv.Atoi(f.Metadata[key])
		if err != nil {
			t.Fatalf("%s: metadata %s: %v", path, key, err)
		}
		return n
	}
	p.classes, p.size, p.batch = atoi("classes"), atoi("input_size"), atoi("batch")
	if p.width, err = strconv.ParseFloat(f.Metadata["width_mult"], 64); err != nil {
		t.Fatalf("%s: width_mult: %v", path, err)
	}
	if err := json.Unmarshal([]byte(f.Metadata["targets"]), &p.targets); err != nil {
		t.Fatalf("%s: targets: %v", path, err)
	}
	get := func(name string) []float32 {
		v, _, err := f.Float32(name)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	p.evalLogits, p.trainLogit = get("eval_logits"), get("train_logits")
	p.loss = get("loss")[0]
	return p
}

func TestParityWithPyTorch(t *testing.T) {
	for _, arch := range Names() {
		t.Run(arch, func(t *testing.T) {
			fx := readParityFixture(t, arch)
			m, err := New(arch, Options{Classes: fx.classes, WidthMult: fx.width, Dropout: -1, StochasticDepth: -1, InputSize: fx.size})
			if err != nil {
				t.Fatal(err)
			}
			fillFixture(m)
			x := fixtureInput(fx.batch, 3, fx.size, fx.size)

			layers.SetTraining(m, false)
			evalLogits := m.Forward(autograd.NoGrad(x))
			evalErr := relErr(evalLogits.Data(), fx.evalLogits)
			if !(evalErr <= 1e-4) {
				t.Errorf("eval logits: relative error %.3g", evalErr)
			}

			layers.SetTraining(m, true)
			logits := m.Forward(x)
			if e := relErr(logits.Data(), fx.trainLogit); !(e <= 1e-4) {
				t.Errorf("train logits: relative error %.3g", e)
			}
			loss := autograd.CrossEntropy(logits, fx.targets, autograd.CrossEntropyOptions{})
			lossErr := math.Abs(float64(loss.Item())-float64(fx.loss)) / math.Abs(float64(fx.loss))
			if !(lossErr <= 1e-4) {
				t.Errorf("loss %v, PyTorch %v: relative error %.3g", loss.Item(), fx.loss, lossErr)
			}
			loss.Backward()

			params := layers.Parameters(m)
			want := make([][]float32, len(params))
			var global float64
			for i, p := range params {
				g, _, err := fx.f.Float32("grad." + p.Name)
				if err != nil {
					t.Fatalf("%s: %v", fx.path, err)
				}
				want[i] = g
				global += norm(g) * norm(g)
			}
			global = math.Sqrt(global)
			worst, worstName, allDiff := 0.0, "", 0.0
			for i, p := range params {
				got := p.Tensor.Grad()
				if got == nil {
					t.Errorf("%s: no gradient", p.Name)
					continue
				}
				d, n := diffNorm(got, want[i]), norm(want[i])
				allDiff += d * d
				if !(d <= 1e-3*n+1e-5*global) {
					t.Errorf("gradient of %s: ‖Δ‖ = %.3g, ‖PyTorch‖ = %.3g, global norm %.3g", p.Name, d, n, global)
				}
				if r := d / (1e-3*n + 1e-5*global); r > worst {
					worst, worstName = r, p.Name
				}
			}
			t.Logf("relative error: eval logits %.2g, loss %.2g, all gradients %.2g; worst of %d gradients: %s at %.2g of its tolerance",
				evalErr, lossErr, math.Sqrt(allDiff)/global, len(params), worstName, worst)
		})
	}
}

package autograd

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/kernels"
)

// Tests of BatchNorm2d: gradients against float64 finite differences of a
// float64 batch norm (float32 differences through the batch statistics are
// mostly noise), PyTorch fixtures in train and eval mode with randomised
// affine parameters and running statistics over two consecutive steps, and
// the rules for when running statistics change.

// bnRef64 is batch norm in float64 on NCHW data: per channel, normalise with
// mean and variance (the batch's, biased, when mean is nil), then scale by
// gamma and shift by beta (nil: 1 and 0).
func bnRef64(x []float64, n, c, hw int, gamma, beta, mean, variance []float64, eps float64) []float64 {
	y := make([]float64, len(x))
	m := float64(n * hw)
	for ch := range c {
		var mu, v float64
		if mean != nil {
			mu, v = mean[ch], variance[ch]
		} else {
			for i := range n {
				for _, e := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					mu += e / m
				}
			}
			for i := range n {
				for _, e := range x[(i*c+ch)*hw : (i*c+ch+1)*hw] {
					v += (e - mu) * (e - mu) / m
				}
			}
		}
		g, b := 1.0, 0.0
		if gamma != nil {
			g, b = gamma[ch], beta[ch]
		}
		for i := range n {
			off := (i*c + ch) * hw
			for j := range hw {
				y[off+j] = (x[off+j]-mu)/math.Sqrt(v+eps)*g + b
			}
		}
	}
	return y
}

func TestBatchNormGradientsFloat64(t *testing.T) {
	const n, c, h, w, eps = 2, 3, 3, 2, 1e-5
	cases := []struct {
		name                          string
		training, affine, withRunning bool
	}{
		{name: "train", training: true, affine: true, withRunning: true},
		{name: "train without affine", training: true, withRunning: true},
		{name: "eval", affine: true, withRunning: true},
		{name: "eval without running statistics", affine: true},
	}
	for k, tc := range cases {
		rng := rand.New(rand.NewPCG(41, uint64(k)))
		x := randTensor(rng, -2, 3, n, c, h, w).SetRequiresGrad(true)
		var weight, bias, runMean, runVar *Tensor
		var gamma, beta, mean, variance []float64
		if tc.affine {
			weight = randTensor(rng, 0.5, 1.5, c).SetRequiresGrad(true)
			bias = randTensor(rng, -0.5, 0.5, c).SetRequiresGrad(true)
			gamma, beta = to64s(weight.data), to64s(bias.data)
		}
		if tc.withRunning {
			runMean, runVar = randTensor(rng, -0.5, 0.5, c), randTensor(rng, 0.5, 2, c)
			if !tc.training {
				mean, variance = to64s(runMean.data), to64s(runVar.data)
			}
		}
		r := make([]float64, x.Numel())
		for i := range r {
			r[i] = rng.Float64()*2 - 1
		}
		weightedLoss(BatchNorm2d(x, weight, bias, runMean, runVar, tc.training, 0.1, eps), r).Backward()

		x64 := to64s(x.data)
		loss := func() float64 {
			var s float64
			for i, v := range bnRef64(x64, n, c, h*w, gamma, beta, mean, variance, eps) {
				s += v * r[i]
			}
			return s
		}
		check := func(what string, vals []float64, grad []float32) {
			for i := range vals {
				const step = 1e-6
				old := vals[i]
				vals[i] = old + step
				plus := loss()
				vals[i] = old - step
				minus := loss()
				vals[i] = old
				num := (plus - minus) / (2 * step)
				if math.Abs(float64(grad[i])-num) > 1e-5*(1+math.Abs(num)) {
					t.Errorf("%s: d/d%s[%d]: backward %.7g, float64 finite difference %.7g", tc.name, what, i, grad[i], num)
				}
			}
		}
		check("x", x64, x.Grad())
		if tc.affine {
			check("weight", gamma, weight.Grad())
			check("bias", beta, bias.Grad())
		}
	}
}

// TestBatchNormMatchesPyTorch replays every case of norm_bn.safetensors: two
// steps of F.batch_norm from randomised running statistics and affine
// parameters (training: momentum 0.1 and 0.01, eps 1e-5 and 1e-3, with and
// without affine; eval: eps 1e-5 and 1e-3), comparing the output, the
// gradients of input, weight and bias, and the running statistics after each
// step, within 1e-6 absolute plus 1e-5 relative (PyTorch mixes float32 and
// float64 arithmetic where gocnn uses float64 throughout, so the last bits
// differ; the largest differences seen are a few 1e-7).
func TestBatchNormMatchesPyTorch(t *testing.T) {
	f := openNormFixture(t, "testdata/norm_bn.safetensors")
	const n, c, h, w = 3, 4, 5, 3
	cases := 0
	for name, spec := range f.file.Metadata {
		fields := strings.Split(spec, ",")
		if len(fields) != 4 {
			t.Fatalf("%s: case %s has spec %q, want training,momentum,eps,affine", f.path, name, spec)
		}
		training := fields[0] == "true"
		momentum, err1 := strconv.ParseFloat(fields[1], 64)
		eps, err2 := strconv.ParseFloat(fields[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: case %s: bad spec %q", f.path, name, spec)
		}
		affine := fields[3] == "true"
		cases++

		p := name + "."
		var weight, bias *Tensor
		if affine {
			weight = f.tensor(p+"weight", c).SetRequiresGrad(true)
			bias = f.tensor(p+"bias", c).SetRequiresGrad(true)
		}
		runMean, runVar := f.tensor(p+"running_mean0", c), f.tensor(p+"running_var0", c)
		for step := 1; step <= 2; step++ {
			s := strconv.Itoa(step)
			x := f.tensor(p+"x"+s, n, c, h, w).SetRequiresGrad(true)
			out := BatchNorm2d(x, weight, bias, runMean, runVar, training, momentum, eps).Retain()
			weightedLoss(out, to64s(f.get(p+"r"+s, n, c, h, w))).Backward()

			compare := func(what string, got []float32, key string, shape ...int) {
				t.Helper()
				if err := closeSlices(got, f.get(p+key, shape...), 1e-6, 1e-5); err != nil {
					t.Errorf("%s step %d %s: %v", name, step, what, err)
				}
			}
			compare("output", out.Data(), "out"+s, n, c, h, w)
			compare("input gradient", x.Grad(), "grad_x"+s, n, c, h, w)
			if affine {
				compare("weight gradient", weight.Grad(), "grad_weight"+s, c)
				compare("bias gradient", bias.Grad(), "grad_bias"+s, c)
				weight.ZeroGrad()
				bias.ZeroGrad()
			}
			compare("running mean", runMean.Data(), "running_mean"+s, c)
			compare("running var", runVar.Data(), "running_var"+s, c)
		}
	}
	if cases != 5 {
		t.Errorf("%s holds %d cases, want 5 (3 training, 2 eval)", f.path, cases)
	}
}

// Running statistics change only in training, with or without gradients
// (PyTorch updates them under torch.no_grad() too), and never when absent.
func TestBatchNormRunningStatisticsUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	x := randTensor(rng, -1, 2, 2, 2, 2, 2)
	runMean, runVar := New([]float32{0.1, -0.2}, 2), New([]float32{1.5, 0.5}, 2)
	Release(BatchNorm2d(NoGrad(x), nil, nil, runMean, runVar, false, 0.1, 1e-5))
	if err := closeSlices(runMean.Data(), []float32{0.1, -0.2}, 0, 0); err != nil {
		t.Error("eval changed the running mean:", err)
	}
	Release(BatchNorm2d(NoGrad(x), nil, nil, runMean, runVar, true, 0.5, 1e-5))
	for ch := range 2 {
		var sum float64
		for i := range 2 {
			for _, v := range x.data[(i*2+ch)*4 : (i*2+ch+1)*4] {
				sum += float64(v)
			}
		}
		want := float32(0.5*[]float64{0.1, -0.2}[ch] + 0.5*sum/8)
		if math.Abs(float64(runMean.data[ch]-want)) > 1e-6 {
			t.Errorf("running mean[%d] = %g after a training step under NoGrad, want %g", ch, runMean.data[ch], want)
		}
	}
	// Without running buffers, eval mode normalises with the batch statistics.
	y := BatchNorm2d(NoGrad(x), nil, nil, nil, nil, false, 0.1, 1e-5)
	want := bnRef64(to64s(x.data), 2, 2, 4, nil, nil, nil, nil, 1e-5)
	if err := closeSlices(y.Data(), toF32(want), 1e-6, 1e-6); err != nil {
		t.Error("eval without running statistics:", err)
	}
}

func TestBatchNormShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"3-D input", func() { BatchNorm2d(Zeros(2, 3, 4), nil, nil, nil, nil, true, 0.1, 1e-5) }},
		{"weight of the wrong size", func() { BatchNorm2d(Zeros(2, 3, 2, 2), Zeros(4), nil, nil, nil, true, 0.1, 1e-5) }},
		{"one value per channel in training", func() { BatchNorm2d(Zeros(1, 3, 1, 1), nil, nil, Zeros(3), Zeros(3), true, 0.1, 1e-5) }},
		{"running mean without running var", func() { BatchNorm2d(Zeros(2, 3, 2, 2), nil, nil, Zeros(3), nil, true, 0.1, 1e-5) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// TestBatchNormActSameBits checks BatchNorm2dAct against BatchNorm2d and
// Activate as two ops: the same result, gradients and running statistics,
// bit for bit, in training and in eval mode, for each activation it takes
// (with values on both sides of ReLU6's 0 and 6), and that it refuses one
// whose derivative needs the normalised values.
func TestBatchNormActSameBits(t *testing.T) {
	const n, c, h, w = 4, 5, 3, 3
	bits := func(s []float32) []uint32 {
		out := make([]uint32, len(s))
		for i, v := range s {
			out[i] = math.Float32bits(v)
		}
		return out
	}
	same := func(a, b []float32) bool { return slices.Equal(bits(a), bits(b)) }
	for k, act := range []kernels.Act{kernels.ReLU, kernels.ReLU6} {
		for _, training := range []bool{true, false} {
			run := func(fused bool) (out *Tensor, x, weight, bias, runMean, runVar *Tensor) {
				rng := rand.New(rand.NewPCG(43, uint64(k)))
				x = randTensor(rng, -4, 8, n, c, h, w).SetRequiresGrad(true)
				weight = randTensor(rng, 0.5, 3, c).SetRequiresGrad(true)
				bias = randTensor(rng, -1, 4, c).SetRequiresGrad(true)
				runMean, runVar = randTensor(rng, -0.5, 0.5, c), randTensor(rng, 0.5, 2, c)
				r := make([]float64, x.Numel())
				for i := range r {
					r[i] = rng.Float64()*2 - 1
				}
				if fused {
					out = BatchNorm2dAct(x, weight, bias, runMean, runVar, training, 0.1, 1e-5, act)
				} else {
					out = Activate(BatchNorm2d(x, weight, bias, runMean, runVar, training, 0.1, 1e-5), act)
				}
				weightedLoss(out, r).Backward()
				return
			}
			want, wx, ww, wb, wm, wv := run(false)
			got, gx, gw, gb, gm, gv := run(true)
			for _, p := range []struct {
				name      string
				got, want []float32
			}{{"result", got.data, want.data}, {"d/dx", gx.Grad(), wx.Grad()}, {"d/dweight", gw.Grad(), ww.Grad()},
				{"d/dbias", gb.Grad(), wb.Grad()}, {"running mean", gm.data, wm.data}, {"running var", gv.data, wv.data}} {
				if !same(p.got, p.want) {
					t.Errorf("%v, training %v: %s differs from BatchNorm2d then Activate", act, training, p.name)
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("BatchNorm2dAct took SiLU, whose derivative needs the normalised values")
		}
	}()
	x := Zeros(2, 1, 2, 2)
	BatchNorm2dAct(x, nil, nil, nil, nil, true, 0.1, 1e-5, kernels.SiLU)
}

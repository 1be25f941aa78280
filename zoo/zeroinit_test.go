package zoo

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// The builders leave weights zero and New draws them once: every
// convolution and Linear weight of a fresh model, whatever its head, holds
// drawn values, and ResNet's fc keeps PyTorch's default range.
func TestEveryWeightDrawn(t *testing.T) {
	for _, arch := range Names() {
		for _, head := range []HeadSpec{{}, {Kind: HeadMLP, Hidden: []int{6}}} {
			m := small(t, arch, Options{Head: head})
			for _, nm := range layers.Modules(m) {
				var w *autograd.Tensor
				switch l := nm.Module.(type) {
				case *layers.Conv2d:
					w = l.Weight
				case *layers.Linear:
					w = l.Weight
				default:
					continue
				}
				if !slices.ContainsFunc(w.Data(), func(v float32) bool { return v != 0 }) {
					t.Errorf("%s (head %s): %s.weight is all zero", arch, head, nm.Name)
				}
			}
		}
	}
	fc := small(t, "resnet18", Options{}).head.(*layers.Linear)
	bound := float32(1 / math.Sqrt(float64(fc.Weight.Dim(1))))
	for _, d := range [][]float32{fc.Weight.Data(), fc.Bias.Data()} {
		if lo, hi := slices.Min(d), slices.Max(d); lo < -bound || hi > bound || hi-lo < bound {
			t.Errorf("resnet18 fc values in [%g, %g], want PyTorch's default U(−%g, %g)", lo, hi, bound, bound)
		}
	}
}

// zeroedByOption returns the batch-norm weights ZeroInitResidual zeroes in
// m, found from the block types and torchvision's names: bn2 of a
// BasicBlock, bn3 of a Bottleneck, and in an inverted-residual block with a
// skip connection the batch norm ("1") of the projection, the block's last
// Conv2dNormActivation.
func zeroedByOption(m layers.Module) []string {
	var out []string
	for _, nm := range layers.Modules(m) {
		switch b := nm.Module.(type) {
		case *BasicBlock:
			out = append(out, nm.Name+".bn2.weight")
		case *Bottleneck:
			out = append(out, nm.Name+".bn3.weight")
		case *InvertedResidual:
			if b.Residual {
				out = append(out, nm.Name+".block."+strconv.Itoa(b.Block.Len()-1)+".1.weight")
			}
		case *MBConv:
			if b.Residual {
				out = append(out, nm.Name+".block."+strconv.Itoa(b.Block.Len()-1)+".1.weight")
			}
		}
	}
	return out
}

// ZeroInitResidual changes the γs of the batch norms closing residual
// branches to zero and nothing else; at full size it zeroes as many as the
// architectures have residual blocks (torchvision's ResNet: every block,
// projection or not; MobileNetV3 and EfficientNet: the blocks that add their
// input back).
func TestZeroInitResidualZeroesTheClosingBatchNorms(t *testing.T) {
	fullSize := map[string]int{"vgg16": 0, "resnet18": 8, "resnet50": 16, "mobilenet_v3_large": 10, "mobilenet_v3_small": 6, "efficientnet_b0": 9}
	for arch, want := range fullSize {
		m, err := New(arch, Options{ZeroInitResidual: true, InputSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(zeroedByOption(m)); got != want {
			t.Errorf("%s at full width: %d residual branches, want %d", arch, got, want)
		}
	}
	for _, arch := range Names() {
		plain := small(t, arch, Options{Seed: 4})
		zero := small(t, arch, Options{Seed: 4, ZeroInitResidual: true})
		zeroed := zeroedByOption(zero)
		if strings.HasPrefix(arch, "vgg") != (len(zeroed) == 0) {
			t.Errorf("%s: %d residual branches", arch, len(zeroed))
		}
		a, b := layers.StateTensors(plain), layers.StateTensors(zero)
		for i := range a {
			switch {
			case !slices.Contains(zeroed, a[i].Name):
				if !slices.Equal(a[i].Tensor.Data(), b[i].Tensor.Data()) {
					t.Errorf("%s: ZeroInitResidual changed %s", arch, a[i].Name)
				}
			case slices.ContainsFunc(b[i].Tensor.Data(), func(v float32) bool { return v != 0 }) ||
				slices.ContainsFunc(a[i].Tensor.Data(), func(v float32) bool { return v != 1 }):
				t.Errorf("%s: %s is %v with the option and %v without, want zeros and ones", arch, a[i].Name, b[i].Tensor.Data(), a[i].Tensor.Data())
			}
		}
	}
}

// With ZeroInitResidual every residual block whose shortcut is the identity
// starts as the identity map (on non-negative inputs for ResNet, whose
// blocks end in a ReLU and read a ReLU's output), in evaluation and in
// training mode. Without the option none does in evaluation mode (in
// training mode stochastic depth may drop a branch by chance).
func TestZeroInitResidualBlocksStartAsIdentity(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50", "mobilenet_v3_large", "mobilenet_v3_small", "efficientnet_b0"} {
		for _, zeroInit := range []bool{true, false} {
			m := small(t, arch, Options{ZeroInitResidual: zeroInit})
			for _, training := range []bool{false, true} {
				if training && !zeroInit {
					continue
				}
				identities, blocks := 0, 0
				layers.SetTraining(m, training)
				for _, nm := range layers.Modules(m) {
					in, nonNegative, ok := identityBlockInput(nm.Module)
					if !ok {
						continue
					}
					x := fixtureInput(2, in, 5, 5)
					if nonNegative {
						for i, v := range x.Data() {
							x.Data()[i] = float32(math.Abs(float64(v)))
						}
					}
					blocks++
					if slices.Equal(nm.Module.Forward(autograd.NoGrad(x)).Data(), x.Data()) {
						identities++
					}
				}
				if blocks == 0 || zeroInit && identities != blocks || !zeroInit && identities != 0 {
					t.Errorf("%s, ZeroInitResidual %v, training %v: %d of %d blocks are the identity", arch, zeroInit, training, identities, blocks)
				}
			}
		}
	}
}

// identityBlockInput reports whether m is a residual block with an identity
// shortcut, its input channels, and whether its input is non-negative.
func identityBlockInput(m layers.Module) (channels int, nonNegative, ok bool) {
	switch b := m.(type) {
	case *BasicBlock:
		return b.Conv1.Weight.Dim(1), true, b.Downsample == nil
	case *Bottleneck:
		return b.Conv1.Weight.Dim(1), true, b.Downsample == nil
	case *InvertedResidual:
		return firstConvInput(b.Block), false, b.Residual
	case *MBConv:
		return firstConvInput(b.Block), false, b.Residual
	}
	return 0, false, false
}

func firstConvInput(m layers.Module) int {
	for _, nm := range layers.Modules(m) {
		if c, ok := nm.Module.(*layers.Conv2d); ok {
			return c.Weight.Dim(1) * c.Spec.Groups
		}
	}
	panic("no convolution")
}

// The option travels in a checkpoint's options metadata and comes back on
// Load; left false it is not written at all, so checkpoints without it
// stay readable by builds that predate it (their metadata decoder rejects
// unknown fields).
func TestZeroInitResidualInCheckpointOptions(t *testing.T) {
	b, err := json.Marshal(Options{})
	if err != nil || strings.Contains(string(b), "zero_init_residual") {
		t.Errorf("default options as JSON: %s, %v", b, err)
	}
	m := small(t, "resnet18", Options{Classes: 3, ZeroInitResidual: true})
	b, err = json.Marshal(m.Options)
	if err != nil || !strings.Contains(string(b), `"zero_init_residual":true`) {
		t.Errorf("options as JSON: %s, %v", b, err)
	}
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := Save(path, m, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded, info, err := Load(path, "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Options == nil || !info.Options.ZeroInitResidual || !reflect.DeepEqual(loaded.Options, m.Options) {
		t.Errorf("loaded options %+v (metadata %+v), saved %+v", loaded.Options, info.Options, m.Options)
	}
}

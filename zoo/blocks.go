package zoo

import (
	"slices"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
)

// The building blocks the architectures share, each registering its
// children under torchvision's names and in torchvision's order:
//
//	convNormAct       Conv2dNormActivation: Sequential(conv, bn[, act]) → "0", "1", "2"
//	BasicBlock        ResNet-18/34: conv1 bn1 relu conv2 bn2 [downsample] + identity
//	Bottleneck        ResNet-50+:   conv1 bn1 conv2 bn2 conv3 bn3 relu [downsample] + identity
//	InvertedResidual  MobileNetV3:  block (Sequential) [+ input]
//	MBConv            EfficientNet: block (Sequential), stochastic_depth [+ input]
//
// All tensors are NCHW. Each block also describes itself to the summary
// (trace), including where its skip connection joins, and names the batch
// norm that closes its residual branch (zeroInitLast, for
// Options.ZeroInitResidual).
//
// The builders draw no weights: every convolution and Linear is made with
// noInit, so it starts zero, and New draws torchvision's initialisation once
// over the finished model (init.go).

// convNormAct is torchvision's Conv2dNormActivation: a k×k convolution
// without bias and "same" padding (k−1)/2, batch norm, and an activation
// unless act is nil.
func convNormAct(in, out, k, stride, groups int, bn layers.BatchNormOpts, act *kernels.Act) *layers.Sequential {
	s := layers.NewSequential(
		layers.NewConv2d(noInit, in, out, k, layers.ConvOpts{Stride: stride, Padding: (k - 1) / 2, Groups: groups}),
		layers.NewBatchNorm2d(out, bn),
	)
	if act != nil {
		s.Append(layers.NewActivation(*act))
	}
	return s
}

// actp returns a pointer to an activation, for convNormAct.
func actp(a kernels.Act) *kernels.Act { return &a }

// BasicBlock is torchvision's resnet.BasicBlock: two 3×3 convolutions (the
// first carries the stride) with batch norm, plus the input, through a
// 1×1 convolution and batch norm (Downsample) when the shape changes.
type BasicBlock struct {
	layers.Base
	Conv1      *layers.Conv2d
	BN1        *layers.BatchNorm2d
	ReLU       *layers.Activation
	Conv2      *layers.Conv2d
	BN2        *layers.BatchNorm2d
	Downsample *layers.Sequential // nil when the block keeps its input's shape
}

func newBasicBlock(in, planes, stride int) *BasicBlock {
	b := &BasicBlock{}
	b.Conv1 = layers.Add(&b.Base, "conv1", layers.NewConv2d(noInit, in, planes, 3, layers.ConvOpts{Stride: stride, Padding: 1}))
	b.BN1 = layers.Add(&b.Base, "bn1", layers.NewBatchNorm2d(planes, layers.BatchNormOpts{}))
	b.ReLU = layers.Add(&b.Base, "relu", layers.NewReLU())
	b.Conv2 = layers.Add(&b.Base, "conv2", layers.NewConv2d(noInit, planes, planes, 3, layers.ConvOpts{Padding: 1}))
	b.BN2 = layers.Add(&b.Base, "bn2", layers.NewBatchNorm2d(planes, layers.BatchNormOpts{}))
	b.Downsample = downsample(&b.Base, in, planes, stride)
	return b
}

// downsample registers ResNet's projection shortcut when stride or width
// changes, and returns it (nil otherwise).
func downsample(parent *layers.Base, in, out, stride int) *layers.Sequential {
	if stride == 1 && in == out {
		return nil
	}
	return layers.Add(parent, "downsample", layers.NewSequential(
		layers.NewConv2d(noInit, in, out, 1, layers.ConvOpts{Stride: stride}),
		layers.NewBatchNorm2d(out, layers.BatchNormOpts{}),
	))
}

// Forward computes relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
func (b *BasicBlock) Forward(x *autograd.Tensor) *autograd.Tensor {
	out := layers.Steps(b.Conv1.Forward(x), x, b.BN1, b.ReLU, b.Conv2, b.BN2)
	return addResidualAct(out, shortcut(b.Downsample, x), x, b.ReLU)
}

// zeroInitLast zeroes bn2's γ, as torchvision's zero_init_residual does for
// every BasicBlock, projection shortcut or not.
func (b *BasicBlock) zeroInitLast() { layers.Zeros(b.BN2.Weight) }

func shortcut(ds *layers.Sequential, x *autograd.Tensor) *autograd.Tensor {
	if ds == nil {
		return x
	}
	return ds.Forward(x)
}

// addResidual returns branch + skip for a block whose input is x. In an
// inference pass it gives back to the buffer pool what the block made and
// no longer needs: the branch, and the skip unless it is x itself (the
// caller's). Blocks step through their layers with layers.Step, which does
// the same for each intermediate.
func addResidual(branch, skip, x *autograd.Tensor) *autograd.Tensor {
	out := autograd.Add(branch, skip)
	autograd.ReleaseIntermediate(branch, x, out)
	autograd.ReleaseIntermediate(skip, x, out)
	return out
}

// addResidualAct returns act(branch + skip), as addResidual followed by the
// activation module, but as one op (autograd.AddAct) where the activation
// allows it: the sum is not kept for the backward pass.
func addResidualAct(branch, skip, x *autograd.Tensor, act *layers.Activation) *autograd.Tensor {
	if !autograd.ActGradFromResult(act.Fn) || !slices.Equal(branch.Shape(), skip.Shape()) {
		return layers.Step(act, addResidual(branch, skip, x), x)
	}
	out := autograd.AddAct(branch, skip, act.Fn)
	autograd.ReleaseIntermediate(branch, x, out)
	autograd.ReleaseIntermediate(skip, x, out)
	return out
}

func (b *BasicBlock) trace(t *tracer, name string, in value) value {
	first := len(t.rows)
	x := t.module(name+".conv1", b.Conv1, in)
	x = t.module(name+".bn1", b.BN1, x)
	x = t.module(name+".relu", b.ReLU, x)
	x = t.module(name+".conv2", b.Conv2, x)
	x = t.module(name+".bn2", b.BN2, x)
	return t.residual(name, "BasicBlock", first, x, in, b.Downsample, b.ReLU)
}

// Bottleneck is torchvision's resnet.Bottleneck (ResNet v1.5): 1×1
// reduction, 3×3 convolution carrying the stride, 1×1 expansion to 4×
// planes, each with batch norm, plus the (projected) input.
type Bottleneck struct {
	layers.Base
	Conv1      *layers.Conv2d
	BN1        *layers.BatchNorm2d
	Conv2      *layers.Conv2d
	BN2        *layers.BatchNorm2d
	Conv3      *layers.Conv2d
	BN3        *layers.BatchNorm2d
	ReLU       *layers.Activation
	Downsample *layers.Sequential // nil when the block keeps its input's shape
}

// bottleneckExpansion is the ratio of a Bottleneck's output channels to
// its planes.
const bottleneckExpansion = 4

func newBottleneck(in, planes, stride int) *Bottleneck {
	out := planes * bottleneckExpansion
	b := &Bottleneck{}
	b.Conv1 = layers.Add(&b.Base, "conv1", layers.NewConv2d(noInit, in, planes, 1, layers.ConvOpts{}))
	b.BN1 = layers.Add(&b.Base, "bn1", layers.NewBatchNorm2d(planes, layers.BatchNormOpts{}))
	b.Conv2 = layers.Add(&b.Base, "conv2", layers.NewConv2d(noInit, planes, planes, 3, layers.ConvOpts{Stride: stride, Padding: 1}))
	b.BN2 = layers.Add(&b.Base, "bn2", layers.NewBatchNorm2d(planes, layers.BatchNormOpts{}))
	b.Conv3 = layers.Add(&b.Base, "conv3", layers.NewConv2d(noInit, planes, out, 1, layers.ConvOpts{}))
	b.BN3 = layers.Add(&b.Base, "bn3", layers.NewBatchNorm2d(out, layers.BatchNormOpts{}))
	b.ReLU = layers.Add(&b.Base, "relu", layers.NewReLU())
	b.Downsample = downsample(&b.Base, in, out, stride)
	return b
}

// zeroInitLast zeroes bn3's γ, as torchvision's zero_init_residual does for
// every Bottleneck, projection shortcut or not.
func (b *Bottleneck) zeroInitLast() { layers.Zeros(b.BN3.Weight) }

// Forward computes relu(bn3(conv3(…)) + shortcut(x)).
func (b *Bottleneck) Forward(x *autograd.Tensor) *autograd.Tensor {
	out := layers.Steps(b.Conv1.Forward(x), x, b.BN1, b.ReLU, b.Conv2, b.BN2, b.ReLU, b.Conv3, b.BN3)
	return addResidualAct(out, shortcut(b.Downsample, x), x, b.ReLU)
}

func (b *Bottleneck) trace(t *tracer, name string, in value) value {
	first := len(t.rows)
	x := t.module(name+".conv1", b.Conv1, in)
	x = t.module(name+".bn1", b.BN1, x)
	x = t.module(name+".relu", b.ReLU, x)
	x = t.module(name+".conv2", b.Conv2, x)
	x = t.module(name+".bn2", b.BN2, x)
	x = t.module(name+".relu", b.ReLU, x)
	x = t.module(name+".conv3", b.Conv3, x)
	x = t.module(name+".bn3", b.BN3, x)
	return t.residual(name, "Bottleneck", first, x, in, b.Downsample, b.ReLU)
}

// InvertedResidual is torchvision's MobileNetV3 block: an optional 1×1
// expansion, a depthwise k×k convolution, optional squeeze-and-excitation
// and a 1×1 projection without activation, all in Block; the input is
// added back when stride is 1 and the channel count is kept.
type InvertedResidual struct {
	layers.Base
	Block    *layers.Sequential
	Residual bool
}

// Forward computes Block(x) [+ x].
func (b *InvertedResidual) Forward(x *autograd.Tensor) *autograd.Tensor {
	out := b.Block.Forward(x)
	if b.Residual {
		out = addResidual(out, x, x)
	}
	return out
}

// zeroInitLast zeroes the γ of the projection's batch norm when the block
// adds its input back (timm's zero_init_last); without the skip, a zero γ
// would cut the signal, so the block keeps γ = 1.
func (b *InvertedResidual) zeroInitLast() {
	if b.Residual {
		layers.Zeros(lastBatchNorm(b.Block).Weight)
	}
}

// lastBatchNorm returns the last BatchNorm2d in m, in module order: the
// projection's in an inverted-residual block.
func lastBatchNorm(m layers.Module) *layers.BatchNorm2d {
	var last *layers.BatchNorm2d
	for _, nm := range layers.Modules(m) {
		if bn, ok := nm.Module.(*layers.BatchNorm2d); ok {
			last = bn
		}
	}
	return last
}

func (b *InvertedResidual) trace(t *tracer, name string, in value) value {
	first := len(t.rows)
	x := t.module(name+".block", b.Block, in)
	if !b.Residual {
		t.block(name, "InvertedResidual", first, nil)
		return x
	}
	return t.residual(name, "InvertedResidual", first, x, in, nil, nil)
}

// MBConv is torchvision's EfficientNet block: InvertedResidual's layout
// with SiLU and squeeze-and-excitation in every block, and stochastic depth
// on the residual branch before the input is added back.
type MBConv struct {
	layers.Base
	Block           *layers.Sequential
	StochasticDepth *layers.StochasticDepth
	Residual        bool
}

// Forward computes StochasticDepth(Block(x)) + x, or Block(x) without a
// residual.
func (b *MBConv) Forward(x *autograd.Tensor) *autograd.Tensor {
	out := b.Block.Forward(x)
	if b.Residual {
		out = addResidual(layers.Step(b.StochasticDepth, out, x), x, x)
	}
	return out
}

// zeroInitLast zeroes the γ of the projection's batch norm when the block
// adds its input back, as InvertedResidual's does.
func (b *MBConv) zeroInitLast() {
	if b.Residual {
		layers.Zeros(lastBatchNorm(b.Block).Weight)
	}
}

func (b *MBConv) trace(t *tracer, name string, in value) value {
	first := len(t.rows)
	x := t.module(name+".block", b.Block, in)
	if !b.Residual {
		t.block(name, "MBConv", first, nil)
		return x
	}
	x = t.module(name+".stochastic_depth", b.StochasticDepth, x)
	return t.residual(name, "MBConv", first, x, in, nil, nil)
}

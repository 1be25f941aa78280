package zoo

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gocnn/gocnn/kernels"
	"github.com/gocnn/gocnn/layers"
)

// Summaries: a model's layers with their output shapes, parameters, MACs and
// activation memory, computed by a symbolic pass over the module tree (each
// layer's output shape from its input shape and options), so a 224×224
// summary of VGG-16 costs microseconds and no tensor is allocated.
//
// Counting conventions, one image at a time:
//   - MACs are multiply-accumulates of convolutions and Linear layers only:
//     out_elements · (in_channels/groups) · kh · kw for a convolution and
//     in · out for a Linear (biases, batch norm, activations, pooling and
//     additions are not counted), as torchvision's "GFLOPS" column, which
//     is in fact a MAC count. FLOPs are 2 × MACs everywhere in gocnn.
//   - A layer's activation bytes are its output's float32 size; layers that
//     return their input or a view of it at inference (Flatten, Identity,
//     Dropout, StochasticDepth) count 0. The total is the memory the forward
//     pass's outputs take, what training keeps for backward.
//   - Weight bytes are 4 per parameter (float32); buffers are not counted.

// Summary describes a model at one input size. It is plain data: it
// serialises to JSON, and Layers with their Inputs form the model's
// data-flow graph (skip connections included), so a dashboard can draw it
// without running the model.
type Summary struct {
	Model   string  `json:"model"`
	Options Options `json:"options"`
	// Input is the shape of one input image, (3, H, W).
	Input  []int   `json:"input"`
	Layers []Layer `json:"layers"`
	Blocks []Block `json:"blocks"`
	Stages []Stage `json:"stages"`

	Params          int64 `json:"params"`
	TrainableParams int64 `json:"trainable_params"`
	MACs            int64 `json:"macs"`
	FLOPs           int64 `json:"flops"`
	WeightBytes     int64 `json:"weight_bytes"`
	ActivationBytes int64 `json:"activation_bytes"`
}

// Layer is one step of the forward pass: a module applied to an input, or
// an addition or multiplication that joins two branches.
type Layer struct {
	// Name is the module's dotted name; a join (Type "Add" or "Mul") has
	// the name of the block it closes. A module applied several times
	// (ResNet's relu) appears once per use.
	Name string `json:"name"`
	Type string `json:"type"`
	// Detail gives the options that matter: kernel, stride, groups, ….
	Detail string `json:"detail,omitempty"`
	// Inputs are the indices in Summary.Layers of the layers whose
	// outputs this one reads; -1 is the input image.
	Inputs []int `json:"inputs"`
	// Output is the shape of the output for one image: (C, H, W) or (F).
	Output          []int  `json:"output"`
	Params          int64  `json:"params"`
	MACs            int64  `json:"macs"`
	ActivationBytes int64  `json:"activation_bytes"`
	Stage           string `json:"stage"`
}

// Block groups consecutive layers that form one architectural block.
type Block struct {
	Name string `json:"name"`
	// Type is the block's module type: BasicBlock, Bottleneck,
	// InvertedResidual, MBConv or SqueezeExcitation.
	Type string `json:"type"`
	// First and Last are the indices of its first and last layers.
	First int `json:"first"`
	Last  int `json:"last"`
	// Skip is the block's skip connection, nil if it has none.
	Skip *Skip `json:"skip,omitempty"`
}

// Skip is a skip connection: the output of layer From (-1: the input
// image) joins the main branch at layer Join (an Add). When the shortcut is
// projected (ResNet's downsample), Projection holds the indices of its
// first and last layers.
type Skip struct {
	From       int     `json:"from"`
	Join       int     `json:"join"`
	Projection *[2]int `json:"projection,omitempty"`
}

// Summarize describes m at inputSize×inputSize (0 means the model's
// InputSize). It returns an error when a layer's output would be empty
// (the input is too small for the architecture).
func Summarize(m *Model, inputSize int) (*Summary, error) {
	if inputSize == 0 {
		inputSize = m.Options.InputSize
	}
	if inputSize < 1 {
		return nil, fmt.Errorf("summary of %s: input size %d", m.Arch, inputSize)
	}
	t := &tracer{}
	x := value{shape: []int{3, inputSize, inputSize}, from: -1}
	for _, c := range m.backbone {
		x = t.module(c.Name, c.Module, x)
	}
	x = t.module("avgpool", m.pool, x)
	x = t.leaf("flatten", "Flatten", "", []int{numel(x.shape)}, 0, 0, true, x)
	t.module(m.headName, m.head, x)
	if t.err != nil {
		return nil, fmt.Errorf("summary of %s at %d×%d: %w", m.Arch, inputSize, inputSize, t.err)
	}

	s := &Summary{Model: m.Arch, Options: m.Options, Input: []int{3, inputSize, inputSize}, Layers: t.rows, Blocks: t.blocks, Stages: m.Stages()}
	s.Options.InputSize = inputSize
	head := s.Stages[len(s.Stages)-1].Name
	for i := range s.Layers {
		l := &s.Layers[i]
		l.Stage = stageOf(s.Stages, l.Name)
		if l.Type == "Flatten" && l.Stage == "" {
			l.Stage = head // the flatten between the pooling and the head
		}
		s.MACs += l.MACs
		s.ActivationBytes += l.ActivationBytes
	}
	for _, p := range layers.Parameters(m) {
		n := int64(p.Tensor.Numel())
		s.Params += n
		if p.Tensor.RequiresGrad() {
			s.TrainableParams += n
		}
	}
	s.FLOPs = 2 * s.MACs
	s.WeightBytes = 4 * s.Params
	return s, nil
}

// stageOf returns the stage a layer belongs to: the one with a module that
// is the layer or contains it.
func stageOf(stages []Stage, name string) string {
	for _, s := range stages {
		for _, p := range s.Modules {
			if name == p || strings.HasPrefix(name, p+".") {
				return s.Name
			}
		}
	}
	return ""
}

// value is what flows through the symbolic pass: the shape of one image's
// tensor and the index of the layer that produced it (-1: the input).
type value struct {
	shape []int
	from  int
}

// tracer collects layers and blocks; the first error stops the pass.
type tracer struct {
	rows   []Layer
	blocks []Block
	err    error
}

// traceable is a zoo block that describes its own data flow.
type traceable interface {
	trace(t *tracer, name string, in value) value
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// leaf appends a layer reading ins and returns its output.
func (t *tracer) leaf(name, typ, detail string, out []int, params, macs int64, view bool, ins ...value) value {
	if t.err == nil {
		for _, d := range out {
			if d < 1 {
				t.err = fmt.Errorf("%s (%s) would have an empty output %v", name, typ, out)
			}
		}
	}
	l := Layer{Name: name, Type: typ, Detail: detail, Output: out, Params: params, MACs: macs}
	for _, in := range ins {
		l.Inputs = append(l.Inputs, in.from)
	}
	if !view {
		l.ActivationBytes = 4 * int64(numel(out))
	}
	t.rows = append(t.rows, l)
	return value{shape: out, from: len(t.rows) - 1}
}

func (t *tracer) fail(format string, args ...any) value {
	if t.err == nil {
		t.err = fmt.Errorf(format, args...)
	}
	return value{shape: []int{1}, from: len(t.rows) - 1}
}

// block records a block whose layers start at index first.
func (t *tracer) block(name, typ string, first int, skip *Skip) {
	t.blocks = append(t.blocks, Block{Name: name, Type: typ, First: first, Last: len(t.rows) - 1, Skip: skip})
}

// residual closes a block whose main branch ends in branch: the shortcut
// (projected by ds unless nil) is added to it and, when post is not nil,
// the sum goes through that activation.
func (t *tracer) residual(name, typ string, first int, branch, in value, ds *layers.Sequential, post *layers.Activation) value {
	skip := &Skip{From: in.from}
	short := in
	if ds != nil {
		start := len(t.rows)
		short = t.module(name+".downsample", ds, in)
		skip.Projection = &[2]int{start, len(t.rows) - 1}
	}
	if !slices.Equal(branch.shape, short.shape) {
		return t.fail("%s: branch %v and shortcut %v cannot be added", name, branch.shape, short.shape)
	}
	out := t.leaf(name, "Add", "", branch.shape, 0, 0, false, branch, short)
	skip.Join = out.from
	if post != nil {
		out = t.module(name+".relu", post, out)
	}
	t.block(name, typ, first, skip)
	return out
}

// module traces m, named name, applied to in.
func (t *tracer) module(name string, m layers.Module, in value) value {
	if t.err != nil {
		return in
	}
	switch l := m.(type) {
	case traceable:
		return l.trace(t, name, in)
	case *layers.Sequential:
		for _, c := range layers.Children(l) {
			in = t.module(name+"."+c.Name, c.Module, in)
		}
		return in
	case *layers.SqueezeExcitation:
		first := len(t.rows)
		s := t.module(name+".avgpool", l.AvgPool, in)
		s = t.module(name+".fc1", l.FC1, s)
		s = t.module(name+".activation", l.Activation, s)
		s = t.module(name+".fc2", l.FC2, s)
		s = t.module(name+".scale_activation", l.ScaleActivation, s)
		if len(s.shape) != 3 || s.shape[0] != in.shape[0] {
			return t.fail("%s: scale %v does not fit input %v", name, s.shape, in.shape)
		}
		out := t.leaf(name, "Mul", "", in.shape, 0, 0, false, in, s)
		t.block(name, "SqueezeExcitation", first, nil)
		return out
	case *layers.Conv2d:
		return t.conv(name, l, in)
	case *layers.BatchNorm2d:
		if len(in.shape) != 3 || in.shape[0] != l.Weight.Numel() {
			return t.fail("%s: BatchNorm2d over %d channels cannot take %v", name, l.Weight.Numel(), in.shape)
		}
		return t.leaf(name, "BatchNorm2d", fmt.Sprintf("eps %g", l.Eps), in.shape, paramCount(l), 0, false, in)
	case *layers.Activation:
		return t.leaf(name, l.Fn.String(), "", in.shape, 0, 0, false, in)
	case *layers.MaxPool2d:
		return t.pool(name, "MaxPool2d", l.Spec.Kernel, l.Spec.Stride, l.Spec.Padding, l.Spec.CeilMode, in)
	case *layers.AvgPool2d:
		return t.pool(name, "AvgPool2d", l.Spec.Kernel, l.Spec.Stride, l.Spec.Padding, l.Spec.CeilMode, in)
	case *layers.AdaptiveAvgPool2d:
		if len(in.shape) != 3 {
			return t.fail("%s: AdaptiveAvgPool2d cannot take %v", name, in.shape)
		}
		return t.leaf(name, "AdaptiveAvgPool2d", fmt.Sprintf("to %d×%d", l.OutH, l.OutW), []int{in.shape[0], l.OutH, l.OutW}, 0, 0, false, in)
	case *layers.Flatten:
		return t.leaf(name, "Flatten", "", []int{numel(in.shape)}, 0, 0, true, in)
	case *layers.Linear:
		inF, outF := l.Weight.Dim(1), l.Weight.Dim(0)
		if len(in.shape) != 1 || in.shape[0] != inF {
			return t.fail("%s: Linear(%d, %d) cannot take %v", name, inF, outF, in.shape)
		}
		return t.leaf(name, "Linear", fmt.Sprintf("%d→%d", inF, outF), []int{outF}, paramCount(l), int64(inF)*int64(outF), false, in)
	case *layers.Dropout:
		return t.leaf(name, "Dropout", fmt.Sprintf("p %g", l.P), in.shape, 0, 0, true, in)
	case *layers.StochasticDepth:
		return t.leaf(name, "StochasticDepth", fmt.Sprintf("p %.4g", l.P), in.shape, 0, 0, true, in)
	case *layers.Identity:
		return t.leaf(name, "Identity", "", in.shape, 0, 0, true, in)
	}
	return t.fail("%s: no shape rule for a %T", name, m)
}

func paramCount(m layers.Module) int64 {
	var n int64
	for _, p := range layers.Parameters(m) {
		n += int64(p.Tensor.Numel())
	}
	return n
}

func (t *tracer) conv(name string, l *layers.Conv2d, in value) value {
	k, cPerGroup, r, s := l.Weight.Dim(0), l.Weight.Dim(1), l.Weight.Dim(2), l.Weight.Dim(3)
	groups := max(l.Spec.Groups, 1)
	if len(in.shape) != 3 || in.shape[0] != cPerGroup*groups {
		return t.fail("%s: Conv2d with weight %v and %d groups cannot take %v", name, l.Weight.Shape(), groups, in.shape)
	}
	orOne := func(v int) int { return max(v, 1) }
	p := kernels.ConvParams{
		N: 1, C: in.shape[0], H: in.shape[1], W: in.shape[2], K: k, R: r, S: s,
		StrideH: orOne(l.Spec.Stride[0]), StrideW: orOne(l.Spec.Stride[1]),
		PadH: l.Spec.Padding[0], PadW: l.Spec.Padding[1],
		DilH: orOne(l.Spec.Dilation[0]), DilW: orOne(l.Spec.Dilation[1]),
		Groups: groups,
	}
	out := []int{k, p.OutH(), p.OutW()}
	macs := int64(numel(out)) * int64(cPerGroup*r*s)
	detail := fmt.Sprintf("%d×%d", r, s)
	if p.StrideH > 1 {
		detail += fmt.Sprintf(" s%d", p.StrideH)
	}
	if groups > 1 {
		detail += fmt.Sprintf(" g%d", groups)
	}
	return t.leaf(name, "Conv2d", detail, out, paramCount(l), macs, false, in)
}

func (t *tracer) pool(name, typ string, kernel, stride, pad [2]int, ceil bool, in value) value {
	if len(in.shape) != 3 {
		return t.fail("%s: %s cannot take %v", name, typ, in.shape)
	}
	p := kernels.PoolParams{
		N: 1, C: in.shape[0], H: in.shape[1], W: in.shape[2],
		KH: kernel[0], KW: kernel[1], StrideH: stride[0], StrideW: stride[1],
		PadH: pad[0], PadW: pad[1], CeilMode: ceil,
	}
	detail := fmt.Sprintf("%d×%d s%d", kernel[0], kernel[1], stride[0])
	return t.leaf(name, typ, detail, []int{in.shape[0], p.OutH(), p.OutW()}, 0, 0, false, in)
}

// WriteTable prints the summary as a table of layers followed by the
// totals.
func (s *Summary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "layer\ttype\tdetail\toutput\tparams\tMACs\tactivations\t\n")
	for _, l := range s.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Name, l.Type, l.Detail, shapeString(l.Output),
			thousands(l.Params), thousands(l.MACs), bytesString(l.ActivationBytes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `%s at %s (one image)
  parameters   %s (trainable %s)
  MACs         %.4f G   (torchvision's "GFLOPS" column counts these)
  FLOPs        %.4f G   (2 × MACs)
  weights      %.2f MB  (float32)
  activations  %.2f MB  (forward outputs)
`, s.Model, shapeString(s.Input), thousands(s.Params), thousands(s.TrainableParams),
		float64(s.MACs)/1e9, float64(s.FLOPs)/1e9, float64(s.WeightBytes)/1e6, float64(s.ActivationBytes)/1e6)
	return err
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

// thousands writes n with comma separators: 25,557,032.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func bytesString(n int64) string {
	switch {
	case n == 0:
		return "0"
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%.2f MB", float64(n)/1e6)
}

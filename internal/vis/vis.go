// Package vis computes the pictures of what a trained zoo model does with
// a few test images, for the dashboard (package report): the activation
// maps of a handful of layers (early, middle, late) and Grad-CAM heatmaps
// of the predicted class. cmd/train calls Write at the end of training;
// cmd/report calls Recompute to make them again from a run directory's
// saved weights and stored test images.
//
// Layers. A zoo model is a backbone of top-level modules (ResNet's conv1 …
// layer4, the Sequential "features" of the others), an "avgpool" and a head,
// and it is cut into stages whose modules are top-level modules or children
// of a top-level Sequential ("features.4"). Forward here runs the backbone
// module by module, descending into a top-level Sequential when stages
// name its children — the same computation as Model.Forward, since a
// Sequential only applies its children in turn — and takes a copy of the
// activation at the end of every stage. The layers shown are stage outputs
// spread evenly from the first to the last backbone stage.
//
// Grad-CAM (Selvaraju et al., 2017). For image i with predicted class c and
// the activation A (K, H, W) of a chosen layer:
//
//	α_k  = mean over (h, w) of ∂y_c / ∂A[k, h, w]
//	cam  = ReLU(Σ_k α_k A[k]),  divided by its maximum (0 if that is 0)
//
// (pytorch-grad-cam subtracts the minimum before dividing; the maps differ
// only where cam is positive everywhere.)
//
// The gradient comes from autograd: the part of the network before the
// layer runs without recording; its output becomes a leaf tensor that
// requires a gradient, the rest of the network runs from that leaf, and
// Backward starts from Σ_i logits[i, c_i] (in evaluation mode the images do
// not interact, so one pass gives every image its own gradient). The
// model's parameters are switched to not requiring gradients for the pass
// and restored afterwards. The layer is the last stage output whose maps
// are at least 4×4 (the last backbone stage at 224×224; an earlier one at
// 32×32, where the last maps are 1×1 and a heatmap would be flat).
package vis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
	"github.com/gocnn/gocnn/report"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// Options says how much to compute.
type Options struct {
	Samples  int // test images; 0 means 6
	Layers   int // layers shown; 0 means 4
	Channels int // channel maps per layer grid; 0 means 32
}

func (o Options) withDefaults() Options {
	if o.Samples <= 0 {
		o.Samples = 6
	}
	if o.Layers <= 0 {
		o.Layers = 4
	}
	if o.Channels <= 0 {
		o.Channels = 32
	}
	return o
}

// camMinSide is the smallest map side Grad-CAM is computed on when a
// larger-than-1 choice exists.
const camMinSide = 4

// stageOutput is the activation at the end of one backbone stage.
type stageOutput struct {
	stage, module string // stage name, and its last module's dotted name
	shape         []int  // (N, C, H, W)
	data          []float32
}

// step is one module of the flattened backbone.
type step struct {
	name   string
	module layers.Module
	ends   string // the stage this module ends, "" if none
}

// backboneSteps flattens m's backbone into the modules that Forward runs
// in turn, descending into a top-level Sequential whose children the
// stages name.
func backboneSteps(m *zoo.Model) ([]step, error) {
	ends := map[string]string{}
	for _, s := range m.Stages() {
		if s.Name == "head" || len(s.Modules) == 0 {
			continue
		}
		ends[s.Modules[len(s.Modules)-1]] = s.Name
	}
	var steps []step
	for _, c := range layers.Children(m) {
		if c.Name == "avgpool" {
			break
		}
		split := false
		for p := range ends {
			split = split || strings.HasPrefix(p, c.Name+".")
		}
		if !split {
			steps = append(steps, step{c.Name, c.Module, ends[c.Name]})
			continue
		}
		if _, ok := c.Module.(*layers.Sequential); !ok {
			return nil, fmt.Errorf("vis: %s: stages split %s, a %T, which is not a Sequential", m.Arch, c.Name, c.Module)
		}
		for _, cc := range layers.Children(c.Module) {
			name := c.Name + "." + cc.Name
			steps = append(steps, step{name, cc.Module, ends[name]})
		}
	}
	found := 0
	for _, s := range steps {
		if s.ends != "" {
			found++
		}
	}
	if found != len(ends) {
		return nil, fmt.Errorf("vis: %s: found the ends of %d of its %d backbone stages", m.Arch, found, len(ends))
	}
	return steps, nil
}

// forward runs the model on x in evaluation mode and returns the logits'
// values and every stage output. When camStage is not "", the activation
// at the end of that stage becomes a leaf requiring a gradient, the rest
// runs recording, and Backward from Σ_i logits[i, target(logits_i)] leaves
// the gradient on the returned leaf.
func forward(m *zoo.Model, steps []step, x *autograd.Tensor, camStage string, target func(row []float32) int) ([]float32, []stageOutput, *autograd.Tensor) {
	var outs []stageOutput
	var leaf *autograd.Tensor
	h := autograd.NoGrad(x)
	for _, s := range steps {
		h = s.module.Forward(h)
		if s.ends == "" {
			continue
		}
		outs = append(outs, stageOutput{stage: s.ends, module: s.name, shape: slices.Clone(h.Shape()), data: slices.Clone(h.Data())})
		if s.ends == camStage {
			leaf = autograd.New(slices.Clone(h.Data()), h.Shape()...).SetRequiresGrad(true)
			h = leaf
		}
	}
	logits := m.ForwardHead(h)
	values := slices.Clone(logits.Data())
	if leaf != nil {
		n, k := logits.Dim(0), logits.Dim(1)
		mask := make([]float32, n*k)
		for i := range n {
			mask[i*k+target(values[i*k:(i+1)*k])] = 1
		}
		autograd.Sum(autograd.Mul(logits, autograd.New(mask, n, k))).Backward()
	}
	return values, outs, leaf
}

// Compute makes the visuals of m on the probe images. weights names the
// weights file m holds, relative to the run directory, for the record. The
// model is left in the training mode and with the requires-grad flags it
// had.
func Compute(m *zoo.Model, p *Probes, weights string, o Options) (*report.Visuals, error) {
	o = o.withDefaults()
	steps, err := backboneSteps(m)
	if err != nil {
		return nil, err
	}
	if p.Input.Dim(1) != 3 {
		return nil, fmt.Errorf("vis: probe images of shape %v; the zoo's models take 3 channels", p.Input.Shape())
	}
	if len(p.Classes) != m.Options.Classes {
		return nil, fmt.Errorf("vis: %s has %d outputs but the probe images come with %d classes", m.Arch, m.Options.Classes, len(p.Classes))
	}
	training := m.Training()
	params := layers.Parameters(m)
	wanted := make([]bool, len(params))
	for i, nt := range params {
		wanted[i] = nt.Tensor.RequiresGrad()
		nt.Tensor.SetRequiresGrad(false)
	}
	layers.SetTraining(m, false)
	defer func() {
		for i, nt := range params {
			nt.Tensor.SetRequiresGrad(wanted[i])
		}
		layers.SetTraining(m, training)
	}()

	// A first pass without recording finds the stage shapes, for the
	// choice of the Grad-CAM layer.
	_, outs, _ := forward(m, steps, p.Input, "", nil)
	if len(outs) == 0 {
		return nil, fmt.Errorf("vis: %s has no backbone stages", m.Arch)
	}
	cam := camStage(outs)
	logits, outs, leaf := forward(m, steps, p.Input, outs[cam].stage, train.Argmax)

	n, c, h, w := p.Input.Dim(0), p.Input.Dim(1), p.Input.Dim(2), p.Input.Dim(3)
	v := &report.Visuals{Model: m.Arch, Weights: weights, Input: []int{c, h, w}}
	k := m.Options.Classes
	for i := range n {
		row := logits[i*k : (i+1)*k]
		pred := train.Argmax(row)
		x := p.Input.Data()[i*c*h*w : (i+1)*c*h*w]
		v.Samples = append(v.Samples, report.Sample{Index: p.Indices[i], Name: p.Names[i], Label: p.Classes[p.Labels[i]],
			Predicted: p.Classes[pred], Confidence: softmaxAt(row, pred), Image: report.EncodePNG(report.InputImage(x, c, h, w))})
	}
	for _, i := range spread(len(outs), o.Layers) {
		s := outs[i]
		if len(s.shape) != 4 {
			return nil, fmt.Errorf("vis: %s: stage %s gives %v, not feature maps", m.Arch, s.stage, s.shape)
		}
		grids, channels, cols := report.FeatureGrids(s.data, s.shape[0], s.shape[1], s.shape[2], s.shape[3], o.Channels)
		v.Layers = append(v.Layers, report.LayerMaps{Name: s.module, Stage: s.stage, Position: position(i, len(outs)),
			Shape: s.shape[1:], Channels: channels, Cols: cols, Grids: grids})
	}
	s := outs[cam]
	g := &report.GradCAM{Layer: s.module, Shape: s.shape[1:]}
	for i := range n {
		x := p.Input.Data()[i*c*h*w : (i+1)*c*h*w]
		size := s.shape[1] * s.shape[2] * s.shape[3]
		heat := GradCAM(s.data[i*size:(i+1)*size], leaf.Grad()[i*size:(i+1)*size], s.shape[1], s.shape[2]*s.shape[3])
		overlay, alone := report.CAMOverlay(report.InputImage(x, c, h, w), heat, s.shape[2], s.shape[3])
		g.Overlays = append(g.Overlays, report.EncodePNG(overlay))
		g.Heatmaps = append(g.Heatmaps, report.EncodePNG(alone))
	}
	v.GradCAM = g
	return v, nil
}

// camStage returns the index of the last stage output whose maps are at
// least camMinSide on each side, or else of the one with the largest maps
// (the earliest of those).
func camStage(outs []stageOutput) int {
	side := func(s stageOutput) int { return min(s.shape[2], s.shape[3]) }
	for i := len(outs) - 1; i >= 0; i-- {
		if side(outs[i]) >= camMinSide {
			return i
		}
	}
	largest := 0
	for i, s := range outs {
		if side(s) > side(outs[largest]) {
			largest = i
		}
	}
	return largest
}

// GradCAM computes a Grad-CAM map from one image's activation a and its
// gradient g, both (channels, pixels): ReLU(Σ_k mean(g_k)·a_k), divided by
// its maximum (all zeros when the maximum is not positive).
func GradCAM(a, g []float32, channels, pixels int) []float32 {
	if len(a) != channels*pixels || len(g) != len(a) {
		panic(fmt.Sprintf("vis.GradCAM: activation %d and gradient %d values for %d channels of %d pixels", len(a), len(g), channels, pixels))
	}
	cam := make([]float64, pixels)
	for k := range channels {
		var alpha float64
		for _, v := range g[k*pixels : (k+1)*pixels] {
			alpha += float64(v)
		}
		alpha /= float64(pixels)
		for j, v := range a[k*pixels : (k+1)*pixels] {
			cam[j] += alpha * float64(v)
		}
	}
	top := 0.0
	for j := range cam {
		cam[j] = max(cam[j], 0)
		top = max(top, cam[j])
	}
	out := make([]float32, pixels)
	if top > 0 {
		for j, v := range cam {
			out[j] = float32(v / top)
		}
	}
	return out
}

// spread picks k of n indices evenly from the first to the last (all of
// them when n ≤ k, the last alone when k is 1).
func spread(n, k int) []int {
	if k == 1 && n > 1 {
		return []int{n - 1}
	}
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, k)
	for i := range k {
		j := int(math.Round(float64(i) * float64(n-1) / float64(k-1)))
		if len(out) == 0 || out[len(out)-1] != j {
			out = append(out, j)
		}
	}
	return out
}

// position names where stage output i of n lies: the first third early,
// the last third late.
func position(i, n int) string {
	if n <= 1 {
		return "late"
	}
	switch f := float64(i) / float64(n-1); {
	case f < 1.0/3:
		return "early"
	case f <= 2.0/3:
		return "middle"
	}
	return "late"
}

// softmaxAt returns softmax(row)[j].
func softmaxAt(row []float32, j int) float64 {
	top := float64(row[train.Argmax(row)])
	sum := 0.0
	for _, v := range row {
		sum += math.Exp(float64(v) - top)
	}
	return math.Exp(float64(row[j])-top) / sum
}

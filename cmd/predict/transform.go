package main

// Which transform an image goes through, and rebuilding the one recorded
// with the weights.
//
// A preset (resize, centre crop, normalise) cannot say everything an
// evaluation pipeline does: cmd/train evaluates MNIST digits padded from
// 28×28 to 32×32 and replicated to three channels, and stores the preset
// nearest to that (a resize to 32×32) beside the exact pipeline, which it
// records under the metadata key gocnn.eval_transform in the form the
// dataset package's String methods write:
//
//	Compose(Pad(2), Grayscale(3), ToTensor(), Normalize(mean=[0.1307 0.1307 0.1307], std=[0.3081 0.3081 0.3081]))
//
// Resizing a digit instead of padding it changes the predictions (on 200
// test digits of one run, 91.0% correct instead of the 94.5% the run
// measured), so predict rebuilds the recorded pipeline. parseTransform reads
// the deterministic steps an evaluation pipeline is made of (Compose,
// Resize, CenterCrop, Pad, Grayscale, ToTensor, Normalize) and checks that
// they chain: 8-bit steps before ToTensor, Normalize after it with one mean
// per channel, three channels at the end (decoded images are RGB). A
// pipeline it cannot rebuild (a random step, a step it does not know, a
// damaged string) is an error, and the caller falls back to the preset with
// a warning.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/train"
	"github.com/gocnn/gocnn/zoo"
)

// maxSide bounds every size a recorded pipeline may give (a resize, a
// crop, a padding): the side of the largest square image the decoder
// accepts (dataset.DefaultMaxPixels). A larger value comes from a damaged
// or hostile file and would allocate gigabytes per image.
const maxSide = 8192

// parseTransform rebuilds an evaluation pipeline from its String form.
// Errors say which step is wrong and why.
func parseTransform(s string) (dataset.Transform, error) {
	steps, err := parseStep(s)
	if err != nil {
		return nil, err
	}
	// Follow the value through the steps: an 8-bit image of 3 channels
	// (Decode gives RGB) until ToTensor, a float tensor after it.
	channels, isFloat := 3, false
	for _, st := range steps {
		switch st.name {
		case "ToTensor":
			isFloat = true
		case "Normalize":
			if !isFloat {
				return nil, errors.New("Normalize before ToTensor: it needs a float tensor")
			}
			if st.channels != channels {
				return nil, fmt.Errorf("Normalize has %d channel means for a %d-channel image", st.channels, channels)
			}
		default:
			if isFloat {
				return nil, fmt.Errorf("%s after ToTensor: it needs an 8-bit image", st.name)
			}
			if st.name == "Grayscale" {
				channels = st.channels
			}
		}
	}
	switch {
	case !isFloat:
		return nil, errors.New("no ToTensor: the pipeline gives an 8-bit image, not a tensor")
	case channels != 3:
		return nil, fmt.Errorf("the pipeline gives %d-channel tensors; the models take 3", channels)
	}
	ts := make([]dataset.Transform, len(steps))
	for i, st := range steps {
		ts[i] = st.tf
	}
	return dataset.Compose(ts...), nil
}

// step is one parsed step: its name, the transform, and for Grayscale and
// Normalize the channel count it gives or expects.
type step struct {
	name     string
	tf       dataset.Transform
	channels int
}

// parseStep parses one step; a Compose gives its steps, flattened.
func parseStep(s string) ([]step, error) {
	name, args, err := call(s)
	if err != nil {
		return nil, err
	}
	nargs := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s takes %d arguments, %q has %d", name, n, s, len(args))
		}
		return nil
	}
	switch name {
	case "Compose":
		var steps []step
		for _, a := range args {
			sub, err := parseStep(a)
			if err != nil {
				return nil, err
			}
			steps = append(steps, sub...)
		}
		return steps, nil
	case "ToTensor":
		if err := nargs(0); err != nil {
			return nil, err
		}
		return []step{{name: name, tf: dataset.ToTensor()}}, nil
	case "Pad":
		if err := nargs(1); err != nil {
			return nil, err
		}
		p, err := size(name, args[0], 0)
		if err != nil {
			return nil, err
		}
		return []step{{name: name, tf: train.Pad(p)}}, nil
	case "Grayscale":
		if err := nargs(1); err != nil {
			return nil, err
		}
		c, err := strconv.Atoi(strings.TrimSpace(args[0]))
		if err != nil || (c != 1 && c != 3) {
			return nil, fmt.Errorf("%s: %q channels, want 1 or 3", name, args[0])
		}
		return []step{{name: name, tf: dataset.Grayscale(c), channels: c}}, nil
	case "CenterCrop":
		if err := nargs(2); err != nil {
			return nil, err
		}
		h, err := size(name, args[0], 1)
		if err != nil {
			return nil, err
		}
		w, err := size(name, args[1], 1)
		if err != nil {
			return nil, err
		}
		return []step{{name: name, tf: dataset.CenterCrop(h, w)}}, nil
	case "Resize":
		return parseResize(s, args)
	case "Normalize":
		if err := nargs(2); err != nil {
			return nil, err
		}
		mean, err := floats(name, "mean", args[0])
		if err != nil {
			return nil, err
		}
		std, err := floats(name, "std", args[1])
		if err != nil {
			return nil, err
		}
		if len(mean) != len(std) {
			return nil, fmt.Errorf("%s: %d means and %d standard deviations", name, len(mean), len(std))
		}
		for _, v := range std {
			if v == 0 {
				return nil, fmt.Errorf("%s: a standard deviation is zero", name)
			}
		}
		return []step{{name: name, tf: dataset.Normalize(mean, std), channels: len(mean)}}, nil
	}
	if strings.HasPrefix(name, "Random") || name == "ColorJitter" {
		return nil, fmt.Errorf("%s draws at random; an evaluation pipeline must not", name)
	}
	return nil, fmt.Errorf("unknown step %s (predict rebuilds Compose, Resize, CenterCrop, Pad, Grayscale, ToTensor and Normalize)", name)
}

// parseResize parses the two forms of Resize: "Resize(256, bilinear)"
// (shorter side) and "Resize((32, 32), bilinear)" (exact size).
func parseResize(s string, args []string) ([]step, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("Resize takes 2 arguments, %q has %d", s, len(args))
	}
	var ip dataset.Interpolation
	switch strings.TrimSpace(args[1]) {
	case dataset.Bilinear.String():
		ip = dataset.Bilinear
	case dataset.Bicubic.String():
		ip = dataset.Bicubic
	default:
		return nil, fmt.Errorf("Resize: unknown interpolation %q (want bilinear or bicubic)", args[1])
	}
	if hw := strings.TrimSpace(args[0]); strings.HasPrefix(hw, "(") {
		_, dims, err := call(hw)
		if err != nil || len(dims) != 2 {
			return nil, fmt.Errorf("Resize: size %q is not (height, width)", hw)
		}
		h, err := size("Resize", dims[0], 1)
		if err != nil {
			return nil, err
		}
		w, err := size("Resize", dims[1], 1)
		if err != nil {
			return nil, err
		}
		return []step{{name: "Resize", tf: dataset.ResizeTo(h, w, ip)}}, nil
	}
	n, err := size("Resize", args[0], 1)
	if err != nil {
		return nil, err
	}
	return []step{{name: "Resize", tf: dataset.Resize(n, ip)}}, nil
}

// call splits "Name(a, b(c, d), [e f])" into its name and its arguments
// (commas inside brackets do not split); the name may be empty, as in a
// size "(32, 32)".
func call(s string) (name string, args []string, err error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return "", nil, fmt.Errorf("%q is not a step NAME(ARGUMENTS)", s)
	}
	name, inner := s[:open], s[open+1:len(s)-1]
	depth, start := 0, 0
	for i, r := range inner {
		switch r {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, inner[start:i])
				start = i + 1
			}
		}
		if depth < 0 {
			return "", nil, fmt.Errorf("%q has unbalanced brackets", s)
		}
	}
	if depth != 0 {
		return "", nil, fmt.Errorf("%q has unbalanced brackets", s)
	}
	if strings.TrimSpace(inner) != "" {
		args = append(args, inner[start:])
	}
	return name, args, nil
}

// size parses a whole number in [lo, maxSide].
func size(step, s string, lo int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > maxSide {
		return 0, fmt.Errorf("%s: %q is not a size from %d to %d", step, strings.TrimSpace(s), lo, maxSide)
	}
	return n, nil
}

// floats parses "key=[v v v]", float32 values as fmt's %v writes them.
func floats(step, key, s string) ([]float32, error) {
	list, ok := strings.CutPrefix(strings.TrimSpace(s), key+"=[")
	if !ok || !strings.HasSuffix(list, "]") {
		return nil, fmt.Errorf("%s: %q is not %s=[values]", step, strings.TrimSpace(s), key)
	}
	var out []float32
	for _, f := range strings.Fields(strings.TrimSuffix(list, "]")) {
		v, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: %s value %q is not a finite number", step, key, f)
		}
		out = append(out, float32(v))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s values", step, key)
	}
	return out, nil
}

// presetTransform is a preset's torchvision evaluation pipeline: resize,
// centre crop, ToTensor, Normalize.
func presetTransform(p zoo.Preset) dataset.Transform {
	ip := dataset.Bilinear
	if p.Interpolation == "bicubic" {
		ip = dataset.Bicubic
	}
	return dataset.Preset{ResizeSize: p.ResizeSize, CropSize: p.CropSize, Interpolation: ip, Mean: p.Mean, Std: p.Std}.Eval()
}

package dataset

// Rebuilding an evaluation pipeline from its String form.
//
// A preset (resize, centre crop, normalise) cannot say everything an
// evaluation pipeline does: cmd/train evaluates MNIST digits padded from
// 28×28 to 32×32 and replicated to three channels, and stores the preset
// nearest to that (a resize to 32×32) beside the exact pipeline, which it
// records with the weights (zoo.MetaEvalTransform) in the form the String
// methods of this package write:
//
//	Compose(Pad(2), Grayscale(3), ToTensor(), Normalize(mean=[0.1307 0.1307 0.1307], std=[0.3081 0.3081 0.3081]))
//
// Resizing a digit instead of padding it changes the predictions (on 200
// test digits of one run, 91.0% correct instead of the 94.5% the run
// measured), so cmd/predict rebuilds the recorded pipeline.
// ParseEvalTransform reads the deterministic steps an evaluation pipeline is
// made of (Compose, Resize, CenterCrop, Pad, Grayscale, ToTensor, Normalize)
// and checks that they chain: 8-bit steps before ToTensor, Normalize after
// it with one mean per channel, three channels at the end (Decode gives
// RGB, and the models take three channels). A pipeline it cannot rebuild
// (a random step, a step it does not know, a damaged string) is an error
// that says which step is wrong and why.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// maxSide bounds every size a parsed pipeline may give (a resize, a crop,
// a padding): the side of the largest square image Decode accepts
// (DefaultMaxPixels). A larger value comes from a damaged or hostile file
// and would allocate gigabytes per image.
const maxSide = 8192

// ParseEvalTransform rebuilds an evaluation pipeline, RGB image in,
// three-channel float tensor out, from its String form. Errors say which
// step is wrong and why.
func ParseEvalTransform(s string) (Transform, error) {
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
	ts := make([]Transform, len(steps))
	for i, st := range steps {
		ts[i] = st.tf
	}
	return Compose(ts...), nil
}

// parsedStep is one parsed step: its name, the transform, and for Grayscale and
// Normalize the channel count it gives or expects.
type parsedStep struct {
	name     string
	tf       Transform
	channels int
}

// parseStep parses one step; a Compose gives its steps, flattened.
func parseStep(s string) ([]parsedStep, error) {
	name, args, err := splitCall(s)
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
		var steps []parsedStep
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
		return []parsedStep{{name: name, tf: ToTensor()}}, nil
	case "Pad":
		if err := nargs(1); err != nil {
			return nil, err
		}
		p, err := parseSize(name, args[0], 0)
		if err != nil {
			return nil, err
		}
		return []parsedStep{{name: name, tf: Pad(p)}}, nil
	case "Grayscale":
		if err := nargs(1); err != nil {
			return nil, err
		}
		c, err := strconv.Atoi(strings.TrimSpace(args[0]))
		if err != nil || (c != 1 && c != 3) {
			return nil, fmt.Errorf("%s: %q channels, want 1 or 3", name, args[0])
		}
		return []parsedStep{{name: name, tf: Grayscale(c), channels: c}}, nil
	case "CenterCrop":
		if err := nargs(2); err != nil {
			return nil, err
		}
		h, err := parseSize(name, args[0], 1)
		if err != nil {
			return nil, err
		}
		w, err := parseSize(name, args[1], 1)
		if err != nil {
			return nil, err
		}
		return []parsedStep{{name: name, tf: CenterCrop(h, w)}}, nil
	case "Resize":
		return parseResize(s, args)
	case "Normalize":
		if err := nargs(2); err != nil {
			return nil, err
		}
		mean, err := parseFloats(name, "mean", args[0])
		if err != nil {
			return nil, err
		}
		std, err := parseFloats(name, "std", args[1])
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
		return []parsedStep{{name: name, tf: Normalize(mean, std), channels: len(mean)}}, nil
	}
	if strings.HasPrefix(name, "Random") || name == "ColorJitter" {
		return nil, fmt.Errorf("%s draws at random; an evaluation pipeline must not", name)
	}
	return nil, fmt.Errorf("unknown step %s (an evaluation pipeline is made of Compose, Resize, CenterCrop, Pad, Grayscale, ToTensor and Normalize)", name)
}

// parseResize parses the two forms of Resize: "Resize(256, bilinear)"
// (shorter side) and "Resize((32, 32), bilinear)" (exact size).
func parseResize(s string, args []string) ([]parsedStep, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("Resize takes 2 arguments, %q has %d", s, len(args))
	}
	var ip Interpolation
	switch strings.TrimSpace(args[1]) {
	case Bilinear.String():
		ip = Bilinear
	case Bicubic.String():
		ip = Bicubic
	default:
		return nil, fmt.Errorf("Resize: unknown interpolation %q (want bilinear or bicubic)", args[1])
	}
	if hw := strings.TrimSpace(args[0]); strings.HasPrefix(hw, "(") {
		_, dims, err := splitCall(hw)
		if err != nil || len(dims) != 2 {
			return nil, fmt.Errorf("Resize: size %q is not (height, width)", hw)
		}
		h, err := parseSize("Resize", dims[0], 1)
		if err != nil {
			return nil, err
		}
		w, err := parseSize("Resize", dims[1], 1)
		if err != nil {
			return nil, err
		}
		return []parsedStep{{name: "Resize", tf: ResizeTo(h, w, ip)}}, nil
	}
	n, err := parseSize("Resize", args[0], 1)
	if err != nil {
		return nil, err
	}
	return []parsedStep{{name: "Resize", tf: Resize(n, ip)}}, nil
}

// splitCall splits "Name(a, b(c, d), [e f])" into its name and its arguments
// (commas inside brackets do not split); the name may be empty, as in a
// size "(32, 32)".
func splitCall(s string) (name string, args []string, err error) {
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

// parseSize parses a whole number in [lo, maxSide].
func parseSize(op, s string, lo int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > maxSide {
		return 0, fmt.Errorf("%s: %q is not a size from %d to %d", op, strings.TrimSpace(s), lo, maxSide)
	}
	return n, nil
}

// parseFloats parses "key=[v v v]", float32 values as fmt's %v writes them.
func parseFloats(op, key, s string) ([]float32, error) {
	list, ok := strings.CutPrefix(strings.TrimSpace(s), key+"=[")
	if !ok || !strings.HasSuffix(list, "]") {
		return nil, fmt.Errorf("%s: %q is not %s=[values]", op, strings.TrimSpace(s), key)
	}
	var out []float32
	for _, f := range strings.Fields(strings.TrimSuffix(list, "]")) {
		v, err := strconv.ParseFloat(f, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%s: %s value %q is not a finite number", op, key, f)
		}
		out = append(out, float32(v))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s values", op, key)
	}
	return out, nil
}

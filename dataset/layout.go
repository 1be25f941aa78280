package dataset

// Layout helpers: copy a batch between NCHW (PyTorch's layout, gocnn's
// default) and NHWC (channels last). Both return new leaf tensors; they are
// data-preparation helpers, not differentiable ops.

import (
	"fmt"

	"github.com/gocnn/gocnn/autograd"
)

// NCHWToNHWC returns a copy of a 4-D (N, C, H, W) tensor as (N, H, W, C).
func NCHWToNHWC(t *autograd.Tensor) *autograd.Tensor {
	s := t.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("dataset.NCHWToNHWC: want a 4-D tensor, got shape %v", s))
	}
	n, c, h, w := s[0], s[1], s[2], s[3]
	in := t.Data()
	out := make([]float32, len(in))
	plane := h * w
	for b := range n {
		src, dst := in[b*c*plane:(b+1)*c*plane], out[b*c*plane:(b+1)*c*plane]
		for ch := range c {
			for i, v := range src[ch*plane : (ch+1)*plane] {
				dst[i*c+ch] = v
			}
		}
	}
	return autograd.New(out, n, h, w, c)
}

// NHWCToNCHW returns a copy of a 4-D (N, H, W, C) tensor as (N, C, H, W).
func NHWCToNCHW(t *autograd.Tensor) *autograd.Tensor {
	s := t.Shape()
	if len(s) != 4 {
		panic(fmt.Sprintf("dataset.NHWCToNCHW: want a 4-D tensor, got shape %v", s))
	}
	n, h, w, c := s[0], s[1], s[2], s[3]
	in := t.Data()
	out := make([]float32, len(in))
	plane := h * w
	for b := range n {
		src, dst := in[b*c*plane:(b+1)*c*plane], out[b*c*plane:(b+1)*c*plane]
		for i := range plane {
			for ch := range c {
				dst[ch*plane+i] = src[i*c+ch]
			}
		}
	}
	return autograd.New(out, n, c, h, w)
}

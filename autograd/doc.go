// Package autograd is gocnn's reverse-mode automatic differentiation engine.
//
// A Tensor is a shape plus a contiguous float32 slice in row-major (NCHW for
// images) order, like a contiguous PyTorch tensor. Ops such as Conv2d, ReLU or
// CrossEntropy are plain functions: each computes its result with the kernels
// package and, when gradients are wanted, records on the result a small
// closure that knows how to push the result's gradient back to its inputs.
// That record is the graph. Backward, called on a scalar loss, orders the
// recorded ops so that every op runs after all the ops that used its result,
// runs their closures in that order, and accumulates gradients into the leaf
// tensors (the parameters) exactly as PyTorch's loss.backward() does.
//
// An op records only when one of its inputs requires a gradient: parameters
// do, input batches do not, and frozen parameters do not either, so a frozen
// backbone costs no memory for backward. NoGrad marks a tensor for inference:
// nothing that touches it records anything, which makes inference cheap and
// safe to run from many goroutines at once (there is no global mode switch).
//
// Memory: activations are the bulk of a training step. Op results take their
// storage from a size-class free list (buffers.go); Backward hands each
// intermediate result and gradient back to it as soon as no later step of the
// backward pass needs it, and drops the graph. A steady-state training step
// therefore reuses the previous step's memory instead of asking the garbage
// collector for gigabytes.
//
// Writing an op (see ops_linear.go for a short example):
//
//	out := newResult(shape, x, w)          // storage from the pool; records if needed
//	kernels.Something(x.data, w.data, out.data)
//	if out.recording() {
//		out.backward(func() { … += into x.gradBuf() and w.gradBuf() … })
//	}
//	return out
package autograd

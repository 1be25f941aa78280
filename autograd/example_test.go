package autograd_test

import (
	"fmt"

	"github.com/gocnn/gocnn/autograd"
)

// The smallest training-shaped computation: a product, a scalar loss, and the
// gradient Backward leaves in the parameter.
func Example() {
	x := autograd.New([]float32{1, 2, 3, 4}, 2, 2)
	w := autograd.New([]float32{0.5, -1, 2, 0}, 2, 2).SetRequiresGrad(true)
	loss := autograd.Sum(autograd.MatMul(x, w))
	loss.Backward()
	fmt.Println(loss.Item(), w.Grad())
	// Output: 10 [4 4 6 6]
}

// Permute converts between PyTorch's channel-first layout (N, C, H, W) and
// the channel-last layout (N, H, W, C) that TensorFlow uses. It copies: gocnn
// tensors are always contiguous.
func ExamplePermute() {
	// One image, two channels (red, green), 2×2 pixels, channel-first.
	nchw := autograd.New([]float32{
		1, 2, 3, 4, // red plane
		10, 20, 30, 40, // green plane
	}, 1, 2, 2, 2)
	nhwc := autograd.Permute(nchw, 0, 2, 3, 1)
	fmt.Println(nhwc.Shape(), nhwc.Data())
	back := autograd.Permute(nhwc, 0, 3, 1, 2)
	fmt.Println(back.Shape(), back.Data())
	// Output:
	// [1 2 2 2] [1 10 2 20 3 30 4 40]
	// [1 2 2 2] [1 2 3 4 10 20 30 40]
}

package safetensors_test

import (
	"fmt"

	"github.com/gocnn/gocnn/safetensors"
)

// Encode writes tensors and string metadata in the safetensors format (a JSON
// header of names, dtypes, shapes and byte offsets, then the raw little-endian
// data); Parse validates a file and gives the tensors back.
func ExampleEncode() {
	b, err := safetensors.Encode([]safetensors.Tensor{
		safetensors.F32("fc.weight", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}),
		safetensors.F32("fc.bias", []int{2}, []float32{0.5, -0.5}),
	}, map[string]string{"format": "pt"})
	if err != nil {
		panic(err)
	}
	f, err := safetensors.Parse(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Names(), f.Metadata["format"])
	w, shape, err := f.Float32("fc.weight")
	if err != nil {
		panic(err)
	}
	fmt.Println(shape, w)
	// Output:
	// [fc.weight fc.bias] pt
	// [2 3] [1 2 3 4 5 6]
}

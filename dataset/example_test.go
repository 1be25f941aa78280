package dataset_test

import (
	"fmt"

	"github.com/gocnn/gocnn/dataset"
)

// A loader turns a source and a transform into batches: here the embedded
// MNIST sample, converted to tensors and normalised with MNIST's mean and
// standard deviation, in shuffled batches of 8 built by two workers. The
// order and contents depend only on the seed and the epoch, never on the
// number of workers.
func ExampleNewLoader() {
	train, err := dataset.Sample(true)
	if err != nil {
		panic(err)
	}
	tf := dataset.Compose(dataset.ToTensor(), dataset.Normalize([]float32{0.1307}, []float32{0.3081}))
	loader, err := dataset.NewLoader(train, tf, dataset.LoaderOptions{BatchSize: 8, Shuffle: true, Seed: 1, Workers: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(train.Len(), "images,", loader.Len(), "batches per epoch")
	epoch := loader.Epoch(0)
	defer epoch.Close()
	batch, err := epoch.Next()
	if err != nil {
		panic(err)
	}
	fmt.Println("images", batch.Images.Shape())
	fmt.Println("labels", batch.Labels)
	// Output:
	// 10000 images, 1250 batches per epoch
	// images [8 1 28 28]
	// labels [4 1 5 4 2 1 8 5]
}

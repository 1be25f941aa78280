package bench

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocnn/gocnn/kernels"
)

// Per-layer convolution benchmarks: every distinct convolution of
// torchvision's resnet50, mobilenet_v3_large and efficientnet_b0 at 224×224
// (convShapes), at batch 1 and 16, forward, backward-data (input gradient)
// and backward-filter (weight gradient), each reporting GFLOP/s: 2 FLOPs per
// multiply-add of the convolution, the same count for all three passes (and
// GFLOP/cpu-s, see reportConvRates). The count is the direct sum's whatever
// the algorithm, so the layers that kernels.ChooseConvAlgo runs as Winograd
// (fewer multiply-adds) report an effective rate, which can exceed the FMA
// peak.
//
//	go test -run '^$' -bench 'Conv/' ./bench                        every shape
//	go test -run '^$' -bench 'Conv/dw' ./bench                      the depthwise ones
//	go test -run '^$' -bench 'Conv/3x3s1_c64_k64_56/^b1$/' ./bench  one layer, batch 1
//	go test -run '^$' -bench 'Conv/' ./bench -args -conv.threads=1,2
//
// Benchmarks are named <shape>/b<batch>/<pass>/t<threads>, the names
// scripts/bench_torch_conv.py prints for PyTorch on the same shapes. They
// run on the current kernel path (GOCNN_CPU chooses another) with the pool's
// thread count unless -conv.threads lists others.

var convThreadsFlag = flag.String("conv.threads", "", "comma-separated thread counts for BenchmarkConv (default: the worker pool's)")

// convShape is one convolution of the zoo: C input channels of H×H pixels
// into K output channels through an R×R kernel, padding Pad (groups = C
// for the depthwise ones).
type convShape struct {
	name                            string
	c, h, k, r, stride, pad, groups int
}

func (s convShape) params(n int) kernels.ConvParams {
	return kernels.ConvParams{N: n, C: s.c, H: s.h, W: s.h, K: s.k, R: s.r, S: s.r,
		StrideH: s.stride, StrideW: s.stride, PadH: s.pad, PadW: s.pad, DilH: 1, DilW: 1, Groups: s.groups}
}

// flops is 2 per multiply-add of one pass.
func convFlops(p kernels.ConvParams) float64 {
	return 2 * float64(p.N*p.K*p.OutH()*p.OutW()) * float64(p.C/p.Groups*p.R*p.S)
}

// convThreads returns the thread counts to run.
func convThreads(b *testing.B) []int {
	if *convThreadsFlag == "" {
		return []int{kernels.Threads()}
	}
	var ts []int
	for _, f := range strings.Split(*convThreadsFlag, ",") {
		t, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || t < 1 {
			b.Fatalf("-conv.threads=%q: want thread counts like 1,2", *convThreadsFlag)
		}
		ts = append(ts, t)
	}
	return ts
}

// convBuffers holds the operands of one convolution and its scratch space.
type convBuffers struct {
	x, w, y, dy, dx, dw, ws []float32
}

func newConvBuffers(rng *rand.Rand, p kernels.ConvParams) *convBuffers {
	out := p.N * p.K * p.OutH() * p.OutW()
	return &convBuffers{
		x:  convRandom(rng, p.N*p.C*p.H*p.W),
		w:  convRandom(rng, p.K*p.C/p.Groups*p.R*p.S),
		y:  make([]float32, out),
		dy: convRandom(rng, out),
		dx: make([]float32, p.N*p.C*p.H*p.W),
		dw: make([]float32, p.K*p.C/p.Groups*p.R*p.S),
		ws: make([]float32, kernels.ConvWorkspaceSize(p)),
	}
}

func convRandom(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

// convPass is one kernel of a convolution layer, run on a layer's buffers.
type convPass struct {
	name string
	run  func(p kernels.ConvParams, c *convBuffers)
}

// convPasses are the three kernels of a convolution layer.
var convPasses = []convPass{
	{"fwd", func(p kernels.ConvParams, c *convBuffers) { kernels.Conv2dForward(p, c.x, c.w, nil, c.y, c.ws) }},
	{"bwd_data", func(p kernels.ConvParams, c *convBuffers) { kernels.Conv2dBackwardData(p, c.dy, c.w, c.dx, c.ws) }},
	{"bwd_filter", func(p kernels.ConvParams, c *convBuffers) { kernels.Conv2dBackwardFilter(p, c.x, c.dy, c.dw, c.ws) }},
}

func BenchmarkConv(b *testing.B) {
	threads := convThreads(b)
	for _, s := range convShapes {
		for _, n := range []int{1, 16} {
			p := s.params(n)
			var bufs *convBuffers // made when a benchmark of this shape first runs
			for _, pass := range convPasses {
				for _, t := range threads {
					b.Run(fmt.Sprintf("%s/b%d/%s/t%d", s.name, n, pass.name, t), func(b *testing.B) {
						if bufs == nil {
							bufs = newConvBuffers(rand.New(rand.NewPCG(uint64(n), uint64(s.c))), p)
						}
						defer kernels.SetThreads(kernels.SetThreads(t))
						pass.run(p, bufs) // touch every page of the outputs before timing
						cpu := processCPUTime()
						for b.Loop() {
							pass.run(p, bufs)
						}
						reportConvRates(b, convFlops(p), processCPUTime()-cpu)
					})
				}
			}
		}
	}
}

// reportConvRates reports GFLOP/s and, where the CPU time is known,
// GFLOP/cpu-s: FLOPs per second of CPU time of the whole process, which on
// a machine shared with other work is steadier than the wall-clock rate (a
// thread waiting for a core spends no CPU time). With t threads fully busy,
// GFLOP/s ≈ t · GFLOP/cpu-s.
func reportConvRates(b *testing.B, flops float64, cpu time.Duration) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// convShapes lists every distinct convolution of resnet50,
// mobilenet_v3_large and efficientnet_b0 at 224×224 with the first layer
// that has it (and how many more do).
var convShapes = []convShape{
	{"7x7s2_c3_k64_224", 3, 224, 64, 7, 2, 3, 1},         // resnet50.conv1
	{"1x1s1_c64_k64_56", 64, 56, 64, 1, 1, 0, 1},         // resnet50.layer1.0.conv1
	{"3x3s1_c64_k64_56", 64, 56, 64, 3, 1, 1, 1},         // resnet50.layer1.0.conv2 (+2)
	{"1x1s1_c64_k256_56", 64, 56, 256, 1, 1, 0, 1},       // resnet50.layer1.0.conv3 (+3)
	{"1x1s1_c256_k64_56", 256, 56, 64, 1, 1, 0, 1},       // resnet50.layer1.1.conv1 (+1)
	{"1x1s1_c256_k128_56", 256, 56, 128, 1, 1, 0, 1},     // resnet50.layer2.0.conv1
	{"3x3s2_c128_k128_56", 128, 56, 128, 3, 2, 1, 1},     // resnet50.layer2.0.conv2
	{"1x1s1_c128_k512_28", 128, 28, 512, 1, 1, 0, 1},     // resnet50.layer2.0.conv3 (+3)
	{"1x1s2_c256_k512_56", 256, 56, 512, 1, 2, 0, 1},     // resnet50.layer2.0.downsample.0
	{"1x1s1_c512_k128_28", 512, 28, 128, 1, 1, 0, 1},     // resnet50.layer2.1.conv1 (+2)
	{"3x3s1_c128_k128_28", 128, 28, 128, 3, 1, 1, 1},     // resnet50.layer2.1.conv2 (+2)
	{"1x1s1_c512_k256_28", 512, 28, 256, 1, 1, 0, 1},     // resnet50.layer3.0.conv1
	{"3x3s2_c256_k256_28", 256, 28, 256, 3, 2, 1, 1},     // resnet50.layer3.0.conv2
	{"1x1s1_c256_k1024_14", 256, 14, 1024, 1, 1, 0, 1},   // resnet50.layer3.0.conv3 (+5)
	{"1x1s2_c512_k1024_28", 512, 28, 1024, 1, 2, 0, 1},   // resnet50.layer3.0.downsample.0
	{"1x1s1_c1024_k256_14", 1024, 14, 256, 1, 1, 0, 1},   // resnet50.layer3.1.conv1 (+4)
	{"3x3s1_c256_k256_14", 256, 14, 256, 3, 1, 1, 1},     // resnet50.layer3.1.conv2 (+4)
	{"1x1s1_c1024_k512_14", 1024, 14, 512, 1, 1, 0, 1},   // resnet50.layer4.0.conv1
	{"3x3s2_c512_k512_14", 512, 14, 512, 3, 2, 1, 1},     // resnet50.layer4.0.conv2
	{"1x1s1_c512_k2048_7", 512, 7, 2048, 1, 1, 0, 1},     // resnet50.layer4.0.conv3 (+2)
	{"1x1s2_c1024_k2048_14", 1024, 14, 2048, 1, 2, 0, 1}, // resnet50.layer4.0.downsample.0
	{"1x1s1_c2048_k512_7", 2048, 7, 512, 1, 1, 0, 1},     // resnet50.layer4.1.conv1 (+1)
	{"3x3s1_c512_k512_7", 512, 7, 512, 3, 1, 1, 1},       // resnet50.layer4.1.conv2 (+1)
	{"3x3s2_c3_k16_224", 3, 224, 16, 3, 2, 1, 1},         // mobilenet_v3_large.features.0.0
	{"dw3x3s1_c16_112", 16, 112, 16, 3, 1, 1, 16},        // mobilenet_v3_large.features.1.block.0.0
	{"1x1s1_c16_k16_112", 16, 112, 16, 1, 1, 0, 1},       // mobilenet_v3_large.features.1.block.1.0
	{"1x1s1_c16_k64_112", 16, 112, 64, 1, 1, 0, 1},       // mobilenet_v3_large.features.2.block.0.0
	{"dw3x3s2_c64_112", 64, 112, 64, 3, 2, 1, 64},        // mobilenet_v3_large.features.2.block.1.0
	{"1x1s1_c64_k24_56", 64, 56, 24, 1, 1, 0, 1},         // mobilenet_v3_large.features.2.block.2.0
	{"1x1s1_c24_k72_56", 24, 56, 72, 1, 1, 0, 1},         // mobilenet_v3_large.features.3.block.0.0 (+1)
	{"dw3x3s1_c72_56", 72, 56, 72, 3, 1, 1, 72},          // mobilenet_v3_large.features.3.block.1.0
	{"1x1s1_c72_k24_56", 72, 56, 24, 1, 1, 0, 1},         // mobilenet_v3_large.features.3.block.2.0
	{"dw5x5s2_c72_56", 72, 56, 72, 5, 2, 2, 72},          // mobilenet_v3_large.features.4.block.1.0
	{"1x1s1_c72_k24_1", 72, 1, 24, 1, 1, 0, 1},           // mobilenet_v3_large.features.4.block.2.fc1
	{"1x1s1_c24_k72_1", 24, 1, 72, 1, 1, 0, 1},           // mobilenet_v3_large.features.4.block.2.fc2
	{"1x1s1_c72_k40_28", 72, 28, 40, 1, 1, 0, 1},         // mobilenet_v3_large.features.4.block.3.0
	{"1x1s1_c40_k120_28", 40, 28, 120, 1, 1, 0, 1},       // mobilenet_v3_large.features.5.block.0.0 (+1)
	{"dw5x5s1_c120_28", 120, 28, 120, 5, 1, 2, 120},      // mobilenet_v3_large.features.5.block.1.0 (+1)
	{"1x1s1_c120_k32_1", 120, 1, 32, 1, 1, 0, 1},         // mobilenet_v3_large.features.5.block.2.fc1 (+1)
	{"1x1s1_c32_k120_1", 32, 1, 120, 1, 1, 0, 1},         // mobilenet_v3_large.features.5.block.2.fc2 (+1)
	{"1x1s1_c120_k40_28", 120, 28, 40, 1, 1, 0, 1},       // mobilenet_v3_large.features.5.block.3.0 (+1)
	{"1x1s1_c40_k240_28", 40, 28, 240, 1, 1, 0, 1},       // mobilenet_v3_large.features.7.block.0.0 (+2)
	{"dw3x3s2_c240_28", 240, 28, 240, 3, 2, 1, 240},      // mobilenet_v3_large.features.7.block.1.0 (+1)
	{"1x1s1_c240_k80_14", 240, 14, 80, 1, 1, 0, 1},       // mobilenet_v3_large.features.7.block.2.0 (+1)
	{"1x1s1_c80_k200_14", 80, 14, 200, 1, 1, 0, 1},       // mobilenet_v3_large.features.8.block.0.0
	{"dw3x3s1_c200_14", 200, 14, 200, 3, 1, 1, 200},      // mobilenet_v3_large.features.8.block.1.0
	{"1x1s1_c200_k80_14", 200, 14, 80, 1, 1, 0, 1},       // mobilenet_v3_large.features.8.block.2.0
	{"1x1s1_c80_k184_14", 80, 14, 184, 1, 1, 0, 1},       // mobilenet_v3_large.features.9.block.0.0 (+1)
	{"dw3x3s1_c184_14", 184, 14, 184, 3, 1, 1, 184},      // mobilenet_v3_large.features.9.block.1.0 (+1)
	{"1x1s1_c184_k80_14", 184, 14, 80, 1, 1, 0, 1},       // mobilenet_v3_large.features.9.block.2.0 (+1)
	{"1x1s1_c80_k480_14", 80, 14, 480, 1, 1, 0, 1},       // mobilenet_v3_large.features.11.block.0.0 (+3)
	{"dw3x3s1_c480_14", 480, 14, 480, 3, 1, 1, 480},      // mobilenet_v3_large.features.11.block.1.0 (+2)
	{"1x1s1_c480_k120_1", 480, 1, 120, 1, 1, 0, 1},       // mobilenet_v3_large.features.11.block.2.fc1
	{"1x1s1_c120_k480_1", 120, 1, 480, 1, 1, 0, 1},       // mobilenet_v3_large.features.11.block.2.fc2
	{"1x1s1_c480_k112_14", 480, 14, 112, 1, 1, 0, 1},     // mobilenet_v3_large.features.11.block.3.0 (+1)
	{"1x1s1_c112_k672_14", 112, 14, 672, 1, 1, 0, 1},     // mobilenet_v3_large.features.12.block.0.0 (+4)
	{"dw3x3s1_c672_14", 672, 14, 672, 3, 1, 1, 672},      // mobilenet_v3_large.features.12.block.1.0
	{"1x1s1_c672_k168_1", 672, 1, 168, 1, 1, 0, 1},       // mobilenet_v3_large.features.12.block.2.fc1 (+1)
	{"1x1s1_c168_k672_1", 168, 1, 672, 1, 1, 0, 1},       // mobilenet_v3_large.features.12.block.2.fc2 (+1)
	{"1x1s1_c672_k112_14", 672, 14, 112, 1, 1, 0, 1},     // mobilenet_v3_large.features.12.block.3.0 (+2)
	{"dw5x5s2_c672_14", 672, 14, 672, 5, 2, 2, 672},      // mobilenet_v3_large.features.13.block.1.0 (+1)
	{"1x1s1_c672_k160_7", 672, 7, 160, 1, 1, 0, 1},       // mobilenet_v3_large.features.13.block.3.0
	{"1x1s1_c160_k960_7", 160, 7, 960, 1, 1, 0, 1},       // mobilenet_v3_large.features.14.block.0.0 (+2)
	{"dw5x5s1_c960_7", 960, 7, 960, 5, 1, 2, 960},        // mobilenet_v3_large.features.14.block.1.0 (+1)
	{"1x1s1_c960_k240_1", 960, 1, 240, 1, 1, 0, 1},       // mobilenet_v3_large.features.14.block.2.fc1 (+1)
	{"1x1s1_c240_k960_1", 240, 1, 960, 1, 1, 0, 1},       // mobilenet_v3_large.features.14.block.2.fc2 (+1)
	{"1x1s1_c960_k160_7", 960, 7, 160, 1, 1, 0, 1},       // mobilenet_v3_large.features.14.block.3.0 (+1)
	{"3x3s2_c3_k32_224", 3, 224, 32, 3, 2, 1, 1},         // efficientnet_b0.features.0.0
	{"dw3x3s1_c32_112", 32, 112, 32, 3, 1, 1, 32},        // efficientnet_b0.features.1.0.block.0.0
	{"1x1s1_c32_k8_1", 32, 1, 8, 1, 1, 0, 1},             // efficientnet_b0.features.1.0.block.1.fc1
	{"1x1s1_c8_k32_1", 8, 1, 32, 1, 1, 0, 1},             // efficientnet_b0.features.1.0.block.1.fc2
	{"1x1s1_c32_k16_112", 32, 112, 16, 1, 1, 0, 1},       // efficientnet_b0.features.1.0.block.2.0
	{"1x1s1_c16_k96_112", 16, 112, 96, 1, 1, 0, 1},       // efficientnet_b0.features.2.0.block.0.0
	{"dw3x3s2_c96_112", 96, 112, 96, 3, 2, 1, 96},        // efficientnet_b0.features.2.0.block.1.0
	{"1x1s1_c96_k4_1", 96, 1, 4, 1, 1, 0, 1},             // efficientnet_b0.features.2.0.block.2.fc1
	{"1x1s1_c4_k96_1", 4, 1, 96, 1, 1, 0, 1},             // efficientnet_b0.features.2.0.block.2.fc2
	{"1x1s1_c96_k24_56", 96, 56, 24, 1, 1, 0, 1},         // efficientnet_b0.features.2.0.block.3.0
	{"1x1s1_c24_k144_56", 24, 56, 144, 1, 1, 0, 1},       // efficientnet_b0.features.2.1.block.0.0 (+1)
	{"dw3x3s1_c144_56", 144, 56, 144, 3, 1, 1, 144},      // efficientnet_b0.features.2.1.block.1.0
	{"1x1s1_c144_k6_1", 144, 1, 6, 1, 1, 0, 1},           // efficientnet_b0.features.2.1.block.2.fc1 (+1)
	{"1x1s1_c6_k144_1", 6, 1, 144, 1, 1, 0, 1},           // efficientnet_b0.features.2.1.block.2.fc2 (+1)
	{"1x1s1_c144_k24_56", 144, 56, 24, 1, 1, 0, 1},       // efficientnet_b0.features.2.1.block.3.0
	{"dw5x5s2_c144_56", 144, 56, 144, 5, 2, 2, 144},      // efficientnet_b0.features.3.0.block.1.0
	{"1x1s1_c144_k40_28", 144, 28, 40, 1, 1, 0, 1},       // efficientnet_b0.features.3.0.block.3.0
	{"dw5x5s1_c240_28", 240, 28, 240, 5, 1, 2, 240},      // efficientnet_b0.features.3.1.block.1.0
	{"1x1s1_c240_k10_1", 240, 1, 10, 1, 1, 0, 1},         // efficientnet_b0.features.3.1.block.2.fc1 (+1)
	{"1x1s1_c10_k240_1", 10, 1, 240, 1, 1, 0, 1},         // efficientnet_b0.features.3.1.block.2.fc2 (+1)
	{"1x1s1_c240_k40_28", 240, 28, 40, 1, 1, 0, 1},       // efficientnet_b0.features.3.1.block.3.0
	{"1x1s1_c480_k20_1", 480, 1, 20, 1, 1, 0, 1},         // efficientnet_b0.features.4.1.block.2.fc1 (+2)
	{"1x1s1_c20_k480_1", 20, 1, 480, 1, 1, 0, 1},         // efficientnet_b0.features.4.1.block.2.fc2 (+2)
	{"1x1s1_c480_k80_14", 480, 14, 80, 1, 1, 0, 1},       // efficientnet_b0.features.4.1.block.3.0 (+1)
	{"dw5x5s1_c480_14", 480, 14, 480, 5, 1, 2, 480},      // efficientnet_b0.features.5.0.block.1.0
	{"dw5x5s1_c672_14", 672, 14, 672, 5, 1, 2, 672},      // efficientnet_b0.features.5.1.block.1.0 (+1)
	{"1x1s1_c672_k28_1", 672, 1, 28, 1, 1, 0, 1},         // efficientnet_b0.features.5.1.block.2.fc1 (+2)
	{"1x1s1_c28_k672_1", 28, 1, 672, 1, 1, 0, 1},         // efficientnet_b0.features.5.1.block.2.fc2 (+2)
	{"1x1s1_c672_k192_7", 672, 7, 192, 1, 1, 0, 1},       // efficientnet_b0.features.6.0.block.3.0
	{"1x1s1_c192_k1152_7", 192, 7, 1152, 1, 1, 0, 1},     // efficientnet_b0.features.6.1.block.0.0 (+3)
	{"dw5x5s1_c1152_7", 1152, 7, 1152, 5, 1, 2, 1152},    // efficientnet_b0.features.6.1.block.1.0 (+2)
	{"1x1s1_c1152_k48_1", 1152, 1, 48, 1, 1, 0, 1},       // efficientnet_b0.features.6.1.block.2.fc1 (+3)
	{"1x1s1_c48_k1152_1", 48, 1, 1152, 1, 1, 0, 1},       // efficientnet_b0.features.6.1.block.2.fc2 (+3)
	{"1x1s1_c1152_k192_7", 1152, 7, 192, 1, 1, 0, 1},     // efficientnet_b0.features.6.1.block.3.0 (+2)
	{"dw3x3s1_c1152_7", 1152, 7, 1152, 3, 1, 1, 1152},    // efficientnet_b0.features.7.0.block.1.0
	{"1x1s1_c1152_k320_7", 1152, 7, 320, 1, 1, 0, 1},     // efficientnet_b0.features.7.0.block.3.0
	{"1x1s1_c320_k1280_7", 320, 7, 1280, 1, 1, 0, 1},     // efficientnet_b0.features.8.0
}

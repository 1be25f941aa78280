//go:build unix

package dataset

// Throughput benchmarks of the data pipeline (figures in docs/PERF.md,
// "Data pipeline"). Each decodes a ~500×375 JPEG per sample, the size of a
// typical Oxford-IIIT Pets photo. Set GOCNN_BENCH_JPEG to a JPEG file to
// benchmark that file instead of the synthetic one (scripts/
// bench_transforms.py writes one and times torchvision on it).
//
//	go test ./dataset -run '^$' -bench . -benchtime 2x
//
// Besides wall-clock images/s, the loader benchmarks report the process's
// CPU time per image (user + system, from getrusage): on a machine shared
// with other jobs the wall clock measures the neighbours too, while
// 2000 / cpu-ms/image is what two free cores would deliver.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time this process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchJPEG(b *testing.B) []byte {
	if p := os.Getenv("GOCNN_BENCH_JPEG"); p != "" {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	return encodeJPEG(b, synthPhoto(500, 375, 1), 90)
}

// repeatSource serves the same encoded file n times (decoded every time).
func repeatSource(data []byte, n int) *memSource {
	s := &memSource{classes: []string{"a", "b"}}
	for i := range n {
		s.files = append(s.files, data)
		s.labels = append(s.labels, i%2)
	}
	return s
}

// runLoader drains epochs of src through tf, 32 samples a batch, with the
// given number of workers and reports images/s, CPU time per image, the
// wait for each epoch's first batch (the pipeline filling up) and the mean
// wait for the other batches. step simulates the training step's duration
// between batches by sleeping, as a step on an accelerator would leave the
// CPU cores to the loader (0: consume at once, so the waits measure the
// loader's own speed).
func runLoader(b *testing.B, src Source, tf Transform, workers int, step time.Duration) {
	l, err := NewLoader(src, tf, LoaderOptions{BatchSize: 32, Workers: workers, Shuffle: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := cpuTime(b)
	var images, later int
	var first, wait time.Duration
	for e := range b.N {
		ep := l.Epoch(e)
		for k := 0; ; k++ {
			start := time.Now()
			bt, err := ep.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if k == 0 {
				first += time.Since(start)
			} else {
				wait += time.Since(start)
				later++
			}
			images += len(bt.Labels)
			time.Sleep(step)
		}
		ep.Close()
	}
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(images), "cpu-ms/image")
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms-first-batch")
	b.ReportMetric(float64(wait.Microseconds())/1000/float64(later), "ms-wait/batch")
}

// photoEpoch is 8 batches of the benchmark photo.
func photoEpoch(b *testing.B) Source { return repeatSource(benchJPEG(b), 8*32) }

// BenchmarkEvalPipeline: decode, Resize(256) bilinear, CenterCrop(224),
// ToTensor, Normalize; 2 workers, consumer never slower than the loader.
func BenchmarkEvalPipeline(b *testing.B) {
	p, _ := LookupPreset("resnet50")
	runLoader(b, photoEpoch(b), p.Eval(), 2, 0)
}

// BenchmarkTrainPipeline: decode, the seed's augmentation (Resize 256,
// RandomResizedCrop 224, flip, ColorJitter, Normalize); 2 workers.
func BenchmarkTrainPipeline(b *testing.B) {
	runLoader(b, photoEpoch(b), SeedTrain(), 2, 0)
}

// sleepySource stands for a sample that takes d to produce without using
// the CPU: its timing does not depend on what else the machine runs.
type sleepySource struct {
	n int
	d time.Duration
}

func (s sleepySource) Len() int          { return s.n }
func (s sleepySource) Classes() []string { return []string{"a"} }
func (s sleepySource) Label(int) int     { return 0 }
func (s sleepySource) Name(int) string   { return "sleepy" }
func (s sleepySource) Image(int) (*Image, error) {
	time.Sleep(s.d)
	return NewImage(8, 8, 3), nil
}

// BenchmarkLoaderWait: a consumer whose step takes a fixed time per batch
// of 32, with 1 and 2 workers. ms-wait/batch is how long a step stood idle
// for data once the epoch is running, ms-first-batch how long the epoch's
// first step waited.
//
// train: the train pipeline on the benchmark photo. step=200ms (160
// images/s) is slower than 2 workers at the 200 images/s (160 ms a
// batch) but faster than 1 worker: with 2 workers on two free cores the
// steps should not wait. step=50ms is faster than the loader: the wait is
// the loader's shortfall. On a machine busy with other jobs the workers get
// less than two cores and every figure grows.
//
// sleep5ms: samples that take 5 ms each without CPU, so the loader's
// scheduling is measured apart from the machine's load: a batch takes 160
// ms with 1 worker and 80 ms with 2. A loader that shares each batch among
// its workers gets the first batch in 80 ms with 2 workers and makes a 100
// ms step wait 0 ms (1 worker: 60 ms); a 40 ms step waits for the
// shortfall, 40 ms (1 worker: 120 ms).
func BenchmarkLoaderWait(b *testing.B) {
	for _, workers := range []int{1, 2} {
		for _, step := range []time.Duration{200 * time.Millisecond, 50 * time.Millisecond} {
			b.Run(fmt.Sprintf("train/workers=%d/step=%v", workers, step), func(b *testing.B) {
				runLoader(b, photoEpoch(b), SeedTrain(), workers, step)
			})
		}
	}
	for _, workers := range []int{1, 2} {
		for _, step := range []time.Duration{100 * time.Millisecond, 40 * time.Millisecond} {
			b.Run(fmt.Sprintf("sleep5ms/workers=%d/step=%v", workers, step), func(b *testing.B) {
				runLoader(b, sleepySource{8 * 32, 5 * time.Millisecond}, nil, workers, step)
			})
		}
	}
}

// The stages of one sample, single-threaded.

func BenchmarkDecodeJPEG(b *testing.B) {
	data := benchJPEG(b)
	for b.Loop() {
		if _, err := Decode(data, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkResize256Bilinear(b *testing.B) {
	m := decodeOK(b, benchJPEG(b))
	w, h := ShorterSide(m.W, m.H, 256)
	for b.Loop() {
		ResizeImage(m, w, h, Bilinear)
	}
}

func BenchmarkResize256Bicubic(b *testing.B) {
	m := decodeOK(b, benchJPEG(b))
	w, h := ShorterSide(m.W, m.H, 256)
	for b.Loop() {
		ResizeImage(m, w, h, Bicubic)
	}
}

func BenchmarkColorJitter(b *testing.B) {
	m := ResizeImage(decodeOK(b, benchJPEG(b)), 224, 224, Bilinear)
	p := JitterParams{Order: [4]int{0, 1, 2, 3}, Brightness: 1.1, Contrast: 0.9, Saturation: 1.2, Hue: 0.05, UseB: true, UseC: true, UseS: true, UseH: true}
	for b.Loop() {
		ApplyJitter(m, p)
	}
}

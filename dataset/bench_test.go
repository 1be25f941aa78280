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

// runLoader drains epochs of the pipeline with 2 workers and reports
// images/s, CPU time per image, the wait for each epoch's first batch (the
// pipeline filling up) and the mean wait for the other batches. step
// simulates the training step's duration between batches (0: consume at
// once, so the waits measure the loader's own speed).
func runLoader(b *testing.B, tf Transform, step time.Duration) {
	const batch, perEpoch = 32, 8
	src := repeatSource(benchJPEG(b), perEpoch*batch)
	l, err := NewLoader(src, tf, LoaderOptions{BatchSize: batch, Workers: 2, Shuffle: true})
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

// BenchmarkEvalPipeline: decode, Resize(256) bilinear, CenterCrop(224),
// ToTensor, Normalize; 2 workers, consumer never slower than the loader.
func BenchmarkEvalPipeline(b *testing.B) {
	p, _ := LookupPreset("resnet50")
	runLoader(b, p.Eval(), 0)
}

// BenchmarkTrainPipeline: decode, the seed's augmentation (Resize 256,
// RandomResizedCrop 224, flip, ColorJitter, Normalize); 2 workers.
func BenchmarkTrainPipeline(b *testing.B) {
	runLoader(b, SeedTrain(), 0)
}

// BenchmarkLoaderWait: the train pipeline feeding a consumer whose step
// takes 250 ms per batch of 32 (128 images/s, sleeping, so the loader keeps
// both cores); ms-wait/batch is how long the step stood idle for data once
// the pipeline is running.
func BenchmarkLoaderWait(b *testing.B) {
	runLoader(b, SeedTrain(), 250*time.Millisecond)
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

package dataset

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocnn/gocnn/autograd"
)

// drain reads a whole epoch.
func drain(t *testing.T, ep *Epoch) []*Batch {
	t.Helper()
	defer ep.Close()
	var out []*Batch
	for {
		b, err := ep.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func sameBatches(a, b []*Batch) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d vs %d batches", len(a), len(b))
	}
	for i := range a {
		if fmt.Sprint(a[i].Indices, a[i].Labels) != fmt.Sprint(b[i].Indices, b[i].Labels) {
			return fmt.Errorf("batch %d: items %v vs %v", i, a[i].Indices, b[i].Indices)
		}
		da, db := a[i].Images.Data(), b[i].Images.Data()
		for j := range da {
			if math.Float32bits(da[j]) != math.Float32bits(db[j]) {
				return fmt.Errorf("batch %d differs at value %d: %v vs %v", i, j, da[j], db[j])
			}
		}
	}
	return nil
}

// augment is a small random pipeline exercising every random transform.
func augment() Transform {
	return Compose(
		RandomResizedCrop(12, 12, DefaultCropScale, DefaultCropRatio, Bilinear),
		RandomHorizontalFlip(0.5), RandomRotation(15), ColorJitter(0.3, 0.3, 0.3, 0.1), RandomGrayscale(0.2),
		ToTensor(), Normalize(ImageNetMean, ImageNetStd))
}

func TestLoaderSameBatchesForAnyWorkerCount(t *testing.T) {
	src := newMemSource(t, 27, 24, 18, 3)
	var ref []*Batch
	for _, workers := range []int{1, 2, 5} {
		l, err := NewLoader(src, augment(), LoaderOptions{BatchSize: 4, Shuffle: true, Seed: 7, Workers: workers, Prefetch: 3})
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, l.Epoch(3))
		if len(got) != 7 || len(got[6].Labels) != 3 {
			t.Fatalf("workers=%d: %d batches, last of %d", workers, len(got), len(got[len(got)-1].Labels))
		}
		if ref == nil {
			ref = got
		} else if err := sameBatches(ref, got); err != nil {
			t.Errorf("workers=%d vs 1: %v", workers, err)
		}
	}
	// The loader finishes ToTensor + Normalize while writing the batch; the
	// values must be those of the pipeline applied on its own.
	l, _ := NewLoader(src, augment(), LoaderOptions{BatchSize: 4, Shuffle: true, Seed: 7})
	nhwc, _ := NewLoader(src, augment(), LoaderOptions{BatchSize: 4, Shuffle: true, Seed: 7, NHWC: true})
	nhwcBatch := drain(t, nhwc.Epoch(3))[1]
	for k, idx := range ref[1].Indices {
		img, _ := src.Image(idx)
		want := augment().Apply(Value{Image: img}, l.SampleRNG(3, idx)).Float
		alone := &Batch{Images: autograd.New(want.Data, 1, want.C, want.H, want.W), Indices: []int{idx}, Labels: []int{src.Label(idx)}}
		n := len(want.Data)
		got := &Batch{Images: autograd.New(ref[1].Images.Data()[k*n:(k+1)*n], 1, want.C, want.H, want.W), Indices: []int{idx}, Labels: []int{ref[1].Labels[k]}}
		if err := sameBatches([]*Batch{alone}, []*Batch{got}); err != nil {
			t.Errorf("sample %d: loader output differs from the pipeline: %v", idx, err)
		}
		gotNHWC := &Batch{Images: autograd.New(nhwcBatch.Images.Data()[k*n:(k+1)*n], 1, want.H, want.W, want.C), Indices: []int{idx}, Labels: []int{nhwcBatch.Labels[k]}}
		alone.Images = NCHWToNHWC(alone.Images)
		if err := sameBatches([]*Batch{alone}, []*Batch{gotNHWC}); err != nil {
			t.Errorf("sample %d: NHWC loader output differs from the pipeline: %v", idx, err)
		}
	}
	l, _ = NewLoader(src, augment(), LoaderOptions{BatchSize: 4, Shuffle: true, Seed: 7, DropLast: true})
	other := drain(t, l.Epoch(4))
	if len(other) != 6 || sameBatches(ref[:6], other) == nil {
		t.Errorf("epoch 4 (drop_last) gave %d batches identical to epoch 3", len(other))
	}
	seen := map[int]int{}
	for _, b := range ref {
		for k, i := range b.Indices {
			seen[i]++
			if b.Labels[k] != src.Label(i) {
				t.Errorf("item %d carries label %d, want %d", i, b.Labels[k], src.Label(i))
			}
		}
	}
	if len(seen) != src.Len() {
		t.Errorf("an epoch covered %d of %d items", len(seen), src.Len())
	}
}

func TestLoaderNHWC(t *testing.T) {
	src := newMemSource(t, 6, 10, 8, 2)
	tf := Compose(CenterCrop(6, 7), ToTensor())
	nchw, _ := NewLoader(src, tf, LoaderOptions{BatchSize: 6})
	nhwc, _ := NewLoader(src, tf, LoaderOptions{BatchSize: 6, NHWC: true})
	raw, _ := NewLoader(src, CenterCrop(6, 7), LoaderOptions{BatchSize: 6, NHWC: true}) // 8-bit output, converted by the loader
	a, b, c := drain(t, nchw.Epoch(0))[0], drain(t, nhwc.Epoch(0))[0], drain(t, raw.Epoch(0))[0]
	if fmt.Sprint(b.Images.Shape()) != "[6 6 7 3]" {
		t.Fatalf("NHWC shape %v", b.Images.Shape())
	}
	if err := sameBatches([]*Batch{b}, []*Batch{{Images: NCHWToNHWC(a.Images), Indices: a.Indices, Labels: a.Labels}}); err != nil {
		t.Error(err)
	}
	if err := sameBatches([]*Batch{b}, []*Batch{c}); err != nil {
		t.Error("loader's own conversion:", err)
	}
	if err := sameBatches([]*Batch{a}, []*Batch{{Images: NHWCToNCHW(b.Images), Indices: a.Indices, Labels: a.Labels}}); err != nil {
		t.Error("round trip:", err)
	}
}

// countingSource records how many images have been requested.
type countingSource struct {
	Source
	calls atomic.Int64
}

func (c *countingSource) Image(i int) (*Image, error) {
	c.calls.Add(1)
	return c.Source.Image(i)
}

func TestLoaderPrefetchIsBoundedAndCloseLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	src := &countingSource{Source: newMemSource(t, 200, 8, 8, 2)}
	l, _ := NewLoader(src, nil, LoaderOptions{BatchSize: 5, Workers: 3, Prefetch: 4})
	ep := l.Epoch(0)
	if _, err := ep.Next(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the workers run ahead as far as they may
	// One batch delivered, then at most Prefetch batches built ahead.
	if got := src.calls.Load(); got > 5*(1+4) {
		t.Errorf("%d images decoded with 1 batch consumed and prefetch 4; the queue is not bounded", got)
	}
	ep.Close()
	ep.Close()
	if _, err := ep.Next(); err == nil {
		t.Error("Next after Close returned no error")
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

func TestLoaderConcurrentEpochsAndSizeMismatch(t *testing.T) {
	src := newMemSource(t, 8, 10, 8, 2)
	l, _ := NewLoader(src, augment(), LoaderOptions{BatchSize: 3, Shuffle: true, Workers: 2})
	var wg sync.WaitGroup
	results := make([][]*Batch, 2)
	for k := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep := l.Epoch(1)
			defer ep.Close()
			for {
				b, err := ep.Next()
				if err != nil {
					return
				}
				results[k] = append(results[k], b)
			}
		}()
	}
	wg.Wait()
	if err := sameBatches(results[0], results[1]); err != nil {
		t.Error("two concurrent runs of the same epoch:", err)
	}

	mixed := &memSource{files: [][]byte{src.files[0], encodeJPEG(t, synthPhoto(5, 5, 1), 90)}, labels: []int{0, 1}, classes: src.classes}
	lm, _ := NewLoader(mixed, ToTensor(), LoaderOptions{BatchSize: 2})
	ep := lm.Epoch(0)
	defer ep.Close()
	if _, err := ep.Next(); err == nil {
		t.Error("samples of different sizes in one batch gave no error")
	}
}

package dataset

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
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
	// Whichever sample a worker finishes first, the error names the second.
	lm, _ := NewLoader(mixed, ToTensor(), LoaderOptions{BatchSize: 2, Workers: 2})
	ep := lm.Epoch(0)
	defer ep.Close()
	if _, err := ep.Next(); err == nil || !strings.Contains(err.Error(), mixed.Name(1)+" became 3×5×5") {
		t.Errorf("samples of different sizes in one batch: error %v", err)
	}
}

// referenceBatches builds an epoch the plain way: one sample after another
// in the loader's order, each through the whole pipeline tf (which must end
// with ToTensor), unreadable samples left out and empty batches passed over.
func referenceBatches(l *Loader, tf Transform, epoch int) []*Batch {
	src, b := l.Source(), l.opt.BatchSize
	order := l.Order(epoch)
	var out []*Batch
	for lo := 0; lo < len(order); lo += b {
		hi := min(lo+b, len(order))
		if hi-lo < b && l.opt.DropLast {
			break
		}
		bt := &Batch{}
		var data []float32
		var t *Float
		for _, idx := range order[lo:hi] {
			img, err := src.Image(idx)
			if err != nil {
				continue
			}
			t = tf.Apply(Value{Image: img}, l.SampleRNG(epoch, idx)).Float
			data = append(data, t.Data...)
			bt.Labels = append(bt.Labels, src.Label(idx))
			bt.Indices = append(bt.Indices, idx)
		}
		if t != nil {
			bt.Images = autograd.New(data, len(bt.Labels), t.C, t.H, t.W)
			out = append(out, bt)
		}
	}
	return out
}

// corrupt replaces the files at the given indices by bytes no decoder reads.
func corrupt(s *memSource, idx ...int) *memSource {
	c := &memSource{files: append([][]byte(nil), s.files...), labels: s.labels, classes: s.classes}
	for _, i := range idx {
		c.files[i] = []byte("not an image")
	}
	return c
}

// The loader's batches, whatever the worker count, batch size (so job
// length: 1, 2 or more samples, ragged last jobs) and unreadable samples,
// are those of the sequential reference: the right samples, each in its
// slot, the gaps of skipped samples closed.
func TestLoaderMatchesSequentialReference(t *testing.T) {
	src := corrupt(newMemSource(t, 27, 24, 18, 3), 2, 3, 11, 20)
	for _, batch := range []int{1, 4, 9, 27} {
		for _, workers := range []int{1, 2, 3, 5} {
			for _, dropLast := range []bool{false, true} {
				var mu sync.Mutex
				warnings := 0
				opt := LoaderOptions{BatchSize: batch, Shuffle: true, Seed: 11, Workers: workers, DropLast: dropLast,
					Warn: func(string) { mu.Lock(); warnings++; mu.Unlock() }}
				l, err := NewLoader(src, augment(), opt)
				if err != nil {
					t.Fatal(err)
				}
				ep := l.Epoch(2)
				got := drain(t, ep)
				want := referenceBatches(l, augment(), 2)
				if err := sameBatches(want, got); err != nil {
					t.Errorf("batch %d, workers %d, drop_last %v: %v", batch, workers, dropLast, err)
				}
				kept := 0
				for _, b := range want {
					kept += len(b.Labels)
				}
				if covered := l.Len() * batch; !dropLast && ep.Skipped() != 4 || ep.Skipped()+kept != min(covered, src.Len()) {
					t.Errorf("batch %d, workers %d, drop_last %v: skipped %d, kept %d", batch, workers, dropLast, ep.Skipped(), kept)
				}
				if warnings == 0 {
					t.Errorf("batch %d, workers %d: no warning", batch, workers)
				}
			}
		}
	}
}

// A pipeline whose head already gives a float tensor (a step after an
// earlier ToTensor) and that ends in ToTensor, Normalize is still
// normalised: the trailing ToTensor passes the tensor on, and the loader,
// which does the trailing pair itself, must not lose the Normalize.
func TestLoaderNormalizesAFloatHead(t *testing.T) {
	src := newMemSource(t, 3, 8, 6, 1)
	tf := Compose(ToTensor(), RandomHorizontalFlip(0.5), ToTensor(), Normalize(ImageNetMean, ImageNetStd))
	for _, nhwc := range []bool{false, true} {
		l, err := NewLoader(src, tf, LoaderOptions{BatchSize: 3, NHWC: nhwc})
		if err != nil {
			t.Fatal(err)
		}
		got := drain(t, l.Epoch(0))
		want := referenceBatches(l, tf, 0)
		if nhwc {
			want[0].Images = NCHWToNHWC(want[0].Images)
		}
		if err := sameBatches(want, got); err != nil {
			t.Errorf("NHWC %v: %v", nhwc, err)
		}
	}
}

// namedSource names item i "item<i>", so errors can be checked by name.
type namedSource struct{ *memSource }

func (s namedSource) Name(i int) string { return fmt.Sprintf("item%d", i) }

// Strict: Next stops at the first unreadable sample in delivery order,
// whichever worker met a bad file first.
func TestLoaderStrictNamesFirstBadSample(t *testing.T) {
	src := namedSource{corrupt(newMemSource(t, 24, 12, 10, 2), 13, 10, 21)}
	for _, workers := range []int{1, 2, 5} {
		l, _ := NewLoader(src, ToTensor(), LoaderOptions{BatchSize: 8, Workers: workers, Strict: true})
		ep := l.Epoch(0)
		var err error
		batches := 0
		for ; err == nil; batches++ {
			_, err = ep.Next()
		}
		ep.Close()
		if batches != 2 || err == nil || !strings.HasPrefix(err.Error(), "item10: ") {
			t.Errorf("workers %d: error %v after %d batches, want item10's in the second", workers, err, batches-1)
		}
	}
}

// firstBatchShared is a source that, for the items of the first batch
// (0…n−1 without shuffling), holds each call until two goroutines are loading
// such items at once, or until a generous timeout. met is closed once they
// were: the workers shared the first batch.
type firstBatchShared struct {
	Source
	n       int
	inside  atomic.Int64
	once    sync.Once
	met     chan struct{}
	timeout chan struct{} // closed when the wait is given up
}

func (s *firstBatchShared) Image(i int) (*Image, error) {
	if i < s.n {
		if s.inside.Add(1) >= 2 {
			s.once.Do(func() { close(s.met) })
		}
		select {
		case <-s.met:
		case <-s.timeout:
		}
		s.inside.Add(-1)
	}
	return s.Source.Image(i)
}

func TestLoaderWorkersShareABatch(t *testing.T) {
	src := &firstBatchShared{Source: newMemSource(t, 32, 8, 8, 2), n: 8, met: make(chan struct{}), timeout: make(chan struct{})}
	time.AfterFunc(5*time.Second, func() { close(src.timeout) })
	l, _ := NewLoader(src, nil, LoaderOptions{BatchSize: 8, Workers: 2})
	ep := l.Epoch(0)
	defer ep.Close()
	if b, err := ep.Next(); err != nil || len(b.Labels) != 8 {
		t.Fatalf("first batch: %v", err)
	}
	select {
	case <-src.met:
	default:
		t.Error("one worker loaded the whole first batch alone")
	}
}

// narrowFails fails on an image narrower than want, as a transform does that
// cannot handle it (RandomCrop panics on a crop larger than the
// image): with a message, or with a runtime error when bug is set.
type narrowFails struct {
	want int
	bug  bool
}

func (n narrowFails) Apply(v Value, _ *rand.Rand) Value {
	if v.Image.W < n.want {
		if n.bug {
			row := make([]int, 1)
			_ = row[v.Image.W] // index out of range
		}
		panic(fmt.Sprintf("narrowFails: %d-pixel wide image is narrower than %d", v.Image.W, n.want))
	}
	return v
}

func (n narrowFails) String() string { return "narrowFails" }

// A panic in a worker is recovered into the error of its batch, naming the
// first failing sample in batch order whichever worker met a failure first,
// also without Strict; the batches before it arrive, and Close leaves no
// goroutine behind.
func TestLoaderTransformPanicIsAnError(t *testing.T) {
	base := newMemSource(t, 12, 12, 10, 2)
	narrow := encodeJPEG(t, synthPhoto(5, 5, 1), 90)
	src := namedSource{&memSource{files: append([][]byte(nil), base.files...), labels: base.labels, classes: base.classes}}
	src.files[6], src.files[5] = narrow, narrow
	before := runtime.NumGoroutine()
	for _, bug := range []bool{false, true} {
		for _, workers := range []int{1, 2, 5} {
			tf := Compose(narrowFails{want: 8, bug: bug}, ToTensor())
			l, err := NewLoader(src, tf, LoaderOptions{BatchSize: 4, Workers: workers})
			if err != nil {
				t.Fatal(err)
			}
			ep := l.Epoch(0)
			if b, err := ep.Next(); err != nil || len(b.Labels) != 4 {
				t.Fatalf("bug %v, workers %d: first batch: %v", bug, workers, err)
			}
			_, err = ep.Next()
			want := "dataset: item5: narrowFails: 5-pixel wide image is narrower than 8"
			if bug {
				want = "dataset: item5: runtime error: index out of range [5] with length 1\n"
			}
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("bug %v, workers %d: second batch: error %v, want one starting %q", bug, workers, err, want)
			}
			if bug && err != nil && !strings.Contains(err.Error(), "goroutine ") {
				t.Errorf("workers %d: the runtime error comes without its stack: %v", workers, err)
			}
			if _, err := ep.Next(); !errors.Is(err, ErrClosed) {
				t.Errorf("bug %v, workers %d: after the error, Next returned %v, want ErrClosed", bug, workers, err)
			}
			ep.Close()
		}
	}
	for range 100 {
		if runtime.NumGoroutine() <= before {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

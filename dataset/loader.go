package dataset

// The loader: batches of transformed samples, made on several goroutines,
// delivered in order.
//
// For epoch e the loader fixes everything up front: the order of the items
// (a permutation drawn from (Seed, e) when shuffling), their grouping into
// batches, and for each item a random generator seeded from (Seed, e,
// item index) that its transform draws from. Workers then build whole
// batches — decode, transform, write into the batch tensor — in any order,
// and Next hands them out in batch order. A batch's contents therefore do
// not depend on the number of workers or on timing.
//
// At most Prefetch batches are in flight or waiting (a token is taken
// before a batch is started and returned when Next delivers it), which
// bounds memory. Close stops the workers and waits for them, so an epoch
// abandoned early leaves no goroutine behind.
//
// A sample whose image cannot be read is dropped from its batch (which is
// then one shorter), with a warning the first time that item fails and a
// count at the end of the epoch; with Strict, Next returns the error
// instead.

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/gocnn/gocnn/autograd"
)

// LoaderOptions configures a Loader. The zero value of each field gives
// torchvision's DataLoader default where there is one.
type LoaderOptions struct {
	BatchSize int    // samples per batch (default 1)
	Shuffle   bool   // a new order every epoch, drawn from Seed and the epoch
	DropLast  bool   // drop the last batch when it is short
	Seed      uint64 // seeds the order and every augmentation
	Workers   int    // goroutines building batches (default 1)
	Prefetch  int    // batches built ahead of the consumer (default 2 per worker)
	NHWC      bool   // batches as N, H, W, C instead of N, C, H, W
	Strict    bool   // an unreadable sample is an error instead of a warning
	Warn      WarnFunc
}

// Loader turns a source and a transform into batches.
type Loader struct {
	src Source
	opt LoaderOptions
	// The transform, split for speed: head runs as given; a trailing
	// ToTensor (and Normalize with mean and std) is done while writing into
	// the batch, saving a float copy of every image.
	head      Transform
	mean, std []float32

	mu     sync.Mutex
	warned map[int]bool // items already reported as unreadable
}

// NewLoader checks the options and returns a loader. tf may be nil (the
// decoded images are converted as ToTensor would).
func NewLoader(src Source, tf Transform, opt LoaderOptions) (*Loader, error) {
	if src.Len() == 0 {
		return nil, errors.New("dataset.NewLoader: the source is empty")
	}
	if opt.BatchSize < 0 || opt.Workers < 0 || opt.Prefetch < 0 {
		return nil, fmt.Errorf("dataset.NewLoader: negative batch size %d, workers %d or prefetch %d", opt.BatchSize, opt.Workers, opt.Prefetch)
	}
	opt.BatchSize = max(opt.BatchSize, 1)
	opt.Workers = max(opt.Workers, 1)
	if opt.Prefetch == 0 {
		opt.Prefetch = 2 * opt.Workers
	}
	if opt.Warn == nil {
		opt.Warn = StderrWarn
	}
	if tf == nil {
		tf = Compose()
	}
	l := &Loader{src: src, head: tf, opt: opt, warned: map[int]bool{}}
	if c, ok := tf.(composed); ok {
		steps := []Transform(c)
		if n := len(steps); n >= 1 {
			if norm, ok := steps[n-1].(normalize); ok && n >= 2 {
				if _, ok := steps[n-2].(toTensor); ok {
					l.head, l.mean, l.std = composed(steps[:n-2]), norm.mean, norm.std
				}
			} else if _, ok := steps[n-1].(toTensor); ok {
				l.head = composed(steps[:n-1])
			}
		}
	}
	return l, nil
}

// Len returns the number of batches in an epoch.
func (l *Loader) Len() int {
	n, b := l.src.Len(), l.opt.BatchSize
	if l.opt.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Source returns the loader's source.
func (l *Loader) Source() Source { return l.src }

// splitmix64 scrambles a 64-bit value (Steele et al.); it turns structured
// (epoch, index) pairs into well-spread generator seeds.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Order returns the item order of an epoch: 0…n−1, or a permutation drawn
// from (Seed, epoch) when shuffling.
func (l *Loader) Order(epoch int) []int {
	n := l.src.Len()
	if !l.opt.Shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return rand.New(rand.NewPCG(splitmix64(l.opt.Seed), splitmix64(uint64(epoch)^0x4f52444552))).Perm(n)
}

// SampleRNG returns the generator item i's transform draws from in epoch e.
func (l *Loader) SampleRNG(epoch, i int) *rand.Rand {
	return rand.New(rand.NewPCG(l.opt.Seed, splitmix64(uint64(epoch)<<32^uint64(i))))
}

// Batch is one batch: images as a float32 tensor (N, C, H, W) — or (N, H,
// W, C) with NHWC — and the label and source index of each image.
type Batch struct {
	Images  *autograd.Tensor
	Labels  []int
	Indices []int
}

// batchResult is what a worker delivers for one batch.
type batchResult struct {
	batch   *Batch // nil when every sample was unreadable
	skipped int
	err     error
}

// Epoch is one pass over the data. Call Next until it returns io.EOF, and
// Close when done (also when stopping early).
type Epoch struct {
	l       *Loader
	epoch   int
	batches [][]int
	results []chan batchResult
	tokens  chan struct{}
	done    chan struct{}
	closing sync.Once
	wg      sync.WaitGroup
	next    int
	skipped int
	wait    time.Duration
}

// Epoch starts building the batches of epoch e.
func (l *Loader) Epoch(e int) *Epoch {
	order := l.Order(e)
	b := l.opt.BatchSize
	ep := &Epoch{l: l, epoch: e, tokens: make(chan struct{}, l.opt.Prefetch), done: make(chan struct{})}
	for lo := 0; lo < len(order); lo += b {
		hi := min(lo+b, len(order))
		if hi-lo < b && l.opt.DropLast {
			break
		}
		ep.batches = append(ep.batches, order[lo:hi])
	}
	ep.results = make([]chan batchResult, len(ep.batches))
	for i := range ep.results {
		ep.results[i] = make(chan batchResult, 1)
	}
	jobs := make(chan int)
	ep.wg.Add(1 + l.opt.Workers)
	go func() { // dispatcher: one token per batch started
		defer ep.wg.Done()
		defer close(jobs)
		for i := range ep.batches {
			select {
			case ep.tokens <- struct{}{}:
			case <-ep.done:
				return
			}
			select {
			case jobs <- i:
			case <-ep.done:
				return
			}
		}
	}()
	for range l.opt.Workers {
		go func() {
			defer ep.wg.Done()
			for i := range jobs {
				ep.results[i] <- ep.build(ep.batches[i])
			}
		}()
	}
	return ep
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("dataset: epoch closed")

// build decodes, transforms and packs the items of one batch.
func (ep *Epoch) build(items []int) batchResult {
	l := ep.l
	var res batchResult
	var data []float32
	var c, h, w int
	var labels, indices []int
	for _, idx := range items {
		select {
		case <-ep.done:
			return batchResult{err: ErrClosed}
		default:
		}
		img, err := l.src.Image(idx)
		if err != nil {
			if l.opt.Strict {
				return batchResult{err: fmt.Errorf("%s: %w", l.src.Name(idx), err)}
			}
			l.warnOnce(idx, err)
			res.skipped++
			continue
		}
		v := l.head.Apply(Value{Image: img}, l.SampleRNG(ep.epoch, idx))
		vc, vh, vw := v.Shape()
		if l.mean != nil && v.Image != nil && len(l.mean) != vc {
			panic(fmt.Sprintf("dataset.Normalize: %d channel means for a %d-channel image", len(l.mean), vc))
		}
		if data == nil {
			c, h, w = vc, vh, vw
			data = make([]float32, 0, len(items)*c*h*w)
		} else if vc != c || vh != h || vw != w {
			return batchResult{err: fmt.Errorf("dataset: %s became %d×%d×%d but earlier samples of its batch %d×%d×%d; the transform must produce one size (add Resize/CenterCrop)", l.src.Name(idx), vc, vh, vw, c, h, w)}
		}
		n := len(data)
		data = data[:n+c*h*w]
		l.writeSample(data[n:], v)
		labels = append(labels, l.src.Label(idx))
		indices = append(indices, idx)
	}
	if len(labels) == 0 {
		return res
	}
	shape := []int{len(labels), c, h, w}
	if l.opt.NHWC {
		shape = []int{len(labels), h, w, c}
	}
	res.batch = &Batch{Images: autograd.New(data, shape...), Labels: labels, Indices: indices}
	return res
}

// writeSample stores one sample in CHW (or HWC) order. An 8-bit image is
// converted as ToTensor (then Normalize, when the pipeline ends with one)
// would, straight into the batch.
func (l *Loader) writeSample(dst []float32, v Value) {
	nhwc := l.opt.NHWC
	switch {
	case v.Image != nil && nhwc:
		m := v.Image
		for i, p := range m.Pix {
			x := float32(p) / 255
			if l.mean != nil {
				x = (x - l.mean[i%m.C]) / l.std[i%m.C]
			}
			dst[i] = x
		}
	case v.Image != nil:
		imageToCHW(dst, v.Image, l.mean, l.std)
	case nhwc:
		t := v.Float
		plane := t.H * t.W
		for c := range t.C {
			for i, x := range t.Data[c*plane : (c+1)*plane] {
				dst[i*t.C+c] = x
			}
		}
	default:
		copy(dst, v.Float.Data)
	}
}

// warnOnce reports an unreadable item the first time it fails.
func (l *Loader) warnOnce(idx int, err error) {
	l.mu.Lock()
	first := !l.warned[idx]
	l.warned[idx] = true
	l.mu.Unlock()
	if first {
		l.opt.Warn(fmt.Sprintf("skipping unreadable sample %s: %v", l.src.Name(idx), err))
	}
}

// Next returns the next batch, or io.EOF after the last one. A batch whose
// samples were all unreadable is passed over.
func (ep *Epoch) Next() (*Batch, error) {
	for ep.next < len(ep.batches) {
		select {
		case <-ep.done:
			return nil, ErrClosed
		default:
		}
		start := time.Now()
		var res batchResult
		select {
		case res = <-ep.results[ep.next]:
		case <-ep.done:
			return nil, ErrClosed
		}
		ep.wait += time.Since(start)
		<-ep.tokens
		ep.next++
		if res.err != nil {
			ep.Close()
			return nil, res.err
		}
		ep.skipped += res.skipped
		if ep.next == len(ep.batches) && ep.skipped > 0 {
			ep.l.opt.Warn(fmt.Sprintf("epoch %d: skipped %d unreadable samples", ep.epoch, ep.skipped))
		}
		if res.batch != nil {
			return res.batch, nil
		}
	}
	return nil, io.EOF
}

// Skipped returns how many unreadable samples this epoch has dropped so far.
func (ep *Epoch) Skipped() int { return ep.skipped }

// Wait returns the total time Next has spent waiting for batches: the time
// a training loop stood idle because of the loader.
func (ep *Epoch) Wait() time.Duration { return ep.wait }

// Close stops the workers and waits until they have exited. It is safe to
// call more than once.
func (ep *Epoch) Close() {
	ep.closing.Do(func() { close(ep.done) })
	ep.wg.Wait()
}

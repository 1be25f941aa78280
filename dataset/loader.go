package dataset

// The loader: batches of transformed samples, made on several goroutines,
// delivered in order.
//
// For epoch e the loader fixes everything up front: the order of the items
// (a permutation drawn from (Seed, e) when shuffling), their grouping into
// batches, and for each item a random generator seeded from (Seed, e,
// item index) that its transform draws from. A batch's contents therefore
// do not depend on the number of workers or on timing.
//
// The workers share each batch: a dispatcher goroutine hands out the
// samples of one batch after another, and each worker takes the next
// sample, decodes and transforms it and writes it straight into its own
// slot of the batch tensor. The worker that finishes a batch's last sample
// completes it, and Next hands the batches out in order. With w workers
// the first batch of an epoch is ready after about 1/w of the time one
// worker would need to build it alone, and the workers run ahead on the
// following batches while the consumer trains.
//
// At most Prefetch batches are in flight — being filled or waiting for the
// consumer (a token is taken before a batch's first job is handed out and
// returned when Next delivers it) — which bounds memory. Close stops the
// workers and waits for them, so an epoch abandoned early leaves no
// goroutine behind.
//
// A sample whose image cannot be read is dropped from its batch (which is
// then one shorter), with a warning the first time that item fails and a
// count at the end of the epoch; with Strict, Next returns the error
// instead. A panic while a worker loads a sample (a transform that cannot
// handle the image, say a crop larger than it) is recovered and becomes
// the error Next returns for that batch, naming the sample: a worker
// goroutine that panicked would otherwise end the whole program.

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocnn/gocnn/autograd"
)

// LoaderOptions configures a Loader. The zero value of each field gives
// torchvision's DataLoader default where there is one.
type LoaderOptions struct {
	BatchSize int      // samples per batch (default 1)
	Shuffle   bool     // a new order every epoch, drawn from Seed and the epoch
	DropLast  bool     // drop the last batch when it is short
	Seed      uint64   // seeds the order and every augmentation
	Workers   int      // goroutines loading samples (default 1)
	Prefetch  int      // batches in flight: being filled or waiting for the consumer (default 2 per worker)
	NHWC      bool     // batches as N, H, W, C instead of N, C, H, W
	Strict    bool     // an unreadable sample is an error instead of a warning
	Warn      WarnFunc // receives the warnings, one call at a time (default StderrWarn)
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

	mu     sync.Mutex   // serialises warnings
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

// batchResult is what Next receives for one batch.
type batchResult struct {
	batch   *Batch // nil when every sample was unreadable
	skipped int
	err     error
}

// pending is a batch being assembled: every worker that loads one of its
// samples writes it straight into its slot of data, and the worker that
// finishes the last sample completes the batch (finish).
type pending struct {
	index int   // the batch's number in the epoch
	items []int // source indices, in batch order
	slots []slot
	left  atomic.Int64 // samples not yet loaded

	mu      sync.Mutex // guards data and size while the first sample allocates them
	data    []float32  // len(items) slots of one sample's size, in item order
	c, h, w int        // the size of a slot: that of the first sample loaded
}

// slot records how one sample of a pending batch turned out.
type slot struct {
	err     error // the image could not be read
	failed  error // loading it panicked (a transform's error): the batch's error
	c, h, w int   // the transformed sample's size
	written bool  // the sample is in data
}

// job is one sample to load: sample k of batch p.
type job struct {
	p *pending
	k int
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
	// A job is one sample, so the workers finish a batch together. Its
	// channel operations cost little: about 3% of the CPU time of a 28×28
	// digit through ToTensor and Normalize, where grouping 16 or 32 samples
	// a job measured no faster.
	jobs := make(chan job, b)
	ep.wg.Add(1 + l.opt.Workers)
	go func() { // dispatcher: a token per batch, then the batch's jobs
		defer ep.wg.Done()
		defer close(jobs)
		for i, items := range ep.batches {
			select {
			case ep.tokens <- struct{}{}:
			case <-ep.done:
				return
			}
			p := &pending{index: i, items: items, slots: make([]slot, len(items))}
			p.left.Store(int64(len(items)))
			for k := range items {
				select {
				case jobs <- job{p, k}:
				case <-ep.done:
					return
				}
			}
		}
	}()
	for range l.opt.Workers {
		go func() {
			defer ep.wg.Done()
			for jb := range jobs {
				select {
				case <-ep.done:
					return
				default:
				}
				ep.load(jb.p, jb.k)
				if jb.p.left.Add(-1) == 0 {
					ep.results[jb.p.index] <- ep.finish(jb.p)
				}
			}
		}()
	}
	return ep
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("dataset: epoch closed")

// load decodes and transforms sample k of p and writes it into its slot.
// The first sample to get here fixes the slot size; a sample of another
// size is not written (finish reports it). A panic is recovered into the
// slot's failed error, with the stack when it is a runtime error (a bug
// rather than a transform's message about the image).
func (ep *Epoch) load(p *pending, k int) {
	l := ep.l
	idx := p.items[k]
	s := &p.slots[k]
	defer func() {
		if r := recover(); r != nil {
			s.written = false
			s.failed = fmt.Errorf("dataset: %s: %v", l.src.Name(idx), r)
			if _, ok := r.(runtime.Error); ok {
				s.failed = fmt.Errorf("%w\n%s", s.failed, debug.Stack())
			}
		}
	}()
	img, err := l.src.Image(idx)
	if err != nil {
		if !l.opt.Strict {
			l.warnOnce(idx, err)
		}
		s.err = err
		return
	}
	v := l.head.Apply(Value{Image: img}, l.SampleRNG(ep.epoch, idx))
	if l.mean != nil && v.Float != nil {
		// A step of the head already made a float tensor, which the
		// trailing ToTensor would have passed on as it is: the trailing
		// Normalize must still run, as Apply of the whole pipeline does.
		v = normalize{l.mean, l.std}.Apply(v, nil)
	}
	s.c, s.h, s.w = v.Shape()
	if l.mean != nil && v.Image != nil && len(l.mean) != s.c {
		panic(fmt.Sprintf("dataset.Normalize: %d channel means for a %d-channel image", len(l.mean), s.c))
	}
	if data, fits := p.claim(s.c, s.h, s.w); fits {
		n := s.c * s.h * s.w
		l.writeSample(data[k*n:(k+1)*n], v)
		s.written = true
	}
}

// claim returns the batch's data, which the first sample loaded allocates
// for its size c×h×w, and whether a sample of size c×h×w fits it. The lock
// is released by defer, so that a panic (recovered by load) cannot leave
// the other workers waiting for it.
func (p *pending) claim(c, h, w int) (data []float32, fits bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.data == nil {
		p.c, p.h, p.w = c, h, w
		p.data = make([]float32, len(p.items)*c*h*w)
	}
	return p.data, c == p.c && h == p.h && w == p.w
}

// finish turns a fully loaded batch into its result, going through the
// samples in batch order: one whose loading panicked is the error, an
// unreadable one is dropped (the batch is then one shorter; with Strict it
// is the error), and every other sample must have the size of the first
// readable one.
func (ep *Epoch) finish(p *pending) batchResult {
	l := ep.l
	var res batchResult
	first := -1
	for k, idx := range p.items {
		s := &p.slots[k]
		if s.failed != nil {
			return batchResult{err: s.failed}
		}
		if s.err != nil {
			if l.opt.Strict {
				return batchResult{err: l.named(idx, s.err)}
			}
			res.skipped++
			continue
		}
		if first < 0 {
			first = k
		} else if f := &p.slots[first]; s.c != f.c || s.h != f.h || s.w != f.w {
			return batchResult{err: fmt.Errorf("dataset: %s became %d×%d×%d but earlier samples of its batch %d×%d×%d; the transform must produce one size (add Resize/CenterCrop)", l.src.Name(idx), s.c, s.h, s.w, f.c, f.h, f.w)}
		}
	}
	if first < 0 {
		return res
	}
	// Every readable sample has the first one's size, so every one was
	// written; close the gaps the unreadable ones left.
	n := p.c * p.h * p.w
	var labels, indices []int
	for k, idx := range p.items {
		if !p.slots[k].written {
			continue
		}
		if j := len(labels); j != k {
			copy(p.data[j*n:(j+1)*n], p.data[k*n:(k+1)*n])
		}
		labels = append(labels, l.src.Label(idx))
		indices = append(indices, idx)
	}
	shape := []int{len(labels), p.c, p.h, p.w}
	if l.opt.NHWC {
		shape = []int{len(labels), p.h, p.w, p.c}
	}
	res.batch = &Batch{Images: autograd.New(p.data[:len(labels)*n], shape...), Labels: labels, Indices: indices}
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
	defer l.mu.Unlock()
	if !l.warned[idx] {
		l.warned[idx] = true
		l.opt.Warn(fmt.Sprintf("skipping unreadable sample: %v", l.named(idx, err)))
	}
}

// named returns err naming item idx: as it is when its text already
// contains the item's name (DecodeFile's errors start with the path, os
// errors carry it after the operation), else with the name in front.
func (l *Loader) named(idx int, err error) error {
	if name := l.src.Name(idx); !strings.Contains(err.Error(), name) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return err
}

// warn passes msg to the Warn function, one call at a time (workers of
// several epochs may warn at once).
func (l *Loader) warn(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.opt.Warn(msg)
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
			// No epoch number: the loader's count starts at 0 and also
			// serves evaluation passes, so it would not match the trainer's.
			ep.l.warn(fmt.Sprintf("this pass over the data skipped %d unreadable %s", ep.skipped, plural(ep.skipped, "sample")))
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

// plural returns noun, or noun + "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

package kernels

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The worker pool.
//
// Parallel(n, grain, fn) cuts [0, n) into chunks of exactly grain items (the
// last one shorter) and calls fn once per chunk. The caller's goroutine takes
// part: it offers the job to idle workers, then works through chunks itself
// until none are left, and finally waits for the chunks that workers are
// still running. It never waits for a worker that has not started: a worker
// that arrives after the last chunk was handed out simply finds nothing to do.
// Because the caller can always finish the job alone, a kernel may call
// Parallel from inside another Parallel without any risk of deadlock; the
// inner call simply finds no idle worker and runs serially.
//
// The chunks handed to fn never depend on how many workers exist, so a
// reduction that combines per-chunk partial results in chunk order gives the
// same bits on 1 core as on 64.
//
// The caller takes chunks from the front, [0, grain) onwards, and the
// workers from the back, the last chunk first, until the two ends meet. The
// work stays balanced, as with one shared counter, but each end of a tensor
// tends to stay with one core from kernel to kernel: an elementwise op, a
// batch norm pass and a convolution (whose tasks are contiguous ranges of
// images) all cut their data in order, so the caller's core keeps working on
// the front part it produced, and the worker's core on the back part, instead
// of each chunk going to whichever thread asks first and its data crossing
// between the cores' caches. Measured on the training steps of the default
// comparison on two cores (bench SmallTrainStep's four models, steps of the
// two schemes alternating in one process): median speed-ups of 1.00–1.08
// in 24 runs of 20 or 40 pairs, 23 of them above 1, and 149 of the 240
// pairs of the 40-pair runs faster; the same harness with one scheme on
// both sides gave 0.97–1.04.
//
// Waking a parked goroutine costs tens of microseconds (a futex call, and the
// scheduler moving the woken goroutine to an idle processor), which is longer
// than most kernel calls of a training step at small image sizes: measured on
// the training step of the four small CNNs (bench SmallTrainStep), three of
// four offered jobs were finished by the caller before the woken worker got
// there. So a worker that finishes a job first spins for a while, polling for
// the next one, and parks only after workerSpin without work. A kernel
// library called back to back, as in a training step, then hands each job to
// a worker that is already running. Between polls the worker yields twice:
// to the other goroutines of the program (runtime.Gosched, so they and the
// garbage collector still run) and to the other threads of the machine
// (osYield), so that on a machine whose cores are all busy the spinning does
// not take time from the caller's own thread or from other programs.

// workerSpin is how long an idle worker keeps polling for a new job before it
// parks. The gap between two parallel kernel calls of a training step is
// mostly a few microseconds of bookkeeping; a longer pause (data loading,
// logging) lets the workers park, so an idle program uses no CPU.
const workerSpin = 100 * time.Microsecond

// job is one call of Parallel shared between the caller and its helpers.
type job struct {
	fn    func(lo, hi int)
	n     int
	grain int
	ends  atomic.Uint64 // the unclaimed chunks [front, back): back<<32 | front
	left  atomic.Int64  // chunks not finished yet
	refs  atomic.Int32  // the caller plus each helper offered the job and not done with it
	done  chan struct{} // capacity 1: a helper that finishes the last chunk tells the caller
}

// claim takes the next unclaimed chunk from the front or from the back, and
// reports false when none is left.
func (j *job) claim(fromFront bool) (int, bool) {
	for {
		e := j.ends.Load()
		front, back := e&(1<<32-1), e>>32
		if front >= back {
			return 0, false
		}
		if fromFront {
			if j.ends.CompareAndSwap(e, back<<32|(front+1)) {
				return int(front), true
			}
		} else if j.ends.CompareAndSwap(e, (back-1)<<32|front) {
			return int(back - 1), true
		}
	}
}

// runChunks takes chunks, from the front (the caller) or the back (a
// worker), until none are left. It reports whether this goroutine finished
// the last chunk of the job.
func (j *job) runChunks(fromFront bool) (finishedLast bool) {
	for {
		c, ok := j.claim(fromFront)
		if !ok {
			return false
		}
		lo := c * j.grain
		j.fn(lo, min(lo+j.grain, j.n))
		if j.left.Add(-1) == 0 {
			return true
		}
	}
}

// release drops one reference; the last one recycles the job, so a helper
// that arrives late never reads a record that already serves another call.
func (j *job) release() {
	if j.refs.Add(-1) == 0 {
		j.fn = nil
		jobs.Put(j)
	}
}

// help is what a worker does with an offered job.
func (j *job) help() {
	if j.runChunks(false) {
		j.done <- struct{}{}
	}
	j.release()
}

// jobs recycles job records, so that a parallel kernel call does not
// allocate one each time (the records are tiny, so a sync.Pool that the
// garbage collector sometimes empties is fine here).
var jobs = sync.Pool{New: func() any { return &job{done: make(chan struct{}, 1)} }}

var (
	threads     atomic.Int32 // how many goroutines, the caller included, may work on one job
	idle        atomic.Int32 // workers waiting for a job, spinning or parked
	startOnce   sync.Once
	workerMu    sync.Mutex
	workerCount int       // workers started so far
	offers      chan *job // jobs waiting for a worker
)

// maxOffers bounds the jobs waiting in offers. A job is offered only while
// a worker is idle, so the queue is short; an offer made just as that worker
// took other work waits there until some worker drains it (finding, most
// likely, no chunk left) or is dropped when the queue is full.
const maxOffers = 64

func init() {
	threads.Store(int32(runtime.GOMAXPROCS(0)))
	offers = make(chan *job, maxOffers)
}

// Threads reports how many goroutines (the caller included) work on one
// Parallel call. It starts as GOMAXPROCS.
func Threads() int { return int(threads.Load()) }

// SetThreads sets the number of goroutines Parallel uses, for example to
// measure one-thread and two-thread throughput in benchmarks. n < 1 means 1.
// It returns the previous setting.
func SetThreads(n int) int {
	n = max(n, 1)
	old := threads.Swap(int32(n))
	ensureWorkers(n - 1)
	return int(old)
}

// ensureWorkers starts background workers until at least n exist. Workers
// live as long as the program: there are at most as many as the largest
// SetThreads (or GOMAXPROCS) asked for, and idle ones park.
func ensureWorkers(n int) {
	workerMu.Lock()
	defer workerMu.Unlock()
	for workerCount < n {
		workerCount++
		go work()
	}
}

// work is the loop of a background worker.
func work() {
	for {
		idle.Add(1)
		j := nextOffer()
		idle.Add(-1)
		j.help()
	}
}

// nextOffer waits for an offered job: it polls for workerSpin, yielding the
// processor between polls, then parks until one comes.
func nextOffer() *job {
	start := time.Now()
	for {
		select {
		case j := <-offers:
			return j
		default:
		}
		if time.Since(start) > workerSpin {
			return <-offers
		}
		runtime.Gosched()
		osYield()
	}
}

// Parallel calls fn(lo, hi) for every chunk [lo, hi) of [0, n), where the
// chunks are [0, grain), [grain, 2·grain), … and the last may be shorter.
// Chunks run concurrently on up to Threads() goroutines; fn must therefore
// only write to memory that belongs to its own chunk. Parallel returns when
// every chunk is done.
func Parallel(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	nchunks := (n + grain - 1) / grain
	helpers := min(Threads(), nchunks) - 1
	if uint64(nchunks) > math.MaxUint32 { // more chunks than claim can count: run them here
		helpers = 0
	}
	if helpers > 0 {
		startOnce.Do(func() { ensureWorkers(Threads() - 1) })
		helpers = min(helpers, int(idle.Load())) // busy workers (perhaps running our own caller's job) cannot help
	}
	if helpers <= 0 {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	j := jobs.Get().(*job)
	j.fn, j.n, j.grain = fn, n, grain
	j.ends.Store(uint64(nchunks) << 32)
	j.left.Store(int64(nchunks))
	j.refs.Store(1)
	for range helpers {
		j.refs.Add(1)
		select {
		case offers <- j:
		default: // the queue is full of stale offers: go on without
			j.refs.Add(-1)
		}
	}
	if !j.runChunks(true) {
		// A helper is finishing the last chunk. Chunks still running are
		// usually short, so poll a little before parking on j.done.
		for start := time.Now(); j.left.Load() != 0 && time.Since(start) < workerSpin; {
			runtime.Gosched()
			osYield()
		}
		<-j.done
	}
	j.release()
}

// parallelMinWork is the least work, in floating-point operations, worth a
// chunk of its own: some microseconds of scalar work, against about a
// microsecond to hand a chunk to a spinning worker. (At 32k, 2 to 20% of the
// training step of the small CNNs ran in calls too small to split; the
// estimates of cost per item that kernels pass to GrainFor are rough, and
// often low.)
const parallelMinWork = 1 << 13

// GrainFor returns a chunk length for n items costing about costPerItem
// floating-point operations each, so that one chunk is worth handing to
// another core (parallelMinWork) yet there are enough chunks to balance the
// load: as many as the work allows, at most 64, and a power of two where the
// items allow, so that 2, 4 or 8 threads get equal shares (three equal chunks
// keep two threads busy for only two thirds of the time). It depends only on
// its arguments, never on the worker count.
func GrainFor(n, costPerItem int) int {
	const maxChunks = 64
	if n <= 1 {
		return 1
	}
	perChunk := parallelMinWork/max(costPerItem, 1) + 1 // items in the smallest chunk worth having
	chunks := min(n/perChunk, maxChunks)
	if chunks <= 1 {
		return n
	}
	for chunks&(chunks-1) != 0 { // round down to a power of two
		chunks &= chunks - 1
	}
	return (n + chunks - 1) / chunks
}

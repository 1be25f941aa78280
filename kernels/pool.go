package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The worker pool.
//
// Parallel(n, grain, fn) cuts [0, n) into chunks of exactly grain items (the
// last one shorter) and calls fn once per chunk. The caller's goroutine takes
// part: it offers the job to idle workers, then works through chunks itself
// until none are left, and finally waits for the workers it recruited. Because
// the caller can always finish the job alone, a kernel may call Parallel from
// inside another Parallel without any risk of deadlock; the inner call simply
// finds no idle worker and runs serially.
//
// The chunks handed to fn never depend on how many workers exist, so a
// reduction that combines per-chunk partial results in chunk order gives the
// same bits on 1 core as on 64.

// job is one call of Parallel shared between the caller and its helpers.
type job struct {
	fn      func(lo, hi int)
	n       int
	grain   int
	nchunks int64
	next    atomic.Int64 // index of the next chunk to hand out
	wg      sync.WaitGroup
}

// runChunks takes chunks until none are left.
func (j *job) runChunks() {
	for {
		c := j.next.Add(1) - 1
		if c >= j.nchunks {
			return
		}
		lo := int(c) * j.grain
		j.fn(lo, min(lo+j.grain, j.n))
	}
}

var (
	threads     atomic.Int32 // how many goroutines, the caller included, may work on one job
	startOnce   sync.Once
	workerMu    sync.Mutex
	workerCount int       // workers started so far
	offers      chan *job // unbuffered: a send succeeds only when a worker is idle
)

func init() {
	threads.Store(int32(runtime.GOMAXPROCS(0)))
	offers = make(chan *job)
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

// ensureWorkers starts background workers until at least n exist.
func ensureWorkers(n int) {
	workerMu.Lock()
	defer workerMu.Unlock()
	for workerCount < n {
		workerCount++
		go func() {
			for j := range offers {
				j.runChunks()
				j.wg.Done()
			}
		}()
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
	if helpers <= 0 {
		for lo := 0; lo < n; lo += grain {
			fn(lo, min(lo+grain, n))
		}
		return
	}
	startOnce.Do(func() { ensureWorkers(Threads() - 1) })
	j := jobs.Get().(*job)
	j.fn, j.n, j.grain, j.nchunks = fn, n, grain, int64(nchunks)
	j.next.Store(0)
	for range helpers {
		j.wg.Add(1)
		select {
		case offers <- j:
		default: // every worker is busy (perhaps with our own caller's job): go on without
			j.wg.Done()
		}
	}
	j.runChunks()
	j.wg.Wait()
	j.fn = nil // every helper has called Done and will not touch j again
	jobs.Put(j)
}

// jobs recycles job records, so that a parallel kernel call does not
// allocate one each time (the records are tiny, so a sync.Pool that the
// garbage collector sometimes empties is fine here).
var jobs = sync.Pool{New: func() any { return new(job) }}

// GrainFor returns a chunk length for n items costing about costPerItem
// floating-point operations each, so that one chunk is worth handing to
// another core (about 32k operations) yet there are enough chunks to balance
// the load. It depends only on its arguments, never on the worker count.
func GrainFor(n, costPerItem int) int {
	const minWork = 1 << 15
	return max(minWork/max(costPerItem, 1), n/64, 1) // at most about 64 chunks
}

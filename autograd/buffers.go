package autograd

import (
	"math/bits"
	"sync"

	"github.com/gocnn/gocnn/kernels"
)

// The buffer pool: a free list of float32 slices by size class.
//
// A training step allocates the same activation and gradient sizes every
// step. Instead of leaving the old ones to the garbage collector and zeroing
// fresh ones, results take a buffer from here and Backward gives it back when
// the graph no longer needs it. The pool is ours rather than a sync.Pool,
// which the garbage collector empties at every cycle.
//
// Size classes: four per power of two (2^e, 1.25·2^e, 1.5·2^e, 1.75·2^e), so a
// request wastes at most a quarter of its buffer. Buffers come back dirty;
// callers that need zeros ask for them.

const (
	classesPerOctave = 4
	smallest         = 16 // requests below this share the smallest class
)

type bufferPool struct {
	mu      sync.Mutex
	free    map[int][][]float32 // class size → free buffers of exactly that capacity
	held    int64               // bytes held in free lists
	limit   int64               // held never exceeds this; extra buffers go to the GC
	reused  int64               // requests served from a free list
	fresh   int64               // requests that allocated
	freshMB float64             // megabytes allocated by fresh requests
}

var pool = bufferPool{free: map[int][][]float32{}, limit: 8 << 30}

// classSize rounds n up to its size class.
func classSize(n int) int {
	if n <= smallest {
		return smallest
	}
	e := bits.Len(uint(n-1)) - 1 // 2^e < n ≤ 2^(e+1)
	step := 1 << e / classesPerOctave
	if step == 0 {
		step = 1
	}
	return (n + step - 1) / step * step
}

// get returns a buffer of length n with undefined contents.
func (p *bufferPool) get(n int) []float32 {
	if n == 0 {
		return nil
	}
	c := classSize(n)
	p.mu.Lock()
	list := p.free[c]
	if k := len(list); k > 0 {
		buf := list[k-1]
		list[k-1] = nil
		p.free[c] = list[:k-1]
		p.held -= int64(c) * 4
		p.reused++
		p.mu.Unlock()
		return buf[:n]
	}
	p.fresh++
	p.freshMB += float64(c) * 4 / (1 << 20)
	p.mu.Unlock()
	return make([]float32, n, c)
}

// put gives a buffer obtained from get back to the pool.
func (p *bufferPool) put(buf []float32) {
	c := cap(buf)
	if c == 0 || classSize(c) != c {
		return // not one of ours
	}
	p.mu.Lock()
	if p.held+int64(c)*4 <= p.limit {
		p.free[c] = append(p.free[c], buf[:c])
		p.held += int64(c) * 4
	}
	p.mu.Unlock()
}

// alloc returns a pooled buffer of length n with undefined contents.
func alloc(n int) []float32 { return pool.get(n) }

// allocZero returns a pooled buffer of length n filled with zeros.
func allocZero(n int) []float32 {
	b := pool.get(n)
	kernels.Zero(b)
	return b
}

// release hands a buffer from alloc back to the pool. The caller must not
// touch it afterwards.
func release(buf []float32) { pool.put(buf) }

// PoolStats describes the buffer pool's activity since the program started.
type PoolStats struct {
	Reused  int64   // requests served from a free list
	Fresh   int64   // requests that had to allocate
	FreshMB float64 // megabytes allocated by those requests
	HeldMB  float64 // megabytes currently waiting in free lists
}

// Stats reports the buffer pool's counters.
func Stats() PoolStats {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	return PoolStats{Reused: pool.reused, Fresh: pool.fresh, FreshMB: pool.freshMB, HeldMB: float64(pool.held) / (1 << 20)}
}

// SetPoolLimit caps the memory the pool keeps for reuse (default 8 GiB) and
// returns the previous cap. Buffers returned beyond the cap are left to the
// garbage collector.
func SetPoolLimit(bytes int64) int64 {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	old := pool.limit
	pool.limit = bytes
	return old
}

// FreePool empties the pool, for example between training two different
// models whose activation sizes do not match.
func FreePool() {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	pool.free = map[int][][]float32{}
	pool.held = 0
}

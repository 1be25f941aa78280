package kernels

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tests of the worker pool: every chunk runs once with the promised bounds,
// nested and concurrent calls finish, the workers do not multiply, and
// GrainFor's chunk counts.

// checkChunks runs Parallel(n, grain) and checks that fn saw exactly the
// chunks [0, grain), [grain, 2·grain), … once each.
func checkChunks(t *testing.T, n, grain int) {
	t.Helper()
	g := max(grain, 1)
	nchunks := (n + g - 1) / g
	seen := make([]atomic.Int32, max(nchunks, 1))
	var bad atomic.Value
	Parallel(n, grain, func(lo, hi int) {
		if lo%g != 0 || hi != min(lo+g, n) || lo >= n {
			bad.Store(fmt.Sprintf("chunk [%d, %d)", lo, hi))
			return
		}
		seen[lo/g].Add(1)
	})
	if b := bad.Load(); b != nil {
		t.Fatalf("Parallel(%d, %d): unexpected %v", n, grain, b)
	}
	for i := range nchunks {
		if got := seen[i].Load(); got != 1 {
			t.Fatalf("Parallel(%d, %d): chunk %d ran %d times", n, grain, i, got)
		}
	}
}

func TestParallelChunks(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 8} {
		old := SetThreads(threads)
		for _, n := range []int{0, 1, 2, 7, 64, 1000} {
			for _, grain := range []int{0, 1, 3, 64, 2000} {
				checkChunks(t, n, grain)
			}
		}
		SetThreads(old)
	}
}

// TestParallelNestedAndConcurrent runs Parallel inside Parallel, from several
// goroutines at once, with chunks of very different lengths (so helpers
// arrive both early and after the work is gone), and checks every item.
func TestParallelNestedAndConcurrent(t *testing.T) {
	defer SetThreads(SetThreads(4))
	const outer, inner = 37, 53
	var wg sync.WaitGroup
	for caller := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 20 {
				out := make([]int32, outer*inner)
				Parallel(outer, 1+round%4, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						Parallel(inner, 1+(i+caller)%7, func(lo2, hi2 int) {
							if (i+lo2)%5 == 0 {
								time.Sleep(20 * time.Microsecond)
							}
							for k := lo2; k < hi2; k++ {
								out[i*inner+k]++
							}
						})
					}
				})
				for k, v := range out {
					if v != 1 {
						t.Errorf("caller %d round %d: item %d written %d times", caller, round, k, v)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestParallelWorkersDoNotMultiply checks that many calls, with the thread
// count going up and down, leave a bounded number of goroutines behind.
func TestParallelWorkersDoNotMultiply(t *testing.T) {
	old := SetThreads(4)
	Parallel(8, 1, func(lo, hi int) {}) // start the workers
	before := runtime.NumGoroutine()
	for i := range 200 {
		SetThreads(1 + i%4)
		Parallel(100, 7, func(lo, hi int) {})
	}
	SetThreads(old)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before 200 Parallel calls, %d after", before, after)
	}
}

func TestGrainFor(t *testing.T) {
	for _, c := range []struct{ n, cost, want int }{
		{0, 1, 1},
		{1, 1 << 20, 1},
		{100, 1, 100},                 // 100 operations: one chunk
		{1 << 22, 1, 1 << 16},         // 64 chunks at most
		{15000, 1, 15000},             // 15k operations: not worth two chunks of 8k
		{3 * 10000, 1, 3 * 10000 / 2}, // 3 chunks' worth rounds down to 2
		{10, 1 << 20, 2},              // 10 costly items: 8 chunks, the last shorter
	} {
		if got := GrainFor(c.n, c.cost); got != c.want {
			t.Errorf("GrainFor(%d, %d) = %d, want %d", c.n, c.cost, got, c.want)
		}
	}
	// Every chunk is worth parallelMinWork, and the chunk count is a power of
	// two whenever the items divide evenly enough.
	for n := 1; n < 3000; n += 37 {
		for _, cost := range []int{1, 100, 1000, 30000, 1 << 16} {
			g := GrainFor(n, cost)
			chunks := (n + g - 1) / g
			if chunks > 1 && g*cost < parallelMinWork {
				t.Errorf("GrainFor(%d, %d) = %d: %d operations per chunk", n, cost, g, g*cost)
			}
			if chunks > 64 {
				t.Errorf("GrainFor(%d, %d) = %d: %d chunks", n, cost, g, chunks)
			}
			if n%64 == 0 && chunks&(chunks-1) != 0 {
				t.Errorf("GrainFor(%d, %d) = %d: %d chunks", n, cost, g, chunks)
			}
		}
	}
}

// TestClaimFromBothEnds checks that the caller's chunks come from the front
// and the workers' from the back, each chunk once, until the ends meet.
func TestClaimFromBothEnds(t *testing.T) {
	const nchunks = 7
	var j job
	j.ends.Store(nchunks << 32)
	var got []int
	for i, fromFront := range []bool{true, false, false, true, false, true, true, false, true} {
		c, ok := j.claim(fromFront)
		if want := i < nchunks; ok != want {
			t.Fatalf("claim %d: ok = %v, want %v", i, ok, want)
		}
		if ok {
			got = append(got, c)
		}
	}
	if want := []int{0, 6, 5, 1, 4, 2, 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("chunks claimed in the order %v, want %v", got, want)
	}
}

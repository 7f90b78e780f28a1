package kernel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Chunk is the number of elements of one work unit of the parallel loops.
// It is a constant, never derived from GOMAXPROCS: a loop over n elements
// always has the same chunks, each chunk writes its own partial result, and
// the caller reduces the partials in chunk order, so results are
// bit-identical whatever the number of threads.
const Chunk = 1 << 15

// Chunks returns the number of chunks of size chunk covering n elements.
func Chunks(n, chunk int) int { return (n + chunk - 1) / chunk }

// Job is one parallel loop: Do processes chunk c, elements [lo, hi).
// Implementations are pointers to structs kept in a reusable workspace, so
// that starting a loop allocates nothing.
type Job interface {
	Do(c, lo, hi int)
}

// task is one Run in progress. Helpers join it only while it is open:
// a worker that gets to it late (its thread descheduled on a busy
// machine) finds it closed and leaves, so the caller never waits for a
// helper that has not started; it sleeps until those inside are done.
type task struct {
	job      Job
	n, chunk int
	nChunks  int
	next     atomic.Int64
	panicked atomic.Pointer[any]

	mu     sync.Mutex
	cond   sync.Cond
	active int // helpers inside
	closed bool
}

// recoverPanic records a panic of a chunk for the caller of Run; the
// recorded value is allocated only when there is one.
func (t *task) recoverPanic() {
	if r := recover(); r != nil {
		p := new(any)
		*p = r
		t.panicked.CompareAndSwap(nil, p)
	}
}

func (t *task) run() {
	defer t.recoverPanic()
	for {
		c := int(t.next.Add(1) - 1)
		if c >= t.nChunks {
			return
		}
		lo := c * t.chunk
		hi := min(lo+t.chunk, t.n)
		t.job.Do(c, lo, hi)
	}
}

var (
	poolMu   sync.Mutex
	started  int
	work     = make(chan *task, 64)
	taskPool = sync.Pool{New: func() any { return new(task) }}
)

func worker() {
	for t := range work {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			continue
		}
		t.active++
		t.mu.Unlock()
		t.run()
		t.mu.Lock()
		t.active--
		if t.active == 0 && t.closed {
			t.cond.Signal()
		}
		t.mu.Unlock()
	}
}

// ensureWorkers starts background workers until there are at least k.
func ensureWorkers(k int) {
	poolMu.Lock()
	for started < k {
		go worker()
		started++
	}
	poolMu.Unlock()
}

// Run calls job.Do for every chunk of [0, n) in chunks of size chunk, on
// up to GOMAXPROCS goroutines (the caller's included), and returns when all
// are done. Background workers are started once and reused, so Run does
// not allocate in steady state. A panic in a chunk is re-raised in the caller.
func Run(job Job, n, chunk int) {
	if n <= 0 {
		return
	}
	if chunk <= 0 {
		chunk = Chunk
	}
	nc := Chunks(n, chunk)
	w := min(runtime.GOMAXPROCS(0), nc)
	if w <= 1 {
		for c := 0; c < nc; c++ {
			lo := c * chunk
			job.Do(c, lo, min(lo+chunk, n))
		}
		return
	}
	ensureWorkers(w - 1)
	t := taskPool.Get().(*task)
	t.mu.Lock()
	if t.cond.L == nil {
		t.cond.L = &t.mu
	}
	t.job, t.n, t.chunk, t.nChunks = job, n, chunk, nc
	t.next.Store(0)
	t.panicked.Store(nil)
	t.closed = false
	t.mu.Unlock()
	for i := 0; i < w-1; i++ {
		select {
		case work <- t:
		default: // every worker is busy: the caller does the work
		}
	}
	t.run()
	t.mu.Lock()
	t.closed = true
	for t.active > 0 {
		t.cond.Wait()
	}
	t.mu.Unlock()
	p := t.panicked.Load()
	t.job = nil
	taskPool.Put(t)
	if p != nil {
		panic(*p)
	}
}

// funcJob adapts a function to Job.
type funcJob func(c, lo, hi int)

// Do calls the function.
func (f funcJob) Do(c, lo, hi int) { f(c, lo, hi) }

// RunFunc is Run for a function. It is convenient outside hot paths; a
// closure that captures variables may allocate once per call.
func RunFunc(n, chunk int, f func(c, lo, hi int)) { Run(funcJob(f), n, chunk) }

// SumOrdered returns the sum of partials in index order: the fixed-order
// reduction of per-chunk results.
func SumOrdered(partials []float64) float64 {
	var s float64
	for _, v := range partials {
		s += v
	}
	return s
}

package kernel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

type sumJob struct {
	x        []float64
	partials []float64
	calls    atomic.Int64
}

func (j *sumJob) Do(c, lo, hi int) {
	var s float64
	for _, v := range j.x[lo:hi] {
		s += v
	}
	j.partials[c] = s
	j.calls.Add(1)
}

func TestRunDeterministic(t *testing.T) {
	n := 1_000_003
	x := make([]float64, n)
	for i := range x {
		x[i] = 1 / float64(i+1)
	}
	var ref float64
	for _, procs := range []int{1, 2, 3, 8} {
		old := runtime.GOMAXPROCS(procs)
		j := &sumJob{x: x, partials: make([]float64, Chunks(n, Chunk))}
		Run(j, n, Chunk)
		runtime.GOMAXPROCS(old)
		if int(j.calls.Load()) != Chunks(n, Chunk) {
			t.Fatalf("procs %d: %d chunk calls, want %d", procs, j.calls.Load(), Chunks(n, Chunk))
		}
		s := SumOrdered(j.partials)
		if procs == 1 {
			ref = s
		} else if s != ref {
			t.Fatalf("procs %d: sum %v != %v with 1 thread", procs, s, ref)
		}
	}
}

func TestRunNoAllocs(t *testing.T) {
	x := make([]float64, 10*Chunk)
	j := &sumJob{x: x, partials: make([]float64, 10)}
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	Run(j, len(x), Chunk)
	if a := testing.AllocsPerRun(20, func() { Run(j, len(x), Chunk) }); a != 0 {
		t.Errorf("Run allocates %v per call", a)
	}
}

type panicJob struct{}

func (panicJob) Do(c, lo, hi int) {
	if c == 3 {
		panic("boom")
	}
}

func TestRunPanics(t *testing.T) {
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	defer func() {
		if r := recover(); r != "boom" {
			t.Errorf("recovered %v, want boom", r)
		}
	}()
	Run(panicJob{}, 10*Chunk, Chunk)
}

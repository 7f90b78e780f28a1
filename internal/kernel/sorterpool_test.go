package kernel

import (
	"runtime"
	"sync"
	"testing"
)

// TestSorterPool checks that the pool lends each Sorter to one holder at
// a time, gives back the Sorters it was handed, and, once reserved, lends
// without allocating.
func TestSorterPool(t *testing.T) {
	var p SorterPool
	a, b := p.Get(), p.Get()
	if a == nil || b == nil || a == b {
		t.Fatalf("Get gave %p and %p: want two distinct Sorters", a, b)
	}
	p.Put(a)
	if c := p.Get(); c != a {
		t.Errorf("Get after Put(a) gave %p, want a = %p", c, a)
	}
	p.Put(a)
	p.Put(b)
	p.Reserve()
	if k := runtime.GOMAXPROCS(0); p.n < k || len(p.free) != p.n {
		t.Errorf("after Reserve: %d Sorters, %d free; want at least GOMAXPROCS = %d, all free", p.n, len(p.free), k)
	}
	if n := testing.AllocsPerRun(20, func() { p.Put(p.Get()) }); n != 0 {
		t.Errorf("Get and Put allocate %v times, want 0", n)
	}

	// Concurrent holders never share a Sorter.
	var mu sync.Mutex
	held := map[*Sorter]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				s := p.Get()
				mu.Lock()
				if held[s] {
					t.Error("a Sorter was lent to two holders at once")
				}
				held[s] = true
				mu.Unlock()
				s.SortDesc32([]float32{2, 1, 3}, []int32{0, 1, 2})
				mu.Lock()
				delete(held, s)
				mu.Unlock()
				p.Put(s)
			}
		}()
	}
	wg.Wait()
}

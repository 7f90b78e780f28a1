package kernel

import (
	"runtime"
	"sync"
)

// SorterPool lends Sorters to the units of a parallel loop of many small
// sorts: a unit takes one, sorts, and gives it back. The loop then holds
// only as many Sorters as run at once, and their scratch memory stays in
// cache from one unit to the next, instead of one Sorter (and one cold
// scratch region) per unit. Which Sorter a unit gets does not change its
// result. The zero value is ready; a SorterPool must not be copied after
// first use.
type SorterPool struct {
	mu   sync.Mutex
	n    int       // Sorters made
	free []*Sorter // those not lent
}

// Reserve makes sure the pool holds at least as many Sorters as a
// parallel loop can use at once (GOMAXPROCS), so that Get does not
// allocate while the loop runs.
func (p *SorterPool) Reserve() {
	k := runtime.GOMAXPROCS(0)
	p.mu.Lock()
	for ; p.n < k; p.n++ {
		p.free = append(p.free, new(Sorter))
	}
	p.mu.Unlock()
}

// Get takes a Sorter from the pool (a new one when none is free).
func (p *SorterPool) Get() *Sorter {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.free); k > 0 {
		s := p.free[k-1]
		p.free = p.free[:k-1]
		return s
	}
	p.n++
	return new(Sorter)
}

// Put gives back a Sorter taken with Get.
func (p *SorterPool) Put(s *Sorter) {
	p.mu.Lock()
	p.free = append(p.free, s)
	p.mu.Unlock()
}

package segloss

import (
	"hash/maphash"
	"slices"
	"sync"
)

type mapKind uint8

const (
	mapSigned   mapKind = iota // boundary: signed distance map of the target
	mapUnsigned                // hausdorff_dt: distance map of the target
	mapSigned32                // boundary's fused float32 path: mapSigned in float32
)

// MapCache keeps the distance maps of targets, so that boundary,
// hausdorff_dt and log_hausdorff_dt compute the map of a (sample, class)
// target mask once over a training run instead of once per step. A map
// is found again by its mask (compared in full, not only by hash), its
// shape and spacing; the cache holds at most Max maps and forgets the
// oldest first. It is safe for concurrent use. Only the target's maps are
// cached: hausdorff_dt's prediction map changes every step.
//
// Attach one to a loss with SetMapCache. A nil *MapCache caches nothing.
type MapCache struct {
	mu      sync.Mutex
	max     int
	seed    maphash.Seed
	entries map[uint64][]*mapEntry
	order   []*mapEntry
	hits    int
	misses  int
}

type mapEntry struct {
	hash    uint64
	kind    mapKind
	shape   []int
	spacing []float64
	mask    []bool
	m       []float64 // the float64 kinds
	m32     []float32 // the float32 kinds
}

// NewMapCache returns a cache of at most maxMaps maps (maxMaps < 1 means 1).
// A map costs 8 bytes per voxel (4 for the float32 maps of boundary's
// float32 path) plus one per voxel for its mask.
func NewMapCache(maxMaps int) *MapCache {
	return &MapCache{max: max(maxMaps, 1), seed: maphash.MakeSeed(), entries: map[uint64][]*mapEntry{}}
}

// Stats returns the number of lookups that found a map and that computed one.
func (c *MapCache) Stats() (hits, misses int) {
	if c == nil {
		return 0, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

// get returns the map of kind for mask: the cached one (read-only), or
// one computed with compute (scratch s), into scratch when there is no
// cache. A miss allocates the new entry.
func (c *MapCache) get(kind mapKind, mask []bool, shape []int, spacing []float64, scratch []float64, workers int,
	s *mapScratch, compute mapFunc) []float64 {
	if c == nil {
		compute(scratch, mask, shape, spacing, workers, s)
		return scratch
	}
	key := c.hash(kind, mask)
	if e := c.find(key, kind, mask, shape, spacing); e != nil {
		return e.m
	}
	m := make([]float64, len(mask))
	compute(m, mask, shape, spacing, workers, s)
	c.insert(&mapEntry{hash: key, kind: kind, shape: slices.Clone(shape), spacing: slices.Clone(spacing), mask: slices.Clone(mask), m: m})
	return m
}

// get32 is get for the fused float32 paths: the map in float32, cached
// under its own kind (a float32 kind such as mapSigned32). compute writes
// into scratch; dst receives the map when there is no cache. A hit
// allocates nothing, a miss the new entry (its float32 map, mask, shape
// and spacing).
func (c *MapCache) get32(kind mapKind, mask []bool, shape []int, spacing []float64, scratch []float64, dst []float32, workers int,
	s *mapScratch, compute mapFunc) []float32 {
	if c == nil {
		compute(scratch, mask, shape, spacing, workers, s)
		return toFloat32(&dst, scratch)
	}
	key := c.hash(kind, mask)
	if e := c.find(key, kind, mask, shape, spacing); e != nil {
		return e.m32
	}
	compute(scratch, mask, shape, spacing, workers, s)
	var m []float32
	m = toFloat32(&m, scratch)
	c.insert(&mapEntry{hash: key, kind: kind, shape: slices.Clone(shape), spacing: slices.Clone(spacing), mask: slices.Clone(mask), m32: m})
	return m
}

// find returns the entry of kind for mask (hash key), counting a hit, or
// nil, counting a miss.
func (c *MapCache) find(key uint64, kind mapKind, mask []bool, shape []int, spacing []float64) *mapEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key] {
		if e.kind == kind && slices.Equal(e.shape, shape) && slices.Equal(e.spacing, spacing) && slices.Equal(e.mask, mask) {
			c.hits++
			return e
		}
	}
	c.misses++
	return nil
}

// insert adds e, forgetting the oldest entries beyond c.max.
func (c *MapCache) insert(e *mapEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[e.hash] = append(c.entries[e.hash], e)
	c.order = append(c.order, e)
	for len(c.order) > c.max {
		old := c.order[0]
		c.order = c.order[1:]
		list := c.entries[old.hash]
		for i, x := range list {
			if x == old {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(c.entries, old.hash)
		} else {
			c.entries[old.hash] = list
		}
	}
}

// hash returns the hash of kind and mask, the mask packed 8 voxels a byte.
func (c *MapCache) hash(kind mapKind, mask []bool) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteByte(byte(kind))
	var buf [512]byte
	n := 0
	for i := 0; i < len(mask); i += 8 {
		var b byte
		for j := i; j < min(i+8, len(mask)); j++ {
			if mask[j] {
				b |= 1 << (j - i)
			}
		}
		buf[n] = b
		if n++; n == len(buf) {
			h.Write(buf[:])
			n = 0
		}
	}
	h.Write(buf[:n])
	return h.Sum64()
}

// SetMapCache makes the distance-map losses (boundary, hausdorff_dt,
// log_hausdorff_dt, and such terms of a weighted sum) look their target
// maps up in c; nil turns caching off. Call it before the loss is used
// concurrently.
func (l *Loss) SetMapCache(c *MapCache) {
	l.maps = c
	for _, t := range l.terms {
		t.loss.SetMapCache(c)
	}
}

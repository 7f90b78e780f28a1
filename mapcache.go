package segloss

import (
	"bytes"
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
	bits    []byte    // the mask, packed (packMask)
	m       []float64 // the float64 kinds
	m32     []float32 // the float32 kinds
}

// NewMapCache returns a cache of at most maxMaps maps (maxMaps < 1 means 1).
// A map costs 8 bytes per voxel (4 for the float32 maps of boundary's
// float32 path) plus one bit per voxel for its mask.
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

// get returns the map of kind for a target mask: the cached one
// (read-only), or one computed with compute (scratch s), into scratch
// when there is no cache. bits is the mask packed 8 voxels a byte
// (packMask; unused without a cache), mask the mask itself or nil, then
// unpacked from bits when the map is computed (mask is required without
// a cache). A miss allocates the new entry.
func (c *MapCache) get(kind mapKind, bits []byte, mask []bool, shape []int, spacing []float64, scratch []float64, workers int,
	s *mapScratch, compute mapFunc) []float64 {
	if c == nil {
		compute(scratch, mask, shape, spacing, workers, s)
		return scratch
	}
	key := c.hash(kind, bits)
	if e := c.find(key, kind, bits, shape, spacing); e != nil {
		return e.m
	}
	m := make([]float64, len(scratch))
	compute(m, s.unpacked(bits, mask, len(m)), shape, spacing, workers, s)
	c.insert(&mapEntry{hash: key, kind: kind, shape: slices.Clone(shape), spacing: slices.Clone(spacing), bits: slices.Clone(bits), m: m})
	return m
}

// get32 is get for the fused float32 paths: the map in float32, cached
// under its own kind (a float32 kind such as mapSigned32). compute writes
// into scratch; dst receives the map when there is no cache. A hit
// allocates nothing, a miss the new entry (its float32 map, packed mask,
// shape and spacing).
func (c *MapCache) get32(kind mapKind, bits []byte, mask []bool, shape []int, spacing []float64, scratch []float64, dst []float32, workers int,
	s *mapScratch, compute mapFunc) []float32 {
	if c == nil {
		compute(scratch, mask, shape, spacing, workers, s)
		return toFloat32(&dst, scratch)
	}
	key := c.hash(kind, bits)
	if e := c.find(key, kind, bits, shape, spacing); e != nil {
		return e.m32
	}
	compute(scratch, s.unpacked(bits, mask, len(scratch)), shape, spacing, workers, s)
	var m []float32
	m = toFloat32(&m, scratch)
	c.insert(&mapEntry{hash: key, kind: kind, shape: slices.Clone(shape), spacing: slices.Clone(spacing), bits: slices.Clone(bits), m32: m})
	return m
}

// find returns the entry of kind for the packed mask bits (hash key),
// counting a hit, or nil, counting a miss.
func (c *MapCache) find(key uint64, kind mapKind, bits []byte, shape []int, spacing []float64) *mapEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries[key] {
		if e.kind == kind && slices.Equal(e.shape, shape) && slices.Equal(e.spacing, spacing) && bytes.Equal(e.bits, bits) {
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

// hash returns the hash of kind and the packed mask bits.
func (c *MapCache) hash(kind mapKind, bits []byte) uint64 {
	return maphash.Bytes(c.seed, bits) ^ uint64(kind)*0x9e3779b97f4a7c15
}

// packMask writes mask into buf, 8 voxels a byte (voxel i is bit i%8 of
// byte i/8), and returns it.
func packMask(buf *[]byte, mask []bool) []byte {
	bits := grow(buf, (len(mask)+7)/8)
	for k := range bits {
		var b byte
		for j, m := range mask[k*8 : min(k*8+8, len(mask))] {
			if m {
				b |= 1 << j
			}
		}
		bits[k] = b
	}
	return bits
}

// unpacked returns mask when it is not nil, else the n voxels of the
// packed bits unpacked into s.
func (s *mapScratch) unpacked(bits []byte, mask []bool, n int) []bool {
	if mask != nil {
		return mask
	}
	mask = grow(&s.mask, n)
	for i := range mask {
		mask[i] = bits[i>>3]>>(i&7)&1 != 0
	}
	return mask
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

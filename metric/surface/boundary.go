package surface

// Boundary returns the surface voxels of mask: its foreground voxels that
// have a background face neighbour or lie on the image border (see the
// package documentation). shape must hold len(mask) voxels.
func Boundary(mask []bool, shape []int) []bool {
	out := make([]bool, len(mask))
	nd := len(shape)
	strides := make([]int, nd)
	s := 1
	for a := nd - 1; a >= 0; a-- {
		strides[a] = s
		s *= shape[a]
	}
	coord := make([]int, nd)
	for i, fg := range mask {
		if fg {
			for a := 0; a < nd; a++ {
				c, st := coord[a], strides[a]
				if c == 0 || c == shape[a]-1 || !mask[i-st] || !mask[i+st] {
					out[i] = true
					break
				}
			}
		}
		for a := nd - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < shape[a] {
				break
			}
			coord[a] = 0
		}
	}
	return out
}

// box is an axis-aligned box of voxels: lo inclusive, hi exclusive.
type box struct{ lo, hi []int }

// unionBox returns the bounding box of the voxels true in a or b, grown by
// margin voxels on each side and clamped to the image, and whether any
// voxel is true.
func unionBox(a, b []bool, shape []int, margin int) (box, bool) {
	nd := len(shape)
	bx := box{make([]int, nd), make([]int, nd)}
	for k := range shape {
		bx.lo[k], bx.hi[k] = shape[k], -1
	}
	coord := make([]int, nd)
	any := false
	for i := range a {
		if a[i] || b[i] {
			any = true
			for k, c := range coord {
				bx.lo[k] = min(bx.lo[k], c)
				bx.hi[k] = max(bx.hi[k], c)
			}
		}
		for k := nd - 1; k >= 0; k-- {
			coord[k]++
			if coord[k] < shape[k] {
				break
			}
			coord[k] = 0
		}
	}
	for k := range shape {
		bx.lo[k] = max(bx.lo[k]-margin, 0)
		bx.hi[k] = min(bx.hi[k]+1+margin, shape[k])
	}
	return bx, any
}

// shape returns the size of the box along each axis.
func (bx box) shape() []int {
	s := make([]int, len(bx.lo))
	for k := range s {
		s[k] = bx.hi[k] - bx.lo[k]
	}
	return s
}

// crop copies the part of mask (of the given shape) inside bx.
func (bx box) crop(mask []bool, shape []int) []bool {
	sub := bx.shape()
	n := 1
	for _, s := range sub {
		n *= s
	}
	out := make([]bool, 0, n)
	nd := len(shape)
	coord := append([]int(nil), bx.lo...)
	w := sub[nd-1]
	for len(out) < n {
		off := 0
		for k := 0; k < nd; k++ {
			off = off*shape[k] + coord[k]
		}
		out = append(out, mask[off:off+w]...)
		// Next row: advance every axis but the last.
		for k := nd - 2; k >= 0; k-- {
			coord[k]++
			if coord[k] < bx.hi[k] {
				break
			}
			coord[k] = bx.lo[k]
		}
	}
	return out
}

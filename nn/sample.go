package nn

// resample is 2× mean/max pooling or nearest up-sampling of a [N, c, S]
// tensor, forward or backward, as a parallel job over the N·c planes.
// lo is the low-resolution size, hi = 2·lo along each spatial axis.
type resample struct {
	op        int // opMean, opMax, opUp
	bwd       bool
	dims      int
	lo, hi    geom
	fine      []float32 // high-resolution tensor
	coarse    []float32 // low-resolution tensor
	gFine     []float32 // gradient of fine (pool: added to; up: written)
	gCoarse   []float32 // gradient of coarse (pool: read; up: written)
	idx       []int32   // max pool: flat offset in the plane of each maximum
	planeSize int
}

const (
	opMean = iota
	opMax
	opUp
)

// Do processes planes [lo, hi).
func (r *resample) Do(_, p0, p1 int) {
	Sl, Sh := r.lo.size(), r.hi.size()
	for p := p0; p < p1; p++ {
		fine := r.fine[p*Sh : (p+1)*Sh]
		coarse := r.coarse[p*Sl : (p+1)*Sl]
		var gf, gc []float32
		if r.bwd {
			gf, gc = r.gFine[p*Sh:(p+1)*Sh], r.gCoarse[p*Sl:(p+1)*Sl]
		}
		if r.op == opMax {
			r.maxPlane(fine, coarse, gf, gc, r.idx[p*Sl:(p+1)*Sl])
			continue
		}
		kz := 1
		if r.dims == 3 {
			kz = 2
		}
		inv := 1 / float32(4*kz)
		W, HW, w := r.hi.w, r.hi.h*r.hi.w, r.lo.w
		o := 0
		for z := 0; z < r.lo.d; z++ {
			for y := 0; y < r.lo.h; y++ {
				b := kz*z*HW + 2*y*W
				// the fine rows under coarse row (z, y): dz = 0 then 1, each two rows
				var rows [4][]float32
				src := fine // mean forward reads it, up forward writes it
				if r.bwd {
					src = gf // up backward reads it, mean backward adds to it
				}
				for dz := 0; dz < kz; dz++ {
					q := b + dz*HW
					rows[2*dz], rows[2*dz+1] = src[q:q+2*w], src[q+W:q+W+2*w]
				}
				switch {
				case r.op == opUp && !r.bwd:
					for x, v := range coarse[o : o+w] {
						for dz := 0; dz < kz; dz++ {
							r0, r1 := rows[2*dz][2*x:2*x+2], rows[2*dz+1][2*x:2*x+2]
							r0[0], r0[1], r1[0], r1[1] = v, v, v, v
						}
					}
				case r.op == opUp:
					for x := range gc[o : o+w] {
						var s float32
						for dz := 0; dz < kz; dz++ {
							r0, r1 := rows[2*dz][2*x:2*x+2], rows[2*dz+1][2*x:2*x+2]
							s += r0[0] + r0[1] + r1[0] + r1[1]
						}
						gc[o+x] = s
					}
				case !r.bwd: // mean
					for x := range coarse[o : o+w] {
						var s float32
						for dz := 0; dz < kz; dz++ {
							r0, r1 := rows[2*dz][2*x:2*x+2], rows[2*dz+1][2*x:2*x+2]
							s += r0[0] + r0[1] + r1[0] + r1[1]
						}
						coarse[o+x] = s * inv
					}
				default: // mean backward
					for x, g := range gc[o : o+w] {
						v := g * inv
						for dz := 0; dz < kz; dz++ {
							r0, r1 := rows[2*dz][2*x:2*x+2], rows[2*dz+1][2*x:2*x+2]
							r0[0] += v
							r0[1] += v
							r1[0] += v
							r1[1] += v
						}
					}
				}
				o += w
			}
		}
	}
}

// maxPlane is max pooling of one plane, forward (coarse, idx) or backward
// (gf from gc and idx).
func (r *resample) maxPlane(fine, coarse, gf, gc []float32, idx []int32) {
	kz := 1
	if r.dims == 3 {
		kz = 2
	}
	W, HW := r.hi.w, r.hi.h*r.hi.w
	o := 0
	for z := 0; z < r.lo.d; z++ {
		for y := 0; y < r.lo.h; y++ {
			for x := 0; x < r.lo.w; x++ {
				b := kz*z*HW + 2*y*W + 2*x
				if r.bwd {
					gf[idx[o]] += gc[o]
					o++
					continue
				}
				best, bi := fine[b], b
				for dz := 0; dz < kz; dz++ {
					q := b + dz*HW
					for _, c := range [4]int{q, q + 1, q + W, q + W + 1} {
						if fine[c] > best {
							best, bi = fine[c], c
						}
					}
				}
				coarse[o], idx[o] = best, int32(bi)
				o++
			}
		}
	}
}

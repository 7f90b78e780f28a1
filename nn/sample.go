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
	kz := 1
	if r.dims == 3 {
		kz = 2
	}
	inv := 1 / float32(4*kz)
	W, HW := r.hi.w, r.hi.h*r.hi.w
	for p := p0; p < p1; p++ {
		fine := r.fine[p*Sh : (p+1)*Sh]
		coarse := r.coarse[p*Sl : (p+1)*Sl]
		var gf, gc []float32
		if r.bwd {
			gf, gc = r.gFine[p*Sh:(p+1)*Sh], r.gCoarse[p*Sl:(p+1)*Sl]
		}
		var idx []int32
		if r.op == opMax {
			idx = r.idx[p*Sl : (p+1)*Sl]
		}
		o := 0
		for z := 0; z < r.lo.d; z++ {
			for y := 0; y < r.lo.h; y++ {
				for x := 0; x < r.lo.w; x++ {
					b := kz*z*HW + 2*y*W + 2*x
					switch {
					case r.op == opUp && !r.bwd:
						v := coarse[o]
						for dz := 0; dz < kz; dz++ {
							q := b + dz*HW
							fine[q], fine[q+1], fine[q+W], fine[q+W+1] = v, v, v, v
						}
					case r.op == opUp:
						var s float32
						for dz := 0; dz < kz; dz++ {
							q := b + dz*HW
							s += gf[q] + gf[q+1] + gf[q+W] + gf[q+W+1]
						}
						gc[o] = s
					case r.op == opMean && !r.bwd:
						var s float32
						for dz := 0; dz < kz; dz++ {
							q := b + dz*HW
							s += fine[q] + fine[q+1] + fine[q+W] + fine[q+W+1]
						}
						coarse[o] = s * inv
					case r.op == opMean:
						v := gc[o] * inv
						for dz := 0; dz < kz; dz++ {
							q := b + dz*HW
							gf[q] += v
							gf[q+1] += v
							gf[q+W] += v
							gf[q+W+1] += v
						}
					case !r.bwd: // max
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
					default:
						gf[idx[o]] += gc[o]
					}
					o++
				}
			}
		}
	}
}

package kernel

import "math"

// The weigh pass of the packed Lovász sort (lovaszPacked.weigh): the
// Lovász weights of one sorted bucket, its part of the loss and its
// gradient values. The vector kernels (lovasz_amd64.s) run the blocks of
// weighBlock entries and the plain-Go kernel the rest, from the same
// state. Every set computes each weight and gradient value with the same
// IEEE operations (the float64 ranks are exact integers, J = 1 -
// (npos-cumPos)/(npos+cumNeg) one division), so they are bit-identical
// on every set; the loss adds entry k of the bucket into lane k mod 8 and
// the lanes in a fixed tree (laneSum8), so it is the same on every set
// and at any thread count too. (Builds with GOAMD64=v3 may fuse the
// plain-Go loss multiply-add; the default v1 does not.)

// weighBlock is the entries per vector block of the weigh kernels, and
// the loss lanes.
const weighBlock = 8

// weighState is the running state of a bucket's weigh pass, read and
// written by the kernels (its layout is the assembly's: keep the order).
type weighState struct {
	npos, f, off float64             // foreground elements in all, gradient factor, key offset
	cumPos, rank float64             // entries before the next: foreground ones, all
	prev         float64             // J of the entry before the next
	acc          [weighBlock]float64 // loss lanes
}

// laneSum8 adds the loss lanes in a fixed tree.
func laneSum8(a *[weighBlock]float64) float64 {
	return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
}

// weigh writes the Lovász weights of the sorted entries pk, which start
// at rank lo with fgBefore foreground entries before them, and returns
// their part of the loss.
func (lp *lovaszPacked) weigh(pk []uint64, lo, fgBefore int) float64 {
	st := weighState{npos: lp.npos, f: lp.f, off: lp.off, cumPos: float64(fgBefore), rank: float64(lo)}
	if lo > 0 {
		st.prev = lovaszJ(st.npos, st.cumPos, st.rank-st.cumPos)
	}
	k := 0
	if cur != setGeneric {
		k = weighVec(pk, lp.out, &st)
	}
	weighGo(pk[k:], lp.out, &st)
	return laneSum8(&st.acc)
}

// weighGo is the plain-Go weigh kernel on pk, which starts at a multiple
// of weighBlock in its bucket (lane 0). The lanes stay in registers: a0
// takes each entry's term, then they rotate, so after m entries a[j]
// holds lane (j+m) mod 8.
func weighGo(pk []uint64, out []float32, st *weighState) {
	cumPos := st.cumPos
	cumNeg := st.rank - cumPos
	npos, f, off, prev := st.npos, st.f, st.off, st.prev
	acc := &st.acc
	a0, a1, a2, a3, a4, a5, a6, a7 := acc[0], acc[1], acc[2], acc[3], acc[4], acc[5], acc[6], acc[7]
	for _, v := range pk {
		// branch-free: the labels of sorted errors are random
		fgBit := uint32(v) >> 31
		fg := float64(fgBit)
		cumPos += fg
		cumNeg += 1 - fg
		jk := lovaszJ(npos, cumPos, cumNeg)
		w := jk - prev
		prev = jk
		a0 += (off + float64(descInv32(uint32(v>>32)))) * w
		a0, a1, a2, a3, a4, a5, a6, a7 = a1, a2, a3, a4, a5, a6, a7, a0
		if out != nil { // -f w for foreground elements: a sign flip
			out[uint32(v)&^(1<<31)] = math.Float32frombits(math.Float32bits(float32(w*f)) ^ fgBit<<31)
		}
	}
	a := [weighBlock]float64{a0, a1, a2, a3, a4, a5, a6, a7}
	for j, x := range a {
		acc[(j+len(pk))%weighBlock] = x
	}
	st.cumPos, st.rank, st.prev = cumPos, cumPos+cumNeg, prev
}

package kernel

import "math"

// The listing passes of the fused Lovász losses: the elements with a
// positive error, as packed sort entries PackDesc32(key, index) with
// LovaszFG on foreground ones, in element order, into a buffer for
// Listing32. The loops are branch-free (labels and errors are random,
// branches would mispredict): every element is written to the next free
// slot, which only a listed one keeps, so buf needs one slot per element.
// The vector kernels (lovasz_amd64.s) list the blocks of lane-count
// elements with the same IEEE operations and the same tests, so every set
// lists the same entries in the same order; the plain-Go kernels finish
// the tail.

// HingeList32 lists the elements k of the logits x and the 0/1 targets t
// (of the same length) whose Lovász hinge error 1 - x(2t-1) is positive,
// as the entries of key -x(2t-1) (exact, with the order of the exact
// errors) and index base+k, into buf (from its start, at least len(x)
// long); with useIgn, elements whose target is ign are skipped. It
// returns the listed and the foreground counts, and bad when an x is not
// finite or a target (not skipped) is neither 0 nor 1 (-0 counts as 0).
func HingeList32(x, t []float32, ign float32, useIgn bool, base int, buf []uint64) (m, npos int, bad bool) {
	switch {
	case useIgn:
		return hingeListIgnoreGo(x, t, ign, base, buf)
	case cur != setGeneric:
		return hingeListVec(x, t, base, buf)
	}
	return hingeListGo(x, t, base, buf)
}

// hingeListIgnoreGo is hingeListGo with an ignore value, on every set
// (with branches: rare).
func hingeListIgnoreGo(x, t []float32, ign float32, base int, buf []uint64) (m, npos int, bad bool) {
	t = t[:len(x)]
	for k, xv := range x {
		tv := t[k]
		if xv-xv != 0 {
			bad = true
		}
		if tv == ign {
			continue
		}
		if tv != 0 && tv != 1 {
			bad = true
			continue
		}
		fg := uint32(0)
		if tv == 1 {
			fg = 1
		}
		key := math.Float32frombits(math.Float32bits(xv) ^ fg<<31)
		npos += int(fg)
		if key > -1 {
			buf[m] = PackDesc32(key, int32(base+k)|int32(fg<<31))
			m++
		}
	}
	return m, npos, bad
}

func hingeListGo(x, t []float32, base int, buf []uint64) (m, npos int, bad bool) {
	t = t[:len(x)]
	buf = buf[:len(x)]
	var chk float32 // turns NaN on a non-finite input
	var badT uint32 // non-zero once a target is neither 0 nor 1
	for k, xv := range x {
		chk += xv - xv
		v := math.Float32bits(t[k] + 0) // -0 -> +0
		fg := v >> 23 & 1               // 1 for t = 1, 0 for t = 0
		badT |= v ^ -fg&0x3f800000      // 0 only for the bits of 0 and 1
		// The error is 1 - m with m = x(2t-1) = ±x, exact; the sort key is
		// -m, exact too, so the order is that of the exact errors. It is
		// listed when the error is positive: key + 1 > 0 (exact near -1).
		key := math.Float32frombits(math.Float32bits(xv) ^ fg<<31)
		listed := int(uint32(-int32(math.Float32bits(key+1))) >> 31)
		npos += int(fg)
		buf[m] = PackDesc32(key, int32(base+k)|int32(fg<<31))
		m += listed // m <= k: the next write stays in range
	}
	return m, npos, chk != 0 || badT != 0
}

// SoftList32 lists the pixels s of one class row of probabilities p and
// the labels lab (of the same length) whose error |1[lab = c] - p| is
// positive, as entries of that error and index base+s, into buf (from its
// start, at least len(lab) long); with useIgn, pixels labelled ign are
// skipped. It returns the listed, the foreground and the skipped counts.
func SoftList32(p []float32, lab []int32, c, ign int32, useIgn bool, base int, buf []uint64) (m, npos, ignored int) {
	if cur != setGeneric {
		return softListVec(p, lab, c, ign, useIgn, base, buf)
	}
	return softListGo(p, lab, c, ign, useIgn, base, buf)
}

func softListGo(p []float32, lab []int32, c, ign int32, useIgn bool, base int, buf []uint64) (m, npos, ignored int) {
	p = p[:len(lab)]
	buf = buf[:len(lab)]
	for s, y := range lab {
		if useIgn && y == ign {
			ignored++
			continue
		}
		var fg uint32 // branch-free: SETEQ
		if y == c {
			fg = 1
		}
		// error |1[y=c] - p|: p, or 1 - p (sign flip, then + 1)
		e := math.Float32frombits(math.Float32bits(p[s])^fg<<31) + float32(fg)
		npos += int(fg)
		buf[m] = PackDesc32(e, int32(base+s)|int32(fg<<31))
		m += int(uint32(-int32(math.Float32bits(e))) >> 31) // listed when e > 0
	}
	return m, npos, ignored
}

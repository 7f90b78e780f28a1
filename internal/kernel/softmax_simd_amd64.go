//go:build goexperiment.simd && amd64

package kernel

import (
	"math/bits"
	"simd/archsimd"
)

type i32x16 = archsimd.Int32x16

// log16 is Log32 on 16 lanes for normal x > 0.
func log16(x f32x16) f32x16 {
	bits := x.AsInt32x16()
	e := bits.ShiftAllRight(23).Sub(archsimd.BroadcastInt32x16(127))
	m := bits.And(archsimd.BroadcastInt32x16(0x007fffff)).Or(archsimd.BroadcastInt32x16(0x3f800000)).AsFloat32x16()
	big := m.Greater(kc.k20)
	m = m.Mul(kc.k9).Merge(m, big)
	ef := e.ConvertToFloat32()
	ef = ef.Add(kc.k10).Merge(ef, big)
	f := m.Sub(kc.k10)
	s := f.Mul(recip16(kc.k11.Add(f)))
	z := s.Mul(s)
	p := kc.k21
	p = p.MulAdd(z, kc.k16)
	p = p.MulAdd(z, kc.k17)
	p = p.MulAdd(z, kc.k18)
	p = p.MulAdd(z, kc.k10)
	lm := s.Add(s).Mul(p)
	return ef.MulAdd(kc.k22, ef.MulAdd(kc.k23, lm))
}

// block holds the exponentials of up to MaxSoftmaxC channels of 16 pixels.
type block [MaxSoftmaxC][16]float32

// softmax16 computes, for the 16 pixels at px, e_c = exp(x_c - max) into
// b and returns 1/sum e and max + log(sum e) (the latter only if wantLSE).
// It also folds x into the finiteness check.
func softmax16(b *block, x []float32, px, C, S int, ck *check, wantLSE bool) (inv, lse f32x16) {
	m := archsimd.LoadFloat32x16Slice(x[px:])
	ck.finite(m)
	for c := 1; c < C; c++ {
		v := archsimd.LoadFloat32x16Slice(x[c*S+px:])
		ck.finite(v)
		m = m.Max(v)
	}
	z := bc(0)
	for c := 0; c < C; c++ {
		e := exp16(archsimd.LoadFloat32x16Slice(x[c*S+px:]).Sub(m))
		e.Store(&b[c])
		z = z.Add(e)
	}
	inv = bc(1).Div(z)
	if wantLSE {
		lse = m.Add(log16(z))
	}
	return inv, lse
}

// labelMasks returns the valid (not ignored) mask of 16 labels and folds
// bad labels into *bad.
func (o *Softmax) labelMasks(lv i32x16, bad *archsimd.Mask32x16) archsimd.Mask32x16 {
	inRange := lv.GreaterEqual(archsimd.BroadcastInt32x16(0)).And(lv.Less(archsimd.BroadcastInt32x16(int32(o.C))))
	if !o.Ignore {
		*bad = bad.Or(notMask(inRange))
		return inRange
	}
	ign := lv.Equal(archsimd.BroadcastInt32x16(o.IgnoreIndex))
	*bad = bad.Or(notMask(inRange.Or(ign)))
	return inRange.And(notMask(ign))
}

func softmaxCESIMD(grad, x []float32, lab []int32, o *Softmax) Sums {
	C, S := o.C, o.S
	end := o.S0 + (o.S1-o.S0)&^15
	var b block
	ck := newCheck()
	bad := archsimd.Mask32x16FromBits(0)
	loss := archsimd.BroadcastFloat64x8(0)
	den := archsimd.BroadcastFloat64x8(0)
	ls := o.Smooth
	scale := bc(o.Scale)
	// per class: the smoothed target weight of the labelled class and of the others
	var wYes, wNo, wOne [MaxSoftmaxC]float32
	for c := 0; c < C; c++ {
		w := float32(1)
		if o.Weights != nil {
			w = o.Weights[c]
		}
		wYes[c], wNo[c], wOne[c] = w*(ls/float32(C)+1-ls), w*ls/float32(C), w
	}
	var wtb block
	for px := o.S0; px < end; px += 16 {
		lv := archsimd.LoadInt32x16Slice(lab[px:])
		valid := o.labelMasks(lv, &bad)
		inv, lse := softmax16(&b, x, px, C, S, &ck, true)
		sw := kc.k19
		lsum := kc.k19
		dw := kc.k19
		for c := 0; c < C; c++ {
			isY := lv.Equal(archsimd.BroadcastInt32x16(int32(c)))
			wt := bc(wYes[c]).Merge(bc(wNo[c]), isY).Masked(valid)
			wt.Store(&wtb[c])
			dw = dw.Add(bc(wOne[c]).Masked(isY.And(valid)))
			sw = sw.Add(wt)
			xc := archsimd.LoadFloat32x16Slice(x[c*S+px:])
			lsum = wt.MulAdd(lse.Sub(xc), lsum)
		}
		loss = acc(loss, lsum)
		den = acc(den, dw)
		if grad != nil {
			for c := 0; c < C; c++ {
				wt := archsimd.LoadFloat32x16(&wtb[c])
				p := archsimd.LoadFloat32x16(&b[c]).Mul(inv)
				p.Mul(sw).Sub(wt).Mul(scale).StoreSlice(grad[c*S+px:])
			}
		}
	}
	s := Sums{Loss: hsum(loss), Den: hsum(den), Bad: ck.bad() || bad.ToBits() != 0}
	if end < o.S1 {
		r := *o
		r.S0 = end
		t := softmaxCEGo(grad, x, lab, &r)
		s.Add(&t)
	}
	return s
}

func softmaxStatsSIMD(out []Sums, x []float32, lab []int32, o *Softmax) {
	C, S := o.C, o.S
	end := o.S0 + (o.S1-o.S0)&^15
	var b block
	var acc64 [4 * MaxSoftmaxC][8]float64 // per class: TP, SP, SP2, Abs
	var sg [MaxSoftmaxC]int
	cnt := 0
	ck := newCheck()
	bad := archsimd.Mask32x16FromBits(0)
	ceLoss := archsimd.BroadcastFloat64x8(0)
	ceDen := archsimd.BroadcastFloat64x8(0)
	add := func(k int, v f32x16) {
		a := archsimd.LoadFloat64x8(&acc64[k])
		acc(a, v).Store(&acc64[k])
	}
	for px := o.S0; px < end; px += 16 {
		lv := archsimd.LoadInt32x16Slice(lab[px:])
		valid := o.labelMasks(lv, &bad)
		inv, lse := softmax16(&b, x, px, C, S, &ck, o.CE)
		cnt += popcount16(valid.ToBits())
		var lsum, dw f32x16
		if o.CE {
			lsum, dw = bc(0), bc(0)
		}
		for c := 0; c < C; c++ {
			isY := lv.Equal(archsimd.BroadcastInt32x16(int32(c))).And(valid)
			p := archsimd.LoadFloat32x16(&b[c]).Mul(inv).Masked(valid)
			add(4*c, p.Masked(isY))
			add(4*c+1, p)
			sg[c] += popcount16(isY.ToBits())
			if o.Extra {
				add(4*c+2, p.Mul(p))
				// |1[y=c] - p| = p + 1[y=c] (1 - 2p)
				add(4*c+3, p.Add(bc(1).Sub(p.Add(p)).Masked(isY)))
			}
			if o.CE {
				w := float32(1)
				if o.Weights != nil {
					w = o.Weights[c]
				}
				wy := bc(w).Masked(isY)
				xc := archsimd.LoadFloat32x16Slice(x[c*S+px:])
				lsum = wy.MulAdd(lse.Sub(xc), lsum)
				dw = dw.Add(wy)
			}
		}
		if o.CE {
			ceLoss = acc(ceLoss, lsum)
			ceDen = acc(ceDen, dw)
		}
	}
	sum8 := func(a *[8]float64) float64 {
		return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
	}
	for c := 0; c < C; c++ {
		r := &out[c]
		r.TP += sum8(&acc64[4*c])
		r.SP += sum8(&acc64[4*c+1])
		r.SG += float64(sg[c])
		r.SG2 += float64(sg[c])
		r.Cnt += float64(cnt)
		if o.Extra {
			r.SP2 += sum8(&acc64[4*c+2])
			r.Abs += sum8(&acc64[4*c+3])
		}
	}
	if o.CE {
		out[0].Loss += hsum(ceLoss)
		out[0].Den += hsum(ceDen)
	}
	if ck.bad() || bad.ToBits() != 0 {
		out[0].Bad = true
	}
	if end < o.S1 {
		r := *o
		r.S0 = end
		softmaxStatsGo(out, x, lab, &r)
	}
}

// notMask negates a mask.
func notMask(m archsimd.Mask32x16) archsimd.Mask32x16 {
	return archsimd.Mask32x16FromBits(^m.ToBits())
}

func popcount16(b uint16) int { return bits.OnesCount16(b) }

func softmaxGradSIMD(grad, x []float32, lab []int32, o *Softmax) {
	C, S := o.C, o.S
	end := o.S0 + (o.S1-o.S0)&^15
	var b block
	ck := newCheck()
	bad := archsimd.Mask32x16FromBits(0)
	useP2, useAbs := false, false
	for c := 0; c < C; c++ {
		useP2 = useP2 || o.DSP2[c] != 0
		useAbs = useAbs || o.DAbs[c] != 0
	}
	ces := bc(o.CEScale)
	for px := o.S0; px < end; px += 16 {
		lv := archsimd.LoadInt32x16Slice(lab[px:])
		valid := o.labelMasks(lv, &bad)
		inv, _ := softmax16(&b, x, px, C, S, &ck, false)
		dot := bc(0)
		wy := bc(0)
		// First pass: p_c into b, d loss/d p_c into the grad rows.
		for c := 0; c < C; c++ {
			isY := lv.Equal(archsimd.BroadcastInt32x16(int32(c)))
			p := archsimd.LoadFloat32x16(&b[c]).Mul(inv)
			p.Store(&b[c])
			d := bc(o.D1[c]).Merge(bc(o.DSP[c]), isY)
			if useP2 {
				d = bc(2*o.DSP2[c]).MulAdd(p, d)
			}
			if useAbs {
				da := bc(o.DAbs[c])
				d = d.Add(da.Masked(p.Greater(bc(0)))).Merge(d.Sub(da.Masked(p.Less(bc(1)))), notMask(isY))
			}
			dot = p.MulAdd(d, dot)
			d.StoreSlice(grad[c*S+px:])
			if o.CE && o.Weights != nil {
				wy = wy.Add(bc(o.Weights[c]).Masked(isY))
			}
		}
		if o.CE && o.Weights == nil {
			wy = bc(1)
		}
		wy = wy.Mul(ces)
		for c := 0; c < C; c++ {
			isY := lv.Equal(archsimd.BroadcastInt32x16(int32(c)))
			p := archsimd.LoadFloat32x16(&b[c])
			d := archsimd.LoadFloat32x16Slice(grad[c*S+px:])
			g := p.Mul(d.Sub(dot))
			if o.CE {
				g = wy.MulAdd(p.Sub(bc(1).Masked(isY)), g)
			}
			g.Masked(valid).StoreSlice(grad[c*S+px:])
		}
	}
	if end < o.S1 {
		r := *o
		r.S0 = end
		softmaxGradGo(grad, x, lab, &r)
	}
}

func softmaxProbsSIMD(dst, x []float32, lab []int32, o *Softmax) Sums {
	C, S := o.C, o.S
	end := o.S0 + (o.S1-o.S0)&^15
	var b block
	ck := newCheck()
	bad := archsimd.Mask32x16FromBits(0)
	for px := o.S0; px < end; px += 16 {
		if lab != nil {
			o.labelMasks(archsimd.LoadInt32x16Slice(lab[px:]), &bad)
		}
		inv, _ := softmax16(&b, x, px, C, S, &ck, false)
		for c := 0; c < C; c++ {
			archsimd.LoadFloat32x16(&b[c]).Mul(inv).StoreSlice(dst[c*S+px:])
		}
	}
	s := Sums{Bad: ck.bad() || bad.ToBits() != 0}
	if end < o.S1 {
		r := *o
		r.S0 = end
		t := softmaxProbsGo(dst, x, lab, &r)
		s.Add(&t)
	}
	return s
}

func softmaxChainSIMD(grad, p []float32, C, S, s0, s1 int, f float64) {
	end := s0 + (s1-s0)&^7
	ff := archsimd.BroadcastFloat64x8(f)
	for s := s0; s < end; s += 8 {
		dot := archsimd.BroadcastFloat64x8(0)
		for c := 0; c < C; c++ {
			pc := archsimd.LoadFloat32x8Slice(p[c*S+s:]).ConvertToFloat64()
			gc := archsimd.LoadFloat32x8Slice(grad[c*S+s:]).ConvertToFloat64()
			dot = pc.MulAdd(gc, dot)
		}
		for c := 0; c < C; c++ {
			pc := archsimd.LoadFloat32x8Slice(p[c*S+s:]).ConvertToFloat64()
			gc := archsimd.LoadFloat32x8Slice(grad[c*S+s:]).ConvertToFloat64()
			pc.Mul(gc.Sub(dot)).Mul(ff).ConvertToFloat32().StoreSlice(grad[c*S+s:])
		}
	}
	if end < s1 {
		softmaxChainGo(grad, p, C, S, end, s1, f)
	}
}

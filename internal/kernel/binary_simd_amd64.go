//go:build goexperiment.simd && amd64

package kernel

import "simd/archsimd"

type f32x16 = archsimd.Float32x16
type f64x8 = archsimd.Float64x8

func bc(v float32) f32x16 { return archsimd.BroadcastFloat32x16(v) }

// acc adds the 16 lanes of v, widened to float64, into a.
func acc(a f64x8, v f32x16) f64x8 {
	return a.Add(v.GetLo().ConvertToFloat64()).Add(v.GetHi().ConvertToFloat64())
}

// hsum returns the lanes of a summed in lane order.
func hsum(a f64x8) float64 {
	var b [8]float64
	a.Store(&b)
	return ((b[0] + b[1]) + (b[2] + b[3])) + ((b[4] + b[5]) + (b[6] + b[7]))
}

// negAbs returns -|x|.
func negAbs(x f32x16) f32x16 {
	return x.AsUint32x16().Or(archsimd.BroadcastUint32x16(0x80000000)).AsFloat32x16()
}

// recip16 returns 1/d: the 14-bit hardware estimate refined by one Newton
// step (relative error below 2^-26), cheaper than a division.
func recip16(d f32x16) f32x16 {
	r := d.Reciprocal()
	return r.Mul(d.Mul(r).Sub(kc.k11).Mul(kc.k12))
}

// log1p16 is Log1pSmall32 on 16 lanes (u in [0, 1]).
func log1p16(u f32x16) f32x16 {
	two := kc.k11
	s := u.Mul(recip16(two.Add(u)))
	z := s.Mul(s)
	p := kc.k13
	p = p.MulAdd(z, kc.k14)
	p = p.MulAdd(z, kc.k15)
	p = p.MulAdd(z, kc.k16)
	p = p.MulAdd(z, kc.k17)
	p = p.MulAdd(z, kc.k18)
	p = p.MulAdd(z, kc.k10)
	return s.Add(s).Mul(p)
}

// sig16 returns sigmoid(x), sigmoid(-x), e^-|x| and 1/(1+e^-|x|).
func sig16(x f32x16) (p, q, e, s f32x16) {
	e = exp16(negAbs(x))
	s = recip16(kc.k10.Add(e))
	es := e.Mul(s)
	pos := x.GreaterEqual(kc.k19)
	return s.Merge(es, pos), es.Merge(s, pos), e, s
}

// check tracks validity: chk turns NaN on a non-finite value; lo/hi are
// running minima and maxima of values that must lie in [0, 1].
type check struct{ chk, lo, hi f32x16 }

func newCheck() check { return check{kc.k19, kc.k19, kc.k10} }

func (c *check) finite(v f32x16) { c.chk = v.MulAdd(kc.k19, c.chk) }
func (c *check) unit(v f32x16) {
	c.chk = v.MulAdd(kc.k19, c.chk)
	c.lo = c.lo.Min(v)
	c.hi = c.hi.Max(v)
}

func (c *check) bad() bool {
	var a, l, h [16]float32
	c.chk.Store(&a)
	c.lo.Store(&l)
	c.hi.Store(&h)
	for k := range a {
		if a[k] != 0 || !(l[k] >= 0) || !(h[k] <= 1) {
			return true
		}
	}
	return false
}

func bceSIMD(grad, x, t []float32, o *BCEOpts) Sums {
	n := len(x) &^ 15
	ck := newCheck()
	loss := archsimd.BroadcastFloat64x8(0)
	pw, ls, scale := bc(o.PosWeight), bc(o.Smooth), bc(o.Scale)
	one, zero := bc(1), bc(0)
	smooth := o.Smooth != 0
	for i := 0; i < n; i += 16 {
		xv := archsimd.LoadFloat32x16Slice(x[i:])
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		ck.finite(xv)
		ck.unit(tv)
		if smooth {
			tv = tv.Mul(one.Sub(ls)).Add(one.Sub(tv).Mul(ls))
		}
		p, q, e, _ := sig16(xv)
		l1p := log1p16(e)
		spx := xv.Max(zero).Add(l1p)
		spn := zero.Sub(xv).Max(zero).Add(l1p)
		u := one.Sub(tv)
		ptw := pw.Mul(tv)
		l := ptw.Mul(spn).Add(u.Mul(spx))
		loss = acc(loss, l)
		if grad != nil {
			d := u.Mul(p).Sub(ptw.Mul(q))
			d.Mul(scale).StoreSlice(grad[i:])
		}
	}
	s := Sums{Loss: hsum(loss), Cnt: float64(n), Bad: ck.bad()}
	if n < len(x) {
		var g []float32
		if grad != nil {
			g = grad[n:]
		}
		r := bceGo(g, x[n:], t[n:], o)
		s.Add(&r)
	}
	return s
}

func focalSIMD(grad, x, t []float32, o *FocalOpts) Sums {
	n := len(x) &^ 15
	ck := newCheck()
	loss := archsimd.BroadcastFloat64x8(0)
	bo := &o.BCE
	ls, scale := bc(bo.Smooth), bc(bo.Scale)
	one, zero, two := bc(1), bc(0), bc(2)
	smooth := bo.Smooth != 0
	alpha := bc(o.Alpha)
	useAlpha := o.Alpha >= 0
	for i := 0; i < n; i += 16 {
		xv := archsimd.LoadFloat32x16Slice(x[i:])
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		ck.finite(xv)
		ck.unit(tv)
		if smooth {
			tv = tv.Mul(one.Sub(ls)).Add(one.Sub(tv).Mul(ls))
		}
		p, q, e, s := sig16(xv)
		l1p := log1p16(e)
		spx := xv.Max(zero).Add(l1p)
		spn := zero.Sub(xv).Max(zero).Add(l1p)
		u := one.Sub(tv)
		ce := tv.Mul(spn).Add(u.Mul(spx))
		dce := u.Mul(p).Sub(tv.Mul(q))
		dp := e.Mul(s).Mul(s)
		dpt := two.Mul(tv).Sub(one).Mul(dp)
		om := tv.Mul(q).Add(u.Mul(p)) // 1 - p_t
		m := om.Mul(om)
		l := ce.Mul(m)
		// d = dce*m - 2*om*dpt*ce (dpt first: ce*2 overflows for |x| near MaxFloat32, where dpt = 0)
		d := dce.Mul(m).Sub(two.Mul(om).Mul(dpt).Mul(ce))
		if useAlpha {
			at := alpha.Mul(tv).Add(one.Sub(alpha).Mul(u))
			l, d = at.Mul(l), at.Mul(d)
		}
		loss = acc(loss, l)
		if grad != nil {
			d.Mul(scale).StoreSlice(grad[i:])
		}
	}
	s := Sums{Loss: hsum(loss), Cnt: float64(n), Bad: ck.bad()}
	if n < len(x) {
		var g []float32
		if grad != nil {
			g = grad[n:]
		}
		r := focalGo(g, x[n:], t[n:], o)
		s.Add(&r)
	}
	return s
}

func binaryStatsSIMD(x, t []float32, o *Binary) Sums {
	n := len(x) &^ 15
	ckx, ckt := newCheck(), newCheck()
	z64 := archsimd.BroadcastFloat64x8(0)
	tp, sp, sg, sp2, sg2, sa, loss := z64, z64, z64, z64, z64, z64, z64
	zero, one := bc(0), bc(1)
	for i := 0; i < n; i += 16 {
		xv := archsimd.LoadFloat32x16Slice(x[i:])
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		ckt.unit(tv)
		p := xv
		if o.Logits {
			ckx.finite(xv)
			var e f32x16
			p, _, e, _ = sig16(xv)
			if o.BCE {
				l1p := log1p16(e)
				spx := xv.Max(zero).Add(l1p)
				spn := zero.Sub(xv).Max(zero).Add(l1p)
				loss = acc(loss, tv.Mul(spn).Add(one.Sub(tv).Mul(spx)))
			}
		} else {
			ckx.unit(xv)
		}
		tp = acc(tp, p.Mul(tv))
		sp = acc(sp, p)
		sg = acc(sg, tv)
		if o.Extra {
			sp2 = acc(sp2, p.Mul(p))
			sg2 = acc(sg2, tv.Mul(tv))
			d := p.Sub(tv)
			sa = acc(sa, d.Max(zero.Sub(d)))
		}
	}
	s := Sums{TP: hsum(tp), SP: hsum(sp), SG: hsum(sg), Cnt: float64(n), Bad: ckx.bad() || ckt.bad()}
	if o.Extra {
		s.SP2, s.SG2, s.Abs = hsum(sp2), hsum(sg2), hsum(sa)
	}
	if o.BCE {
		s.Loss = hsum(loss)
	}
	if n < len(x) {
		r := binaryStatsGo(x[n:], t[n:], o)
		if !o.Extra {
			r.SP2, r.SG2, r.Abs = 0, 0, 0
		}
		s.Add(&r)
	}
	return s
}

func binaryGradSIMD(grad, x, t []float32, o *Binary) {
	n := len(x) &^ 15
	dsp, dsp2, dtp, dabs, bs, d1 := bc(o.DSP), bc(2*o.DSP2), bc(o.DTP), bc(o.DAbs), bc(o.BCEScale), bc(o.D1)
	one := bc(1)
	useP2, useAbs := o.DSP2 != 0, o.DAbs != 0
	for i := 0; i < n; i += 16 {
		xv := archsimd.LoadFloat32x16Slice(x[i:])
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		p, q, dp := xv, one, one
		if o.Logits {
			var e, s f32x16
			p, q, e, s = sig16(xv)
			dp = e.Mul(s).Mul(s)
		}
		d := d1.Merge(dtp.MulAdd(tv, dsp), tv.Equal(one))
		if useP2 {
			d = dsp2.MulAdd(p, d)
		}
		if useAbs {
			d = d.Add(dabs.Masked(p.Greater(tv))).Sub(dabs.Masked(p.Less(tv)))
		}
		d = d.Mul(dp)
		if o.BCE {
			db := one.Sub(tv).Mul(p).Sub(tv.Mul(q))
			d = bs.MulAdd(db, d)
		}
		d.StoreSlice(grad[i:])
	}
	if n < len(x) {
		binaryGradGo(grad[n:], x[n:], t[n:], o)
	}
}

func binaryStatsDPSIMD(dp, x, t []float32, o *Binary) Sums {
	n := len(x) &^ 15
	ckx, ckt := newCheck(), newCheck()
	z64 := archsimd.BroadcastFloat64x8(0)
	tp, sp, sg := z64, z64, z64
	for i := 0; i < n; i += 16 {
		xv := archsimd.LoadFloat32x16Slice(x[i:])
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		ckt.unit(tv)
		ckx.finite(xv)
		p, _, e, s := sig16(xv)
		e.Mul(s).Mul(s).StoreSlice(dp[i:])
		tp = acc(tp, p.Mul(tv))
		sp = acc(sp, p)
		sg = acc(sg, tv)
	}
	r := Sums{TP: hsum(tp), SP: hsum(sp), SG: hsum(sg), Cnt: float64(n), Bad: ckx.bad() || ckt.bad()}
	if n < len(x) {
		q := binaryStatsDPGo(dp[n:], x[n:], t[n:], o)
		q.SP2, q.SG2, q.Abs = 0, 0, 0
		r.Add(&q)
	}
	return r
}

func binaryGradDPSIMD(g, t []float32, o *Binary) {
	n := len(t) &^ 15
	dsp, dtp, d1 := bc(o.DSP), bc(o.DTP), bc(o.D1)
	one := kc.k10
	for i := 0; i < n; i += 16 {
		tv := archsimd.LoadFloat32x16Slice(t[i:])
		d := d1.Merge(dtp.MulAdd(tv, dsp), tv.Equal(one))
		archsimd.LoadFloat32x16Slice(g[i:]).Mul(d).StoreSlice(g[i:])
	}
	if n < len(t) {
		binaryGradDPGo(g[n:], t[n:], o)
	}
}

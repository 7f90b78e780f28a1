//go:build goexperiment.simd && amd64

package kernel

import "simd/archsimd"

// hasSIMD reports whether the vectorized kernels can run: AVX-512 (F, CD,
// BW, DQ, VL) is required for the 16-lane float32 code.
var hasSIMD = archsimd.X86.AVX512()

// exp16 is Exp32 on 16 lanes for x <= 0 (inputs below -104 give 0).
func exp16(x archsimd.Float32x16) archsimd.Float32x16 {
	x = x.Max(kc.k0)
	n := x.Mul(kc.k1).RoundToEvenScaled(0)
	r := n.MulAdd(kc.k2, x)
	r = n.MulAdd(kc.k3, r)
	p := kc.k4
	p = p.MulAdd(r, kc.k5)
	p = p.MulAdd(r, kc.k6)
	p = p.MulAdd(r, kc.k7)
	p = p.MulAdd(r, kc.k8)
	p = p.MulAdd(r, kc.k9)
	p = p.MulAdd(r, kc.k10)
	p = p.MulAdd(r, kc.k10)
	return p.Scale(n)
}

// ExpNeg16Slice writes e^x for x <= 0 of src into dst (a test helper).
func expNegSIMD(dst, src []float32) {
	i := 0
	for ; i+16 <= len(src); i += 16 {
		exp16(archsimd.LoadFloat32x16Slice(src[i:])).StoreSlice(dst[i:])
	}
	for ; i < len(src); i++ {
		dst[i] = Exp32(src[i])
	}
}

// kc holds the constant vectors of the vectorized helpers, broadcast once
// (the compiler does not hoist broadcasts out of loops).
var kc struct {
	k0  f32x16 // -104
	k1  f32x16 // log2e
	k2  f32x16 // -ln2Hi32
	k3  f32x16 // -ln2Lo32
	k4  f32x16 // 1.0 / 5040
	k5  f32x16 // 1.0/720
	k6  f32x16 // 1.0/120
	k7  f32x16 // 1.0/24
	k8  f32x16 // 1.0/6
	k9  f32x16 // 0.5
	k10 f32x16 // 1
	k11 f32x16 // 2
	k12 f32x16 // -1
	k13 f32x16 // 1.0 / 13
	k14 f32x16 // 1.0/11
	k15 f32x16 // 1.0/9
	k16 f32x16 // 1.0/7
	k17 f32x16 // 1.0/5
	k18 f32x16 // 1.0/3
	k19 f32x16 // 0
	k20 f32x16 // sqrt2
	k21 f32x16 // 1.0 / 9
	k22 f32x16 // ln2Hi32
	k23 f32x16 // ln2Lo32
}

func init() {
	if !hasSIMD {
		return
	}
	kc.k0 = archsimd.BroadcastFloat32x16(-104)
	kc.k1 = archsimd.BroadcastFloat32x16(log2e)
	kc.k2 = archsimd.BroadcastFloat32x16(-ln2Hi32)
	kc.k3 = archsimd.BroadcastFloat32x16(-ln2Lo32)
	kc.k4 = archsimd.BroadcastFloat32x16(1.0 / 5040)
	kc.k5 = archsimd.BroadcastFloat32x16(1.0 / 720)
	kc.k6 = archsimd.BroadcastFloat32x16(1.0 / 120)
	kc.k7 = archsimd.BroadcastFloat32x16(1.0 / 24)
	kc.k8 = archsimd.BroadcastFloat32x16(1.0 / 6)
	kc.k9 = archsimd.BroadcastFloat32x16(0.5)
	kc.k10 = archsimd.BroadcastFloat32x16(1)
	kc.k11 = archsimd.BroadcastFloat32x16(2)
	kc.k12 = archsimd.BroadcastFloat32x16(-1)
	kc.k13 = archsimd.BroadcastFloat32x16(1.0 / 13)
	kc.k14 = archsimd.BroadcastFloat32x16(1.0 / 11)
	kc.k15 = archsimd.BroadcastFloat32x16(1.0 / 9)
	kc.k16 = archsimd.BroadcastFloat32x16(1.0 / 7)
	kc.k17 = archsimd.BroadcastFloat32x16(1.0 / 5)
	kc.k18 = archsimd.BroadcastFloat32x16(1.0 / 3)
	kc.k19 = archsimd.BroadcastFloat32x16(0)
	kc.k20 = archsimd.BroadcastFloat32x16(sqrt2)
	kc.k21 = archsimd.BroadcastFloat32x16(1.0 / 9)
	kc.k22 = archsimd.BroadcastFloat32x16(ln2Hi32)
	kc.k23 = archsimd.BroadcastFloat32x16(ln2Lo32)
}

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

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

//go:build goexperiment.simd && amd64

package kernel

import "simd/archsimd"

// hasSIMD reports whether the vectorized kernels can run: AVX-512 (F, CD,
// BW, DQ, VL) is required for the 16-lane float32 code.
var hasSIMD = archsimd.X86.AVX512()

// exp16 is Exp32 on 16 lanes for x <= 0 (inputs below -104 give 0).
func exp16(x archsimd.Float32x16) archsimd.Float32x16 {
	x = x.Max(archsimd.BroadcastFloat32x16(-104))
	n := x.Mul(archsimd.BroadcastFloat32x16(log2e)).RoundToEvenScaled(0)
	r := n.MulAdd(archsimd.BroadcastFloat32x16(-ln2Hi32), x)
	r = n.MulAdd(archsimd.BroadcastFloat32x16(-ln2Lo32), r)
	p := archsimd.BroadcastFloat32x16(1.0 / 5040)
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/720))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/120))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/24))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1.0/6))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(0.5))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1))
	p = p.MulAdd(r, archsimd.BroadcastFloat32x16(1))
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

package kernel

import (
	"math"
	"testing"
)

// TestExpNegAbs32 checks that the block exponential of the plain-Go
// kernels returns Exp32(-|x|) bit for bit (NaN aside) over a sweep of
// float32 bit patterns of both signs, dense around the underflow
// threshold expLo32 and around 1/2.
func TestExpNegAbs32(t *testing.T) {
	if math.Float32bits(-expLo32) != expLoBits {
		t.Fatalf("expLoBits %#x, want %#x", expLoBits, math.Float32bits(-expLo32))
	}
	var x []float32
	add := func(lo, hi, step uint32) {
		for b := uint64(lo); b < uint64(hi); b += uint64(step) {
			v := math.Float32frombits(uint32(b))
			x = append(x, v, -v)
		}
	}
	add(0, 0x7f800001, 4099)
	add(expLoBits-1<<15, expLoBits+1<<15, 1)
	add(0x3f000000-1<<12, 0x3f000000+1<<12, 1)
	x = append(x, 0, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, 0x1p-149)
	e := make([]float32, len(x))
	expNegAbs32(e, x)
	for i, v := range x {
		if w := Exp32(negAbs32(v)); math.Float32bits(w) != math.Float32bits(e[i]) {
			t.Fatalf("expNegAbs32(%g) = %g, Exp32(-|x|) = %g", v, e[i], w)
		}
	}
}

// TestSel32 checks the branch-free selects.
func TestSel32(t *testing.T) {
	if sel32(true, 1, 2) != 1 || sel32(false, 1, 2) != 2 {
		t.Error("sel32")
	}
	if math.Signbit(float64(sel32(true, float32(math.Copysign(0, -1)), 1))) != true {
		t.Error("sel32 loses the sign of -0")
	}
	for _, x := range []float32{-3, -0.5, 0, 0.5, 3, -80, 80} {
		p, q, dp := sigmoidExp32(x, Exp32(negAbs32(x)))
		w := 1 / (1 + math.Exp(-float64(x)))
		if relErr(float64(p), w) > 0x1p-21 || relErr(float64(q), 1-w) > 0x1p-21 || relErr(float64(dp), w*(1-w)) > 0x1p-20 {
			t.Errorf("sigmoidExp32(%g) = %g, %g, %g; want %g, %g, %g", x, p, q, dp, w, 1-w, w*(1-w))
		}
	}
}

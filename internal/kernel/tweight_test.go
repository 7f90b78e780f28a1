package kernel

import (
	"math"
	"testing"
)

// TestBinaryStatsDPWeight checks Binary.TWeight: t outside [0, 1] is a
// weight (not flagged, summed as TP = sum p t), a non-finite logit is
// still flagged, in the vector body and the plain-Go tail; without it a
// non-finite or out-of-range target is flagged.
func TestBinaryStatsDPWeight(t *testing.T) {
	paths(t, func(t *testing.T) {
		for _, pos := range []int{0, 20, 40} {
			x, w := randBinary(41, 3, false)
			for i := range w {
				w[i] = float32(i%7) * 3.5
			}
			w[pos] = -12
			dp := make([]float32, len(x))
			s := BinaryStatsDP(dp, x, w, &Binary{Logits: true, TWeight: true})
			if s.Bad {
				t.Fatalf("weight -12 at %d flagged", pos)
			}
			var tp float64
			for i, xv := range x {
				p := sig64(float64(xv))
				tp += p * float64(w[i])
				if math.Abs(float64(dp[i])-p*(1-p)) > 1e-6 {
					t.Fatalf("dp[%d] = %v, want %v", i, dp[i], p*(1-p))
				}
			}
			closeRel(t, "TP", s.TP, tp, 1e-5)
			if s := BinaryStatsDP(dp, x, w, &Binary{Logits: true}); !s.Bad {
				t.Errorf("without TWeight: weight -12 at %d not flagged", pos)
			}
			for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1.5} {
				x2, t2 := randBinary(41, 5, false)
				t2[pos] = float32(v) // the vector kernel checks the range; NaN shows in SG
				if s := BinaryStatsDP(dp, x2, t2, &Binary{Logits: true}); !s.Bad {
					t.Errorf("target %v at %d not flagged", v, pos)
				}
				x2[pos] = float32(v)
				t2[pos] = 1
				if v != 1.5 {
					if s := BinaryStatsDP(dp, x2, t2, &Binary{Logits: true}); !s.Bad {
						t.Errorf("logit %v at %d not flagged", v, pos)
					}
				}
			}
			x[pos] = float32(math.NaN())
			if s := BinaryStatsDP(dp, x, w, &Binary{Logits: true, TWeight: true}); !s.Bad {
				t.Errorf("NaN logit at %d not flagged", pos)
			}
		}
	})
}

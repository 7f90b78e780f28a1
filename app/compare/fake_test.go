package compare

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/segloss/segloss/app/dataset"
)

// fakeTrainer "trains" instantly and deterministically: its prediction is
// the truth, degraded by a per-loss amount; "bce" also misses the rarest
// class, the way plain BCE does on imbalanced data.
type fakeTrainer struct {
	mu      sync.Mutex
	trained []string
	fail    string                          // loss whose run fails
	onStart func(job Job)                   // called at the start of each run
	block   func(ctx context.Context) error // called before returning, e.g. to wait for cancellation
}

func (f *fakeTrainer) Describe() any { return map[string]any{"model": "fake"} }

func (f *fakeTrainer) Train(ctx context.Context, set *dataset.Set, job Job, progress func(Progress)) (*Outcome, error) {
	if f.onStart != nil {
		f.onStart(job)
	}
	if f.block != nil {
		if err := f.block(ctx); err != nil {
			return nil, err
		}
	}
	if job.Name == f.fail {
		return nil, errFake
	}
	f.mu.Lock()
	f.trained = append(f.trained, job.Name)
	f.mu.Unlock()
	steps := job.Budget.Steps
	var curve []Point
	for s := 1; s <= steps; s++ {
		d := 0.9 * float64(s) / float64(steps)
		progress(Progress{Step: s, Steps: steps, Loss: 1 - d, ValDice: d})
		curve = append(curve, Point{Step: s, Seconds: float64(s), Loss: Num(1 - d), Dice: nums([]float64{d, d / 2})})
	}
	pred := make([][]int32, len(set.Val))
	drop := len(job.Name) % 5 // a per-loss amount of damage
	for i, ex := range set.Val {
		p := append([]int32(nil), ex.Label...)
		for j := range p {
			if p[j] > 0 && (j+i)%(7+drop) == 0 {
				p[j] = 0 // some false negatives
			}
			if job.Name == "bce" && p[j] == 2 {
				p[j] = 0
			}
		}
		pred[i] = p
	}
	return &Outcome{Steps: steps, Seconds: 0.5, Curve: curve, Pred: pred}, nil
}

type fakeError struct{}

func (fakeError) Error() string { return "fake failure" }

var errFake = fakeError{}

// syntheticSet loads a small built-in set.
func syntheticSet(t testing.TB, n int) *dataset.Set {
	t.Helper()
	s, err := dataset.Load("synthetic:"+itoa(n), dataset.Options{Seed: 1, Multiple: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 } // results are stored to 6 decimals

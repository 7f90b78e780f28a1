package segloss_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/segloss/segloss"
	"github.com/segloss/segloss/internal/golden"
)

// goldenFiles returns the public case file and every file named in
// SEGLOSS_GOLDEN (paths separated by ':').
func goldenFiles() []string {
	files := []string{filepath.Join("testdata", "golden_public.json"), filepath.Join("testdata", "golden2_public.json")}
	if env := os.Getenv("SEGLOSS_GOLDEN"); env != "" {
		for _, p := range strings.Split(env, ":") {
			if p != "" {
				files = append(files, p)
			}
		}
	}
	return files
}

func TestGolden(t *testing.T) {
	for _, path := range goldenFiles() {
		f, err := golden.Load(path)
		if err != nil {
			t.Fatalf("cannot read golden file: %v", err)
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			for i := range f.Cases {
				c := &f.Cases[i]
				t.Run(c.ID, func(t *testing.T) {
					l, err := c.NewLoss()
					if err != nil {
						t.Fatalf("%v", err)
					}
					runGoldenCase[float64](t, l, c, golden.Float64)
					if !c.NeedsFloat64() {
						runGoldenCase[float32](t, l, c, golden.Float32)
					}
				})
			}
		})
	}
}

func runGoldenCase[T segloss.Float](t *testing.T, l *segloss.Loss, c *golden.Case, tol golden.Tolerance) {
	t.Helper()
	b := golden.Batch[T](c)
	grad := make([]T, len(b.Input))
	got, err := segloss.Eval(l, grad, b)
	name := "float64"
	var zero T
	if _, ok := any(zero).(float32); ok {
		name = "float32"
	}
	if err != nil {
		t.Errorf("%s: %s: %v", name, l, err)
		return
	}
	if msg := c.CheckLoss(got, tol); msg != "" {
		t.Errorf("%s: %s (tags %v): %s", name, l, c.Tags, msg)
	}
	if msg := golden.CheckGrad(c, grad, tol); msg != "" {
		t.Errorf("%s: %s (tags %v): %s", name, l, c.Tags, msg)
	}
	// The value without a gradient buffer must be the same.
	v2, err := segloss.Eval(l, nil, b)
	if err != nil || v2 != got {
		t.Errorf("%s: value without grad = %v (%v), with grad %v", name, v2, err, got)
	}
}

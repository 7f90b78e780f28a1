package gomlxloss

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	. "github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/segloss/segloss"
	"github.com/segloss/segloss/internal/golden"
)

var (
	backendOnce sync.Once
	testBackend compute.Backend
)

func goBackend(t testing.TB) compute.Backend {
	backendOnce.Do(func() {
		b, err := gobackend.New("")
		if err != nil {
			t.Fatalf("pure-Go backend: %v", err)
		}
		testBackend = b
	})
	return testBackend
}

// graphEval evaluates l on b in T (float32 or float64) through the graph
// and returns the loss and GoMLX's automatic gradient with respect to the input.
func graphEval[T float32 | float64](t testing.TB, l *Loss, b segloss.Batch[T]) (float64, []T) {
	t.Helper()
	backend := goBackend(t)
	x := tensors.FromFlatDataAndDimensions(b.Input, b.Shape...)
	var y *tensors.Tensor
	if b.Labels != nil {
		y = tensors.FromFlatDataAndDimensions(b.Labels, append([]int{b.Shape[0]}, b.Shape[2:]...)...)
	} else {
		y = tensors.FromFlatDataAndDimensions(b.Target, b.Shape...)
	}
	exec, err := NewExec(backend, func(x, y *Node) (*Node, *Node) {
		v := l.Graph([]*Node{y}, []*Node{x})
		return v, Gradient(v, x)[0]
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(x, y)
	if err != nil {
		t.Fatalf("%s: %v", l, err)
	}
	v := float64(tensors.ToScalar[T](outs[0]))
	return v, tensors.MustCopyFlatData[T](outs[1])
}

func TestGoldenParity(t *testing.T) {
	for _, file := range []string{"golden_public.json", "golden2_public.json"} {
		f, err := golden.Load(filepath.Join("..", "..", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		for i := range f.Cases {
			c := &f.Cases[i]
			if graphs[segloss.Name(c.Loss)].host {
				continue // no in-graph form: TestHostRoute
			}
			if _, ok := c.Options["pixel_weights"]; ok {
				continue // the graph takes weights as extra labels (see the package doc), not Batch.Weights
			}
			t.Run(c.ID, func(t *testing.T) {
				cl, err := c.NewLoss()
				if err != nil {
					t.Fatal(err)
				}
				// Cases that need float64 arithmetic run in a float64 graph,
				// still held to the float32 tolerance.
				var msgs []string
				if c.NeedsFloat64() {
					v, g := graphEval(t, FromCore(cl), golden.Batch[float64](c))
					msgs = append(msgs, c.CheckLoss(v, golden.Float32), golden.CheckGrad(c, g, golden.Float32))
				} else {
					v, g := graphEval(t, FromCore(cl), golden.Batch[float32](c))
					msgs = append(msgs, c.CheckLoss(v, golden.Float32), golden.CheckGrad(c, g, golden.Float32))
				}
				for _, m := range msgs {
					if m != "" {
						t.Errorf("%s: %s", cl, m)
					}
				}
			})
		}
	}
}

// randomSpecs are losses with non-default options for the random-shape parity test.
var randomSpecs = []string{
	"bce", "bce_logits:pos_weight=2,label_smoothing=0.1", "bce:eps=0", "focal_keras", "focal_keras:form=mean_bce",
	"focal_sigmoid", "focal_sigmoid:pt_form=exp,alpha=null", "dice", "dice:squared=true,reduction=per_sample",
	"dice:tp_form=l1,log_loss=true", "dice_bce", "jaccard", "jaccard:reduction=none", "tversky:alpha=0.3,beta=0.7",
	"focal_tversky", "log_cosh_dice", "mcc", "lovasz_hinge", "lovasz_hinge:per_image=true",
	"dice:mode=multiclass,from_logits=true", "cross_entropy:label_smoothing=0.1", "focal_softmax",
	"generalized_dice", "dice_bce:mode=multiclass", "lovasz_softmax", "lovasz_softmax:classes=all,per_image=true",
	"tversky:mode=multiclass,from_logits=true,ignore_index=3", "cross_entropy:ignore_index=3,class_weights=[1,2,0.5]",
	// The second family: in-graph forms.
	"dice_focal", "dice_focal:mode=multiclass,reduction=global,alpha=0.25,gamma=1.5,classes=[1,2],ignore_index=7",
	"dice_focal:mode=multiclass,focal_form=softmax,alpha=0.75,dice_weight=0.5,focal_weight=2",
	"dice_focal:mode=multilabel,gamma=0,class_weights=[1,2,0.5,1]",
	"generalized_dice_focal", "generalized_dice_focal:focal_form=softmax,w_type=simple,ignore_index=9,alpha=0.25",
	"sensitivity_specificity", "sensitivity_specificity:mode=multiclass,from_logits=true,r=0.4,reduction=global,classes=[0,1],ignore_index=8",
	"combo", "combo:mode=multiclass,from_logits=true,alpha=0.3,ce_ratio=0.7,reduction=global,ignore_index=8", "combo:alpha=null,from_logits=true",
	"asymmetric_focal", "asymmetric_focal:mode=multiclass,from_logits=true,delta=0.6,gamma=0.5,ignore_index=9",
	"asymmetric_focal_tversky", "asymmetric_focal_tversky:mode=multiclass,from_logits=true,reduction=global,gamma=0.2,smooth=1",
	"unified_focal", "unified_focal:mode=multiclass,from_logits=true,weight=0.3,reduction=global,ignore_index=9",
	"generalized_wasserstein_dice", "generalized_wasserstein_dice:weighting_mode=GDL,reduction=global,ignore_index=9",
	"generalized_wasserstein_dice:weighting_mode=GDL,from_logits=false",
	"dice:from_logits=true+0.5*focal_sigmoid:gamma=2",
}

// hostSpecs are the losses without an in-graph form: the host route.
var hostSpecs = []string{
	"topk_ce", "topk_ce:k=30,label_smoothing=0.1", "boundary", "boundary:mode=multiclass,from_logits=true",
	"hausdorff_dt", "log_hausdorff_dt:mode=multilabel,from_logits=true", "cldice", "dice_cldice:iter_=2",
	"dice:mode=multiclass,from_logits=true+topk_ce:k=10",
}

// TestHostRoute checks that the host-only losses refuse the graph and that
// HostGradient turns the core's host gradient into GoMLX's gradient.
func TestHostRoute(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, spec := range hostSpecs {
		l, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if !l.HostOnly() || l.Sorts() {
			t.Errorf("%s: HostOnly() = %v, Sorts() = %v; want true, false", spec, l.HostOnly(), l.Sorts())
		}
		o := l.Core().Options()
		if _, parts := l.Core().Terms(); parts != nil {
			o = parts[len(parts)-1].Options()
		}
		b := randomBatch(rng, o)
		want := make([]float32, len(b.Input))
		if _, err := segloss.Eval(l.Core(), want, b); err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		backend := goBackend(t)
		exec, err := NewExec(backend, func(x, g *Node) *Node { return Gradient(HostGradient([]*Node{g}, []*Node{x}), x)[0] })
		if err != nil {
			t.Fatal(err)
		}
		outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(b.Input, b.Shape...), tensors.FromFlatDataAndDimensions(want, b.Shape...))
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](outs[0])
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: host-route grad[%d] = %v, want %v", spec, i, got[i], want[i])
			}
		}
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "host route") {
					t.Errorf("%s: Graph did not refuse with a host-route message: %v", spec, r)
				}
			}()
			_, _ = NewExec(backend, func(x, y *Node) *Node { return l.Graph([]*Node{y}, []*Node{x}) })
			e := MustNewExec(backend, func(x, y *Node) *Node { return l.Graph([]*Node{y}, []*Node{x}) })
			e.MustExec(tensors.FromFlatDataAndDimensions(b.Input, b.Shape...), tensors.FromFlatDataAndDimensions(want, b.Shape...))
		}()
	}
}

// TestRandomParity compares values and gradients with the core's analytic
// ones on random batches of random shapes, for every registered loss.
func TestRandomParity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[segloss.Name]bool{}
	for _, spec := range randomSpecs {
		cl, err := segloss.Parse(spec)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		seen[cl.Name()] = true
		for trial := 0; trial < 2; trial++ {
			b := randomBatch(rng, cl.Options())
			t.Run(fmt.Sprintf("%s/%v", spec, b.Shape), func(t *testing.T) {
				want := make([]float32, len(b.Input))
				wv, err := segloss.Eval(cl, want, b)
				if err != nil {
					t.Fatal(err)
				}
				gv, got := graphEval(t, FromCore(cl), b)
				tol := golden.Float32
				c := &golden.Case{ExpectedLoss: wv, ExpectedGrad: toF64(want)}
				if msg := c.CheckLoss(gv, tol); msg != "" {
					t.Errorf("%s", msg)
				}
				if msg := golden.CheckGrad(c, got, tol); msg != "" {
					t.Errorf("%s", msg)
				}
			})
		}
	}
	for _, spec := range hostSpecs {
		l, _ := segloss.Parse(spec)
		seen[l.Name()] = true
	}
	for _, n := range segloss.Names() {
		if !seen[n] {
			t.Errorf("loss %s has no random parity spec", n)
		}
	}
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// randomBatch returns a batch fitting options o with random shape and values.
func randomBatch(rng *rand.Rand, o segloss.Options) segloss.Batch[float32] {
	n := 1 + rng.IntN(3)
	c := 1
	if o.Mode != segloss.Binary {
		c = 2 + rng.IntN(3)
	}
	if o.ClassWeights != nil {
		c = len(o.ClassWeights)
	}
	spatial := [][]int{{5}, {3, 4}, {2, 3, 4}}[rng.IntN(3)]
	shape := append([]int{n, c}, spatial...)
	s := 1
	for _, d := range spatial {
		s *= d
	}
	b := segloss.Batch[float32]{Shape: shape, Input: make([]float32, n*c*s)}
	for i := range b.Input {
		if o.FromLogits {
			b.Input[i] = float32(rng.NormFloat64() * 2)
		} else {
			b.Input[i] = float32(0.02 + 0.96*rng.Float64())
		}
	}
	if o.Mode == segloss.Multiclass {
		b.Labels = make([]int32, n*s)
		for i := range b.Labels {
			b.Labels[i] = int32(rng.IntN(c))
			if o.Ignore && o.IgnoreIndex >= c && rng.IntN(5) == 0 {
				b.Labels[i] = int32(o.IgnoreIndex)
			}
		}
		if !o.FromLogits { // probabilities must sum to one per pixel
			b.Input = softmaxHost(b.Input, n, c, s)
		}
		return b
	}
	b.Target = make([]float32, n*c*s)
	for i := range b.Target {
		if rng.IntN(3) == 0 {
			b.Target[i] = 1
		}
	}
	return b
}

func softmaxHost(x []float32, n, c, s int) []float32 {
	out := make([]float32, len(x))
	for i := 0; i < n; i++ {
		for j := 0; j < s; j++ {
			var z float64
			for k := 0; k < c; k++ {
				z += float64(x[(i*c+k)*s+j])
			}
			for k := 0; k < c; k++ {
				out[(i*c+k)*s+j] = float32(float64(x[(i*c+k)*s+j]) / z)
			}
		}
	}
	return out
}

// TestAllReduceSingleDevice checks that WithAllReduce changes nothing on a
// single-device graph (the all-reduce is a no-op there) and refuses Lovász.
func TestAllReduceSingleDevice(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, spec := range []string{"dice", "dice_bce:mode=multiclass", "cross_entropy:ignore_index=3", "focal_sigmoid", "tversky:reduction=per_sample"} {
		cl, err := segloss.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		b := randomBatch(rng, cl.Options())
		want := make([]float32, len(b.Input))
		wv, err := segloss.Eval(cl, want, b)
		if err != nil {
			t.Fatal(err)
		}
		gv, got := graphEval(t, FromCore(cl).WithAllReduce("data"), b)
		c := &golden.Case{ExpectedLoss: wv, ExpectedGrad: toF64(want)}
		if msg := c.CheckLoss(gv, golden.Float32) + golden.CheckGrad(c, got, golden.Float32); msg != "" {
			t.Errorf("%s with all-reduce: %s", spec, msg)
		}
	}
	l, _ := Parse("lovasz_hinge")
	defer func() {
		if recover() == nil {
			t.Error("lovasz_hinge with all-reduce did not panic")
		}
	}()
	backend := goBackend(t)
	_, _ = NewExec(backend, func(x, y *Node) *Node { return l.WithAllReduce().Graph([]*Node{y}, []*Node{x}) })
	e := MustNewExec(backend, func(x, y *Node) *Node { return l.WithAllReduce().Graph([]*Node{y}, []*Node{x}) })
	e.MustExec(tensors.FromFlatDataAndDimensions([]float32{1, 2}, 1, 1, 2), tensors.FromFlatDataAndDimensions([]float32{1, 0}, 1, 1, 2))
}

// TestGraphsCoverRegistry: every loss of the core registry has a graph
// formula, and every entry of the table is a core loss.
func TestGraphsCoverRegistry(t *testing.T) {
	core := map[segloss.Name]bool{}
	for _, n := range segloss.Names() {
		core[n] = true
		g, ok := graphs[n]
		if !ok {
			t.Errorf("core loss %s has no graph formula", n)
			continue
		}
		if g.build != nil && (g.region != nil || g.whole != nil) || g.build == nil && g.region == nil && g.whole == nil && !g.host {
			t.Errorf("%s: set build, a region formula (region or whole), or host", n)
		}
	}
	for n := range graphs {
		if !core[n] {
			t.Errorf("graph formula for %s, which the core does not register", n)
		}
	}
}

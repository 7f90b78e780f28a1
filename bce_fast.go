package segloss

import "github.com/segloss/segloss/internal/kernel"

// pixelJob is the fused pass of bce, bce_logits and focal_sigmoid: loss,
// checks and gradient of each chunk in one kernel call.
type pixelJob struct {
	batch32
	sums    []kernel.Sums
	bce     kernel.BCEOpts
	focal   kernel.FocalOpts // focal_sigmoid, when isFocal
	isFocal bool
}

// Do runs chunk c, elements [lo, hi).
func (j *pixelJob) Do(c, lo, hi int) {
	var g []float32
	if j.gr != nil {
		g = j.gr[lo:hi]
	}
	if j.isFocal {
		j.sums[c] = kernel.Focal(g, j.x[lo:hi], j.t[lo:hi], &j.focal)
		return
	}
	j.sums[c] = kernel.BCE(g, j.x[lo:hi], j.t[lo:hi], &j.bce)
}

// fusedBCE is the fused path of bce and bce_logits (float targets).
func fusedBCE(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil {
		return 0, false, false
	}
	v, bad := fusedPixel(l, ws, newBatch32(l, g, grad, b), false)
	return v, true, bad
}

// fusedFocal is the fused path of focal_sigmoid (float targets).
func fusedFocal(l *Loss, ws *fastWS, g geom, grad []float32, b Batch[float32]) (float64, bool, bool) {
	if b.Labels != nil {
		return 0, false, false
	}
	v, bad := fusedPixel(l, ws, newBatch32(l, g, grad, b), true)
	return v, true, bad
}

func bceOpts(o *Options) kernel.BCEOpts {
	ign, ok := ignoreValue32(o)
	return kernel.BCEOpts{
		Logits: o.FromLogits, PosWeight: float32(o.PosWeight), Smooth: float32(o.LabelSmoothing),
		Eps: float32(o.Eps), LogEps: float32(o.LogEps), Ignore: ok, IgnoreValue: ign,
	}
}

// fusedPixel is bce, bce_logits and focal_sigmoid: one pass for loss and
// gradient (a second one rescales the gradient when ignored elements
// make the count unknown in advance).
func fusedPixel(l *Loss, ws *fastWS, b batch32, focal bool) (float64, bool) {
	o := &l.opts
	n := len(b.x)
	j := &ws.pixel
	defer func() { *j = pixelJob{} }()
	*j = pixelJob{batch32: b, bce: bceOpts(o)}
	scale := float32(1)
	if o.Reduction != Sum && !o.Ignore {
		scale = float32(1 / float64(n))
	}
	j.bce.Scale = scale
	if focal {
		j.bce.PosWeight = 1
		j.focal = kernel.FocalOpts{BCE: j.bce, Alpha: float32(o.Alpha), Gamma: float32(o.Gamma), PtExp: o.PtForm == PtExp}
		j.isFocal = true
	}
	j.sums = growSums(&ws.sums, kernel.Chunks(n, kernel.Chunk))
	kernel.Run(j, n, kernel.Chunk)
	s := sumChunks(j.sums)
	if s.Bad {
		return 0, true
	}
	if o.Reduction == Sum {
		return s.Loss, false
	}
	if s.Cnt == 0 {
		if b.gr != nil {
			ws.zeroGrad32(b.gr)
		}
		return 0, false
	}
	if o.Ignore && b.gr != nil {
		ws.scaleGrad32(b.gr, float32(1/s.Cnt))
	}
	return s.Loss / s.Cnt, false
}

package segloss

import "math"

func init() {
	register(
		&descriptor{name: FocalKeras, kind: kindPixel, probClip: true,
			keys:     []string{"alpha", "gamma", "from_logits", "eps", "log_eps", "form", "ignore_index"},
			defaults: map[string]string{"alpha": "0.8"},
			eval:     general{focalKeras[float32], focalKeras[float64]}},
		&descriptor{name: FocalSigmoid, kind: kindPixel, probClip: true, alphaNull: true,
			keys:     []string{"alpha", "gamma", "pt_form", "from_logits", "eps", "ignore_index", "reduction"},
			defaults: map[string]string{"alpha": "0.25", "from_logits": "true"},
			eval:     general{focalSigmoid[float32], focalSigmoid[float64]}, fused: fusedFocal},
	)
}

// focalFactor returns F(l) = alpha*(1-e^-l)^gamma*l and dF/dl, the Keras
// focal transform of a cross-entropy value l >= 0.
func focalFactor(alpha, gamma, l float64) (f, df float64) {
	e := math.Exp(-l)
	u := -math.Expm1(-l) // 1 - e^-l, exact for small l
	ug := powZero(u, gamma)
	f = alpha * ug * l
	df = alpha * (ug + gamma*powZero(u, gamma-1)*e*l)
	return f, df
}

// focalKeras is alpha*(1-exp(-BCE))^gamma*BCE, per element (form
// "elementwise") or applied to the mean BCE (form "mean_bce").
func focalKeras[T Float](l *Loss, _ *workspace, g geom, grad []T, b Batch[T]) float64 {
	o := &l.opts
	if o.Form == MeanBCE {
		mb := pixelMean(o, g, grad, b, bceTerm)
		f, df := focalFactor(o.Alpha, o.Gamma, mb)
		scaleGrad(grad, df)
		return f
	}
	return pixelMean(o, g, grad, b, focalKerasTerm)
}

// focalKerasTerm is the elementwise Keras focal term.
func focalKerasTerm(o *Options, x, t float64) (float64, float64) {
	l, d := bceTerm(o, x, t)
	f, df := focalFactor(o.Alpha, o.Gamma, l)
	return f, df * d
}

// focalSigmoid is the torchvision / smp sigmoid focal loss
// a_t*(1-p_t)^gamma*BCE.
func focalSigmoid[T Float](l *Loss, _ *workspace, g geom, grad []T, b Batch[T]) float64 {
	return pixelMean(&l.opts, g, grad, b, focalSigmoidTerm)
}

// focalSigmoidTerm is the term of focalSigmoid (the BCE without pos_weight).
func focalSigmoidTerm(o *Options, x, t float64) (float64, float64) {
	gamma, alpha := o.Gamma, o.Alpha
	ce, dce := bceTermPW(o, 1, x, t)
	var pt, dpt, om float64
	if o.PtForm == PtExp {
		pt = math.Exp(-ce)
		dpt = -pt * dce
		om = -math.Expm1(-ce)
	} else {
		p, dp := x, 1.0
		if o.FromLogits {
			p = sigmoid(x)
			dp = p * (1 - p)
		}
		pt = p*t + (1-p)*(1-t)
		dpt = (2*t - 1) * dp
		om = 1 - pt
	}
	m := powZero(om, gamma)
	l := ce * m
	d := dce * m
	if ce != 0 {
		d -= gamma * powZero(om, gamma-1) * dpt * ce // dpt first: ce*gamma may overflow where dpt = 0
	}
	if alpha >= 0 {
		at := alpha*t + (1-alpha)*(1-t)
		l, d = at*l, at*d
	}
	return l, d
}

package segloss

import "math"

// regionFormula is the formula of a region loss on its RegionStats: the
// loss of one (group, class) entry and its derivatives with respect to the
// sums (class), or the loss of all the entries at once (whole, for losses
// that couple the classes), then an optional outer function of the class
// mean. The general path, the fused path and Stats/EvalFromStats all
// evaluate it.
type regionFormula struct {
	// class returns the loss of entry k of r and its derivatives with
	// respect to TP, sum p, sum p² and sum |p-g|.
	class func(o *Options, r *RegionStats, k int) (float64, regionCoef)
	// whole returns the loss of r, averaged over groups, and fills coef.
	whole func(o *Options, r *RegionStats, coef []regionCoef) float64
	// outer, if set, maps the class mean v to the loss and its derivative.
	outer func(v float64) (f, df float64)
	// pooled: all channels pool into one class (mcc).
	pooled bool
}

// diceKeys are the option keys of dice and log_cosh_dice.
var diceKeys = []string{"mode", "from_logits", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "squared", "tp_form", "empty_zero", "log_loss"}

func init() {
	register(
		&descriptor{name: Dice, kind: kindRegion, keys: diceKeys,
			region: &regionFormula{class: diceClass}},
		&descriptor{name: LogCoshDice, kind: kindRegion, keys: diceKeys,
			region: &regionFormula{class: diceClass, outer: func(v float64) (float64, float64) { return math.Log(math.Cosh(v)), math.Tanh(v) }}},
		&descriptor{name: Jaccard, kind: kindRegion,
			keys:   []string{"mode", "from_logits", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "tp_form", "empty_zero", "log_loss"},
			region: &regionFormula{class: jaccardClass}},
		&descriptor{name: Tversky, kind: kindRegion,
			keys:   []string{"mode", "from_logits", "alpha", "beta", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index", "empty_zero"},
			region: &regionFormula{class: tverskyClass}},
		&descriptor{name: FocalTversky, kind: kindRegion,
			keys:     []string{"mode", "from_logits", "alpha", "beta", "gamma", "smooth", "eps", "reduction", "classes", "class_weights", "ignore_index"},
			defaults: map[string]string{"gamma": "0.75"},
			region:   &regionFormula{class: focalTverskyClass}},
		&descriptor{name: GeneralizedDice, kind: kindRegion,
			keys:     []string{"mode", "from_logits", "smooth", "w_type", "reduction", "classes", "ignore_index"},
			defaults: map[string]string{"mode": "multiclass", "from_logits": "true"},
			region:   &regionFormula{whole: generalizedDice}},
		&descriptor{name: MCC, kind: kindRegion,
			keys:     []string{"from_logits", "eps", "reduction", "ignore_index"},
			defaults: map[string]string{"eps": "1e-5", "mode": "binary"},
			region:   &regionFormula{class: mccClass, pooled: true}},
	)
}

// scoreLoss turns an overlap score d (Dice, Jaccard) into the loss 1-d, or
// -log(max(d, floor)) with log_loss, and returns dloss/dd.
func scoreLoss(o *Options, d float64) (loss, dd float64) {
	if !o.LogLoss {
		return 1 - d, -1
	}
	floor := o.Eps
	if floor <= 0 {
		floor = 1e-7
	}
	if d < floor {
		return -math.Log(floor), 0
	}
	return -math.Log(d), -1 / d
}

// floorDen applies the eps floor to a denominator and reports whether it
// is still differentiable (not clamped).
func floorDen(o *Options, den float64) (float64, bool) {
	if o.Eps > 0 && den < o.Eps {
		return o.Eps, false
	}
	return den, true
}

// diceClass is the Dice loss of entry k (dice, log_cosh_dice).
func diceClass(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	return overlapClass(o, r, k, false)
}

// jaccardClass is the soft Jaccard (IoU) loss of entry k.
func jaccardClass(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	return overlapClass(o, r, k, true)
}

// overlapClass is the Dice (or, with jaccard, the IoU) loss of entry k.
func overlapClass(o *Options, r *RegionStats, k int, jaccard bool) (float64, regionCoef) {
	tp, sp, sg := r.TP[k], r.SumP[k], r.SumG[k]
	s := o.Smooth
	var cf regionCoef
	if o.EmptyZero && sg == 0 {
		return 0, cf
	}
	// l1 TP = (sp + sg - sa)/2: its derivative goes to sum p and sum |p-g|.
	dTPdSP, dTPdAbs := 0.0, 0.0
	if o.TPForm == L1 {
		tp = (sp + sg - r.SumAbs[k]) / 2
		dTPdSP, dTPdAbs = 0.5, -0.5
	}
	var score, dScoreTP, dScoreDen float64
	var free bool
	var den float64
	if jaccard {
		den, free = floorDen(o, sp+sg-tp+s)
		score = (tp + s) / den
		dScoreTP = 1 / den
		if free {
			dScoreDen = -score / den
			dScoreTP -= dScoreDen // d den / d tp = -1
		}
	} else {
		raw := sp + sg + s
		if o.Squared {
			raw = r.SumP2[k] + r.SumG2[k] + s
		}
		den, free = floorDen(o, raw)
		score = (2*tp + s) / den
		dScoreTP = 2 / den
		if free {
			dScoreDen = -score / den
		}
	}
	loss, dl := scoreLoss(o, score)
	dTP := dl * dScoreTP
	dDen := dl * dScoreDen
	if o.Squared && !jaccard {
		cf.dSP2 = dDen
	} else {
		cf.dSP = dDen
	}
	if o.TPForm == L1 {
		cf.dSP += dTP * dTPdSP
		cf.dAbs = dTP * dTPdAbs
	} else {
		cf.dTP = dTP
	}
	return loss, cf
}

// tverskyIndex returns the Tversky index of entry k and its derivatives
// with respect to TP and sum p.
func tverskyIndex(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	tp, sp, sg := r.TP[k], r.SumP[k], r.SumG[k]
	a, bt := o.Alpha, o.Beta
	// den = tp + a(sp - tp) + b(sg - tp) + s
	den, free := floorDen(o, tp+a*(sp-tp)+bt*(sg-tp)+o.Smooth)
	ti := (tp + o.Smooth) / den
	dTI := regionCoef{dTP: 1 / den}
	if free {
		dd := -ti / den
		dTI.dTP += dd * (1 - a - bt)
		dTI.dSP = dd * a
	}
	return ti, dTI
}

// tverskyClass is the Tversky loss 1 - TI of entry k.
func tverskyClass(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	if o.EmptyZero && r.SumG[k] == 0 {
		return 0, regionCoef{}
	}
	ti, d := tverskyIndex(o, r, k)
	return 1 - ti, regionCoef{dTP: -d.dTP, dSP: -d.dSP}
}

// focalTverskyClass is the focal Tversky loss (1 - TI)^gamma of entry k.
func focalTverskyClass(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	ti, d := tverskyIndex(o, r, k)
	om := math.Max(1-ti, 0)
	loss := powZero(om, o.Gamma)
	var dl float64
	if om > 0 {
		dl = -o.Gamma * powZero(om, o.Gamma-1)
	}
	return loss, regionCoef{dTP: dl * d.dTP, dSP: dl * d.dSP}
}

// mccClass is 1 - MCC of the pooled entry k. The counts are formed from
// differences that are exact for hard targets (sum p - TP, count - sum g),
// and the coefficient of a foreground element, dm/dTP + dm/dSP = (TN +
// FP)/den - m/2 (1/A - 1/D), is given directly (d1): the two terms nearly
// cancel near loss 1 (a full target), where their sum lost 9 digits.
func mccClass(o *Options, r *RegionStats, k int) (float64, regionCoef) {
	tp, sp, sg := r.TP[k], r.SumP[k], r.SumG[k]
	e := o.Eps
	cnt := r.Count[k]
	if cnt == 0 {
		return 0, regionCoef{} // every element ignored: loss 0, as for every other loss
	}
	fp, fn := sp-tp, sg-tp
	TP := tp + e
	FP := fp + e
	FN := fn + e
	TN := (cnt - sg) - fp + e
	A, B, C, D := TP+FP, TP+FN, TN+FP, TN+FN
	den := math.Sqrt(A * B * C * D)
	m := (TP*TN - FP*FN) / den
	corr := m / 2 * ((D - A) / (A * D)) // m/2 (1/A - 1/D)
	dmTP := (A + D) / den               // TP + TN + FP + FN
	dmSP := -B/den - corr
	dm1 := C/den - corr
	return 1 - m, regionCoef{dTP: -dmTP, dSP: -dmSP, d1: -dm1, exact1: true}
}

// generalizedDice is the loss of Sudre et al. 2017 with class weights from
// the target sums, averaged over groups; it fills coef.
func generalizedDice(o *Options, r *RegionStats, coef []regionCoef) float64 {
	C := r.Classes
	sel := o.Classes
	var sb [16]int
	if sel == nil {
		sel = allClasses(sb[:], C)
	}
	var wb [16]float64
	w := fit(wb[:], len(sel))
	var total float64
	inv := 1 / float64(r.Groups)
	for grp := 0; grp < r.Groups; grp++ {
		maxw := 0.0
		for i, c := range sel {
			sg := r.SumG[grp*C+c]
			switch o.WType {
			case WSimple:
				w[i] = 1 / sg
			case WUniform:
				w[i] = 1
			default:
				w[i] = 1 / (sg * sg)
			}
			if math.IsInf(w[i], 0) {
				w[i] = math.Inf(1)
			} else if w[i] > maxw {
				maxw = w[i]
			}
		}
		var num, den float64
		for i, c := range sel {
			if math.IsInf(w[i], 0) {
				w[i] = maxw
			}
			k := grp*C + c
			num += w[i] * r.TP[k]
			den += w[i] * (r.SumP[k] + r.SumG[k])
		}
		num = 2*num + o.Smooth
		den += o.Smooth
		total += (1 - num/den) * inv
		for i, c := range sel {
			k := grp*C + c
			coef[k].dTP += -2 * w[i] / den * inv
			coef[k].dSP += num * w[i] / (den * den) * inv
		}
	}
	return total
}

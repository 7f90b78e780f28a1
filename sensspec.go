package segloss

// sensSpec is the sensitivity-specificity loss of Brosch et al. 2015
// (SegLoss SSLoss): per class (and sample), over the kept elements,
// r sum (g-p)² g / (sum g + s) + (1-r) sum (g-p)² (1-g) / (sum (1-g) + s),
// then the mean over the classes (and samples).
//
// Special cases are:
//
//	every element ignored: 0 for that class
func sensSpec(o *Options, ws *workspace, d *dense, dp []float64) float64 {
	g := d.g
	classes := d.classList()
	K := len(classes)
	G := d.groups()
	buf := zeroed(&ws.f2small, 2*G*K)
	sg, sb := buf[:G*K], buf[G*K:]
	for n := 0; n < g.n; n++ {
		for ci, c := range classes {
			e := d.group(n)*K + ci
			off := d.at(n, c, 0)
			for s := 0; s < g.s; s++ {
				if d.keep[off+s] {
					sg[e] += d.t[off+s]
					sb[e] += 1 - d.t[off+s]
				}
			}
		}
	}
	inv := 1 / float64(G*K)
	var loss float64
	for n := 0; n < g.n; n++ {
		for ci, c := range classes {
			e := d.group(n)*K + ci
			a := o.R / (sg[e] + o.Smooth) * inv
			b := (1 - o.R) / (sb[e] + o.Smooth) * inv
			off := d.at(n, c, 0)
			for s := 0; s < g.s; s++ {
				i := off + s
				if !d.keep[i] {
					continue
				}
				t, p := d.t[i], d.p[i]
				k := a*t + b*(1-t)
				loss += k * (t - p) * (t - p)
				if dp != nil {
					dp[i] += -2 * k * (t - p)
				}
			}
		}
	}
	return loss
}

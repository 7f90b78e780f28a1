package compare

// reportHTML is the template of report.html: one self-contained page,
// with inline styles, images embedded as data URLs, no scripts and no
// external fonts.
const reportHTML = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.R.Question}} - segloss compare</title>
<style>
:root{--fg:#1d2330;--muted:#5b6475;--line:#dde1e8;--bg:#fff;--accent:#2457c5;--best:#e8f5e9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#f5f6f8}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px;background:var(--bg)}
h1{font-size:26px;margin:4px 0 10px}
h2{font-size:19px;margin:28px 0 8px;padding-top:10px;border-top:1px solid var(--line)}
.answer{font-size:17px;background:#eef3fd;border-left:4px solid var(--accent);padding:12px 16px;margin:0 0 12px}
.answer b{font-size:19px}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:13px;color:var(--muted);margin:0}
.meta dt{font-weight:600}.meta dd{margin:0;word-break:break-word}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600}
td.loss,th.loss{text-align:left;white-space:nowrap}
td.short{color:#b3261e;font-weight:700}
.warn{background:#fdf1e6;border-left:4px solid #c26a00;padding:8px 14px;margin:0 0 12px;font-size:14px}
.warn ul{margin:4px 0 0;padding-left:20px}
.forest{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:10px}
table.mx td{text-align:center;font-size:12.5px;line-height:1.3}
table.mx td.sep{background:var(--best)}
table.mx td.e{background:#fafbfc}
table.mx th{text-align:center;white-space:normal}
table.mx td.loss{text-align:left}
td.best{background:var(--best);font-weight:700}
.wrap{overflow-x:auto}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;margin:6px 0}
img.plot{width:100%;max-width:1000px;height:auto;display:block}
img.curve{max-width:780px}
img.curve.narrow{display:none}
@media (max-width:600px){main{padding:12px 12px 30px}img.curve.wide{display:none}img.curve.narrow{display:block}}
.bars{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.grid{display:grid;gap:6px 6px;align-items:start}
.grid .h{font-size:12px;font-weight:600;text-align:center;word-break:normal;overflow-wrap:normal;hyphens:none}
.grid .lab{font-size:12px;overflow-wrap:anywhere}
.grid .lab .hard{color:#b3261e;font-weight:700}
.grid figure{margin:0}
.grid img{width:100%;image-rendering:pixelated;display:block;border-radius:2px}
.grid figcaption{font-size:11px;text-align:center;color:var(--muted)}
.note{font-size:13px;color:var(--muted)}
details{margin-top:10px}summary{cursor:pointer;color:var(--accent)}
</style></head><body><main>
<h1>{{.R.Question}}</h1>
<p class="answer"><b>Answer:</b> {{.R.Answer}}</p>
{{if .R.Warnings}}<div class="warn"><b>Warnings</b><ul>{{range .R.Warnings}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
<dl class="meta">{{range .Meta}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>

<h2>Ranking</h2>
<div class="wrap"><table>
<tr><th>rank</th><th>group</th><th class="loss">loss</th><th>mean Dice</th>{{range .Classes}}<th>Dice {{.Name}}</th>{{end}}<th>IoU</th><th>precision</th><th>recall</th>{{range .Classes}}<th>HD95 {{.Name}}</th>{{end}}<th>steps</th><th>time</th></tr>
{{range .Rows}}<tr>{{if .Done}}<td>{{.Rank}}</td><td>{{.Group}}</td><td class="loss"><span class="sw" style="background:{{.Color}}"></span>{{.Loss}}</td><td><b>{{.Mean}}</b></td>{{range .Dice}}<td{{if .Best}} class="best"{{end}}>{{.Text}}{{if .Best}} &#9733;{{end}}</td>{{end}}<td>{{.IoU}}</td><td>{{.Prec}}</td><td>{{.Rec}}</td>{{range .HD95}}<td>{{.}}</td>{{end}}<td{{if .Short}} class="short" title="stopped short of the step budget"{{end}}>{{.Steps}}{{if .Short}} !{{end}}</td><td>{{.Time}}</td>{{else}}<td>-</td><td>-</td><td class="loss"><span class="sw" style="background:{{.Color}}"></span>{{.Loss}}</td><td colspan="99" style="text-align:left">{{.Status}}</td>{{end}}</tr>
{{end}}</table></div>
<p class="note">Mean [bootstrap 95 % confidence interval] over {{.Over}}; group 1: tied for first (not separated from the best), group 2: tied with the best of the rest, and so on; &#9733; marks the best loss of each class. IoU, precision and recall are means over the foreground classes; HD95 is in {{.R.Units}}, over the cases where both masks hold the class ("missing" otherwise, never 0). Steps marked ! stopped short of the budget.</p>

{{if .Forest}}<h2>Means and 95 % intervals</h2>
<div class="forest">{{range .Forest}}<img class="plot" src="{{.Src}}" alt="{{.Title}}: mean and 95 % interval per loss">{{end}}</div>
<p class="note">Dots: mean over {{.Over}}; bars: bootstrap 95 % interval. Filled dots: group 1 (tied for first); rings: the others. Overlapping intervals mean the data does not separate the losses; the pairwise table below tests the paired differences.</p>

<h2>Pairwise differences</h2>
<div class="wrap"><table class="mx">
<tr><th class="loss">row − column</th>{{range .Matrix.Names}}<th><span class="sw" style="background:{{.Color}}"></span>{{brk .Name}}</th>{{end}}</tr>
{{range .Matrix.Rows}}<tr><td class="loss"><span class="sw" style="background:{{.Name.Color}}"></span>{{.Name.Name}}</td>{{range .Cells}}{{if .Empty}}<td class="e"></td>{{else}}<td{{if .Sep}} class="sep"{{end}}><b>{{.Diff}}</b><br>{{.CI}}<br>{{.P}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
<p class="note">Each cell: mean foreground Dice of the row's loss minus the column's, paired by case and seed, with its bootstrap 95 % interval and the Holm-adjusted p-value of a Wilcoxon signed-rank test on the per-case differences. Green: separated (adjusted p &lt; {{printf "%.2f" 0.05}} and an interval that excludes 0).</p>
{{end}}

{{if .Curve}}<h2>Validation Dice during training</h2>
<div class="legend">{{range .Legend}}<span><span class="sw" style="background:{{.Color}}"></span>{{.Name}}</span>{{end}}</div>
<img class="plot curve wide" src="{{.Curve}}" alt="validation Dice against training step, one line per loss"><img class="plot curve narrow" src="{{.CurveSm}}" alt="validation Dice against training step, one line per loss">
<p class="note">Mean over the foreground classes, on up to the validation slices of the curve, averaged over each loss's runs.</p>

<h2>Final metrics per class</h2>
<div class="legend">{{range .Legend}}<span><span class="sw" style="background:{{.Color}}"></span>{{.Name}}</span>{{end}}</div>
<div class="bars">{{range .Bars}}<img class="plot" src="{{.Src}}" alt="{{.Title}} per class and loss">{{end}}</div>
<p class="note">Dots: mean over {{.Over}}; whiskers: bootstrap 95 % interval. An undefined value (an HD95 where a mask is empty) is left out, not drawn as 0.</p>

<h2>Validation samples</h2>
<p class="note">Coloured fills: {{range $i, $c := .Classes}}{{if $i}}, {{end}}<span class="sw" style="background:{{$c.Color}}"></span>{{$c.Name}}{{end}}. White outline: the ground truth. <span style="color:#b3261e;font-weight:700">Hardest</span> rows are the cases with the lowest Dice averaged over the losses; the others spread over the rest. Captions: the case's mean foreground Dice for that loss.</p>
<div class="wrap"><div class="grid" style="grid-template-columns:116px repeat({{len .GridCols}},minmax(72px,150px));min-width:{{len .GridCols}}00px">
<div></div>{{range .GridCols}}<div class="h">{{if .Color}}<span class="sw" style="background:{{.Color}}"></span>{{end}}{{brk .Name}}</div>{{end}}
{{range .Grid}}<div class="lab">{{if .Hard}}<span class="hard">hardest</span><br>{{end}}{{.Label}}<br>{{.Note}}</div>{{range .Cells}}<figure><img src="{{.Src}}" alt="">{{if .Title}}<figcaption>{{.Title}}</figcaption>{{end}}</figure>{{end}}
{{end}}</div></div>
{{end}}

<h2>Reproduce</h2>
<details><summary>versions and settings</summary>
<dl class="meta">{{range .Versions}}<dt>{{index . 0}}</dt><dd>{{index . 1}}</dd>{{end}}</dl>
<p class="note">Every number of this page, with the per-case values, the split and the curves, is in results.json next to this file.</p>
</details>
</main></body></html>
`

// Package compare answers "which loss is best for my data?": it trains the
// same model once per loss, with the same seed, initialization, data order,
// split and budget, scores every run on the held-out cases with the
// project's metrics (per-class Dice, IoU, precision, recall and HD95), and
// writes results.json and a self-contained report.html.
//
// Training sits behind the small Trainer interface, so that the pipeline
// (scheduling, resume, scoring, report) runs the same with the GoMLX
// trainer and with a fast fake one in tests. Each finished run is stored
// in its own folder under the output folder (run.json and the validation
// predictions), so an interrupted compare keeps its finished runs and a
// second call with the same settings trains only the missing ones.
package compare

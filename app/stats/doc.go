// Package stats holds the summary statistics and the paired tests that the
// app reports: mean, standard deviation and median of the finite values
// (Describe), a percentile bootstrap of the mean over cases with seeds
// nested in cases (Bootstrap), the Wilcoxon signed-rank test (Wilcoxon),
// Holm's step-down correction (Holm), and the JSON form of a float that may
// be NaN or infinite (Num).
//
// Everything is deterministic: the bootstrap draws from its own generator
// seeded by the caller, so the same input and seed give the same interval
// on every machine and Go version. Only the standard library is used.
package stats

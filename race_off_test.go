//go:build !race

package segloss_test

const raceEnabled = false

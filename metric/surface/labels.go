package surface

import "fmt"

// LabelDistances returns the surface distances (as Distances) between the
// regions of label in two label maps of the same shape: the voxels where
// pred, respectively truth, equals label.
func LabelDistances(pred, truth []int32, label int32, shape []int, spacing []float64, workers int) (ab, ba []float64, err error) {
	if len(pred) != len(truth) {
		return nil, nil, fmt.Errorf("surface: label maps of %d and %d voxels", len(pred), len(truth))
	}
	pm, tm := make([]bool, len(pred)), make([]bool, len(truth))
	for i := range pred {
		pm[i], tm[i] = pred[i] == label, truth[i] == label
	}
	return Distances(pm, tm, shape, spacing, workers)
}

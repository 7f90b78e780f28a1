package dataset

import (
	"fmt"
	"path/filepath"
	"sort"

	"github.com/segloss/segloss/maskio"
)

// MSD is the dataset.json of a Decathlon folder (maskio's reader).
type MSD = maskio.MSDDataset

// ReadMSD reads and checks the dataset.json of a Decathlon folder: its
// labels, and that it lists training cases.
func ReadMSD(path string) (*MSD, error) {
	m, err := maskio.ReadMSDDataset(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	if len(m.Training) == 0 {
		return nil, fmt.Errorf("dataset: %s: no training cases listed", path)
	}
	return m, nil
}

// readMSD reads every training case of the Decathlon folder dir.
func readMSD(dir string, maxCases int, rd maskio.ReadOptions) (*Set, []rawCase, error) {
	m, err := ReadMSD(filepath.Join(dir, "dataset.json"))
	if err != nil {
		return nil, nil, err
	}
	if len(m.Modality) > 1 {
		return nil, nil, fmt.Errorf("dataset: %s: %d modalities; only single-channel images are supported", filepath.Join(dir, "dataset.json"), len(m.Modality))
	}
	names, _ := m.LabelNames()
	s := &Set{Name: m.Name, Format: "msd", Dir: dir, Classes: len(names), LabelNames: names}
	entries := m.Training
	sort.Slice(entries, func(i, j int) bool { return entries[i].Image < entries[j].Image })
	if maxCases > 0 && len(entries) > maxCases {
		entries = entries[:maxCases]
	}
	var cases []rawCase
	for _, e := range entries {
		c, err := readPair(filepath.Join(dir, e.Image), filepath.Join(dir, e.Label), s.Classes, rd)
		if err != nil {
			return nil, nil, err
		}
		cases = append(cases, c)
	}
	return s, cases, nil
}

// readPair reads an image and its mask, checks them against each other
// and the declared classes, and returns the case slice by slice.
func readPair(imagePath, maskPath string, classes int, rd maskio.ReadOptions) (rawCase, error) {
	if !exists(maskPath) {
		return rawCase{}, fmt.Errorf("dataset: %s: no mask (expected %s)", imagePath, maskPath)
	}
	img, err := rd.Read(imagePath)
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %w", err)
	}
	mask, err := rd.Read(maskPath)
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %w", err)
	}
	if len(img.Shape) < 2 || len(img.Shape) > 3 {
		return rawCase{}, fmt.Errorf("dataset: %s: shape %v: want a 2-D image or a 3-D volume", imagePath, img.Shape)
	}
	if !img.SameShape(mask) {
		return rawCase{}, fmt.Errorf("dataset: %s: shape %v differs from its image %s, shape %v", maskPath, mask.Shape, imagePath, img.Shape)
	}
	labels, err := mask.Labels()
	if err != nil {
		return rawCase{}, fmt.Errorf("dataset: %s: %w", maskPath, err)
	}
	for i, v := range labels {
		if v < 0 || int(v) >= classes {
			return rawCase{}, fmt.Errorf("dataset: %s: label %d at voxel %d is outside the %d declared classes (0..%d)", maskPath, v, i, classes, classes-1)
		}
	}
	c := rawCase{name: maskio.CaseName(imagePath)}
	c.images, c.h, c.w = Slices(Normalize(img.Data), img.Shape)
	c.labels, _, _ = Slices(labels, img.Shape)
	return c, nil
}

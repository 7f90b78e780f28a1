package dataset

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

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

// Modalities returns the channel names of a dataset.json's "modality"
// object ({"0": "FLAIR", "1": "T1w"}) in channel order; one unnamed
// channel when it has none.
func Modalities(m *MSD) ([]string, error) {
	if len(m.Modality) == 0 {
		return nil, nil
	}
	out := make([]string, len(m.Modality))
	for k, v := range m.Modality {
		var i int
		if _, err := fmt.Sscan(k, &i); err != nil || i < 0 || i >= len(out) || out[i] != "" {
			return nil, fmt.Errorf("modality %q: want keys 0..%d", k, len(out)-1)
		}
		out[i] = v
	}
	return out, nil
}

// insideDir returns filepath.Join(dir, rel), or an error when rel leaves
// dir (an absolute path, or one climbing out with ..) and outside is not
// allowed.
func insideDir(dir, rel string, outside bool) (string, error) {
	p := filepath.Join(dir, rel)
	if outside {
		return p, nil
	}
	r, err := filepath.Rel(dir, p)
	if filepath.IsAbs(rel) || err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("dataset: %s: path %q is outside the data set's folder; move the file in, or allow it with --allow-outside", filepath.Join(dir, "dataset.json"), rel)
	}
	return p, nil
}

// readMSD reads every training case of the Decathlon folder dir.
func readMSD(dir string, o Options) (*Set, []rawCase, error) {
	js := filepath.Join(dir, "dataset.json")
	m, err := ReadMSD(js)
	if err != nil {
		return nil, nil, err
	}
	mods, err := Modalities(m)
	if err != nil {
		return nil, nil, fmt.Errorf("dataset: %s: %w", js, err)
	}
	names, _ := m.LabelNames()
	s := &Set{Name: m.Name, Format: "msd", Dir: dir, Classes: len(names), LabelNames: names, Channels: max(len(mods), 1), Modalities: mods}
	entries := m.Training
	sort.Slice(entries, func(i, j int) bool { return entries[i].Image < entries[j].Image })
	if o.MaxCases > 0 && len(entries) > o.MaxCases {
		entries = entries[:o.MaxCases]
	}
	var pairs []rawPair
	for _, e := range entries {
		ip, err := insideDir(dir, e.Image, o.AllowOutside)
		if err != nil {
			return nil, nil, err
		}
		lp, err := insideDir(dir, e.Label, o.AllowOutside)
		if err != nil {
			return nil, nil, err
		}
		p, err := readPair(ip, lp, o.Read)
		if err != nil {
			return nil, nil, err
		}
		if p.channels != s.Channels {
			return nil, nil, fmt.Errorf("dataset: %s: %d channel(s), but %s declares %d modalities %v", ip, p.channels, js, s.Channels, mods)
		}
		pairs = append(pairs, p)
	}
	cases, err := s.labelCases(pairs, o, s.Classes)
	if err == nil {
		err = s.addWeights(cases, pairs, o)
	}
	return s, cases, err
}

// rawPair is one case as read: its input slices and its mask as stored.
type rawPair struct {
	maskPath string
	channels int
	c        rawCase // labels not yet set
	mask     *maskio.Image
}

// readPair reads an image (any number of channels) and its mask and checks
// them against each other: same spatial shape, finite image values.
func readPair(imagePath, maskPath string, rd maskio.ReadOptions) (rawPair, error) {
	if !exists(maskPath) {
		return rawPair{}, fmt.Errorf("dataset: %s: no mask (expected %s)", imagePath, maskPath)
	}
	img, err := rd.ReadInput(imagePath)
	if err != nil {
		return rawPair{}, fmt.Errorf("dataset: %w", err)
	}
	mask, err := rd.Read(maskPath)
	if err != nil {
		return rawPair{}, fmt.Errorf("dataset: %w", err)
	}
	if len(img.Shape) < 2 || len(img.Shape) > 3 {
		return rawPair{}, fmt.Errorf("dataset: %s: shape %v: want a 2-D image or a 3-D volume (with channels: a 4-D NIfTI)", imagePath, img.Shape)
	}
	if !img.SameShape(mask) {
		return rawPair{}, fmt.Errorf("dataset: %s: shape %v differs from its image %s, shape %v", maskPath, mask.Shape, imagePath, img.Shape)
	}
	c := rawCase{name: maskio.InputCaseName(imagePath)}
	if len(img.Shape) == 3 && len(img.Spacing) == 3 {
		c.spacing = img.Spacing
	}
	c.images, c.h, c.w = InputSlices(img)
	return rawPair{maskPath: maskPath, channels: img.Channels, c: c, mask: mask}, nil
}

// labelCases resolves the mask-value rule over all the masks (one rule
// for the whole set, recorded in s.MaskValues), turns each mask into
// labels and checks them against classes (0: undeclared, then they must
// be below maxPNGClasses).
func (s *Set) labelCases(pairs []rawPair, o Options, classes int) ([]rawCase, error) {
	var seen map[float64]bool
	for _, p := range pairs {
		seen = maskio.DistinctValues(seen, p.mask.Data, 64)
	}
	rule, note := o.MaskValues.Resolve(maskio.SortedValues(seen), classes)
	if note != "" && o.Note != nil {
		o.Note(note)
	}
	s.MaskValues = rule.String()
	limit, what := classes, fmt.Sprintf("the %d declared classes (0..%d)", classes, classes-1)
	if classes == 0 {
		limit = maxPNGClasses
		what = fmt.Sprintf("0..%d (PNG masks hold class indices 0, 1, 2, ...; for other values such as 0/128/255 give --mask-values 0,128,255)", maxPNGClasses-1)
	}
	cases := make([]rawCase, len(pairs))
	for k, p := range pairs {
		labels, err := rule.Labels(p.mask)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s: %w", p.maskPath, err)
		}
		for i, v := range labels {
			if v < 0 || int(v) >= limit {
				return nil, fmt.Errorf("dataset: %s: label %d at voxel %d is outside %s", p.maskPath, v, i, what)
			}
		}
		c := p.c
		c.labels, _, _ = Slices(labels, p.mask.Shape)
		cases[k] = c
	}
	return cases, nil
}

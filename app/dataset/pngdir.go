package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/segloss/segloss/maskio"
)

// maxPNGClasses bounds the labels of PNG masks, which declare no classes:
// after the mask-value rule (0/255 masks are read as 0/1), masks must hold
// class indices (0, 1, 2, ...).
const maxPNGClasses = 16

// readPNGDir reads a folder with images/ (PNG or JPEG, grey or colour) and
// masks/ (PNG) paired by name. The classes are 0..max label over all masks
// (at least 2); the channels are those of the images (1 grey, 3 colour),
// the same for all.
func readPNGDir(dir string, o Options) (*Set, []rawCase, error) {
	imgDir, maskDir := filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	images, err := pngFiles(imgDir, true)
	if err != nil {
		return nil, nil, err
	}
	masks, err := pngFiles(maskDir, false)
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	for k := range images {
		if _, ok := masks[k]; !ok {
			return nil, nil, fmt.Errorf("dataset: %s: no mask named %s.png in %s", images[k], k, maskDir)
		}
		keys = append(keys, k)
	}
	for k := range masks {
		if _, ok := images[k]; !ok {
			return nil, nil, fmt.Errorf("dataset: %s: no image named %s.png in %s", masks[k], k, imgDir)
		}
	}
	sort.Strings(keys)
	if o.MaxCases > 0 && len(keys) > o.MaxCases {
		keys = keys[:o.MaxCases]
	}
	var pairs []rawPair
	for _, k := range keys {
		p, err := readPair(images[k], masks[k], o.Read)
		if err != nil {
			return nil, nil, err
		}
		if len(pairs) > 0 && p.channels != pairs[0].channels {
			return nil, nil, fmt.Errorf("dataset: %s has %d channel(s), %s has %d; the images of a set must all be grey or all colour", images[k], p.channels, images[keys[0]], pairs[0].channels)
		}
		pairs = append(pairs, p)
	}
	s := &Set{Name: filepath.Base(dir), Format: "png", Dir: dir}
	if len(pairs) > 0 {
		s.Channels = pairs[0].channels
	}
	cases, err := s.labelCases(pairs, o, 0)
	if err == nil {
		err = s.addWeights(cases, pairs, o)
	}
	if err != nil {
		return nil, nil, err
	}
	classes := 2
	for _, c := range cases {
		for _, l := range c.labels[0] {
			classes = max(classes, int(l)+1)
		}
	}
	s.Classes, s.LabelNames = classes, ClassNames(classes)
	return s, cases, nil
}

// ClassNames returns the names of classes that have none: "background",
// then "label 1", "label 2", ..., as segloss eval names labels.
func ClassNames(classes int) []string {
	names := make([]string, classes)
	names[0] = "background"
	for i := 1; i < classes; i++ {
		names[i] = LabelName(i)
	}
	return names
}

// LabelName is the name of an unnamed class label: "label 3".
func LabelName(label int) string { return fmt.Sprintf("label %d", label) }

// pngFiles maps case name to path for the PNG files (with jpeg, also the
// JPEG files) in dir; an empty or missing folder is an error.
func pngFiles(dir string, jpeg bool) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		f := maskio.InputFormat(p)
		if !e.IsDir() && (f == "png" || jpeg && f == "jpeg") {
			out[maskio.InputCaseName(p)] = p
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: %s: no PNG files", dir)
	}
	return out, nil
}

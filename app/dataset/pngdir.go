package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/segloss/segloss/maskio"
)

// maxPNGClasses bounds the labels of PNG masks, which declare no classes:
// masks must hold class indices (0, 1, 2, ...), not 0/255.
const maxPNGClasses = 16

// readPNGDir reads a folder with images/ and masks/ of PNG files paired by
// name. The classes are 0..max label over all masks (at least 2).
func readPNGDir(dir string, maxCases int, rd maskio.ReadOptions) (*Set, []rawCase, error) {
	imgDir, maskDir := filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	images, err := pngFiles(imgDir)
	if err != nil {
		return nil, nil, err
	}
	masks, err := pngFiles(maskDir)
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
	if maxCases > 0 && len(keys) > maxCases {
		keys = keys[:maxCases]
	}
	var cases []rawCase
	classes := 2
	for _, k := range keys {
		c, err := readPair(images[k], masks[k], maxPNGClasses, rd)
		if err != nil {
			return nil, nil, err
		}
		for _, l := range c.labels[0] {
			classes = max(classes, int(l)+1)
		}
		cases = append(cases, c)
	}
	names := make([]string, classes)
	names[0] = "background"
	for i := 1; i < classes; i++ {
		names[i] = fmt.Sprintf("class%d", i)
	}
	return &Set{Name: filepath.Base(dir), Format: "png", Dir: dir, Classes: classes, LabelNames: names}, cases, nil
}

// pngFiles maps case name to path for the PNG files in dir; an empty or
// missing folder is an error.
func pngFiles(dir string) (map[string]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", dir, err)
	}
	out := map[string]string{}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if !e.IsDir() && maskio.Format(p) == "png" {
			out[maskio.CaseName(p)] = p
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("dataset: %s: no PNG files", dir)
	}
	return out, nil
}

// Package dataset loads 2-D segmentation training data: Medical
// Segmentation Decathlon folders (NIfTI volumes trained slice by slice),
// folders of PNG images with PNG masks paired by name, and a built-in
// synthetic set. Every file is read with maskio, the project's one reader
// per format. Cases are split into training and validation by case, never
// by slice, deterministically from a seed.
package dataset

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/segloss/segloss/maskio"
)

// Example is one 2-D image and its mask, fitted to the set's size.
type Example struct {
	Case  string    // the case (volume or image) it comes from
	Slice int       // slice index within the case (0 for 2-D images)
	Image []float32 // C*H*W normalized intensities, channel-major, each channel row-major
	Label []int32   // H*W class labels
	// Weight holds the H*W pixel weights of the slice, from the set's
	// weight maps (see Options.Weights); nil when the set has none.
	Weight []float32
}

// Set is a loaded data set, split by case.
type Set struct {
	Name       string    `json:"name"`
	Format     string    `json:"format"` // "msd", "png" or "synthetic"
	Dir        string    `json:"dir,omitempty"`
	Classes    int       `json:"classes"` // number of classes, background (0) included
	LabelNames []string  `json:"label_names"`
	Channels   int       `json:"channels"`             // input channels: 1 grey, 3 RGB, or one per modality
	Modalities []string  `json:"modalities,omitempty"` // names of the channels (a Decathlon set's modalities)
	MaskValues string    `json:"mask_values"`          // the mask-value rule the masks were read with (maskio.MaskValues)
	H          int       `json:"height"`
	W          int       `json:"width"`
	Split      Split     `json:"split"`
	Train      []Example `json:"-"`
	Val        []Example `json:"-"`
	// Spacing holds the physical voxel size of each 3-D case read from a
	// file, [slice, row, column] in mm, keyed by case name; cases without
	// one (2-D images, the synthetic set) are measured in pixels.
	Spacing map[string][]float64 `json:"-"`
	// Weights is the folder the pixel weight maps were read from; "" when
	// the set has none.
	Weights string `json:"weights,omitempty"`
}

// Split records which cases train and which validate.
type Split struct {
	Seed        uint64   `json:"seed"`
	ValFraction float64  `json:"val_fraction"`
	Train       []string `json:"train"`
	Val         []string `json:"val"`
	Fold        int      `json:"fold,omitempty"`  // 1..Folds for a cross-validation fold (see Set.Folds); 0 otherwise
	Folds       int      `json:"folds,omitempty"` // number of cross-validation folds; 0: a single split
}

// Options control loading.
type Options struct {
	ValFraction float64 // share of cases held out for validation (default 0.2)
	Seed        uint64  // seed of the split
	Multiple    int     // height and width are rounded up to a multiple of this (the model's)
	Size        [2]int  // fixed [H, W]; zero means the largest slice, rounded up to Multiple
	MaxCases    int     // use only the first MaxCases cases (0: all), for quick runs
	// MaskValues is how mask values become labels (the zero value is
	// "auto": 0 and one other value v > 1 become 0/1).
	MaskValues maskio.MaskValues
	// AllowOutside lets a dataset.json name files outside its folder.
	AllowOutside bool
	// Read holds the ceilings of the image and mask readers (--max-voxels).
	Read maskio.ReadOptions
	// Note, if not nil, receives the one line that says how mask values
	// were remapped, when they were, and the one that says which weight
	// maps are used.
	Note func(string)
	// Weights says where pixel weight maps come from: "" or "none" (no
	// weights), "auto" (the folder beside the labels when it exists:
	// weightsTr/ beside labelsTr/ of a Decathlon set, weights/ beside
	// masks/ of a PNG set) or a folder. See WeightsFolder.
	Weights string
}

// Load reads the data set at dir: "synthetic" (or "synthetic:N" for N
// images) is the built-in set; a folder with dataset.json is a Decathlon
// set; a folder with images/ and masks/ is a PNG set. Bad input (a missing
// or empty folder, an image without a mask, different shapes, labels
// outside the declared classes, a corrupt file) is an error naming the file.
func Load(dir string, o Options) (*Set, error) {
	if o.ValFraction == 0 {
		o.ValFraction = 0.2
	}
	if o.ValFraction < 0 || o.ValFraction >= 1 {
		return nil, fmt.Errorf("dataset: validation fraction %v: must be in (0, 1)", o.ValFraction)
	}
	if o.Multiple < 1 {
		o.Multiple = 1
	}
	if name, n, ok := syntheticName(dir); ok {
		if o.Weights != "" && o.Weights != "none" && o.Weights != "auto" {
			return nil, fmt.Errorf("dataset: --weights %s: the built-in set %s has no weight maps; give a data folder", o.Weights, dir)
		}
		return Synthetic(name, n, o)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dataset: %s: not a folder", dir)
	}
	var cases []rawCase
	var s *Set
	switch {
	case exists(filepath.Join(dir, "dataset.json")):
		s, cases, err = readMSD(dir, o)
	case exists(filepath.Join(dir, "images")) || exists(filepath.Join(dir, "masks")):
		s, cases, err = readPNGDir(dir, o)
	default:
		return nil, fmt.Errorf("dataset: %s: neither a Decathlon folder (dataset.json) nor a PNG folder (images/ and masks/)", dir)
	}
	if err != nil {
		return nil, err
	}
	return s.assemble(cases, o)
}

// rawCase is one case as read: images [slices][channels*h*w] and labels
// [slices][h*w].
type rawCase struct {
	name    string
	h, w    int
	spacing []float64 // 3-D cases read from a file: voxel size per axis; nil otherwise
	images  [][]float32
	labels  [][]int32
	weights [][]float32 // the slices of its weight map; nil without one
}

// assemble fits the cases to one size and splits them.
func (s *Set) assemble(cases []rawCase, o Options) (*Set, error) {
	if len(cases) < 2 {
		return nil, fmt.Errorf("dataset: %s: %d case(s); need at least 2 to split into training and validation", s.Dir, len(cases))
	}
	h, w := o.Size[0], o.Size[1]
	if h == 0 || w == 0 {
		for _, c := range cases {
			h, w = max(h, c.h), max(w, c.w)
		}
	}
	m := o.Multiple
	s.H, s.W = (h+m-1)/m*m, (w+m-1)/m*m
	if s.Channels == 0 {
		s.Channels = 1
	}
	if s.MaskValues == "" {
		s.MaskValues = "raw"
	}
	s.Split = SplitCases(names(cases), o.ValFraction, o.Seed)
	val := map[string]bool{}
	for _, n := range s.Split.Val {
		val[n] = true
	}
	for _, c := range cases {
		if len(c.spacing) == 3 {
			if s.Spacing == nil {
				s.Spacing = map[string][]float64{}
			}
			s.Spacing[c.name] = c.spacing
		}
		for i := range c.images {
			ex := Example{Case: c.name, Slice: i,
				Image: FitChannels(c.images[i], max(s.Channels, 1), c.h, c.w, s.H, s.W),
				Label: Fit(c.labels[i], c.h, c.w, s.H, s.W, 0)}
			if c.weights != nil {
				ex.Weight = Fit(c.weights[i], c.h, c.w, s.H, s.W, 1)
			}
			if val[c.name] {
				s.Val = append(s.Val, ex)
			} else {
				s.Train = append(s.Train, ex)
			}
		}
	}
	return s, nil
}

func names(cases []rawCase) []string {
	out := make([]string, len(cases))
	for i, c := range cases {
		out[i] = c.name
	}
	return out
}

// SplitCases assigns round(fraction × cases) cases (at least one, and at
// least one left to train) to validation: the case names are sorted, then
// shuffled by a generator seeded with seed. The same names and seed always
// give the same split.
func SplitCases(cases []string, fraction float64, seed uint64) Split {
	sorted := append([]string(nil), cases...)
	sort.Strings(sorted)
	rng := rand.New(rand.NewPCG(seed, 0x5eed5011))
	rng.Shuffle(len(sorted), func(i, j int) { sorted[i], sorted[j] = sorted[j], sorted[i] })
	k := int(fraction*float64(len(sorted)) + 0.5)
	k = min(max(k, 1), len(sorted)-1)
	val, train := append([]string(nil), sorted[:k]...), append([]string(nil), sorted[k:]...)
	sort.Strings(val)
	sort.Strings(train)
	return Split{Seed: seed, ValFraction: fraction, Train: train, Val: val}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

package compare

import (
	"fmt"
	"image/color"
)

// palette colours the losses, the same in every plot and in the legend
// (Tableau 10, then repeated).
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// lossColor returns the colour of the i-th loss.
func lossColor(i int) color.RGBA { return palette[i%len(palette)] }

// hexColor writes c as #rrggbb.
func hexColor(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// classColors colour the foreground classes in the overlays: class k uses
// classColors[(k-1) % len].
var classColors = []color.RGBA{
	{255, 64, 64, 255}, {0, 200, 255, 255}, {80, 220, 60, 255}, {255, 200, 0, 255}, {200, 90, 255, 255},
}

// classColor returns the overlay colour of foreground class k >= 1.
func classColor(k int) color.RGBA { return classColors[(k-1)%len(classColors)] }

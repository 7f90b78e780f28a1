// Package segloss computes image-segmentation losses and their exact
// gradients: binary cross-entropy, focal losses, Dice, Jaccard (IoU),
// Tversky, focal-Tversky, generalized Dice, log-cosh Dice, MCC, Dice+BCE,
// cross-entropy and the Lovász hinge and softmax losses, with every option
// of segmentation_models_pytorch, MONAI and the Keras loss library.
//
// # Shapes
//
// Inputs are channel-first and row-major: [N, C, spatial...] with 0 to 3
// spatial dimensions, so 2-D images are [N, C, H, W] and 3-D volumes
// [N, C, D, H, W]. Binary tasks have C = 1. Targets are float maps of the
// input's shape, or, for multiclass losses, class indices [N, spatial...].
// Element types are float32 and float64; sums accumulate in float64.
//
// # Losses and options
//
// A loss is built from its name and Options (New), or from a spec string
// such as "tversky:alpha=0.3,beta=0.7" (Parse). The constants BCE, Dice,
// Tversky, ... name every loss and document its formula, options,
// defaults and special cases. Options follow the golden conventions in
// testdata/golden_public.json, which are the specification.
//
// # Gradients
//
// Eval returns the loss and, when given a buffer, writes the gradient with
// respect to the input (logits or probabilities) into it, computed from
// hand-derived formulas in the same call: no automatic differentiation.
//
// # Region statistics
//
// The overlap losses are functions of per-class sums (RegionStats). Stats
// of shards add up; EvalFromStats gives each shard its exact share of the
// gradient of the loss of the whole batch.
//
// # Errors
//
// Bad input never panics and never yields a silent NaN: mismatched shapes
// (both named), empty tensors, NaN or Inf values, probabilities outside
// [0, 1], labels out of range and invalid options are errors. They are
// typed: ErrUnknownLoss for a name that is not registered, *OptionError
// for a bad spec string or option, *InputError (wrapping ErrBadInput, and
// ErrNonFinite for NaN and Inf) for a batch that does not fit the loss.
//
// # Adding a loss
//
// Every loss is one descriptor, registered by its family's file: its
// Name, kind, option keys (from the one option-key table), defaults,
// input checks, general path, optional fused float32 path and, for region
// losses, the formula on RegionStats. The README's "Adding a loss" has the
// recipe.
package segloss

// Package nn is a native U-Net training engine for 2-D and 3-D
// segmentation, written with hand-derived gradients and no dependencies
// beyond the standard library and the project's kernels.
//
// The network is the U-Net of `segloss train` and of
// ../shared/bench/unet_torch.py: per level two 3×3 (3×3×3) convolutions
// with bias, each followed by a normalization (instance norm without
// affine parameters, eps 1e-5, by default) and an activation (ReLU by
// default); 2× down-sampling (mean pooling by default) between levels,
// nearest-neighbour up-sampling, concatenation of the up-sampled tensor and
// the skip tensor (in that order) and two more blocks per decoder level,
// and a 1×1 convolution head. Widths double per level.
//
// Tensors are float32 and channel-first: [N, C, H, W] in 2-D and
// [N, C, D, H, W] in 3-D, flattened row-major. Reductions (normalization
// statistics, their gradients) accumulate in float64.
//
// Forward and backward passes run on up to GOMAXPROCS goroutines through
// the project's chunked parallel loop. Work is split into chunks that
// depend only on the tensor shapes, every chunk writes its own output or
// partial sum, and partial sums are reduced in chunk order, so results are
// bit-identical whatever the number of threads. After the first call for a
// given input shape, UNet.Forward and Trainer.Step allocate nothing.
//
// Different UNet and Trainer values may be used from different goroutines
// at the same time; one value must not be used by two goroutines at once.
package nn

// Package surface computes the surface-distance metrics of segmentation
// masks with physical voxel spacing: the Hausdorff distance (maximum and
// percentile, e.g. HD95), the average symmetric surface distance (ASSD) and
// the normalized surface Dice at a tolerance, in 2-D and 3-D, on top of an
// exact Euclidean distance transform computed in linear time with the
// separable algorithm of Felzenszwalb and Huttenlocher ("Distance
// Transforms of Sampled Functions", Theory of Computing 8, 2012).
//
// # Surface
//
// The surface of a mask is its set of boundary voxels: the foreground
// voxels that have a background voxel among their 2·d face neighbours (4 in
// 2-D, 6 in 3-D), where everything outside the image counts as background,
// so foreground voxels on the image border are surface voxels. This is the
// MONAI convention (a mask minus its binary erosion with a face-connected
// structuring element and border value 0); it differs from DeepMind's
// surface-distance package, which places surface elements between voxels
// and weighs them by area.
//
// # Distances
//
// The directed distances from A to B are, for each surface voxel of A, the
// Euclidean distance (in the units of the spacing) to the nearest surface
// voxel of B. From the two directions:
//
//   - Hausdorff is the largest distance in either direction;
//   - HausdorffPercentile(p) is the larger of the p-th percentiles of the two
//     directions (linear interpolation between ranks, as numpy and MONAI);
//   - ASSD is the mean of all distances of both directions together;
//   - SurfaceDice(τ) is the fraction of surface voxels of both masks that lie
//     within τ of the other surface.
//
// The directed metrics take one direction only, from the prediction to
// the truth (MONAI's directed=True, symmetric=False): DirectedPercentile
// (100 is the directed Hausdorff distance) and SurfaceDistance, their mean.
//
// Distances are Euclidean in the units of the spacing by default; taxicab
// and chessboard distances (DistanceMetric, MONAI's distance_metric) count
// voxel steps and ignore the spacing, as MONAI does.
//
// BoundaryIoU is the boundary IoU of Cheng et al. (CVPR 2021), the IoU of
// the masks' inner bands of a given chessboard width.
//
// CLDice is the centerline Dice of Shit et al. (CVPR 2021) for 2-D masks,
// with Zhang–Suen skeletons (Skeleton2D).
//
// An empty mask has an empty surface. If both masks are empty the distances
// are 0 (NaN with Options.EmptyNaN, as in MONAI) and the surface Dice is
// undefined (NaN); if exactly one is empty the distances are +Inf and the
// surface Dice is 0.
//
// SurfaceDiceSubvoxel is the surface Dice on DeepMind's surface elements
// (MONAI's use_subvoxels=True) for 2-D masks; the 3-D form, which needs
// DeepMind's marching-cubes area table, is not provided.
package surface

package segloss

// Name is the registered name of a loss, as New, Parse and spec strings
// take it ("dice", "tversky", ...). The constants below name every loss.
type Name string

// The registered losses. Each constant is the name that New, Parse and
// spec strings take; its doc gives the formula, the options it reads
// (defaults in parentheses) and its special cases. p is the probability
// (sigmoid or softmax of the input when from_logits), g the target, and
// sums run over the non-ignored elements of a group (the batch for
// reduction global, one sample for per_sample).
const (
	// BCE is binary cross-entropy, -(t log p + (1-t) log(1-p)), mean over
	// non-ignored elements. Options: from_logits (false), eps (1e-7: clip p
	// to [eps, 1-eps] as Keras does; 0: torch.nn.BCELoss, logs clamped at
	// -100), log_eps (0), pos_weight (1, logits only), label_smoothing (0),
	// ignore_index (none), reduction (mean | sum | none).
	//
	// Special cases are:
	//	every element ignored: loss 0, gradient 0 (torch gives NaN)
	//	p = t in {0, 1}: loss 0 up to the eps clip
	//	eps = 0 and p in {0, 1} against the other label: loss 100 per element, gradient ±1e12
	BCE Name = "bce"

	// BCELogits is BCE on logits, -(w t log σ(x) + (1-t) log σ(-x)), with w
	// = pos_weight; stable for |x| up to 1e300. Same options as BCE with
	// from_logits fixed to true.
	//
	// Special cases are:
	//	every element ignored: loss 0, gradient 0
	BCELogits Name = "bce_logits"

	// FocalKeras is alpha (1-e^(-BCE))^gamma BCE, per element then mean
	// (form elementwise) or on the mean BCE (form mean_bce); alpha is a
	// global scale. Options: alpha (0.8), gamma (2), from_logits (false),
	// eps (1e-7), log_eps (0), form (elementwise), ignore_index.
	//
	// Special cases are:
	//	perfect prediction (BCE = 0): loss 0, gradient 0
	//	every element ignored: loss 0, gradient 0
	FocalKeras Name = "focal_keras"

	// FocalSigmoid is the torchvision / smp sigmoid focal loss
	// a_t (1-p_t)^gamma BCE, a_t = alpha t + (1-alpha)(1-t), p_t = p t +
	// (1-p)(1-t) (pt_form linear) or e^(-BCE) (exp). Options: alpha (0.25;
	// null or negative: a_t = 1), gamma (2), pt_form (linear), from_logits
	// (true), eps (1e-7), ignore_index, reduction (mean | sum | none).
	//
	// Special cases are:
	//	p_t = 1: loss 0, gradient 0 (also for gamma < 1, where the true derivative is unbounded)
	//	every element ignored: loss 0, gradient 0
	FocalSigmoid Name = "focal_sigmoid"

	// FocalSoftmax is the multiclass focal loss -w_y (1-p_y)^gamma log p_y
	// (Lin et al. 2017 with softmax), averaged like CrossEntropy: over
	// sum w_y for class indices, over pixels for float targets (where it is
	// -sum_c w_c t_c (1-p_c)^gamma log p_c). Options: gamma (2),
	// class_weights, from_logits (true), ignore_index, reduction. gamma = 0
	// is CrossEntropy.
	//
	// Special cases are:
	//	every pixel ignored: loss 0, gradient 0
	//	p_y = 1: loss 0, gradient 0
	FocalSoftmax Name = "focal_softmax"

	// CrossEntropy is torch.nn.CrossEntropyLoss: softmax over channels,
	// -sum_c w_c t_c log p_c per pixel with t the one-hot label smoothed to
	// (1-s) t + s/C, divided by sum w_y over non-ignored pixels (class
	// indices) or by the pixel count (float targets, which have no ignore
	// value). Options: class_weights, ignore_index (-100), label_smoothing
	// (0), from_logits (true), reduction.
	//
	// Special cases are:
	//	every pixel ignored: loss 0, gradient 0 (torch gives NaN)
	//	from_logits false and p_y = 0: error (infinite loss)
	CrossEntropy Name = "cross_entropy"

	// Dice is 1 - (2 TP + smooth) / max(sum p + sum g + smooth, eps) per
	// class, then the (weighted) class mean. Options: mode (binary),
	// from_logits (false), smooth (1e-6), eps (0), reduction (global |
	// per_sample | none), classes, class_weights, ignore_index, squared
	// (false: denominators sum p², sum g²), tp_form (product | l1), empty_zero
	// (false), log_loss (false: -log(max(D, eps or 1e-7))).
	//
	// Special cases are:
	//	empty target and empty prediction: D = smooth/smooth = 1, loss 0
	//	empty target, non-empty prediction: loss ≈ 1 (0 with empty_zero)
	//	perfect prediction: loss ≈ 0 (exactly 0 when smooth absorbs nothing)
	//	smooth = 0 and eps = 0 with an empty class: error (0/0)
	//	every pixel ignored: the class is empty (see above)
	Dice Name = "dice"

	// Jaccard is the soft IoU loss 1 - (TP + smooth) / max(sum p + sum g -
	// TP + smooth, eps), with Dice's options except squared.
	//
	// Special cases are those of Dice.
	Jaccard Name = "jaccard"

	// Tversky is 1 - (TP + s) / (TP + alpha FP + beta FN + s), FP = sum
	// p(1-g), FN = sum (1-p) g: alpha weighs false positives, beta false
	// negatives (alpha = beta = 0.5 is Dice, 1/1 Jaccard). Options: mode,
	// from_logits (false), alpha (0.5), beta (0.5), smooth (1e-6), eps (0),
	// reduction, classes, class_weights, ignore_index, empty_zero.
	//
	// Special cases are:
	//	empty target and prediction: loss 0
	//	alpha = beta = 0 with smooth = 0: invalid options (0/0)
	Tversky Name = "tversky"

	// FocalTversky is (1 - TI_c)^gamma per class (and sample), then the
	// class mean; gamma is the applied exponent (0.75 = 1/(4/3) of Abraham &
	// Khan 2019). Options: those of Tversky but empty_zero, and gamma (0.75).
	//
	// Special cases are:
	//	perfect prediction (TI = 1): loss 0, gradient 0 (the true derivative is unbounded for gamma < 1)
	FocalTversky Name = "focal_tversky"

	// GeneralizedDice is Sudre et al. 2017: 1 - (2 sum_c w_c TP_c + s) /
	// (sum_c w_c (sum p_c + sum g_c) + s), w_c = 1/(sum g_c)² (w_type
	// square), 1/sum g_c (simple) or 1 (uniform), weights constant in the
	// gradient. Options: mode (multiclass), from_logits (true), smooth
	// (1e-6), w_type (square), reduction, classes, ignore_index.
	//
	// Special cases are:
	//	a class with empty target: weight = the largest finite weight of its group
	//	every class empty: all weights 0, loss 1 - s/s = 0
	GeneralizedDice Name = "generalized_dice"

	// LogCoshDice is log(cosh(Dice loss)) (Jadon 2020), with all of Dice's
	// options.
	//
	// Special cases are those of Dice.
	LogCoshDice Name = "log_cosh_dice"

	// MCC is 1 - (TP TN - FP FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) with
	// eps added to each count, all channels pooled. Options: from_logits
	// (false), eps (1e-5), reduction (global | per_sample), ignore_index.
	//
	// Special cases are:
	//	empty target and empty prediction: MCC = TN/(2(TN+2eps)) ≈ 1/2, loss ≈ 0.5
	//	perfect prediction with both classes present: loss ≈ 0
	//	every element of a group ignored: loss 0, gradient 0 (as for the other losses)
	MCC Name = "mcc"

	// DiceBCE is bce_weight CE + dice_weight Dice: BCE (binary, multilabel;
	// Keras eps clip from probabilities) or CrossEntropy (multiclass, logits,
	// class_weights apply to it only), plus Dice with mode, from_logits,
	// smooth, reduction and ignore_index. Options: mode (binary),
	// from_logits (true), smooth (1e-6), eps (1e-7), reduction, bce_weight
	// (1), dice_weight (1), ignore_index, class_weights.
	//
	// Special cases are those of its two terms.
	DiceBCE Name = "dice_bce"

	// LovaszHinge is the binary Lovász hinge of Berman et al. 2018 on logits:
	// hinge errors 1 - x(2y-1) sorted in decreasing order (stable), dotted
	// with the gradient of the Lovász extension of the Jaccard loss; all
	// channels of a sample flattened together. Options: per_image (false:
	// one loss for the batch; true: the mean of per-sample losses),
	// ignore_index. Labels must be 0 or 1.
	//
	// Special cases are:
	//	every element ignored: loss 0 (a sample contributes 0 with per_image)
	//	ties: broken by increasing flat index; relu'(0) = 0
	LovaszHinge Name = "lovasz_hinge"

	// LovaszSoftmax is the Lovász-Softmax loss of Berman et al. 2018: per
	// class, errors |1[y=c] - p_c| sorted in decreasing order (stable),
	// dotted with the Lovász-Jaccard gradient, averaged over the classes.
	// Options: from_logits (true), classes (present | all | a list),
	// per_image (false), ignore_index. Targets are class indices.
	//
	// Special cases are:
	//	no class present (classes present): loss 0, gradient 0
	//	ties: broken by increasing flat pixel index; |.|'(0) = 0
	LovaszSoftmax Name = "lovasz_softmax"

	// DiceFocal is MONAI's DiceFocalLoss: dice_weight Dice + focal_weight
	// focal term, on logits. The Dice term is Dice (mode, smooth,
	// reduction, classes, class_weights as a normalised class mean,
	// ignore_index); the focal term (focal_form sigmoid) is, per element of
	// the selected channels, a_t q^gamma ce w_c with ce the BCE of the
	// one-vs-rest (one-hot) target, q = t s(-x) + (1-t) s(x), a_t = alpha t
	// + (1-alpha)(1-t), the mean over kept elements; focal_form softmax
	// (multiclass) is per pixel sum_{c in classes} a_c w_c t_c (1-p_c)^gamma
	// (-log p_c), a_0 = 1-alpha, a_c = alpha. Options: mode (binary),
	// from_logits (true, required), smooth (1e-5), reduction (per_sample),
	// gamma (2), alpha (null: a = 1), focal_form (sigmoid), dice_weight (1),
	// focal_weight (1), classes, class_weights, ignore_index.
	//
	// Special cases are:
	//	every element ignored: focal term 0; the Dice term is that of empty classes
	DiceFocal Name = "dice_focal"

	// GeneralizedDiceFocal is MONAI's GeneralizedDiceFocalLoss:
	// dice_weight GeneralizedDice (mode, smooth, w_type, reduction,
	// classes, ignore_index) + focal_weight focal term (as DiceFocal;
	// class_weights apply to the focal term only). Options as DiceFocal
	// with w_type (square) and mode (multiclass).
	GeneralizedDiceFocal Name = "generalized_dice_focal"

	// TopKCE is nnU-Net's TopKLoss: the mean of the m = floor(n k / 100)
	// largest per-pixel cross-entropies (torch CrossEntropyLoss reduction
	// none: class_weights, label_smoothing) of the n kept pixels of the
	// batch, m clamped to [1, n]; the selection is a stable descending sort
	// over the flat (N, spatial) pixel order, frozen for the gradient.
	// Options: k (10, a percentage in (0, 100]), class_weights,
	// ignore_index (-100), label_smoothing (0), from_logits (true).
	//
	// Special cases are:
	//	every pixel ignored: loss 0, gradient 0 (nnU-Net gives NaN)
	//	ties: the lower flat pixel index is selected first
	TopKCE Name = "topk_ce"

	// Boundary is Kervadec et al.'s surface loss: the mean over (N,
	// classes, spatial) of p_c phi_c, phi_c the signed distance map of the
	// target > 0.5 (LIVIAETS one_hot2dist: +d(x, FG) outside, -(d(x, BG) -
	// 1) inside), an exact Euclidean distance transform with the voxel
	// spacing. Linear in p: exact gradient. Options: mode (binary),
	// from_logits (false), classes, spacing (null: 1 per axis). Maps can
	// be cached per target (Loss.SetMapCache).
	//
	// Special cases are:
	//	empty or full target of a (sample, class): phi = 0
	Boundary Name = "boundary"

	// HausdorffDT is MONAI's HausdorffDTLoss: the mean over (N, classes,
	// spatial) of (p-g)² (D_p^alpha + D_g^alpha), D(mask) = d(x, BG) on the
	// mask and d(x, FG) off it, D_p of p > 0.5 per channel, D_g of g > 0.5,
	// both constants of the gradient. Options: mode (binary), from_logits
	// (false), alpha (2), classes, spacing.
	//
	// Special cases are:
	//	a mask empty or full: its map is 0
	//	the loss jumps where a probability crosses 0.5 (the gradient is that of the frozen maps)
	HausdorffDT Name = "hausdorff_dt"

	// LogHausdorffDT is log(1 + HausdorffDT) (MONAI LogHausdorffDTLoss),
	// with HausdorffDT's options.
	LogHausdorffDT Name = "log_hausdorff_dt"

	// ClDice is Shit et al.'s soft clDice (MONAI SoftclDiceLoss): with S
	// the soft skeleton (iter_ soft erosions, openings and relus), per
	// class (and sample) Tprec = (sum S_p g + s)/(sum S_p + s), Tsens = (sum
	// S_g p + s)/(sum S_g + s), loss 1 - 2 Tprec Tsens/(Tprec + Tsens),
	// then the class mean; S_g is a constant. The gradient is the PyTorch
	// CPU subgradient (max-pool: first maximal element; minimum at ties:
	// half to each; relu'(0) = 0). Options: mode (binary), from_logits
	// (false), iter_ (3), smooth (1), reduction (global), classes.
	ClDice Name = "cldice"

	// DiceClDice is (1-alpha) Dice + alpha ClDice (MONAI
	// SoftDiceclDiceLoss). Options: ClDice's and alpha (0.5).
	DiceClDice Name = "dice_cldice"

	// AsymmetricFocal is Yeung et al.'s asymmetric focal loss (MONAI
	// AsymmetricFocalLoss) on K >= 2 channels, channel 0 the background
	// (binary: [1-p, p]): per pixel (1-delta)(1-P_0)^gamma (-T_0 log P_0) +
	// delta sum_{c>=1} (-T_c log P_c), P clamped to [eps, 1-eps] (no
	// gradient strictly outside), the mean over kept pixels. Options: mode
	// (binary | multiclass), from_logits (false), delta (0.7), gamma (2),
	// eps (1e-7), ignore_index.
	AsymmetricFocal Name = "asymmetric_focal"

	// AsymmetricFocalTversky is MONAI's AsymmetricFocalTverskyLoss: per
	// class (and sample) TI = (TP + smooth)/(TP + delta FN + (1-delta) FP +
	// smooth) on the clamped P, the mean of [1 - TI_0, (1 - TI_c)^(1-gamma)
	// for c >= 1]. Options: mode, from_logits (false), delta (0.7), gamma
	// (0.75), eps (1e-7), smooth (1e-7), reduction (per_sample), ignore_index.
	//
	// Special cases are:
	//	TI_c = 1 for c >= 1: that term is 0 with gradient 0
	AsymmetricFocalTversky Name = "asymmetric_focal_tversky"

	// UnifiedFocal is weight AsymmetricFocal + (1-weight)
	// AsymmetricFocalTversky with shared delta and gamma (MONAI
	// AsymmetricUnifiedFocalLoss). Options: mode, from_logits (false),
	// weight (0.5), delta (0.7), gamma (0.5), eps (1e-7), smooth (1e-7),
	// reduction (per_sample), ignore_index.
	UnifiedFocal Name = "unified_focal"

	// Combo is Taghanaki et al.'s combo loss (mlyg combo_loss): ce_ratio
	// CE - (1-ce_ratio) mean Dice coefficient. CE is on p clamped to
	// [eps, 1-eps]: per element -(alpha t log p + (1-alpha)(1-t) log(1-p))
	// (binary, multilabel) or per pixel -sum_c a_c t_c log p_c, a_0 =
	// 1-alpha, a_c = alpha (multiclass), alpha null: 1, the mean over kept
	// elements (pixels); the Dice coefficient (2TP + smooth)/(sum p + sum g
	// + smooth) is on the unclamped p per class (and sample). Options: mode
	// (binary), from_logits (false), ce_ratio (0.5), alpha (0.5), smooth
	// (1), eps (1e-7), reduction (per_sample), ignore_index.
	//
	// Special cases are:
	//	the loss may be negative (down to -(1-ce_ratio))
	Combo Name = "combo"

	// SensitivitySpecificity is Brosch et al.'s loss (SegLoss SSLoss): per
	// class (and sample) r sum (g-p)² g/(sum g + s) + (1-r) sum (g-p)²
	// (1-g)/(sum (1-g) + s) over kept elements, then the class mean.
	// Options: mode (binary), from_logits (false), r (0.1), smooth (1),
	// reduction (per_sample), classes, ignore_index.
	SensitivitySpecificity Name = "sensitivity_specificity"

	// GeneralizedWassersteinDice is Fidon et al.'s generalized Wasserstein
	// Dice loss (MONAI GeneralizedWassersteinDiceLoss) on class indices:
	// M = dist_matrix / max (null: 1 - I), wass_i = sum_c M[y_i, c] p_ic;
	// weighting_mode default: TP = sum a_y (1 - wass), a_0 = 0, a_c = 1,
	// DEN = 2 TP + sum wass; GDL: a_c = 1/(V_c + 1), DEN = sum a_y (2 -
	// wass); loss 1 - (2 TP + s)/(DEN + s) per group, then the mean.
	// Options: dist_matrix (null), weighting_mode (default | GDL),
	// from_logits (true), smooth (1e-5), reduction (per_sample), ignore_index.
	//
	// Special cases are:
	//	every pixel of a group ignored: that group's loss is 0
	GeneralizedWassersteinDice Name = "generalized_wasserstein_dice"
)

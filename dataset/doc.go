// Package dataset feeds images to a model the way torchvision's datasets,
// transforms and DataLoader do, with no Python.
//
// One sample travels through four stages:
//
//	Source.Image(i)          decoded pixels: an 8-bit *Image (HWC, RGB or gray)
//	Transform.Apply          Resize, crops, flips, colour jitter … on the 8-bit image,
//	                         then ToTensor makes float32 CHW in [0, 1], then Normalize
//	Loader                   groups samples into NCHW (or NHWC) float32 batches
//	                         (autograd tensors) and int labels, on several goroutines
//
// Sources (source.go): the embedded MNIST sample (Sample), IDX files (MNIST,
// Fashion-MNIST), ImageFolder, Oxford-IIIT Pets and CIFAR-10 (binary
// batches, or the pickled Python version read by pickle.go, which builds
// plain values and calls nothing), plus a stratified train/validation split. Each has a length, class names, a cheap
// label lookup and an image decoder per item.
//
// Decoding (decode.go; netpbm.go for PBM, PGM and PPM, which Go lacks) works
// from the file's content, not its extension, and turns every format into
// 8-bit RGB the way PIL's convert("RGB") does, with typed fast paths for
// each Go image type and libjpeg's chroma upsampling so that JPEG pixels
// agree with PIL's to well under one level on average.
//
// Transforms (transform*.go, resample.go, color.go) reproduce torchvision's
// PIL code path arithmetic: PIL's two-pass fixed-point resampling, its
// rounding in crops, its blend and HSV arithmetic for colour jitter. Random
// transforms draw from a *rand.Rand that the loader seeds from (seed, epoch,
// sample index), so a run is reproducible for any number of workers.
//
// Unreadable files (corrupt, truncated, empty, missing) never panic: by
// default the loader skips them, warns once per file naming it, and reports
// the count at the end of each epoch; with Strict it stops at the first one
// with an error naming the file.
package dataset

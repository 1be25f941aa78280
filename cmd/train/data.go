package main

// The -data flag: where the images come from and how they are prepared.
//
//	mnist-sample        the embedded MNIST subset (10,000 training, 2,000 test images)
//	mnist:DIR           MNIST IDX files in DIR (train-images-idx3-ubyte[.gz], t10k-…)
//	fashion-mnist:DIR   Fashion-MNIST IDX files in DIR
//	cifar10:DIR         CIFAR-10 batches in DIR, binary (data_batch_1.bin … test_batch.bin)
//	                    or Python version (data_batch_1 … test_batch)
//	imagefolder:DIR     one folder per class, in DIR/train and DIR/test (or DIR/val), or
//	                    in DIR itself, which is then split 80/20, stratified and seeded
//	pets:DIR            Oxford-IIIT Pets (DIR/images, DIR/annotations), official trainval/test split
//
// For mnist, fashion-mnist, cifar10 and pets, DIR may also be the root
// folder that torchvision's dataset classes download into: the files are
// then taken from DIR/MNIST/raw, DIR/FashionMNIST/raw, DIR/cifar-10-batches-py,
// DIR/cifar-10-batches-bin or DIR/oxford-iiit-pet.
//
// The data is checked as it is opened: a training or test split without
// images, or IDX files whose images are not the 28×28 of MNIST and
// Fashion-MNIST (whose recipe below is made for that size), is an error
// that names the file or folder at fault.
//
// Transforms. Small gray digits (MNIST, Fashion-MNIST) are padded with black
// to the input size (28×28 → 32×32 for the default input: Pad(2)), their
// gray channel replicated to three (the zoo's models take RGB), and
// normalised with the dataset's mean and standard deviation; augmentation
// shifts them by up to two pixels (RandomCrop(size, padding=2)), and flips
// Fashion-MNIST's clothes horizontally. CIFAR-10 is normalised with its
// statistics; augmentation is RandomCrop(32, padding=4) and a horizontal
// flip. Photographs (imagefolder, pets) follow torchvision's ImageNet
// recipe: the model's evaluation preset (resize to ⌊input·256/224⌋, centre
// crop, ImageNet mean and std) and, with augmentation, RandomResizedCrop
// and a horizontal flip.

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocnn/gocnn/dataset"
	"github.com/gocnn/gocnn/zoo"
)

// dataKinds are the -data forms, for messages.
const dataKinds = "mnist-sample, mnist:DIR, fashion-mnist:DIR, cifar10:DIR, imagefolder:DIR, pets:DIR"

// dataset statistics (per channel, over the training set).
var (
	mnistMean, mnistStd     = float32(0.1307), float32(0.3081)
	fashionMean, fashionStd = float32(0.2860), float32(0.3530)
	cifarMean               = []float32{0.4914, 0.4822, 0.4465}
	cifarStd                = []float32{0.2470, 0.2435, 0.2616}
)

// digitSide is the width and height of MNIST's and Fashion-MNIST's images,
// which their recipe pads (or resizes) to the input size.
const digitSide = 28

// folderTestFraction is the part of each class that imagefolder:DIR holds
// out for testing when DIR has no train and test folders.
const folderTestFraction = 0.2

// dataKind is what -data names, without the directory.
type dataKind string

// smallImages reports whether the kind has small images (28 or 32 pixels)
// whose natural input size is 32.
func (k dataKind) smallImages() bool { return k != "imagefolder" && k != "pets" }

// parseData splits -data into its kind and directory and checks them.
func parseData(spec string) (dataKind, string, error) {
	if spec == "mnist-sample" {
		return "mnist-sample", "", nil
	}
	kind, dir, ok := strings.Cut(spec, ":")
	switch dataKind(kind) {
	case "mnist", "fashion-mnist", "cifar10", "imagefolder", "pets":
	default:
		return "", "", fmt.Errorf("-data %q: unknown data (valid: %s)", spec, dataKinds)
	}
	if !ok || dir == "" {
		return "", "", fmt.Errorf("-data %q: name the directory, as %s:DIR", spec, kind)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", "", fmt.Errorf("-data %s: %w", spec, err)
	}
	if !st.IsDir() {
		return "", "", fmt.Errorf("-data %s: %s is not a directory", spec, dir)
	}
	return dataKind(kind), dir, nil
}

// sources opens the training and test sources of -data and checks that
// both hold images.
func sources(kind dataKind, dir string, seed uint64, warn dataset.WarnFunc) (trainSrc, testSrc dataset.Source, err error) {
	dir = torchvisionDir(kind, dir)
	trainSrc, testSrc, err = openSources(kind, dir, seed, warn)
	switch {
	case err != nil:
		return nil, nil, err
	case trainSrc.Len() == 0:
		return nil, nil, fmt.Errorf("%s holds no training images", dir)
	case testSrc.Len() == 0:
		return nil, nil, fmt.Errorf("%s holds no test images", dir)
	}
	return trainSrc, testSrc, nil
}

// openSources opens the training and test sources of a data kind in dir
// (already resolved by torchvisionDir).
func openSources(kind dataKind, dir string, seed uint64, warn dataset.WarnFunc) (trainSrc, testSrc dataset.Source, err error) {
	pair := func(a, b dataset.Source, err1, err2 error) (dataset.Source, dataset.Source, error) {
		if err1 != nil {
			return nil, nil, err1
		}
		return a, b, err2
	}
	switch kind {
	case "mnist-sample":
		a, err1 := dataset.Sample(true)
		b, err2 := dataset.Sample(false)
		return pair(a, b, err1, err2)
	case "mnist", "fashion-mnist":
		classes := dataset.MNISTClasses
		if kind == "fashion-mnist" {
			classes = dataset.FashionMNISTClasses
		}
		a, err1 := dataset.OpenIDXDir(dir, true, classes)
		b, err2 := dataset.OpenIDXDir(dir, false, classes)
		if err1 == nil && err2 == nil {
			err1, err2 = digitSize(kind, a), digitSize(kind, b)
		}
		return pair(a, b, err1, err2)
	case "cifar10":
		a, err1 := dataset.OpenCIFAR10(dir, true)
		b, err2 := dataset.OpenCIFAR10(dir, false)
		return pair(a, b, err1, err2)
	case "pets":
		a, err1 := dataset.OpenPets(dir, dataset.PetsOptions{Split: "trainval", Warn: warn})
		b, err2 := dataset.OpenPets(dir, dataset.PetsOptions{Split: "test", Warn: warn})
		return pair(a, b, err1, err2)
	case "imagefolder":
		trainDir := filepath.Join(dir, "train")
		if isDir(trainDir) {
			testDir := filepath.Join(dir, "test")
			if !isDir(testDir) {
				testDir = filepath.Join(dir, "val")
			}
			if !isDir(testDir) {
				return nil, nil, fmt.Errorf("%s has a train folder but no test or val folder beside it: imagefolder:DIR takes "+
					"class folders in DIR/train and DIR/test (or DIR/val), or class folders directly in DIR (split %g/%g)",
					dir, 100*(1-folderTestFraction), 100*folderTestFraction)
			}
			a, err1 := dataset.OpenImageFolder(trainDir, dataset.DecodeOptions{})
			b, err2 := dataset.OpenImageFolder(testDir, dataset.DecodeOptions{})
			if err1 == nil && err2 == nil && strings.Join(a.Classes(), "\x00") != strings.Join(b.Classes(), "\x00") {
				err2 = fmt.Errorf("%s and %s have different class folders", trainDir, testDir)
			}
			return pair(a, b, err1, err2)
		}
		for _, split := range []string{"test", "val"} {
			if isDir(filepath.Join(dir, split)) {
				// Read as a class folder, it would make a class of that name.
				return nil, nil, fmt.Errorf("%s has a %s folder but no train folder beside it: imagefolder:DIR takes "+
					"class folders in DIR/train and DIR/test (or DIR/val), or class folders directly in DIR (split %g/%g)",
					dir, split, 100*(1-folderTestFraction), 100*folderTestFraction)
			}
		}
		all, err := dataset.OpenImageFolder(dir, dataset.DecodeOptions{})
		if err != nil {
			return nil, nil, err
		}
		a, b := dataset.SplitStratified(all, folderTestFraction, seed)
		if b.Len() == 0 {
			// A class of n images gives round(n·fraction) to the test split:
			// at least one from n = ⌊0.5/fraction⌋ + 1 images on.
			return nil, nil, fmt.Errorf("the test split of %s is empty: %d images, %g%% of each class held out gives 0; "+
				"add images (%d or more in a class) or make %s and %s folders",
				dir, all.Len(), 100*folderTestFraction, int(math.Floor(0.5/folderTestFraction))+1, trainDir, filepath.Join(dir, "test"))
		}
		return a, b, nil
	}
	return nil, nil, fmt.Errorf("unknown data kind %q", kind)
}

// digitSize checks that an IDX file of the mnist or fashion-mnist kind
// holds images of digitSide × digitSide pixels: the recipe (padding to the
// input size, random crops) and the description printed are made for that
// size, and others would crash the crop or train and test at other sizes
// than the model's input.
func digitSize(kind dataKind, d *dataset.IDX) error {
	if w, h := d.Size(); w != digitSide || h != digitSide {
		return fmt.Errorf("%s holds images of %d rows × %d columns, but the %s recipe is made for %d×%d images, which it pads or resizes to the input size; "+
			"imagefolder:DIR takes images of any size", d.File(), h, w, kind, digitSide, digitSide)
	}
	return nil
}

// transforms returns the training and evaluation pipelines of a data kind
// at an input size, for a model architecture (whose preset photographs
// use).
func transforms(kind dataKind, arch string, input int, augment bool) (trainTF, evalTF dataset.Transform, err error) {
	switch kind {
	case "mnist-sample", "mnist", "fashion-mnist":
		mean, std := mnistMean, mnistStd
		if kind == "fashion-mnist" {
			mean, std = fashionMean, fashionStd
		}
		var size []dataset.Transform
		switch {
		case input >= digitSide && (input-digitSide)%2 == 0:
			size = []dataset.Transform{dataset.Pad((input - digitSide) / 2)}
		default:
			size = []dataset.Transform{dataset.ResizeTo(input, input, dataset.Bilinear)}
		}
		tail := []dataset.Transform{dataset.Grayscale(3), dataset.ToTensor(),
			dataset.Normalize([]float32{mean, mean, mean}, []float32{std, std, std})}
		evalTF = dataset.Compose(append(size, tail...)...)
		aug := append([]dataset.Transform{}, size...)
		aug = append(aug, dataset.RandomCrop(input, 2))
		if kind == "fashion-mnist" {
			aug = append(aug, dataset.RandomHorizontalFlip(0.5))
		}
		trainTF = dataset.Compose(append(aug, tail...)...)
	case "cifar10":
		var size []dataset.Transform
		if input != 32 {
			size = []dataset.Transform{dataset.ResizeTo(input, input, dataset.Bilinear)}
		}
		tail := []dataset.Transform{dataset.ToTensor(), dataset.Normalize(cifarMean, cifarStd)}
		evalTF = dataset.Compose(append(size, tail...)...)
		aug := append(append([]dataset.Transform{}, size...), dataset.RandomCrop(input, 4), dataset.RandomHorizontalFlip(0.5))
		trainTF = dataset.Compose(append(aug, tail...)...)
	default:
		preset, err := zoo.DefaultPreset(arch, input)
		if err != nil {
			return nil, nil, err
		}
		p := datasetPreset(preset)
		evalTF, trainTF = p.Eval(), p.Train()
	}
	if !augment {
		trainTF = evalTF
	}
	return trainTF, evalTF, nil
}

// evalPreset is the evaluation preset stored with the trained weights
// (what cmd/predict applies). Photographs get the architecture's preset at
// the input size. A preset cannot say "pad" or "gray to three channels", so
// small images get the nearest it can say: a resize to the input size and
// the dataset's mean and standard deviation; the exact pipeline is stored
// beside it as gocnn.eval_transform.
func evalPreset(kind dataKind, arch string, input int) (zoo.Preset, error) {
	if !kind.smallImages() {
		return zoo.DefaultPreset(arch, input)
	}
	p := zoo.Preset{ResizeSize: input, CropSize: input, Interpolation: "bilinear", Mean: cifarMean, Std: cifarStd}
	switch kind {
	case "mnist-sample", "mnist":
		p.Mean, p.Std = []float32{mnistMean, mnistMean, mnistMean}, []float32{mnistStd, mnistStd, mnistStd}
	case "fashion-mnist":
		p.Mean, p.Std = []float32{fashionMean, fashionMean, fashionMean}, []float32{fashionStd, fashionStd, fashionStd}
	}
	return p, nil
}

// datasetPreset turns a zoo preset into the dataset package's.
func datasetPreset(p zoo.Preset) dataset.Preset {
	ip := dataset.Bilinear
	if p.Interpolation == "bicubic" {
		ip = dataset.Bicubic
	}
	return dataset.Preset{Name: "model", ResizeSize: p.ResizeSize, CropSize: p.CropSize, Interpolation: ip, Mean: p.Mean, Std: p.Std}
}

// describeInput says in words how images reach the model, for the printed
// choices.
func describeInput(kind dataKind, input int) string {
	switch kind {
	case "mnist-sample", "mnist", "fashion-mnist":
		how := "resized"
		if input >= digitSide && (input-digitSide)%2 == 0 {
			how = "padded"
		}
		return fmt.Sprintf("1×%d×%d %s to %d×%d, gray replicated to 3 channels", digitSide, digitSide, how, input, input)
	case "cifar10":
		return fmt.Sprintf("3×32×32 at %d×%d", input, input)
	}
	return fmt.Sprintf("resize %d, centre crop %d×%d, ImageNet normalisation", input*256/224, input, input)
}

// limitSource keeps about n images of src, balanced over the classes
// (a stratified, seeded choice); n ≤ 0 or n ≥ src.Len() keeps everything.
func limitSource(src dataset.Source, n int, seed uint64) dataset.Source {
	if n <= 0 || n >= src.Len() {
		return src
	}
	_, kept := dataset.SplitStratified(src, float64(n)/float64(src.Len()), seed)
	return kept
}

// isDir reports whether path is a folder (or a symbolic link to one).
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// torchvisionDir returns where kind's files are: dir itself when it holds
// them, else the folder under dir where torchvision's MNIST, FashionMNIST,
// CIFAR10 or OxfordIIITPet class keeps them, if that holds them, else dir
// (whose error then names dir). Other kinds keep dir.
func torchvisionDir(kind dataKind, dir string) string {
	var subs, files []string
	switch kind {
	case "mnist":
		subs, files = []string{"MNIST/raw"}, []string{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"}
	case "fashion-mnist":
		subs, files = []string{"FashionMNIST/raw"}, []string{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz"}
	case "cifar10":
		subs, files = []string{"cifar-10-batches-py", "cifar-10-batches-bin"}, []string{"test_batch", "test_batch.bin"}
	case "pets":
		subs, files = []string{"oxford-iiit-pet"}, []string{"annotations/trainval.txt"}
	}
	holds := func(d string) bool {
		for _, f := range files {
			if _, err := os.Stat(filepath.Join(d, filepath.FromSlash(f))); err == nil {
				return true
			}
		}
		return false
	}
	if holds(dir) {
		return dir
	}
	for _, sub := range subs {
		if d := filepath.Join(dir, filepath.FromSlash(sub)); holds(d) {
			return d
		}
	}
	return dir
}

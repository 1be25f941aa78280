package main

import (
	"context"
	"encoding/binary"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTorchvisionRoots checks that -data accepts the root folder that
// torchvision's dataset classes download into, as well as the folder of
// the files, and reads CIFAR-10's Python version and Oxford-IIIT Pets
// from it.
func TestTorchvisionRoots(t *testing.T) {
	root := t.TempDir()
	touch := func(rel string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	touch("MNIST/raw/train-images-idx3-ubyte.gz")
	touch("FashionMNIST/raw/train-images-idx3-ubyte")
	flat := filepath.Join(root, "flat")
	touch("flat/train-images-idx3-ubyte")
	pets := filepath.Join(root, "oxford-iiit-pet")
	touch("oxford-iiit-pet/annotations/trainval.txt")
	for _, c := range []struct {
		kind      dataKind
		dir, want string
	}{
		{"mnist", root, filepath.Join(root, "MNIST", "raw")},
		{"fashion-mnist", root, filepath.Join(root, "FashionMNIST", "raw")},
		{"mnist", flat, flat},
		{"cifar10", root, root}, // nothing there: the error will name root
		{"imagefolder", root, root},
		{"pets", root, pets},
		{"pets", pets, pets},
	} {
		if got := torchvisionDir(c.kind, c.dir); got != c.want {
			t.Errorf("%s:%s resolved to %s, want %s", c.kind, c.dir, got, c.want)
		}
	}

	// CIFAR-10's Python version under a torchvision root.
	fixtures := filepath.Join("..", "..", "dataset", "testdata", "cifar-python", "cifar-10-batches-py")
	names, err := os.ReadDir(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range names {
		b, err := os.ReadFile(filepath.Join(fixtures, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		touch("cifar-10-batches-py/" + e.Name())
		if err := os.WriteFile(filepath.Join(root, "cifar-10-batches-py", e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	train, test, err := sources("cifar10", root, 1, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 5 || test.Len() != 2 || train.Classes()[0] != "airplane" {
		t.Errorf("cifar10 under a torchvision root: %d training and %d test images, classes %v", train.Len(), test.Len(), train.Classes())
	}

	// Oxford-IIIT Pets as torchvision.datasets.OxfordIIITPet(root) keeps it
	// (opening lists the images; nothing is decoded).
	for _, f := range []string{"Abyssinian_1", "Abyssinian_2", "beagle_1"} {
		touch("oxford-iiit-pet/images/" + f + ".jpg")
	}
	if err := os.WriteFile(filepath.Join(pets, "annotations", "trainval.txt"), []byte("Abyssinian_1 1 1 1\nbeagle_1 3 2 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pets, "annotations", "test.txt"), []byte("Abyssinian_2 1 1 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	train, test, err = sources("pets", root, 1, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 2 || test.Len() != 1 || train.Name(1) != filepath.Join(pets, "images", "beagle_1.jpg") || train.Classes()[2] != "Beagle" {
		t.Errorf("pets under a torchvision root: %d training and %d test images, second %s, classes %v", train.Len(), test.Len(), train.Name(1), train.Classes())
	}
}

// writeIDX writes the images and labels files of an MNIST split (prefix
// "train" or "t10k") of n blank images of w×h pixels into dir.
func writeIDX(t *testing.T, dir, prefix string, n, w, h int) {
	t.Helper()
	file := func(magic uint32, dims []int, data []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, magic)
		for _, d := range dims {
			b = binary.BigEndian.AppendUint32(b, uint32(d))
		}
		return append(b, data...)
	}
	images := file(0x0803, []int{n, h, w}, make([]byte, n*w*h))
	labels := file(0x0801, []int{n}, make([]byte, n))
	for name, b := range map[string][]byte{prefix + "-images-idx3-ubyte": images, prefix + "-labels-idx1-ubyte": labels} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDataIsChecked runs the program on data it cannot train on and expects
// exit code 2 with one line that names the file or folder at fault and
// says what is wrong with it, before any model is built.
func TestDataIsChecked(t *testing.T) {
	idxDir := func(trainN, trainW, trainH, testN, testW, testH int) string {
		dir := t.TempDir()
		writeIDX(t, dir, "train", trainN, trainW, trainH)
		writeIDX(t, dir, "t10k", testN, testW, testH)
		return dir
	}
	odd := idxDir(4, 17, 30, 2, 17, 30) // 30 rows × 17 columns
	big := idxDir(4, 64, 64, 2, 64, 64)
	mismatch := idxDir(4, 28, 28, 2, 20, 20)
	noTest := idxDir(4, 28, 28, 0, 28, 28)
	noTrain := idxDir(0, 28, 28, 2, 28, 28)

	// pngs writes an 8×8 PNG into each class folder of dir.
	pngs := func(dir string, classes ...string) {
		for _, class := range classes {
			if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.Create(filepath.Join(dir, class, "1.png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	// One image per class: 20% of each class held out for testing is none.
	tiny := t.TempDir()
	pngs(tiny, "cat", "dog")
	// A train folder with neither test nor val beside it.
	trainOnly := t.TempDir()
	pngs(trainOnly, "train/cat", "train/dog")
	// A val folder with no train folder beside it.
	valOnly := t.TempDir()
	pngs(valOnly, "val/cat", "val/dog", "cat", "dog")

	for _, c := range []struct {
		data string
		want string
	}{
		{"mnist:" + odd, filepath.Join(odd, "train-images-idx3-ubyte") + " holds images of 30 rows × 17 columns, but the mnist recipe is made for 28×28 images"},
		{"fashion-mnist:" + big, filepath.Join(big, "train-images-idx3-ubyte") + " holds images of 64 rows × 64 columns, but the fashion-mnist recipe"},
		{"mnist:" + mismatch, filepath.Join(mismatch, "t10k-images-idx3-ubyte") + " holds images of 20 rows × 20 columns"},
		{"mnist:" + noTest, filepath.Join(noTest, "t10k-images-idx3-ubyte") + " holds 0 images"},
		{"mnist:" + noTrain, filepath.Join(noTrain, "train-images-idx3-ubyte") + " holds 0 images"},
		{"imagefolder:" + tiny, "the test split of " + tiny + " is empty: 2 images, 20% of each class held out gives 0; add images (3 or more in a class) or make " +
			filepath.Join(tiny, "train") + " and " + filepath.Join(tiny, "test") + " folders"},
		{"imagefolder:" + trainOnly, trainOnly + " has a train folder but no test or val folder beside it: imagefolder:DIR takes " +
			"class folders in DIR/train and DIR/test (or DIR/val), or class folders directly in DIR (split 80/20)"},
		{"imagefolder:" + valOnly, valOnly + " has a val folder but no train folder beside it"},
	} {
		code, stdout, stderr := invoke(t, context.Background(), "-model", "resnet18", "-data", c.data, "-out", filepath.Join(t.TempDir(), "out"))
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("-data %s: exit %d, stdout %q, stderr %q; want exit 2 and one line containing %q", c.data, code, stdout, stderr, c.want)
		}
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTorchvisionRoots checks that -data accepts the root folder that
// torchvision's dataset classes download into, as well as the folder of
// the files, and reads CIFAR-10's Python version from it.
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
	for _, c := range []struct {
		kind      dataKind
		dir, want string
	}{
		{"mnist", root, filepath.Join(root, "MNIST", "raw")},
		{"fashion-mnist", root, filepath.Join(root, "FashionMNIST", "raw")},
		{"mnist", flat, flat},
		{"cifar10", root, root}, // nothing there: the error will name root
		{"imagefolder", root, root},
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
}

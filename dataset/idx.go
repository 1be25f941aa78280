package dataset

// IDX files: the format of MNIST and Fashion-MNIST.
//
// An IDX file is a 4-byte magic number (two zero bytes, a type code — 0x08
// for unsigned bytes — and the number of dimensions), one big-endian uint32
// per dimension, then the values in row-major order. Images are a 3-D file
// (count, rows, columns), labels a 1-D file (count). Files may be gzipped
// (recognised by content). Parsing never trusts the header for memory: data
// is read incrementally and must match the header exactly.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MNISTClasses and FashionMNISTClasses are the class names of the two IDX
// datasets, in label order.
var (
	MNISTClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// maxIDXBytes bounds the decompressed size of one IDX file (the full MNIST
// training images are 47 MB).
const maxIDXBytes = 1 << 30

// IDX is a source of gray images with labels read from a pair of IDX files.
type IDX struct {
	name       string
	pix        []uint8 // n·rows·cols
	labels     []uint8
	rows, cols int
	classes    []string
}

// readIDX parses one IDX file of unsigned bytes and returns its dimensions
// and values.
func readIDX(b []byte) (dims []int, data []byte, err error) {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, nil, fmt.Errorf("bad gzip stream: %w", err)
		}
		// Read at most the limit (+1 to notice excess) without trusting any
		// size from the header: memory grows only with data actually present.
		b, err = io.ReadAll(io.LimitReader(zr, maxIDXBytes+1))
		if err != nil {
			return nil, nil, fmt.Errorf("bad gzip stream: %w", err)
		}
		if len(b) > maxIDXBytes {
			return nil, nil, fmt.Errorf("decompressed data exceeds %d bytes", maxIDXBytes)
		}
	}
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%d bytes is too short for an IDX header", len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, fmt.Errorf("bad magic % x (not an IDX file)", b[:4])
	}
	if b[2] != 0x08 {
		return nil, nil, fmt.Errorf("IDX value type 0x%02x is not unsigned bytes (0x08)", b[2])
	}
	nd := int(b[3])
	if nd == 0 || len(b) < 4+4*nd {
		return nil, nil, fmt.Errorf("IDX header with %d dimensions is truncated or empty", nd)
	}
	total := 1
	for i := range nd {
		d := int(binary.BigEndian.Uint32(b[4+4*i:]))
		if d > maxIDXBytes || total*max(d, 1) > maxIDXBytes {
			return nil, nil, fmt.Errorf("IDX header: dimension %d of %d (%d) makes more than %d values", i+1, nd, d, maxIDXBytes)
		}
		dims = append(dims, d)
		total *= d
	}
	data = b[4+4*nd:]
	if len(data) != total {
		return nil, nil, fmt.Errorf("IDX header %v promises %d values but the file holds %d", dims, total, len(data))
	}
	return dims, data, nil
}

// ParseIDX builds a source from the contents of an images file and a labels
// file (each raw or gzipped). name prefixes item names in warnings; classes
// must cover every label. A file of no images, or of images without pixels,
// is an error: no dataset can be made of it.
func ParseIDX(name string, images, labels []byte, classes []string) (*IDX, error) {
	return parseIDX(name, name+" images", name+" labels", images, labels, classes)
}

// parseIDX is ParseIDX with the names its errors give the two files.
func parseIDX(name, imagesName, labelsName string, images, labels []byte, classes []string) (*IDX, error) {
	dims, pix, err := readIDX(images)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", imagesName, err)
	}
	if len(dims) != 3 {
		return nil, fmt.Errorf("%s: want 3 dimensions (count, rows, columns), got %v", imagesName, dims)
	}
	if dims[0] == 0 {
		return nil, fmt.Errorf("%s holds 0 images", imagesName)
	}
	if dims[1] == 0 || dims[2] == 0 {
		return nil, fmt.Errorf("%s holds images of %d rows × %d columns", imagesName, dims[1], dims[2])
	}
	ldims, lab, err := readIDX(labels)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labelsName, err)
	}
	if len(ldims) != 1 || ldims[0] != dims[0] {
		return nil, fmt.Errorf("%s holds %d images but %s has shape %v, not [%d]", imagesName, dims[0], labelsName, ldims, dims[0])
	}
	for i, l := range lab {
		if int(l) >= len(classes) {
			return nil, fmt.Errorf("%s: item %d has label %d, but there are %d classes", labelsName, i, l, len(classes))
		}
	}
	return &IDX{name: name, pix: pix, labels: lab, rows: dims[1], cols: dims[2], classes: classes}, nil
}

// OpenIDX reads an images and a labels file.
func OpenIDX(imagesPath, labelsPath string, classes []string) (*IDX, error) {
	images, err := os.ReadFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := os.ReadFile(labelsPath)
	if err != nil {
		return nil, err
	}
	return parseIDX(imagesPath, imagesPath, labelsPath, images, labels, classes)
}

// OpenIDXDir opens the training (train-*) or test (t10k-*) pair of the
// standard MNIST / Fashion-MNIST file names in dir, gzipped or not. Where
// both a file and its .gz are there (torchvision's download keeps the
// archive beside what it extracted), the file is read, as torchvision's
// MNIST reads only that one.
func OpenIDXDir(dir string, train bool, classes []string) (*IDX, error) {
	prefix := "t10k"
	if train {
		prefix = "train"
	}
	find := func(base string) (string, error) {
		for _, p := range []string{base, base + ".gz"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				return filepath.Join(dir, p), nil
			}
		}
		return "", fmt.Errorf("%s: no %s or %s.gz", dir, base, base)
	}
	img, err := find(prefix + "-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lab, err := find(prefix + "-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	return OpenIDX(img, lab, classes)
}

func (d *IDX) Len() int          { return len(d.labels) }
func (d *IDX) Classes() []string { return d.classes }
func (d *IDX) Label(i int) int   { return int(d.labels[i]) }
func (d *IDX) Name(i int) string { return fmt.Sprintf("%s[%d]", d.name, i) }

// File returns what the source's items are named after: the images file's
// path (OpenIDX, OpenIDXDir) or the name given to ParseIDX.
func (d *IDX) File() string { return d.name }

// Size returns the width and height shared by every image of the file.
func (d *IDX) Size() (w, h int) { return d.cols, d.rows }

// Image returns item i as a one-channel image (a copy). An index outside
// the file is an error: slicing past the pixels could otherwise read
// whatever lies beyond them in the buffer the file was read into.
func (d *IDX) Image(i int) (*Image, error) {
	if i < 0 || i >= d.Len() {
		return nil, fmt.Errorf("%s: no item %d (the file holds %d %s)", d.name, i, d.Len(), plural(d.Len(), "image"))
	}
	n := d.rows * d.cols
	return &Image{W: d.cols, H: d.rows, C: 1, Pix: append([]uint8(nil), d.pix[i*n:(i+1)*n]...)}, nil
}

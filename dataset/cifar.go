package dataset

// CIFAR-10 in either of its distributed forms:
//
//   - the binary version (cifar-10-batches-bin: data_batch_1.bin …
//     data_batch_5.bin, test_batch.bin): a sequence of 3073-byte records,
//     one label byte (0–9) then a 32×32 image as three 1024-byte planes
//     (red, green, blue), rows top to bottom; class names in
//     batches.meta.txt;
//   - the Python version, which torchvision downloads (cifar-10-batches-py:
//     data_batch_1 … data_batch_5, test_batch): each a pickled dict whose
//     "data" is a 10000×3072 uint8 NumPy array of the same planes and whose
//     "labels" is a list of ints; class names in the pickled batches.meta
//     ("label_names"). These are read by pickle.go and turned into the
//     binary records.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CIFAR10Classes are CIFAR-10's class names in label order (batches.meta.txt).
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

const cifarSide, cifarRecord = 32, 1 + 3*32*32

// CIFAR10 is a source over CIFAR-10 binary records.
type CIFAR10 struct {
	name    string
	records []byte
	classes []string
}

// ParseCIFAR10 checks and wraps the contents of one or more concatenated
// binary batches.
func ParseCIFAR10(name string, b []byte) (*CIFAR10, error) {
	if len(b) == 0 || len(b)%cifarRecord != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte CIFAR-10 records", name, len(b), cifarRecord)
	}
	for i := 0; i < len(b); i += cifarRecord {
		if b[i] > 9 {
			return nil, fmt.Errorf("%s: record %d has label %d (CIFAR-10 labels are 0–9)", name, i/cifarRecord, b[i])
		}
	}
	return &CIFAR10{name: name, records: b, classes: CIFAR10Classes}, nil
}

// OpenCIFAR10 reads the training batches (data_batch_1…5) or the test
// batch (test_batch) from dir, the folder of the binary version
// (cifar-10-batches-bin, files ending in .bin) or of the Python version
// (cifar-10-batches-py). Class names come from batches.meta.txt or
// batches.meta when present.
func OpenCIFAR10(dir string, train bool) (*CIFAR10, error) {
	names := []string{"test_batch"}
	if train {
		names = []string{"data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"}
	}
	binary := fileExists(filepath.Join(dir, names[0]+".bin"))
	python := !binary && fileExists(filepath.Join(dir, names[0]))
	if !binary && !python {
		return nil, fmt.Errorf("%s: no CIFAR-10 batches (%s.bin of the binary version or %s of the Python version)", dir, names[0], names[0])
	}
	var all []byte
	for _, n := range names {
		path := filepath.Join(dir, n)
		if !python {
			path += ".bin"
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if python {
			b, err = cifarPythonRecords(path, b)
		} else {
			_, err = ParseCIFAR10(path, b)
		}
		if err != nil {
			return nil, err
		}
		all = append(all, b...)
	}
	c, err := ParseCIFAR10(dir, all)
	if err != nil {
		return nil, err
	}
	meta, classNames := filepath.Join(dir, "batches.meta.txt"), cifarTextClasses
	if python {
		meta, classNames = filepath.Join(dir, "batches.meta"), cifarPythonClasses
	}
	if fileExists(meta) {
		if c.classes, err = classNames(meta); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// cifarTextClasses reads the class names of batches.meta.txt, one a line.
func cifarTextClasses(path string) ([]string, error) {
	meta, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, l := range strings.Split(string(meta), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			classes = append(classes, l)
		}
	}
	if len(classes) != 10 {
		return nil, fmt.Errorf("%s lists %d class names, want 10", path, len(classes))
	}
	return classes, nil
}

// cifarPythonClasses reads the class names of the pickled batches.meta
// ("label_names").
func cifarPythonClasses(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v, err := unpickle(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d, _ := v.(pyDict)
	list, ok := d["label_names"].(*pyList)
	if !ok || len(list.items) != 10 {
		return nil, fmt.Errorf("%s: no list of 10 label_names", path)
	}
	classes := make([]string, 10)
	for i, n := range list.items {
		switch n := n.(type) {
		case string:
			classes[i] = n
		case []byte:
			classes[i] = string(n)
		default:
			return nil, fmt.Errorf("%s: label name %d is a %T", path, i, n)
		}
	}
	return classes, nil
}

// cifarPythonRecords turns one pickled batch of the Python version into
// binary records.
func cifarPythonRecords(name string, b []byte) ([]byte, error) {
	v, err := unpickle(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d, ok := v.(pyDict)
	if !ok {
		return nil, fmt.Errorf("%s: a pickled %T, not the dict of a CIFAR-10 batch", name, v)
	}
	data, ok := d["data"].(*pyArray)
	if !ok {
		return nil, fmt.Errorf("%s: no \"data\" array", name)
	}
	list, ok := d["labels"].(*pyList)
	if !ok {
		return nil, fmt.Errorf("%s: no \"labels\" list", name)
	}
	labels := list.items
	const pixels = cifarRecord - 1
	if strings.TrimLeft(data.dtype, "|=") != "u1" || len(data.shape) != 2 || data.shape[1] != pixels || data.shape[0] != len(labels) {
		return nil, fmt.Errorf("%s: data of type %s and shape %v with %d labels, want uint8 (%d, %d)", name, data.dtype, data.shape, len(labels), len(labels), pixels)
	}
	records := make([]byte, 0, len(labels)*cifarRecord)
	for i, v := range labels {
		l, ok := v.(int64)
		if !ok || l < 0 || l > 9 {
			return nil, fmt.Errorf("%s: label %d is %v (CIFAR-10 labels are 0–9)", name, i, v)
		}
		records = append(records, byte(l))
		records = append(records, data.data[i*pixels:(i+1)*pixels]...)
	}
	return records, nil
}

func (c *CIFAR10) Len() int          { return len(c.records) / cifarRecord }
func (c *CIFAR10) Classes() []string { return c.classes }
func (c *CIFAR10) Label(i int) int   { return int(c.records[i*cifarRecord]) }
func (c *CIFAR10) Name(i int) string { return fmt.Sprintf("%s[%d]", c.name, i) }

// Image returns record i as a 32×32 RGB image. An index outside the
// records is an error: the records are usually a slice with spare capacity
// (batches appended one after another), and slicing into it would return
// whatever lies there as an image.
func (c *CIFAR10) Image(i int) (*Image, error) {
	if i < 0 || i >= c.Len() {
		return nil, fmt.Errorf("%s: no record %d (there are %d)", c.name, i, c.Len())
	}
	rec := c.records[i*cifarRecord+1 : (i+1)*cifarRecord]
	const plane = cifarSide * cifarSide
	m := NewImage(cifarSide, cifarSide, 3)
	for p := range plane {
		m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2] = rec[p], rec[plane+p], rec[2*plane+p]
	}
	return m, nil
}

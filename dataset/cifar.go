package dataset

// CIFAR-10 binary batches (data_batch_1.bin … data_batch_5.bin,
// test_batch.bin): a sequence of 3073-byte records, one label byte (0–9)
// then a 32×32 image as three 1024-byte planes (red, green, blue), rows top
// to bottom.

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

// OpenCIFAR10 reads the training batches (data_batch_1…5.bin) or the test
// batch (test_batch.bin) from dir (the cifar-10-batches-bin folder). Class
// names come from batches.meta.txt when present.
func OpenCIFAR10(dir string, train bool) (*CIFAR10, error) {
	names := []string{"test_batch.bin"}
	if train {
		names = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		if _, err := ParseCIFAR10(filepath.Join(dir, n), b); err != nil {
			return nil, err
		}
		all = append(all, b...)
	}
	c, err := ParseCIFAR10(dir, all)
	if err != nil {
		return nil, err
	}
	if meta, err := os.ReadFile(filepath.Join(dir, "batches.meta.txt")); err == nil {
		var classes []string
		for _, l := range strings.Split(string(meta), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				classes = append(classes, l)
			}
		}
		if len(classes) != 10 {
			return nil, fmt.Errorf("%s: batches.meta.txt lists %d class names, want 10", dir, len(classes))
		}
		c.classes = classes
	}
	return c, nil
}

func (c *CIFAR10) Len() int          { return len(c.records) / cifarRecord }
func (c *CIFAR10) Classes() []string { return c.classes }
func (c *CIFAR10) Label(i int) int   { return int(c.records[i*cifarRecord]) }
func (c *CIFAR10) Name(i int) string { return fmt.Sprintf("%s[%d]", c.name, i) }

// Image returns record i as a 32×32 RGB image.
func (c *CIFAR10) Image(i int) (*Image, error) {
	rec := c.records[i*cifarRecord+1 : (i+1)*cifarRecord]
	const plane = cifarSide * cifarSide
	m := NewImage(cifarSide, cifarSide, 3)
	for p := range plane {
		m.Pix[3*p], m.Pix[3*p+1], m.Pix[3*p+2] = rec[p], rec[plane+p], rec[2*plane+p]
	}
	return m, nil
}

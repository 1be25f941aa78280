package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEmbeddedSampleIsBalanced(t *testing.T) {
	for _, c := range []struct {
		train    bool
		perClass int
	}{{true, 1000}, {false, 200}} {
		s, err := Sample(c.train)
		if err != nil {
			t.Fatal(err)
		}
		if s.Len() != 10*c.perClass {
			t.Fatalf("train=%v: %d items, want %d", c.train, s.Len(), 10*c.perClass)
		}
		var count [10]int
		for i := range s.Len() {
			count[s.Label(i)]++
		}
		for d, n := range count {
			if n != c.perClass {
				t.Errorf("train=%v: digit %d has %d images, want %d", c.train, d, n, c.perClass)
			}
		}
		m, _ := s.Image(0)
		var ink int
		for _, v := range m.Pix {
			ink += int(v)
		}
		if m.W != 28 || m.H != 28 || m.C != 1 || ink == 0 {
			t.Errorf("first image: %v with total ink %d", m, ink)
		}
	}
}

func idxFile(magic uint32, dims []uint32, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, magic)
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, d)
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestIDX(t *testing.T) {
	pix := make([]byte, 3*2*2)
	for i := range pix {
		pix[i] = byte(i * 20)
	}
	images := idxFile(0x0803, []uint32{3, 2, 2}, pix)
	labels := idxFile(0x0801, []uint32{3}, []byte{2, 0, 1})
	for _, zip := range []bool{false, true} {
		im, lb := images, labels
		if zip {
			im, lb = gz(images), gz(labels)
		}
		d, err := ParseIDX("t", im, lb, []string{"a", "b", "c"})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := d.Image(2)
		if d.Len() != 3 || d.Label(0) != 2 || !bytes.Equal(m.Pix, pix[8:12]) || m.W != 2 {
			t.Errorf("gzip=%v: parsed wrongly: len %d, label %d, image %v", zip, d.Len(), d.Label(0), m.Pix)
		}
		if w, h := d.Size(); w != 2 || h != 2 || d.File() != "t" {
			t.Errorf("gzip=%v: size %d×%d, file %q", zip, w, h, d.File())
		}
	}
	bad := []struct {
		name           string
		images, labels []byte
	}{
		{"bad magic", append([]byte{1}, images[1:]...), labels},
		{"not bytes", idxFile(0x0D03, []uint32{3, 2, 2}, pix), labels},
		{"short data", images[:len(images)-1], labels},
		{"extra data", append(append([]byte(nil), images...), 0), labels},
		{"count mismatch", images, idxFile(0x0801, []uint32{2}, []byte{0, 1})},
		{"label out of range", images, idxFile(0x0801, []uint32{3}, []byte{0, 1, 7})},
		{"huge header", idxFile(0x0803, []uint32{1 << 30, 1 << 30, 1 << 30}, nil), labels},
		{"gzip garbage", []byte{0x1f, 0x8b, 1, 2, 3}, labels},
		{"empty", nil, labels},
		{"no images", idxFile(0x0803, []uint32{0, 2, 2}, nil), idxFile(0x0801, []uint32{0}, nil)},
		{"no pixels", idxFile(0x0803, []uint32{3, 0, 2}, nil), labels},
	}
	for _, c := range bad {
		if _, err := ParseIDX("t", c.images, c.labels, []string{"a", "b", "c"}); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	// Given a name, ParseIDX calls the files "<name> images" and "<name> labels".
	_, err := ParseIDX("t", images, idxFile(0x0801, []uint32{2}, []byte{0, 1}), []string{"a", "b", "c"})
	if want := "t images holds 3 images but t labels has shape [2], not [3]"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	// Opened from files, each error names the file at fault.
	dir := t.TempDir()
	imPath, lbPath := filepath.Join(dir, "im"), filepath.Join(dir, "lb")
	for _, c := range []struct {
		images, labels []byte
		want           []string
	}{
		{images, idxFile(0x0801, []uint32{3}, []byte{0, 1, 7}), []string{lbPath + ": item 2 has label 7"}},
		{images, idxFile(0x0801, []uint32{2}, []byte{0, 1}), []string{imPath + " holds 3 images but " + lbPath + " has shape [2], not [3]"}},
		{images[:len(images)-1], labels, []string{imPath + ": IDX header"}},
		{idxFile(0x0803, []uint32{0, 28, 28}, nil), idxFile(0x0801, []uint32{0}, nil), []string{imPath + " holds 0 images"}},
		{idxFile(0x0803, []uint32{3, 2, 0}, nil), labels, []string{imPath + " holds images of 2 rows × 0 columns"}},
	} {
		writeFile(t, imPath, c.images)
		writeFile(t, lbPath, c.labels)
		_, err := OpenIDX(imPath, lbPath, []string{"a", "b", "c"})
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("got %v, want an error containing %q", err, w)
			}
		}
	}
}

// An item outside the file is an error, not a panic or pixels read from
// beyond the file's data: os.ReadFile leaves spare capacity after the bytes
// it read, which an unchecked slice would reach.
func TestIDXImageOutOfRange(t *testing.T) {
	dir := t.TempDir()
	imPath, lbPath := filepath.Join(dir, "im"), filepath.Join(dir, "lb")
	writeFile(t, imPath, idxFile(0x0803, []uint32{1, 2, 2}, []byte{1, 2, 3, 4}))
	writeFile(t, lbPath, idxFile(0x0801, []uint32{1}, []byte{0}))
	d, err := OpenIDX(imPath, lbPath, []string{"a"})
	if err != nil {
		t.Fatal(err)
	}
	if d.File() != imPath {
		t.Errorf("File() = %q, want %q", d.File(), imPath)
	}
	for _, i := range []int{-1, 1, 2} {
		m, err := d.Image(i)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s: no item %d (the file holds 1 image)", imPath, i)) {
			t.Errorf("item %d: image %v, error %v", i, m, err)
		}
	}
}

// OpenIDXDir reads a file rather than its .gz when both are there, as
// torchvision's MNIST does (it reads only the file its download extracted,
// and keeps the archive beside it); a .gz alone is read too.
func TestIDXDirPrefersRawFile(t *testing.T) {
	images := idxFile(0x0803, []uint32{2, 1, 1}, []byte{7, 9})
	labels := idxFile(0x0801, []uint32{2}, []byte{1, 0})
	both, gzOnly := t.TempDir(), t.TempDir()
	for _, f := range []struct {
		name string
		b    []byte
	}{{"train-images-idx3-ubyte", images}, {"train-labels-idx1-ubyte", labels}} {
		writeFile(t, filepath.Join(both, f.name), f.b)
		writeFile(t, filepath.Join(both, f.name+".gz"), gz(f.b)[:10]) // a corrupt archive
		writeFile(t, filepath.Join(gzOnly, f.name+".gz"), gz(f.b))
	}
	for _, c := range []struct{ dir, file string }{
		{both, "train-images-idx3-ubyte"},
		{gzOnly, "train-images-idx3-ubyte.gz"},
	} {
		d, err := OpenIDXDir(c.dir, true, []string{"a", "b"})
		if err != nil {
			t.Errorf("%s: %v", c.dir, err)
			continue
		}
		m, _ := d.Image(1)
		if d.File() != filepath.Join(c.dir, c.file) || d.Len() != 2 || d.Label(0) != 1 || m.Pix[0] != 9 {
			t.Errorf("%s: read %s: %d images, label %d, pixel %d", c.dir, d.File(), d.Len(), d.Label(0), m.Pix[0])
		}
	}
	want := gzOnly + ": no t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz"
	if _, err := OpenIDXDir(gzOnly, false, []string{"a", "b"}); err == nil || err.Error() != want {
		t.Errorf("no test files: got %v, want %q", err, want)
	}
}

func FuzzIDX(f *testing.F) {
	f.Add(idxFile(0x0803, []uint32{1, 2, 2}, []byte{1, 2, 3, 4}), idxFile(0x0801, []uint32{1}, []byte{1}))
	f.Add(gz(idxFile(0x0803, []uint32{1, 1, 1}, []byte{9})), gz(idxFile(0x0801, []uint32{1}, []byte{0})))
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		d, err := ParseIDX("fuzz", images, labels, MNISTClasses)
		if err != nil {
			return
		}
		for i := range d.Len() {
			if m, _ := d.Image(i); len(m.Pix) != m.W*m.H || d.Label(i) >= 10 {
				t.Fatalf("item %d: %v label %d", i, m, d.Label(i))
			}
		}
	})
}

func TestCIFAR10(t *testing.T) {
	rec := make([]byte, 2*cifarRecord)
	rec[0], rec[cifarRecord] = 3, 9
	rec[1], rec[1+1024], rec[1+2048] = 10, 20, 30 // pixel (0,0) of record 0: R, G, B
	rec[cifarRecord+1+1023] = 99                  // last red value of record 1
	c, err := ParseCIFAR10("mem", rec)
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := c.Image(0)
	m1, _ := c.Image(1)
	if c.Len() != 2 || c.Label(0) != 3 || c.Label(1) != 9 || !bytes.Equal(m0.Pix[:3], []byte{10, 20, 30}) || m1.Pix[3*1023] != 99 {
		t.Errorf("parsed wrongly: labels %d %d, pixel %v, last red %d", c.Label(0), c.Label(1), m0.Pix[:3], m1.Pix[3*1023])
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := OpenCIFAR10(dir, false); err != nil || c.Len() != 2 || c.Classes()[9] != "truck" {
		t.Errorf("OpenCIFAR10: %v", err)
	}
	for _, b := range [][]byte{nil, rec[:cifarRecord+5], append([]byte{10}, rec[1:cifarRecord]...)} {
		if _, err := ParseCIFAR10("bad", b); err == nil {
			t.Errorf("%d bytes starting %v: no error", len(b), b[:min(len(b), 1)])
		}
	}
}

// A record index outside the batches is an error, even where the records'
// slice has spare capacity (batches appended one after another) that
// slicing would otherwise read as an image.
func TestCIFAR10ImageOutOfRange(t *testing.T) {
	c, err := ParseCIFAR10("mem", make([]byte, cifarRecord, 3*cifarRecord))
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{-1, 1, 2} {
		m, err := c.Image(i)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("mem: no record %d (there are 1)", i)) {
			t.Errorf("record %d: image %v, error %v", i, m, err)
		}
	}
}

func FuzzCIFAR10(f *testing.F) {
	f.Add(make([]byte, cifarRecord))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCIFAR10("fuzz", b)
		if err != nil {
			return
		}
		for i := range c.Len() {
			if m, _ := c.Image(i); len(m.Pix) != 32*32*3 || c.Label(i) > 9 {
				t.Fatalf("record %d: %v label %d", i, m, c.Label(i))
			}
		}
	})
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImageFolder(t *testing.T) {
	root := t.TempDir()
	jpg := encodeJPEG(t, synthPhoto(8, 6, 1), 90)
	writeFile(t, filepath.Join(root, "dog", "b.jpg"), jpg)
	writeFile(t, filepath.Join(root, "dog", "a.JPEG"), jpg)
	writeFile(t, filepath.Join(root, "dog", "notes.txt"), []byte("ignored"))
	writeFile(t, filepath.Join(root, "cat", "deep", "x.png"), encodePNG(t, synthPhoto(5, 5, 2)))
	src, err := OpenImageFolder(root, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(src.Classes(), ","); got != "cat,dog" || src.Len() != 3 {
		t.Fatalf("classes %s, %d files", got, src.Len())
	}
	if !strings.HasSuffix(src.Name(1), "a.JPEG") || src.Label(1) != 1 || src.Label(0) != 0 {
		t.Errorf("order: %s label %d", src.Name(1), src.Label(1))
	}
	writeFile(t, filepath.Join(root, "empty", "readme.md"), nil)
	if _, err := OpenImageFolder(root, DecodeOptions{}); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty class folder: %v", err)
	}
}

// petsTree writes a miniature Oxford-IIIT Pets in its official layout: two
// breeds per species, a few images each, with the awkward files of the real
// set among them.
func petsTree(t *testing.T) (root string, bad []string) {
	root = t.TempDir()
	img := func(seed uint64) image.Image { return synthPhoto(20+int(seed), 16, seed) }
	gray := image.NewGray(image.Rect(0, 0, 12, 10))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 3)
	}
	cmyk, err := os.ReadFile(filepath.Join(fixtureDir, "jpeg_cmyk.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	var gifBuf bytes.Buffer
	if err := gif.Encode(&gifBuf, img(9), nil); err != nil {
		t.Fatal(err)
	}
	good := encodeJPEG(t, img(1), 90)
	files := map[string][]byte{
		"Abyssinian_1":       good,
		"Abyssinian_2":       encodePNG(t, img(2)), // a PNG named .jpg
		"Abyssinian_3":       gifBuf.Bytes(),       // a GIF named .jpg
		"Bengal_1":           encodeJPEG(t, gray, 90),
		"Bengal_2":           cmyk,
		"american_bulldog_1": good[:len(good)/2], // truncated JPEG
		"american_bulldog_2": good,
		"american_bulldog_3": {}, // empty file
		"beagle_10":          good,
		"beagle_11":          good,
	}
	for name, b := range files {
		writeFile(t, filepath.Join(root, "images", name+".jpg"), b)
	}
	ann := "#Image CLASS-ID SPECIES BREED-ID\n#ID: 1:37 Class ids\n" +
		"Abyssinian_1 1 1 1\nAbyssinian_2 1 1 1\nAbyssinian_3 1 1 1\nBengal_1 6 1 2\nBengal_2 6 1 2\n" +
		"american_bulldog_1 2 2 1\namerican_bulldog_2 2 2 1\namerican_bulldog_3 2 2 1\n" +
		"beagle_10 3 2 2\nbeagle_404 3 2 2\n" // beagle_404 is listed but missing
	writeFile(t, filepath.Join(root, "annotations", "trainval.txt"), []byte(ann))
	writeFile(t, filepath.Join(root, "annotations", "test.txt"), []byte("beagle_11 3 2 2\n"))
	return root, []string{"american_bulldog_1.jpg", "american_bulldog_3.jpg"}
}

func TestPetsLayout(t *testing.T) {
	root, bad := petsTree(t)
	var warnings []string
	warn := func(m string) { warnings = append(warnings, m) }
	src, err := OpenPets(root, PetsOptions{Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	if src.Len() != 9 {
		t.Errorf("trainval lists %d existing images, want 9", src.Len())
	}
	if len(warnings) != 2 || !strings.Contains(warnings[0], "beagle_404.jpg") || !strings.Contains(warnings[1], "1 listed images missing") {
		t.Errorf("open warnings %q", warnings)
	}
	cls := src.Classes()
	if len(cls) != 37 || cls[0] != "Abyssinian" || cls[1] != "American Bulldog" || cls[5] != "Bengal" {
		t.Errorf("breed names %q", cls[:6])
	}
	if src.Label(3) != 5 {
		t.Errorf("Bengal_1 label %d, want 5", src.Label(3))
	}

	// Through the loader: the PNG and GIF named .jpg, the grayscale and the
	// CMYK JPEG load; the truncated and the empty file are skipped, each
	// named in a warning, and counted at the end of the epoch.
	warnings = nil
	l, err := NewLoader(src, Compose(ResizeTo(8, 8, Bilinear), ToTensor()), LoaderOptions{BatchSize: 4, Workers: 2, Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	ep := l.Epoch(0)
	n := 0
	for {
		b, err := ep.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n += len(b.Labels)
		if s := b.Images.Shape(); s[1] != 3 || s[2] != 8 || s[3] != 8 {
			t.Errorf("batch shape %v", s)
		}
	}
	ep.Close()
	if n != 7 || ep.Skipped() != 2 {
		t.Errorf("loaded %d samples and skipped %d, want 7 and 2", n, ep.Skipped())
	}
	joined := strings.Join(warnings, "\n")
	for _, b := range bad {
		if n := strings.Count(joined, b); n != 1 {
			t.Errorf("%d warnings name %s, want one naming it once; warnings:\n%s", n, b, joined)
		}
	}
	if !strings.Contains(joined, "this pass over the data skipped 2 unreadable samples") {
		t.Errorf("no end-of-epoch count; warnings:\n%s", joined)
	}
	t.Logf("warnings:\n%s", joined)

	// Strict: the loader stops at the first bad file with an error naming it.
	ls, _ := NewLoader(src, Compose(ResizeTo(8, 8, Bilinear)), LoaderOptions{BatchSize: 4, Strict: true, Warn: warn})
	ep = ls.Epoch(0)
	var strictErr error
	for strictErr == nil {
		_, strictErr = ep.Next()
	}
	ep.Close()
	if strings.Count(strictErr.Error(), bad[0]) != 1 {
		t.Errorf("strict loader error %v does not name %s once", strictErr, bad[0])
	}
	if _, err := OpenPets(root, PetsOptions{Strict: true, Warn: warn}); err == nil || !strings.Contains(err.Error(), "beagle_404") {
		t.Errorf("strict open with a missing image: %v", err)
	}

	species, err := OpenPets(root, PetsOptions{Split: "test", Species: true, Warn: warn})
	if err != nil {
		t.Fatal(err)
	}
	if species.Len() != 1 || species.Label(0) != 1 || species.Classes()[1] != "Dog" {
		t.Errorf("species task: %d items, label %d, classes %v", species.Len(), species.Label(0), species.Classes())
	}

	writeFile(t, filepath.Join(root, "annotations", "test.txt"), []byte("beagle_11 3 2\n"))
	if _, err := OpenPets(root, PetsOptions{Split: "test", Warn: warn}); err == nil || !strings.Contains(err.Error(), "test.txt:1") {
		t.Errorf("malformed line: %v", err)
	}
}

func TestSplitStratified(t *testing.T) {
	s := &memSource{classes: []string{"a", "b", "c"}}
	counts := []int{50, 30, 7}
	for c, n := range counts {
		for range n {
			s.labels = append(s.labels, c)
			s.files = append(s.files, nil)
		}
	}
	train, val := SplitStratified(s, 0.2, 1)
	seen := map[int]bool{}
	perClass := make([]int, 3)
	for _, i := range val.Indices {
		seen[i] = true
		perClass[s.Label(i)]++
	}
	for _, i := range train.Indices {
		if seen[i] {
			t.Fatalf("item %d in both subsets", i)
		}
		seen[i] = true
	}
	if len(seen) != s.Len() {
		t.Errorf("subsets cover %d of %d items", len(seen), s.Len())
	}
	if fmt.Sprint(perClass) != "[10 6 1]" {
		t.Errorf("validation items per class %v, want [10 6 1]", perClass)
	}
	_, again := SplitStratified(s, 0.2, 1)
	_, other := SplitStratified(s, 0.2, 2)
	if fmt.Sprint(again.Indices) != fmt.Sprint(val.Indices) || fmt.Sprint(other.Indices) == fmt.Sprint(val.Indices) {
		t.Error("split is not a function of the seed")
	}
}

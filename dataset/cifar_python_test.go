package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fixtures are written by scripts/fixtures_cifar_python.py.
const cifarPythonFixtures = "testdata/cifar-python"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(cifarPythonFixtures, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCIFAR10PythonForms checks that the test batch, pickled as Python 2
// did for the real files and by Python 3 with protocols 0, 2, 4 and 5,
// gives the records of the binary version.
func TestCIFAR10PythonForms(t *testing.T) {
	want := readFixture(t, "test_batch.bin")
	for _, name := range []string{"cifar-10-batches-py/test_batch", "test_batch.p0", "test_batch.p2", "test_batch.p4", "test_batch.p5"} {
		got, err := cifarPythonRecords(name, readFixture(t, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: records differ from the binary version's", name)
		}
	}
}

func TestOpenCIFAR10Python(t *testing.T) {
	dir := filepath.Join(cifarPythonFixtures, "cifar-10-batches-py")
	tr, err := OpenCIFAR10(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 5 {
		t.Fatalf("%d training images, want 5 (one per batch)", tr.Len())
	}
	for i := range 5 {
		if tr.Label(i) != (i+1)%10 { // the script labels batch b's image b mod 10
			t.Errorf("training image %d has label %d, want %d", i, tr.Label(i), (i+1)%10)
		}
	}
	te, err := OpenCIFAR10(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	bin, err := ParseCIFAR10("bin", readFixture(t, "test_batch.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if te.Len() != 2 || te.Classes()[1] != "automobile" {
		t.Errorf("test batch: %d images, classes %v", te.Len(), te.Classes())
	}
	for i := range te.Len() {
		a, _ := te.Image(i)
		b, _ := bin.Image(i)
		if te.Label(i) != bin.Label(i) || !bytes.Equal(a.Pix, b.Pix) {
			t.Errorf("test image %d differs from the binary version's", i)
		}
	}
	if _, err := OpenCIFAR10(t.TempDir(), false); err == nil || !strings.Contains(err.Error(), "no CIFAR-10 batches") {
		t.Errorf("empty folder: %v", err)
	}
}

// TestUnpickleRejects checks damaged and hostile pickles: every truncation
// of a real batch, a call of anything but NumPy's reconstructors, arrays
// whose bytes do not match their shape, and bad labels.
func TestUnpickleRejects(t *testing.T) {
	good := readFixture(t, "test_batch.p4")
	for n := range len(good) {
		if _, err := cifarPythonRecords("cut", good[:n]); err == nil {
			t.Fatalf("a batch cut to %d of %d bytes: no error", n, len(good))
		}
	}
	for _, c := range []struct {
		name, pickle, want string
	}{
		{"os.system", "cos\nsystem\n(S'echo hi'\ntR.", "refusing to call os.system"},
		{"posix.system", "\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.", "refusing to call posix.system"},
		{"unknown opcode", "\x80\x02\xff.", "unsupported opcode 0xff"},
		{"stop on empty stack", ".", "empty stack"},
		{"long string", "\x80\x02T\xff\xff\xff\x7f.", "beyond the end"},
		{"shape and bytes", "\x80\x02cnumpy.core.multiarray\n_reconstruct\n)R(K\x01K\x03K\x02\x86cnumpy\ndtype\nU\x02u1\x85R\x89U\x03abctb.", "array of shape [3 2] and type u1 holds 3 bytes"},
		{"not a dict", "\x80\x02]q\x00.", "not the dict of a CIFAR-10 batch"},
	} {
		_, err := cifarPythonRecords(c.name, []byte(c.pickle))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error with %q", c.name, err, c.want)
		}
	}
	// A wrong shape and an out-of-range label, by editing the good pickle's
	// label list: protocol 4 writes [0, 1] as EMPTY_LIST MEMOIZE MARK
	// BININT1 0 BININT1 1 APPENDS.
	i := bytes.Index(good, []byte("(K\x00K\x01e"))
	if i < 0 {
		t.Fatal("label list not found in test_batch.p4")
	}
	for _, c := range []struct{ labels, want string }{
		{"(K\x00K\x0ae", "label 1 is 10"},
		{"(K\x00K\x01K\x02e", "with 3 labels"},
	} {
		b := append(append(append([]byte(nil), good[:i]...), c.labels...), good[i+len("(K\x00K\x01e"):]...)
		if _, err := cifarPythonRecords("edited", b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("labels %q: %v; want %q", c.labels, err, c.want)
		}
	}
}

func FuzzUnpickle(f *testing.F) {
	for _, name := range []string{"cifar-10-batches-py/test_batch", "cifar-10-batches-py/batches.meta", "test_batch.p0", "test_batch.p2", "test_batch.p5"} {
		f.Add(readFixture(f, name))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := cifarPythonRecords("fuzz", b)
		if err == nil && len(recs)%cifarRecord != 0 {
			t.Fatalf("%d bytes of records", len(recs))
		}
	})
}

// TestUnpickleSharesLists checks that a list fetched from the memo is the
// list appended to after it was stored, as in Python: ([1, 2], same list).
func TestUnpickleSharesLists(t *testing.T) {
	v, err := unpickle([]byte("\x80\x02]q\x00(K\x01K\x02eh\x00\x86."))
	if err != nil {
		t.Fatal(err)
	}
	tup, ok := v.(pyTuple)
	if !ok || len(tup) != 2 {
		t.Fatalf("got %#v", v)
	}
	a, b := tup[0].(*pyList), tup[1].(*pyList)
	if a != b || len(a.items) != 2 || a.items[1] != int64(2) {
		t.Errorf("got %#v and %#v, want one list [1, 2] twice", a, b)
	}
}

// TestUnpickleProtocol0Strings checks the quoted strings of protocol 0
// (Python 2's str) and raw-unicode-escape text.
func TestUnpickleProtocol0Strings(t *testing.T) {
	for _, c := range []struct {
		pickle string
		want   any
	}{
		{`S'a\x41\n\\\'"'` + "\n.", []byte("aA\n\\'\"")},
		{`S"it's"` + "\n.", []byte("it's")},
		{"Vcaf\xe9 \\u263a \\U0001F600\n.", "café ☺ 😀"},
	} {
		v, err := unpickle([]byte(c.pickle))
		if err != nil {
			t.Errorf("%q: %v", c.pickle, err)
			continue
		}
		if got, ok := v.([]byte); ok {
			if w, _ := c.want.([]byte); !bytes.Equal(got, w) {
				t.Errorf("%q: %q, want %q", c.pickle, got, c.want)
			}
		} else if v != c.want {
			t.Errorf("%q: %#v, want %q", c.pickle, v, c.want)
		}
	}
	for _, bad := range []string{"Sabc\n.", `S'a\x4'` + "\n.", `S'a\'` + "\n.", "V\\u12\n."} {
		if _, err := unpickle([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestUnpickleOldNumPyArray reads an array pickled as Python 2 and older
// NumPy wrote them: dtype('u1', 0, 1) with its state, the Fortran flag as
// an int, the bytes as a Python 2 str.
func TestUnpickleOldNumPyArray(t *testing.T) {
	p := "\x80\x02cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85U\x01b\x87R" +
		"(K\x01K\x03K\x02\x86cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" +
		"K\x00U\x06abcdeftb."
	v, err := unpickle([]byte(p))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.(*pyArray)
	if !ok || len(a.shape) != 2 || a.shape[0] != 3 || a.shape[1] != 2 || a.dtype != "u1" || string(a.data) != "abcdef" {
		t.Errorf("got %#v", v)
	}
	// A second BUILD replaces the state, as ndarray.__setstate__ does.
	second := p[:len(p)-1] + "(K\x01K\x02K\x03\x86cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R\x89U\x06ghijkltb."
	v, err = unpickle([]byte(second))
	if a, ok := v.(*pyArray); err != nil || !ok || len(a.shape) != 2 || a.shape[0] != 2 || a.shape[1] != 3 || string(a.data) != "ghijkl" {
		t.Errorf("after a second BUILD: %#v, %v", v, err)
	}
}

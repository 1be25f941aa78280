package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	w := []float32{1, -2, 3.5, float32(math.Inf(-1)), 0, 1e-40}
	in := []Tensor{
		F32("features.0.weight", []int{2, 3}, w),
		I64("bn.num_batches_tracked", nil, []int64{42}),
		F32("empty", []int{0, 4}, nil),
	}
	if err := WriteFile(path, in, map[string]string{"arch": "vgg16"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Names(); !slices.Equal(got, []string{"features.0.weight", "bn.num_batches_tracked", "empty"}) {
		t.Errorf("names %v", got)
	}
	got, shape, err := f.Float32("features.0.weight")
	if err != nil || !slices.Equal(got, w) || !slices.Equal(shape, []int{2, 3}) {
		t.Errorf("weight %v %v %v", got, shape, err)
	}
	if n, _, _ := f.Float32("bn.num_batches_tracked"); len(n) != 1 || n[0] != 42 {
		t.Errorf("counter %v", n)
	}
	if f.Metadata["arch"] != "vgg16" {
		t.Errorf("metadata %v", f.Metadata)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestHalfAndBFloat16(t *testing.T) {
	cases := []struct {
		bits uint16
		want float32
	}{
		{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08},
		{0x03ff, 6.097555e-05}, {0x8000, float32(math.Copysign(0, -1))}, {0x7c00, float32(math.Inf(1))},
	}
	for _, c := range cases {
		if got := halfToFloat(c.bits); got != c.want || math.Signbit(float64(got)) != math.Signbit(float64(c.want)) {
			t.Errorf("half %#04x → %v, want %v", c.bits, got, c.want)
		}
	}
	if v := halfToFloat(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("half NaN → %v", v)
	}
	bf := Tensor{Name: "b", DType: BFloat16, Shape: []int{2}, Data: []byte{0x80, 0x3f, 0x20, 0xc1}}
	got, err := bf.Float32()
	if err != nil || !slices.Equal(got, []float32{1, -10}) {
		t.Errorf("bf16 → %v %v", got, err)
	}
}

// file assembles a safetensors file from a header string and a data buffer.
func file(header string, data int) []byte {
	b := make([]byte, 8, 8+len(header)+data)
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, data)...)
}

func TestMalformedFiles(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"too short", []byte{1, 2, 3}, "too short"},
		{"huge header length", binary.LittleEndian.AppendUint64(nil, 1<<60), "header length of 1152921504606846976, over the 100000000-byte limit"},
		{"header past end", binary.LittleEndian.AppendUint64(nil, 100), "truncated file, or not a safetensors file: 8 bytes, but its first 8 bytes give a header of 100 bytes, which needs 108"},
		{"not JSON", file("{not json", 0), "not a JSON object"},
		{"JSON array", file("[1,2]", 0), "not a JSON object"},
		{"unknown dtype", file(`{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), "unknown dtype"},
		{"size mismatch", file(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes"},
		{"out of range", file(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 8), "truncated file: 71 bytes, but its header describes 79"},
		{"reversed offsets", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}`, 8), "not a range of bytes"},
		{"negative offset", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, 8), "not a range of bytes"},
		{"overlap", file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "overlaps"},
		{"hole", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, 8), "unused bytes"},
		{"trailing bytes", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 8), "after the last tensor"},
		{"negative dim", file(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), "negative"},
		{"overflowing shape", file(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}`, 4), "too large"},
		{"bad offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}`, 4), "data_offsets"},
		{"bad metadata", file(`{"__metadata__":{"a":1}}`, 0), "__metadata__"},
		{"bad entry", file(`{"a":"x"}`, 0), "malformed"},
	}
	for _, c := range cases {
		_, err := Parse(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "broken.safetensors")
	os.WriteFile(path, []byte{1, 2, 3}, 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile error %v does not name the file", err)
	}
}

// TestPyTorchCheckpoint checks that the two formats torch.save writes
// (a zip archive; the legacy pickle) are named as such, with the way to
// convert them, instead of a header length of a few quintillion bytes.
func TestPyTorchCheckpoint(t *testing.T) {
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"zip", append([]byte("PK\x03\x04\x00\x00\x08\x08\x00\x00"), make([]byte, 600)...), "it begins like a zip archive"},
		{"legacy pickle", append([]byte{0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20}, make([]byte, 600)...), "it begins like a Python pickle (protocol 2)"},
		{"short pickle", []byte{0x80, 0x04, 0x95, 0x10, 0, 0, 0, 0, 0, 0, '}', 0x94, '.'}, "it begins like a Python pickle (protocol 4)"},
	} {
		_, err := Parse(c.data)
		if err == nil || !strings.HasPrefix(err.Error(), "not a safetensors file: ") || !strings.Contains(err.Error(), c.want) ||
			!strings.Contains(err.Error(), "convert it with scripts/export_torchvision.py") {
			t.Errorf("%s: error %v, want one saying it is not a safetensors file but %q, to convert", c.name, err, c.want)
		}
	}
	// A genuine header length may begin with the pickle's bytes: 0x0280 =
	// 640 bytes of header is a safetensors file like any other.
	header := `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	header += strings.Repeat(" ", 0x280-len(header))
	b := file(header, 4)
	if b[0] != 0x80 || b[1] != 0x02 {
		t.Fatalf("the test file begins % x, want 80 02", b[:2])
	}
	if f, err := Parse(b); err != nil || len(f.Tensors) != 1 {
		t.Errorf("a header of 640 bytes: %v", err)
	}
}

// TestTruncatedFile cuts a good file short at several places: each is
// reported as truncated, with the file's size and the size its header needs.
func TestTruncatedFile(t *testing.T) {
	good, err := Encode([]Tensor{F32("w", []int{4, 4}, make([]float32, 16)), F32("b", []int{4}, make([]float32, 4))}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := int(binary.LittleEndian.Uint64(good))
	for _, size := range []int{len(good) - 1, len(good) - 16, 8 + header + 1, 8 + header} {
		_, err := Parse(good[:size])
		want := fmt.Sprintf("truncated file: %d bytes, but its header describes %d (8-byte length, %d-byte header, 80 bytes of tensor data), so the last %d are missing",
			size, len(good), header, len(good)-size)
		if err == nil || err.Error() != want {
			t.Errorf("cut to %d of %d bytes: error %v, want %q", size, len(good), err, want)
		}
	}
	path := filepath.Join(t.TempDir(), "cut.safetensors")
	if err := os.WriteFile(path, good[:8+header/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(path); err == nil || !strings.HasPrefix(err.Error(), path+": truncated file") {
		t.Errorf("cut inside the header: error %v, want one naming %s and saying it is truncated", err, path)
	}
}

func TestEncodeRejectsBadTensors(t *testing.T) {
	if _, err := Encode([]Tensor{F32("a", []int{1}, []float32{1}), F32("a", []int{1}, []float32{2})}, nil); err == nil {
		t.Error("duplicate names accepted")
	}
	if _, err := Encode([]Tensor{{Name: "a", DType: Float32, Shape: []int{2}, Data: make([]byte, 4)}}, nil); err == nil {
		t.Error("short data accepted")
	}
}

// FuzzParse feeds arbitrary bytes to the parser: it must return a File or an
// error, never panic, and whatever it accepts must survive a re-encode.
func FuzzParse(f *testing.F) {
	good, _ := Encode([]Tensor{F32("w", []int{2}, []float32{1, 2}), I64("n", nil, []int64{3})}, map[string]string{"k": "v"})
	f.Add(good)
	f.Add(file(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, 4))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		for _, tn := range file.Tensors {
			if _, err := tn.Float32(); err != nil {
				t.Fatalf("accepted tensor %q does not convert: %v", tn.Name, err)
			}
		}
		if _, err := Encode(file.Tensors, file.Metadata); err != nil {
			t.Fatalf("accepted file does not re-encode: %v", err)
		}
	})
}

// TestReadMetadata checks that ReadMetadata gives ReadFile's metadata from
// the header alone, nil for a file without any, and errors naming the file
// for a file cut short (in its tensors or its header), one with bytes past
// its tensors, a PyTorch checkpoint, and data offsets that no file can
// hold (past the int64 limit once added up, or negative).
func TestReadMetadata(t *testing.T) {
	dir := t.TempDir()
	good, err := Encode([]Tensor{F32("w", []int{4, 4}, make([]float32, 16)), F32("b", []int{4}, make([]float32, 4))}, map[string]string{"k": "v", "state": `{"epoch":2}`})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := Encode([]Tensor{F32("w", []int{2}, make([]float32, 2))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	header := int(binary.LittleEndian.Uint64(good))
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if m, err := ReadMetadata(write("good", good)); err != nil || len(m) != 2 || m["k"] != "v" || m["state"] != `{"epoch":2}` {
		t.Errorf("a good file: metadata %v, error %v", m, err)
	}
	if m, err := ReadMetadata(write("bare", bare)); err != nil || m != nil {
		t.Errorf("a file without metadata: %v, error %v", m, err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"cut-tensors", good[:len(good)-4], "truncated file"},
		{"cut-header", good[:8+header/2], "truncated file, or not a safetensors file"},
		{"extra", append(slices.Clone(good), 0, 0), "2 bytes after the last tensor"},
		{"short", good[:5], "too short"},
		{"zip", append([]byte("PK\x03\x04\x00\x00\x08\x08\x00\x00"), make([]byte, 600)...), "zip archive"},
		{"huge-offset", file(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,9223372036854775807]}}`, 8),
			"truncated file: 88 bytes, but its header describes 9223372036854775887"},
		{"negative-offsets", file(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-100,-96]}}`, 8), "not a range of bytes"},
	} {
		path := write(c.name, c.b)
		if _, err := ReadMetadata(path); err == nil || !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %s and saying %q", c.name, err, path, c.want)
		}
	}
}

// TestWriteAtomicMode checks that a written file is readable by all, as
// os.WriteFile with 0644 leaves it, and that no temporary file is left.
func TestWriteAtomicMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Unix permission bits")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	for range 2 { // a new file, then one replaced
		if err := WriteAtomic(path, []byte("{}\n")); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o644 {
			t.Errorf("mode %v, want -rw-r--r--", st.Mode().Perm())
		}
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
		t.Errorf("the directory holds %d entries (%v), want the file alone", len(entries), err)
	}
}

// TestRemoveTemps checks that RemoveTemps removes what an interrupted
// WriteAtomic of a path leaves (a hidden temporary file beside it), and
// nothing else: not the file, not another file's temporary files.
func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoint.safetensors")
	if err := WriteAtomic(path, []byte("x")); err != nil {
		t.Fatal(err)
	}
	keep := []string{"checkpoint.safetensors", ".best.safetensors.tmp123", "checkpoint.safetensors.tmp9"}
	for _, name := range append([]string{".checkpoint.safetensors.tmp123", ".checkpoint.safetensors.tmp456"}, keep[1:]...) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveTemps(path); err != nil {
		t.Fatal(err)
	}
	var left []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	slices.Sort(keep)
	if !slices.Equal(left, keep) {
		t.Errorf("left %v, want %v", left, keep)
	}
}

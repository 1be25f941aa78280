// Package safetensors reads and writes the safetensors file format, the
// format in which PyTorch, Hugging Face and timm share model weights.
//
// A file is three parts:
//
//	8 bytes      little-endian uint64 N: the length of the header
//	N bytes      a JSON object: for every tensor its dtype, shape and
//	             data_offsets [begin, end) into the byte buffer, plus an
//	             optional "__metadata__" object of string → string
//	the rest     the byte buffer: every tensor's little-endian values,
//	             back to back, in row-major order
//
// Reading checks everything a damaged or hostile file could get wrong (header
// length past the end of the file, a header that is not JSON, unknown dtypes,
// sizes that do not match shapes, offsets that overlap, leave holes or run
// past the buffer) and reports it as an error before allocating anything
// large. Two mistakes get errors of their own, since they are common and
// the plain ones would puzzle: a PyTorch checkpoint (.pth, .pt: a zip
// archive or a pickle) handed in as safetensors, and a file cut short (a
// copy or download that stopped), whose header describes more bytes than
// the file holds. ReadMetadata reads the header alone, for a program that
// needs a file's metadata before (or instead of) its tensors. Writing goes
// to a temporary file that is renamed into place, so a crash never leaves
// half a file behind.
//
// The package is a leaf: it knows nothing of gocnn's tensors, so state dicts
// (package layers), checkpoints (package train) and test fixtures all share it.
package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DType names an element type as the format spells it.
type DType string

// The element types gocnn reads. Float32 conversion is offered for all of
// them; gocnn itself writes F32 (and I64 for counters).
const (
	Float64  DType = "F64"
	Float32  DType = "F32"
	Float16  DType = "F16"
	BFloat16 DType = "BF16"
	Int64    DType = "I64"
	Int32    DType = "I32"
	Int16    DType = "I16"
	Int8     DType = "I8"
	Uint8    DType = "U8"
	Bool     DType = "BOOL"
)

// Size returns the bytes per element, or 0 for an unknown dtype.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, BFloat16, Int16:
		return 2
	case Int8, Uint8, Bool:
		return 1
	}
	return 0
}

// maxHeader bounds the JSON header, as the reference implementation does, so
// a corrupt length cannot make us allocate gigabytes.
const maxHeader = 100_000_000

// Tensor is one named entry: its type, its shape and its raw little-endian bytes.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// File is a parsed safetensors file. Tensors are in the order of their data
// in the file.
type File struct {
	Tensors  []Tensor
	Metadata map[string]string
	index    map[string]int
}

type headerEntry struct {
	DType       DType   `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// ReadFile reads and validates the safetensors file at path. Errors name the
// file and the problem.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ReadMetadata reads only the header of the safetensors file at path and
// returns its __metadata__ (nil when it has none): what a program needs to
// decide about a file (a checkpoint's position, say) without reading its
// tensors, which may be gigabytes. It checks that the file is as long as
// its header says (a file cut short is an error here too), not the
// tensors' entries one by one: ReadFile does that. Errors name the file.
func ReadMetadata(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var head [8]byte
	if _, err := io.ReadFull(f, head[:]); err != nil {
		return nil, fmt.Errorf("%s: not a safetensors file: %d bytes, too short for the 8-byte header length", path, st.Size())
	}
	n := binary.LittleEndian.Uint64(head[:])
	switch {
	case n > maxHeader || pytorchFormat(head[:]) != "" && n > uint64(st.Size()-8):
		_, err := Parse(head[:]) // Parse's diagnosis: a PyTorch file, or a length over the limit
		return nil, fmt.Errorf("%s: %w", path, err)
	case n > uint64(st.Size()-8):
		return nil, fmt.Errorf("%s: truncated file, or not a safetensors file: %d bytes, but its first 8 bytes give a header of %d bytes, which needs %d",
			path, st.Size(), n, 8+n)
	}
	header := make([]byte, n)
	if _, err := io.ReadFull(f, header); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("%s: header is not a JSON object: %v", path, err)
	}
	var metadata map[string]string
	end := int64(0) // where the last tensor's data ends
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &metadata); err != nil {
				return nil, fmt.Errorf("%s: __metadata__ is not an object of strings: %v", path, err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil || len(e.DataOffsets) != 2 {
			return nil, fmt.Errorf("%s: tensor %q: malformed entry", path, name)
		}
		_, stop, err := e.offsets(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		end = max(end, stop)
	}
	// In uint64, as Parse reckons: an end offset near the int64 limit must
	// read as a file cut short, not overflow into a negative size.
	if need, size := 8+n+uint64(end), uint64(st.Size()); need != size {
		if need > size {
			return nil, fmt.Errorf("%s: truncated file: %d bytes, but its header describes %d, so the last %d are missing", path, size, need, need-size)
		}
		return nil, fmt.Errorf("%s: %d bytes after the last tensor are not described by the header", path, size-need)
	}
	return metadata, nil
}

// Parse validates and decodes a whole file held in memory. The tensors' Data
// slices point into b.
func Parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("not a safetensors file: %d bytes, too short for the 8-byte header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b[:8])
	if n > maxHeader || n > uint64(len(b)-8) {
		// Only a length that cannot be right is looked into: a genuine
		// header length may well begin with the byte a pickle begins with.
		if what := pytorchFormat(b); what != "" {
			return nil, fmt.Errorf("not a safetensors file: it begins like %s, as PyTorch's torch.save writes (a .pth or .pt checkpoint?); "+
				"convert it with scripts/export_torchvision.py", what)
		}
		if n > maxHeader {
			return nil, fmt.Errorf("not a safetensors file, or a damaged one: its first 8 bytes give a header length of %d, over the %d-byte limit", n, maxHeader)
		}
		return nil, fmt.Errorf("truncated file, or not a safetensors file: %d bytes, but its first 8 bytes give a header of %d bytes, which needs %d", len(b), n, 8+n)
	}
	header, buf := b[8:8+n], b[8+n:]
	if trimmed := bytes.TrimSpace(header); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(header, &raw); err != nil {
		return nil, fmt.Errorf("header is not a JSON object: %v", err)
	}
	f := &File{index: map[string]int{}}
	if m, ok := raw["__metadata__"]; ok {
		if err := json.Unmarshal(m, &f.Metadata); err != nil {
			return nil, fmt.Errorf("__metadata__ is not an object of strings: %v", err)
		}
		delete(raw, "__metadata__")
	}
	type placed struct {
		t          Tensor
		begin, end int64
	}
	var entries []placed
	for name, msg := range raw {
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("tensor %q: malformed entry: %v", name, err)
		}
		t, err := e.check(name)
		if err != nil {
			return nil, err
		}
		entries = append(entries, placed{t, e.DataOffsets[0], e.DataOffsets[1]})
	}
	// Order by position and demand that the tensors tile the buffer exactly.
	slices.SortFunc(entries, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), strings.Compare(a.t.Name, b.t.Name))
	})
	end := int64(0)
	for _, e := range entries {
		if e.begin < end {
			return nil, fmt.Errorf("tensor %q: data overlaps the previous tensor (begins at byte %d, previous ends at %d)", e.t.Name, e.begin, end)
		}
		if e.begin > end {
			return nil, fmt.Errorf("tensor %q: %d unused bytes before its data (begins at %d, previous ends at %d)", e.t.Name, e.begin-end, e.begin, end)
		}
		end = e.end
	}
	// The tensors tile [0, end): a buffer shorter than that is a file cut
	// short, one longer holds bytes nothing describes.
	if end > int64(len(buf)) {
		need := uint64(8) + n + uint64(end)
		return nil, fmt.Errorf("truncated file: %d bytes, but its header describes %d (8-byte length, %d-byte header, %d bytes of tensor data), so the last %d are missing",
			len(b), need, n, end, need-uint64(len(b)))
	}
	if end < int64(len(buf)) {
		return nil, fmt.Errorf("%d bytes after the last tensor are not described by the header", int64(len(buf))-end)
	}
	for i, e := range entries {
		e.t.Data = buf[e.begin:e.end]
		f.Tensors = append(f.Tensors, e.t)
		f.index[e.t.Name] = i
	}
	return f, nil
}

// pytorchFormat says what b begins like when that is one of the formats
// torch.save writes, and "" otherwise: a zip archive (PyTorch 1.6 and
// later) or a pickle of protocol 2 to 5 (the legacy format).
func pytorchFormat(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "a zip archive"
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return fmt.Sprintf("a Python pickle (protocol %d)", b[1])
	}
	return ""
}

// offsets returns the entry's data_offsets [begin, end) (len 2, checked by
// the caller), refused when they are not a range of bytes.
func (e headerEntry) offsets(name string) (begin, end int64, err error) {
	begin, end = e.DataOffsets[0], e.DataOffsets[1]
	if begin < 0 || end < begin {
		return 0, 0, fmt.Errorf("tensor %q: data_offsets [%d, %d) are not a range of bytes (negative, or reversed)", name, begin, end)
	}
	return begin, end, nil
}

// check validates one header entry on its own: its dtype, its shape, and
// data_offsets that form a range of the size the shape needs. Whether the
// range lies in the buffer is Parse's business, which sees all the ranges
// and so can tell a file cut short from one whose offsets are wrong.
func (e headerEntry) check(name string) (Tensor, error) {
	size := e.DType.Size()
	if size == 0 {
		return Tensor{}, fmt.Errorf("tensor %q: unknown dtype %q", name, e.DType)
	}
	if len(e.DataOffsets) != 2 {
		return Tensor{}, fmt.Errorf("tensor %q: data_offsets must be [begin, end], got %v", name, e.DataOffsets)
	}
	begin, end, err := e.offsets(name)
	if err != nil {
		return Tensor{}, err
	}
	count := int64(1)
	shape := make([]int, len(e.Shape))
	for i, d := range e.Shape {
		if d < 0 {
			return Tensor{}, fmt.Errorf("tensor %q: negative dimension in shape %v", name, e.Shape)
		}
		if d > 0 && count > math.MaxInt64/d/int64(size) {
			return Tensor{}, fmt.Errorf("tensor %q: shape %v is too large", name, e.Shape)
		}
		count *= d
		shape[i] = int(d)
	}
	if count*int64(size) != end-begin {
		return Tensor{}, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes but data_offsets give %d", name, e.Shape, e.DType, count*int64(size), end-begin)
	}
	return Tensor{Name: name, DType: e.DType, Shape: shape}, nil
}

// Names lists the tensors in file order.
func (f *File) Names() []string {
	names := make([]string, len(f.Tensors))
	for i, t := range f.Tensors {
		names[i] = t.Name
	}
	return names
}

// Get returns the named tensor.
func (f *File) Get(name string) (Tensor, bool) {
	i, ok := f.index[name]
	if !ok {
		return Tensor{}, false
	}
	return f.Tensors[i], true
}

// Float32 returns the named tensor converted to float32, with its shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	t, ok := f.Get(name)
	if !ok {
		return nil, nil, fmt.Errorf("no tensor named %q", name)
	}
	v, err := t.Float32()
	return v, t.Shape, err
}

// Float32 converts the tensor's values to float32 (integers and booleans by
// value; F16 and BF16 exactly).
func (t Tensor) Float32() ([]float32, error) {
	size := t.DType.Size()
	if size == 0 {
		return nil, fmt.Errorf("tensor %q: unknown dtype %q", t.Name, t.DType)
	}
	if len(t.Data)%size != 0 {
		return nil, fmt.Errorf("tensor %q: %d bytes is not a whole number of %s values", t.Name, len(t.Data), t.DType)
	}
	out := make([]float32, len(t.Data)/size)
	le := binary.LittleEndian
	d := t.Data
	for i := range out {
		switch t.DType {
		case Float64:
			out[i] = float32(math.Float64frombits(le.Uint64(d[8*i:])))
		case Float32:
			out[i] = math.Float32frombits(le.Uint32(d[4*i:]))
		case Float16:
			out[i] = halfToFloat(le.Uint16(d[2*i:]))
		case BFloat16:
			out[i] = math.Float32frombits(uint32(le.Uint16(d[2*i:])) << 16)
		case Int64:
			out[i] = float32(int64(le.Uint64(d[8*i:])))
		case Int32:
			out[i] = float32(int32(le.Uint32(d[4*i:])))
		case Int16:
			out[i] = float32(int16(le.Uint16(d[2*i:])))
		case Int8:
			out[i] = float32(int8(d[i]))
		case Uint8, Bool:
			out[i] = float32(d[i])
		}
	}
	return out, nil
}

// halfToFloat converts an IEEE 754 binary16 value to float32 exactly.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	case frac == 0:
		return math.Float32frombits(sign)
	}
	// Subnormal half: value = frac · 2^−24, normal in float32.
	v := float32(frac) * (1.0 / (1 << 24))
	if sign != 0 {
		v = -v
	}
	return v
}

// F32 makes an F32 tensor entry from float32 values.
func F32(name string, shape []int, data []float32) Tensor {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return Tensor{Name: name, DType: Float32, Shape: slices.Clone(shape), Data: b}
}

// I64 makes an I64 tensor entry (PyTorch keeps counters such as
// BatchNorm's num_batches_tracked as int64).
func I64(name string, shape []int, data []int64) Tensor {
	b := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	return Tensor{Name: name, DType: Int64, Shape: slices.Clone(shape), Data: b}
}

// Encode serialises tensors (in the given order) and metadata into the
// safetensors byte layout. Names must be unique and not "__metadata__".
func Encode(tensors []Tensor, metadata map[string]string) ([]byte, error) {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var offset int64
	for _, t := range tensors {
		if t.Name == "__metadata__" {
			return nil, errors.New("safetensors: a tensor cannot be named __metadata__")
		}
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("safetensors: tensor %q appears twice", t.Name)
		}
		count := 1
		for _, d := range t.Shape {
			count *= d
		}
		if t.DType.Size() == 0 || count*t.DType.Size() != len(t.Data) {
			return nil, fmt.Errorf("safetensors: tensor %q: %d bytes do not hold shape %v of %s", t.Name, len(t.Data), t.Shape, t.DType)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = map[string]any{"dtype": t.DType, "shape": shape, "data_offsets": []int64{offset, offset + int64(len(t.Data))}}
		offset += int64(len(t.Data))
	}
	js, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	for len(js)%8 != 0 { // pad with spaces so the data starts 8-byte aligned
		js = append(js, ' ')
	}
	out := make([]byte, 8, 8+len(js)+int(offset))
	binary.LittleEndian.PutUint64(out, uint64(len(js)))
	out = append(out, js...)
	for _, t := range tensors {
		out = append(out, t.Data...)
	}
	return out, nil
}

// WriteFile writes tensors and metadata to path atomically: the bytes go to
// a temporary file in the same directory, which is synced and then renamed
// over path.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	b, err := Encode(tensors, metadata)
	if err != nil {
		return err
	}
	return WriteAtomic(path, b)
}

// RemoveTemps removes the temporary files that WriteAtomic calls for path
// left behind when their process was killed mid-write. Call it only when no
// other process may be writing path (a resumed run, for its checkpoint).
func RemoveTemps(path string) error {
	temps, err := filepath.Glob(tempPattern(path))
	if err != nil {
		return err
	}
	for _, t := range temps {
		if err := os.Remove(t); err != nil {
			return err
		}
	}
	return nil
}

// tempPattern is the name pattern of WriteAtomic's temporary files for path:
// hidden, in the same directory (so the rename stays on one file system).
func tempPattern(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
}

// WriteAtomic writes b to path through a temporary file and a rename, so
// readers see either the old file or the complete new one; the file and
// then its directory are synced, so that a crash of the machine keeps one
// of them too. The file is readable by all (0644, as os.WriteFile(path, b,
// 0o644) leaves it under the usual umask), not private as the temporary
// file starts out.
func WriteAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(tempPattern(path)))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir flushes a directory's entries, so that a rename into it survives
// a crash of the machine and not only of the process. Where directories
// cannot be synced (Windows), the rename stands unsynced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

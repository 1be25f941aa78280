package dataset

// A reader of Python pickles, restricted to what dataset files hold: the
// CIFAR-10 "python version" batches are pickled dicts of strings, lists of
// ints and NumPy arrays. A pickle is a program for a small stack machine;
// this one runs the opcodes of protocols 0–5 that build such values and
// refuses everything else. Nothing is executed: the only callables it
// knows are NumPy's array and dtype reconstructors and the codecs.encode
// that Python 3 uses to pickle bytes with protocol 2, and it builds Go
// values for them:
//
//	None, bool, int        nil, bool, int64
//	str / bytes            string / []byte (Python 2's str is bytes)
//	list, tuple, dict      *pyList, pyTuple, pyDict (keys as strings)
//	numpy.ndarray          *pyArray (shape, dtype, raw C-order bytes)
//
// Every length is checked against the bytes that remain, and the stack and
// memo are bounded, so a damaged file gives an error, not a panic or a huge
// allocation.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

type (
	// pyList is a pointer so that a list the memo holds is the list that
	// later APPENDs extend, as in Python.
	pyList  struct{ items []any }
	pyTuple []any
	pyDict  map[string]any
	// pyGlobal is a class or function named by GLOBAL or STACK_GLOBAL.
	pyGlobal struct{ module, name string }
	// pyArray is a NumPy array: shape, element type (NumPy's type string,
	// such as "u1" or "<i8") and the elements' bytes in C order.
	pyArray struct {
		shape []int
		dtype string
		data  []byte
	}
	// pyDtype is a numpy.dtype under construction.
	pyDtype struct{ str string }
	pyMark  struct{}
)

// Bounds of the pickle machine.
const (
	pickleMaxStack = 1 << 16
	pickleMaxMemo  = 1 << 20
)

// unpickle runs the pickle in b and returns the value it builds.
func unpickle(b []byte) (any, error) {
	u := unpickler{b: b, memo: map[int]any{}}
	v, err := u.run()
	if err != nil {
		return nil, fmt.Errorf("pickle: %w (at byte %d)", err, u.pos)
	}
	return v, nil
}

type unpickler struct {
	b     []byte
	pos   int
	stack []any
	memo  map[int]any
}

func (u *unpickler) take(n int) ([]byte, error) {
	if n < 0 || n > len(u.b)-u.pos {
		return nil, fmt.Errorf("%d bytes wanted, %d left", n, len(u.b)-u.pos)
	}
	s := u.b[u.pos : u.pos+n]
	u.pos += n
	return s, nil
}

// line reads a protocol-0 argument: text up to a newline.
func (u *unpickler) line() (string, error) {
	i := bytes.IndexByte(u.b[u.pos:], '\n')
	if i < 0 {
		return "", fmt.Errorf("no end of line")
	}
	s := string(u.b[u.pos : u.pos+i])
	u.pos += i + 1
	return s, nil
}

// length reads an n-byte little-endian length.
func (u *unpickler) length(n int) (int, error) {
	s, err := u.take(n)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	if v > uint64(len(u.b)) {
		return 0, fmt.Errorf("length %d beyond the end of the data", v)
	}
	return int(v), nil
}

func (u *unpickler) push(v any) error {
	if len(u.stack) >= pickleMaxStack {
		return fmt.Errorf("stack deeper than %d", pickleMaxStack)
	}
	u.stack = append(u.stack, v)
	return nil
}

func (u *unpickler) pop() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("pop from an empty stack")
	}
	v := u.stack[len(u.stack)-1]
	u.stack = u.stack[:len(u.stack)-1]
	if _, ok := v.(pyMark); ok {
		return nil, fmt.Errorf("unexpected mark")
	}
	return v, nil
}

// popMark pops the values above the topmost mark, and the mark.
func (u *unpickler) popMark() ([]any, error) {
	for i := len(u.stack) - 1; i >= 0; i-- {
		if _, ok := u.stack[i].(pyMark); ok {
			items := append([]any(nil), u.stack[i+1:]...)
			u.stack = u.stack[:i]
			return items, nil
		}
	}
	return nil, fmt.Errorf("no mark on the stack")
}

func (u *unpickler) top() (any, error) {
	if len(u.stack) == 0 {
		return nil, fmt.Errorf("empty stack")
	}
	return u.stack[len(u.stack)-1], nil
}

func (u *unpickler) memoize(key int) error {
	v, err := u.top()
	if err != nil {
		return err
	}
	if _, ok := u.memo[key]; !ok && len(u.memo) >= pickleMaxMemo {
		return fmt.Errorf("memo larger than %d", pickleMaxMemo)
	}
	u.memo[key] = v
	return nil
}

func (u *unpickler) recall(key int) error {
	v, ok := u.memo[key]
	if !ok {
		return fmt.Errorf("memo key %d not set", key)
	}
	return u.push(v)
}

// dictKey turns a pickled key into a Go map key.
func dictKey(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case []byte:
		return string(k), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	}
	return "", fmt.Errorf("dict key of type %T", k)
}

func setItems(d any, kv []any) error {
	m, ok := d.(pyDict)
	if !ok {
		return fmt.Errorf("setting items of a %T", d)
	}
	if len(kv)%2 != 0 {
		return fmt.Errorf("odd number of dict items")
	}
	for i := 0; i < len(kv); i += 2 {
		k, err := dictKey(kv[i])
		if err != nil {
			return err
		}
		m[k] = kv[i+1]
	}
	return nil
}

func (u *unpickler) run() (any, error) {
	for {
		op, err := u.take(1)
		if err != nil {
			return nil, err
		}
		if op[0] == '.' { // STOP
			v, err := u.pop()
			if err != nil {
				return nil, err
			}
			return finish(v)
		}
		if err := u.step(op[0]); err != nil {
			return nil, err
		}
	}
}

// Argument widths of the opcodes that take a little-endian length or key.
var pickleWidths = map[byte]int{
	'K': 1, 'M': 2, 'J': 4, // BININT1, BININT2, BININT
	'U': 1, 'T': 4, 'C': 1, 'B': 4, 0x8e: 8, 0x96: 8, // byte strings
	0x8c: 1, 'X': 4, 0x8d: 8, // text strings
	'q': 1, 'r': 4, 'h': 1, 'j': 4, // BINPUT, LONG_BINPUT, BINGET, LONG_BINGET
}

// step runs one opcode other than STOP.
func (u *unpickler) step(op byte) error {
	switch op {
	case 0x80: // PROTO
		_, err := u.take(1)
		return err
	case 0x95: // FRAME: a length we do not need
		_, err := u.take(8)
		return err
	case '(':
		return u.push(pyMark{})
	case '}':
		return u.push(pyDict{})
	case ']':
		return u.push(&pyList{})
	case ')':
		return u.push(pyTuple{})
	case 'N':
		return u.push(nil)
	case 0x88:
		return u.push(true)
	case 0x89:
		return u.push(false)
	case 'K', 'M':
		s, err := u.take(pickleWidths[op])
		if err != nil {
			return err
		}
		v := int64(s[0])
		if op == 'M' {
			v = int64(binary.LittleEndian.Uint16(s))
		}
		return u.push(v)
	case 'J':
		s, err := u.take(4)
		if err != nil {
			return err
		}
		return u.push(int64(int32(binary.LittleEndian.Uint32(s))))
	case 0x8a: // LONG1: a little-endian two's-complement integer
		n, err := u.length(1)
		if err != nil {
			return err
		}
		s, err := u.take(n)
		if err != nil {
			return err
		}
		if n > 8 {
			return fmt.Errorf("integer of %d bytes", n)
		}
		var v int64
		for i := n - 1; i >= 0; i-- {
			v = v<<8 | int64(s[i])
		}
		if n > 0 && n < 8 && s[n-1]&0x80 != 0 {
			v -= 1 << (8 * n)
		}
		return u.push(v)
	case 'I', 'L': // INT, LONG (protocol 0)
		s, err := u.line()
		if err != nil {
			return err
		}
		switch s = strings.TrimSuffix(s, "L"); s {
		case "00":
			return u.push(false)
		case "01":
			return u.push(true)
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("integer %q", s)
		}
		return u.push(v)
	case 'U', 'T', 'C', 'B', 0x8e, 0x96, 0x8c, 'X', 0x8d: // byte and text strings
		n, err := u.length(pickleWidths[op])
		if err != nil {
			return err
		}
		s, err := u.take(n)
		if err != nil {
			return err
		}
		if op == 0x8c || op == 'X' || op == 0x8d {
			return u.push(string(s))
		}
		return u.push(s) // Python 2's str, bytes, bytearray
	case 'S': // STRING (protocol 0): a quoted Python 2 str
		s, err := u.line()
		if err != nil {
			return err
		}
		b, err := unquotePy2(s)
		if err != nil {
			return err
		}
		return u.push(b)
	case 'V': // UNICODE (protocol 0): raw-unicode-escape text
		s, err := u.line()
		if err != nil {
			return err
		}
		t, err := rawUnicodeUnescape(s)
		if err != nil {
			return err
		}
		return u.push(t)
	case 'q', 'r': // BINPUT, LONG_BINPUT
		k, err := u.length(pickleWidths[op])
		if err != nil {
			return err
		}
		return u.memoize(k)
	case 0x94: // MEMOIZE
		return u.memoize(len(u.memo))
	case 'h', 'j': // BINGET, LONG_BINGET
		k, err := u.length(pickleWidths[op])
		if err != nil {
			return err
		}
		return u.recall(k)
	case 'p', 'g': // PUT, GET (protocol 0)
		s, err := u.line()
		if err != nil {
			return err
		}
		k, err := strconv.Atoi(s)
		if err != nil || k < 0 {
			return fmt.Errorf("memo key %q", s)
		}
		if op == 'p' {
			return u.memoize(k)
		}
		return u.recall(k)
	case 'a': // APPEND
		v, err := u.pop()
		if err != nil {
			return err
		}
		return u.appendTo([]any{v})
	case 'e': // APPENDS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.appendTo(items)
	case 'l': // LIST
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(&pyList{items})
	case 't': // TUPLE
		items, err := u.popMark()
		if err != nil {
			return err
		}
		return u.push(pyTuple(items))
	case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
		n := int(op - 0x84)
		items := make(pyTuple, n)
		for i := n - 1; i >= 0; i-- {
			v, err := u.pop()
			if err != nil {
				return err
			}
			items[i] = v
		}
		return u.push(items)
	case 'd': // DICT
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d := pyDict{}
		if err := setItems(d, items); err != nil {
			return err
		}
		return u.push(d)
	case 's': // SETITEM
		v, err := u.pop()
		if err != nil {
			return err
		}
		k, err := u.pop()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		return setItems(d, []any{k, v})
	case 'u': // SETITEMS
		items, err := u.popMark()
		if err != nil {
			return err
		}
		d, err := u.top()
		if err != nil {
			return err
		}
		return setItems(d, items)
	case 'c': // GLOBAL
		mod, err := u.line()
		if err != nil {
			return err
		}
		name, err := u.line()
		if err != nil {
			return err
		}
		return u.push(pyGlobal{mod, name})
	case 0x93: // STACK_GLOBAL
		name, err := u.pop()
		if err != nil {
			return err
		}
		mod, err := u.pop()
		if err != nil {
			return err
		}
		m, ok1 := mod.(string)
		n, ok2 := name.(string)
		if !ok1 || !ok2 {
			return fmt.Errorf("STACK_GLOBAL of %T, %T", mod, name)
		}
		return u.push(pyGlobal{m, n})
	case 'R', 0x81: // REDUCE, NEWOBJ: call a known global
		args, err := u.pop()
		if err != nil {
			return err
		}
		fn, err := u.pop()
		if err != nil {
			return err
		}
		tup, ok := args.(pyTuple)
		if !ok {
			return fmt.Errorf("call with arguments of type %T", args)
		}
		v, err := call(fn, tup)
		if err != nil {
			return err
		}
		return u.push(v)
	case 'b': // BUILD: set an object's state
		state, err := u.pop()
		if err != nil {
			return err
		}
		obj, err := u.top()
		if err != nil {
			return err
		}
		return build(obj, state)
	}
	return fmt.Errorf("unsupported opcode 0x%02x", op)
}

func (u *unpickler) appendTo(items []any) error {
	if len(u.stack) == 0 {
		return fmt.Errorf("append to an empty stack")
	}
	l, ok := u.stack[len(u.stack)-1].(*pyList)
	if !ok {
		return fmt.Errorf("append to a %T", u.stack[len(u.stack)-1])
	}
	l.items = append(l.items, items...)
	return nil
}

// numpyModule reports whether mod is NumPy's multiarray module (numpy.core
// before NumPy 2, numpy._core since).
func numpyModule(mod string) bool {
	return mod == "numpy.core.multiarray" || mod == "numpy._core.multiarray"
}

// call applies one of the known callables to args.
func call(fn any, args pyTuple) (any, error) {
	g, ok := fn.(pyGlobal)
	if !ok {
		return nil, fmt.Errorf("call of a %T", fn)
	}
	switch {
	case numpyModule(g.module) && g.name == "_reconstruct":
		return &pyArray{}, nil // the state (BUILD) says what it holds
	case (g.module == "numpy.core.numeric" || g.module == "numpy._core.numeric") && g.name == "_frombuffer":
		// Protocol 5: _frombuffer(buffer, dtype, shape, order).
		if len(args) != 4 {
			return nil, fmt.Errorf("_frombuffer with %d arguments", len(args))
		}
		data, ok := args[0].([]byte)
		if !ok {
			return nil, fmt.Errorf("_frombuffer of a %T (out-of-band buffers are not supported)", args[0])
		}
		a := &pyArray{}
		return a, build(a, pyTuple{int64(1), args[2], args[1], args[3] == "F", data})
	case g.module == "numpy" && g.name == "dtype":
		if len(args) < 1 {
			return nil, fmt.Errorf("numpy.dtype without arguments")
		}
		s, ok := args[0].(string)
		if b, isBytes := args[0].([]byte); isBytes {
			s, ok = string(b), true
		}
		if !ok {
			return nil, fmt.Errorf("numpy.dtype of a %T", args[0])
		}
		return &pyDtype{str: s}, nil
	case g.module == "_codecs" && g.name == "encode": // Python 3's bytes at protocol 2
		if len(args) != 2 {
			return nil, fmt.Errorf("_codecs.encode with %d arguments", len(args))
		}
		s, ok1 := args[0].(string)
		enc, ok2 := args[1].(string)
		if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
			return nil, fmt.Errorf("_codecs.encode(%T, %v)", args[0], args[1])
		}
		b := make([]byte, 0, len(s))
		for _, r := range s {
			if r > 0xff {
				return nil, fmt.Errorf("latin-1 text with U+%04X", r)
			}
			b = append(b, byte(r))
		}
		return b, nil
	case (g.module == "__builtin__" || g.module == "builtins") && g.name == "bytes" && len(args) == 0:
		return []byte{}, nil
	}
	return nil, fmt.Errorf("refusing to call %s.%s (not a NumPy array, dtype or bytes)", g.module, g.name)
}

// build sets the state of an object made by call.
func build(obj, state any) error {
	switch o := obj.(type) {
	case *pyDtype:
		return nil // byte order and alignment: the type string already says enough
	case *pyArray:
		// ndarray.__setstate__((version, shape, dtype, is_fortran, data))
		st, ok := state.(pyTuple)
		if !ok || len(st) != 5 {
			return fmt.Errorf("array state of type %T", state)
		}
		shapeT, ok1 := st[1].(pyTuple)
		dt, ok2 := st[2].(*pyDtype)
		fortran, ok3 := st[3].(bool)
		if n, isInt := st[3].(int64); isInt { // older NumPy pickled the flag as an int
			fortran, ok3 = n != 0, true
		}
		data, ok4 := st[4].([]byte)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return fmt.Errorf("array state (%T, %T, %T, %T)", st[1], st[2], st[3], st[4])
		}
		if fortran {
			return fmt.Errorf("Fortran-ordered array")
		}
		count := int64(1)
		o.shape = o.shape[:0] // a second BUILD replaces the state
		for _, d := range shapeT {
			n, ok := d.(int64)
			if !ok || n < 0 || n > math.MaxInt32 {
				return fmt.Errorf("array dimension %v", d)
			}
			o.shape = append(o.shape, int(n))
			// Below 2^31 · 2^31 before the cap: no overflow.
			count = min(count*n, int64(len(data))+1)
		}
		o.dtype, o.data = dt.str, data
		if size := dtypeSize(o.dtype); size == 0 || count*int64(size) != int64(len(data)) {
			return fmt.Errorf("array of shape %v and type %s holds %d bytes", o.shape, o.dtype, len(data))
		}
		return nil
	}
	return fmt.Errorf("state for a %T", obj)
}

// dtypeSize is the bytes per element of a NumPy type string such as "u1",
// "|u1" or "<i8", or 0 when it is not one.
func dtypeSize(s string) int {
	s = strings.TrimLeft(s, "<>|=")
	if len(s) < 2 || !strings.ContainsRune("uifb", rune(s[0])) {
		return 0
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 1 || n > 16 {
		return 0
	}
	return n
}

// finish checks that no half-built object is left in v.
func finish(v any) (any, error) {
	switch v := v.(type) {
	case pyGlobal, *pyDtype:
		return nil, fmt.Errorf("the pickle ends in a bare %T", v)
	}
	return v, nil
}

// unquotePy2 reads the repr of a Python 2 str, as protocol 0 writes it:
// 'text' or "text" with backslash escapes.
func unquotePy2(s string) ([]byte, error) {
	if len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return nil, fmt.Errorf("string %.20q is not quoted", s)
	}
	s = s[1 : len(s)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i++; i == len(s) {
			return nil, fmt.Errorf("string ends in a backslash")
		}
		switch c := s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'x':
			if i+2 >= len(s) {
				return nil, fmt.Errorf("short \\x escape")
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad \\x escape %q", s[i+1:i+3])
			}
			out = append(out, byte(v))
			i += 2
		default: // \\, \', \"
			out = append(out, c)
		}
	}
	return out, nil
}

// rawUnicodeUnescape reads Python's raw-unicode-escape encoding: every byte
// is the character of that code point, except \u and four hex digits or \U
// and eight, which are the code point they spell.
func rawUnicodeUnescape(s string) (string, error) {
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
			n := 4
			if s[i+1] == 'U' {
				n = 8
			}
			if i+2+n > len(s) {
				return "", fmt.Errorf("short \\%c escape", s[i+1])
			}
			v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil || v > 0x10ffff {
				return "", fmt.Errorf("bad \\%c escape %q", s[i+1], s[i+2:i+2+n])
			}
			out.WriteRune(rune(v))
			i += 1 + n
			continue
		}
		out.WriteRune(rune(s[i]))
	}
	return out.String(), nil
}

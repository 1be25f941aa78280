package train

// JSON with numbers that are not finite.
//
// encoding/json refuses NaN and ±Inf, which a model with damaged weights
// produces (its test loss, the confidences of its mistakes). The results
// files write such a number as null instead, and read null back as NaN.
// MarshalNullable and UnmarshalNullable do this for any value without
// listing its fields: they build, once per type, a copy of the type in
// which every float64 is a nullFloat (a float64 that encodes itself so),
// copy the value across and let encoding/json do the rest, with the same
// field names, tags and embedding.

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sync"
)

// MarshalNullable is json.Marshal, except that a float64 that is NaN or
// infinite, which json.Marshal refuses, is written as null. It encodes a
// copy of v in which every float64 has become a nullFloat (see nullable);
// field names, omitempty and embedding are encoding/json's as usual.
func MarshalNullable(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() {
		return json.Marshal(v)
	}
	out := reflect.New(nullable(rv.Type())).Elem()
	assign(out, rv)
	return json.Marshal(out.Interface())
}

// UnmarshalNullable is json.Unmarshal into the pointer v, except that a
// null where a float64 belongs reads as NaN (json.Unmarshal would leave
// the float as it was, so that a value that was not finite would look like
// a measured one).
func UnmarshalNullable(b []byte, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return json.Unmarshal(b, v) // reports the misuse as json.Unmarshal does
	}
	into := reflect.New(nullable(rv.Type().Elem()))
	assign(into.Elem(), rv.Elem())
	if err := json.Unmarshal(b, into.Interface()); err != nil {
		return err
	}
	assign(rv.Elem(), into.Elem())
	return nil
}

// nullFloat is a float64 as MarshalNullable writes it: a finite value as
// encoding/json writes a float64, anything else as null, which reads back
// as NaN.
type nullFloat float64

func (f nullFloat) MarshalJSON() ([]byte, error) {
	if v := float64(f); math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(f))
}

func (f *nullFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = nullFloat(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(f))
}

var (
	nullFloatType   = reflect.TypeFor[nullFloat]()
	jsonMarshaler   = reflect.TypeFor[json.Marshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	nullableByType  sync.Map // reflect.Type → its nullable reflect.Type
)

// nullable returns the type that MarshalNullable encodes in t's place: t
// with every float64 in it (in fields, elements and pointed-to values, not
// in interface values) replaced by nullFloat, and t itself when it holds
// none. Exported fields keep their names, tags and embedding; unexported
// ones, which encoding/json skips, are left out. Kept as they are, floats
// and all: types that encode themselves (time.Time, json.RawMessage),
// structs that reflect.StructOf cannot rebuild (embedding an unexported
// type, or a type with methods and no float64) and the inner occurrences
// of recursive types.
func nullable(t reflect.Type) reflect.Type {
	if n, ok := nullableByType.Load(t); ok {
		return n.(reflect.Type)
	}
	n := nullableOf(t, map[reflect.Type]bool{})
	nullableByType.Store(t, n)
	return n
}

func nullableOf(t reflect.Type, visiting map[reflect.Type]bool) reflect.Type {
	if encodesItself(t) || visiting[t] {
		return t
	}
	switch t.Kind() {
	case reflect.Float64:
		return nullFloatType
	case reflect.Pointer:
		if e := nullableOf(t.Elem(), visiting); e != t.Elem() {
			return reflect.PointerTo(e)
		}
	case reflect.Slice:
		if e := nullableOf(t.Elem(), visiting); e != t.Elem() {
			return reflect.SliceOf(e)
		}
	case reflect.Array:
		if e := nullableOf(t.Elem(), visiting); e != t.Elem() {
			return reflect.ArrayOf(t.Len(), e)
		}
	case reflect.Map:
		if e := nullableOf(t.Elem(), visiting); e != t.Elem() {
			return reflect.MapOf(t.Key(), e)
		}
	case reflect.Struct:
		visiting[t] = true
		defer delete(visiting, t)
		var fields []reflect.StructField
		changed := false
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && !f.IsExported() {
				return t
			}
			if !f.IsExported() {
				continue
			}
			n := nullableOf(f.Type, visiting)
			if f.Anonymous && hasMethods(n) {
				return t
			}
			changed = changed || n != f.Type
			fields = append(fields, reflect.StructField{Name: f.Name, Type: n, Tag: f.Tag, Anonymous: f.Anonymous})
		}
		if changed {
			return reflect.StructOf(fields)
		}
	}
	return t
}

// encodesItself reports whether encoding/json leaves t's encoding or
// decoding to t's own methods.
func encodesItself(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || p.Implements(jsonMarshaler) ||
		p.Implements(jsonUnmarshaler) || p.Implements(textMarshaler) || p.Implements(textUnmarshaler)
}

// hasMethods reports whether t, or the type it points to, has methods.
func hasMethods(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.NumMethod() > 0 || reflect.PointerTo(t).NumMethod() > 0
}

// assign copies src into the settable dst, whose type is src's type, or
// its nullable type, or the type whose nullable type src's is: floats are
// converted, structs copied field by field (the exported fields of the one
// are the fields of the other, in order; dst's unexported fields stay as
// they were), pointed-to values copied into dst's own, slices and maps
// rebuilt.
func assign(dst, src reflect.Value) {
	if dst.Type() == src.Type() {
		dst.Set(src)
		return
	}
	switch dst.Kind() {
	case reflect.Float64:
		dst.SetFloat(src.Float())
	case reflect.Pointer:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		assign(dst.Elem(), src.Elem())
	case reflect.Slice:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		dst.Set(reflect.MakeSlice(dst.Type(), src.Len(), src.Len()))
		for i := range src.Len() {
			assign(dst.Index(i), src.Index(i))
		}
	case reflect.Array:
		for i := range src.Len() {
			assign(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		if src.IsNil() {
			dst.SetZero()
			return
		}
		dst.Set(reflect.MakeMapWithSize(dst.Type(), src.Len()))
		iter := src.MapRange()
		for iter.Next() {
			v := reflect.New(dst.Type().Elem()).Elem()
			assign(v, iter.Value())
			dst.SetMapIndex(iter.Key(), v)
		}
	case reflect.Struct:
		from, into := exportedFields(src.Type()), exportedFields(dst.Type())
		for i := range from {
			assign(dst.Field(into[i]), src.Field(from[i]))
		}
	default:
		panic(fmt.Sprintf("train.assign: %v into %v", src.Type(), dst.Type()))
	}
}

// exportedFields returns the indices of t's exported fields.
func exportedFields(t reflect.Type) []int {
	var idx []int
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			idx = append(idx, i)
		}
	}
	return idx
}

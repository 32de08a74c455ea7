package zeo

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// msgpackCodec is the M5 encoding: the message tuple as a msgpack array,
// bytes as bin and text as str, as Python's msgpack packs them with
// use_bin_type=True.
type msgpackCodec struct{}

func (msgpackCodec) encode(m Message) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	// Small ints in one byte, as Python's packer writes them: without this
	// the library writes every int64 in nine.
	enc.UseCompactInts(true)
	if err := encodeMsgpack(enc, tupleOf(m), 0); err != nil {
		return nil, fmt.Errorf("encode M5 message: %w", err)
	}
	return buf.Bytes(), nil
}

// encodeMsgpack walks the value model with the library's primitives so that
// a value msgpack cannot carry (Global, Instance) is an error rather than
// silently becoming a struct map.
func encodeMsgpack(enc *msgpack.Encoder, v any, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	switch v := v.(type) {
	case nil:
		return enc.EncodeNil()
	case bool:
		return enc.EncodeBool(v)
	case int:
		return enc.EncodeInt(int64(v))
	case int64:
		return enc.EncodeInt(v)
	case uint64:
		return enc.EncodeUint(v)
	case float64:
		return enc.EncodeFloat64(v)
	case string:
		return enc.EncodeString(v)
	case []byte:
		return enc.EncodeBytes(v)
	case []any:
		if err := enc.EncodeArrayLen(len(v)); err != nil {
			return err
		}
		for _, x := range v {
			if err := encodeMsgpack(enc, x, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if err := enc.EncodeMapLen(len(v)); err != nil {
			return err
		}
		for _, k := range keys {
			if err := enc.EncodeString(k); err != nil {
				return err
			}
			if err := encodeMsgpack(enc, v[k], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("msgpack cannot carry %T", v)
}

func (msgpackCodec) decode(payload []byte) (Message, error) {
	r := bytes.NewReader(payload)
	// A *bytes.Reader is an io.ByteScanner, so the decoder reads from it
	// directly and r.Len() is exactly what is left to decode.
	dec := msgpack.NewDecoder(r)
	v, err := decodeMsgpack(dec, r, 0)
	if err != nil {
		return Message{}, fmt.Errorf("decode M5 message: %w", err)
	}
	if r.Len() != 0 {
		return Message{}, fmt.Errorf("decode M5 message: %d bytes after the message", r.Len())
	}
	m, err := messageFromTuple(v)
	if err != nil {
		return Message{}, fmt.Errorf("decode M5 message: %w", err)
	}
	return m, nil
}

// decodeMsgpack reads one value with the library, steering it by type code.
// The library's generic DecodeInterface trusts announced lengths: it makes an
// []any of an array32's declared size and a []byte of a bin32's before
// reading them, so a five-byte message could ask for gigabytes. Here every
// length is checked against the bytes actually left before anything is
// allocated (each element takes at least one byte), and nesting is bounded.
func decodeMsgpack(dec *msgpack.Decoder, r *bytes.Reader, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	code, err := dec.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsFixedArray(code) || code == msgpcode.Array16 || code == msgpcode.Array32:
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return nil, err
		}
		if n > r.Len() {
			return nil, fmt.Errorf("array of %d elements in %d bytes", n, r.Len())
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = decodeMsgpack(dec, r, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil

	case msgpcode.IsFixedMap(code) || code == msgpcode.Map16 || code == msgpcode.Map32:
		n, err := dec.DecodeMapLen()
		if err != nil {
			return nil, err
		}
		if 2*n > r.Len() {
			return nil, fmt.Errorf("map of %d entries in %d bytes", n, r.Len())
		}
		out := make(map[string]any, n)
		for range n {
			k, err := decodeMsgpack(dec, r, depth+1)
			if err != nil {
				return nil, err
			}
			v, err := decodeMsgpack(dec, r, depth+1)
			if err != nil {
				return nil, err
			}
			out[keyString(k)] = v
		}
		return out, nil

	case msgpcode.IsString(code) || msgpcode.IsBin(code):
		n, err := dec.DecodeBytesLen()
		if err != nil {
			return nil, err
		}
		if n > r.Len() {
			return nil, fmt.Errorf("string of %d bytes in %d bytes", n, r.Len())
		}
		b := make([]byte, n)
		if err := dec.ReadFull(b); err != nil {
			return nil, err
		}
		if msgpcode.IsBin(code) {
			return b, nil
		}
		return string(b), nil

	case msgpcode.IsFixedNum(code), code == msgpcode.Nil, code == msgpcode.False, code == msgpcode.True,
		code >= msgpcode.Float && code <= msgpcode.Int64:
		v, err := dec.DecodeInterface()
		if err != nil {
			return nil, err
		}
		return normalizeNumber(v), nil
	}
	return nil, fmt.Errorf("msgpack type code 0x%02x is not used by ZEO", code)
}

// normalizeNumber folds the library's many number types into int64 (uint64
// only above the int64 range) and float64, so both encodings compare alike.
func normalizeNumber(v any) any {
	switch n := v.(type) {
	case int8:
		return int64(n)
	case int16:
		return int64(n)
	case int32:
		return int64(n)
	case uint8:
		return int64(n)
	case uint16:
		return int64(n)
	case uint32:
		return int64(n)
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n)
		}
	case float32:
		return float64(n)
	}
	return v
}

// keyString makes a map key a string: ZEO's dicts are keyed by names, and a
// Go map cannot be keyed by a tuple anyway.
func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case []byte:
		return string(k)
	}
	return formatValue(k, 0)
}

package zeo

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"

	ogórek "github.com/kisielk/og-rek"
)

// pickleProtocol is the pickle protocol ZEO 5 and later write ("Z5").
const pickleProtocol = 3

// pickleCodec is the Z5 encoding: the message tuple pickled with protocol 3
// by a pickler in fast mode (no memo), which is what ZEO's marshal module
// does. og-rek's encoder writes the same opcodes for the same values, so the
// probe's calls match ZEO's own client byte for byte.
type pickleCodec struct{}

func (pickleCodec) encode(m Message) ([]byte, error) {
	v, err := toPickle(tupleOf(m), 0)
	if err != nil {
		return nil, fmt.Errorf("encode Z5 message: %w", err)
	}
	var buf bytes.Buffer
	enc := ogórek.NewEncoderWithConfig(&buf, &ogórek.EncoderConfig{Protocol: pickleProtocol})
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode Z5 message: %w", err)
	}
	return buf.Bytes(), nil
}

// toPickle maps the value model to og-rek's types: tuples (not lists, which
// ZEO never sends), Bytes for bytes, Class and Call for Global and Instance.
func toPickle(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	switch v := v.(type) {
	case nil:
		return ogórek.None{}, nil
	case bool, int, int64, uint64, float64, string, *big.Int:
		return v, nil
	case []byte:
		return ogórek.Bytes(v), nil
	case []any:
		t := make(ogórek.Tuple, len(v))
		for i, x := range v {
			var err error
			if t[i], err = toPickle(x, depth+1); err != nil {
				return nil, err
			}
		}
		return t, nil
	case map[string]any:
		d := make(map[any]any, len(v))
		for k, x := range v {
			var err error
			if d[k], err = toPickle(x, depth+1); err != nil {
				return nil, err
			}
		}
		return d, nil
	case Global:
		return ogórek.Class{Module: v.Module, Name: v.Name}, nil
	case Instance:
		args, err := toPickle(v.Args, depth+1)
		if err != nil {
			return nil, err
		}
		return ogórek.Call{Callable: ogórek.Class{Module: v.Class.Module, Name: v.Class.Name}, Args: args.(ogórek.Tuple)}, nil
	}
	return nil, fmt.Errorf("a pickle for ZEO cannot carry %T", v)
}

func (pickleCodec) decode(payload []byte) (Message, error) {
	// og-rek bounds its own allocations by the bytes it reads (it grows
	// strings as they arrive), so the frame limit bounds decoding.
	dec := ogórek.NewDecoder(bytes.NewReader(payload))
	raw, err := dec.Decode()
	if err != nil {
		return Message{}, fmt.Errorf("decode Z5 message: %w", err)
	}
	b := &pickleBudget{left: len(payload)}
	v, err := fromPickle(raw, b, 0)
	if err != nil {
		return Message{}, fmt.Errorf("decode Z5 message: %w", err)
	}
	m, err := messageFromTuple(v)
	if err != nil {
		return Message{}, fmt.Errorf("decode Z5 message: %w", err)
	}
	return m, nil
}

// pickleBudget bounds the work of converting a decoded pickle. A pickle can
// refer to one object many times through its memo, so a small pickle can
// decode to a huge tree (or a dict that holds itself). ZEO pickles in fast
// mode, without a memo, so every value of a real message has bytes of its
// own: a conversion that costs more than the payload's length is hostile.
type pickleBudget struct{ left int }

var errOverBudget = errors.New("pickle refers to its values more often than a ZEO message does")

func (b *pickleBudget) spend(n int) error {
	if n > b.left {
		return errOverBudget
	}
	b.left -= n
	return nil
}

// fromPickle maps og-rek's decoded values to the value model.
func fromPickle(v any, b *pickleBudget, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errTooDeep
	}
	if err := b.spend(1); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil, ogórek.None:
		return nil, nil
	case bool, int64, float64:
		return v, nil
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
		return v, nil
	case string:
		return v, b.spend(len(v))
	case ogórek.ByteString:
		return string(v), b.spend(len(v))
	case ogórek.Bytes:
		if err := b.spend(len(v)); err != nil {
			return nil, err
		}
		return []byte(v), nil
	case []byte: // bytearray
		if err := b.spend(len(v)); err != nil {
			return nil, err
		}
		return bytes.Clone(v), nil
	case ogórek.Tuple:
		return sliceFromPickle(v, b, depth)
	case []any:
		return sliceFromPickle(v, b, depth)
	case map[any]any:
		if len(v) > b.left {
			return nil, errOverBudget
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			key, err := fromPickle(k, b, depth+1)
			if err != nil {
				return nil, err
			}
			if out[keyString(key)], err = fromPickle(x, b, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case ogórek.Class:
		return Global{Module: v.Module, Name: v.Name}, nil
	case ogórek.Call:
		args, err := sliceFromPickle(v.Args, b, depth)
		if err != nil {
			return nil, err
		}
		return Instance{Class: Global{Module: v.Callable.Module, Name: v.Callable.Name}, Args: args}, nil
	case ogórek.Ref:
		return nil, errors.New("pickle holds a persistent reference, which ZEO messages never do")
	}
	return nil, fmt.Errorf("pickle value of type %T is not used by ZEO", v)
}

func sliceFromPickle(v []any, b *pickleBudget, depth int) ([]any, error) {
	// Each element will cost at least one unit; refuse before allocating.
	if len(v) > b.left {
		return nil, errOverBudget
	}
	out := make([]any, len(v))
	for i, x := range v {
		var err error
		if out[i], err = fromPickle(x, b, depth+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

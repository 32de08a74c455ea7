package zeo

import (
	"errors"
	"fmt"
	"io"
)

// Protocol ids a ZEO 5 or later server greets with, and the only ones this
// package speaks. The letter names the encoding, the digit the protocol.
const (
	ProtocolMsgpack = "M5" // msgpack, `msgpack true` in the server's <zeo> section
	ProtocolPickle  = "Z5" // pickle protocol 3, the server's default
)

// Flags, the second element of every message. ZEO's client sends it as a
// bool on calls (async or not) and the server as an int on replies; a reply
// with any flag other than 0 carries an exception, which is how ZEO's own
// client reads it.
const (
	FlagSync  = 0 // a call that wants a reply, or a reply with a result
	FlagAsync = 1 // a call that wants no reply
	FlagError = 2 // a reply carrying (exception class name, args)
)

// ReplyMethod is the method name every reply carries.
const ReplyMethod = ".reply"

// maxDepth bounds how deeply values nest. ZEO's messages nest three or four
// levels; the bound keeps a hostile message from exhausting the stack.
const maxDepth = 64

// Message is one ZEO message, the tuple (msgid, flag, method, args), the same
// whichever encoding carried it. For a call Args is the []any of arguments;
// for a reply it is the result, or (class name, args) when Flag is not 0.
//
// Values are nil (None), bool, int64, uint64 (only above the int64 range),
// *big.Int (a pickled long beyond int64), float64, string, []byte, []any
// (tuples and lists alike), map[string]any (keys that are not strings are
// written with fmt), and from pickles only Global and Instance.
type Message struct {
	ID     int64
	Flag   int64
	Method string
	Args   any
}

// IsReply reports whether m answers a call.
func (m Message) IsReply() bool { return m.Method == ReplyMethod }

// Err returns the exception an error reply carries as a *RemoteError, or nil
// when m is not an error reply.
func (m Message) Err() error {
	if !m.IsReply() || m.Flag == FlagSync {
		return nil
	}
	return remoteError(m.Args)
}

// Global is a class or function a pickle names (GLOBAL opcode). ZEO 5
// servers before ZEO 6 sent the exception's class this way.
type Global struct{ Module, Name string }

// String gives the dotted name Python would print.
func (g Global) String() string { return g.Module + "." + g.Name }

// Instance is an object a pickle builds by calling a global with arguments
// (REDUCE opcode): an exception instance, in the messages of older servers.
type Instance struct {
	Class Global
	Args  []any
}

// codec is one of the two encodings of a message.
type codec interface {
	encode(Message) ([]byte, error)
	decode(payload []byte) (Message, error)
}

// ErrUnsupportedProtocol is returned for a protocol id other than M5 and Z5.
var ErrUnsupportedProtocol = errors.New("unsupported ZEO protocol")

func codecFor(protocol string) (codec, error) {
	switch protocol {
	case ProtocolMsgpack:
		return msgpackCodec{}, nil
	case ProtocolPickle:
		return pickleCodec{}, nil
	}
	return nil, fmt.Errorf("%w %q: this package speaks %s and %s (ZEO 5 and later)",
		ErrUnsupportedProtocol, protocol, ProtocolMsgpack, ProtocolPickle)
}

// EncodeMessage encodes m in the encoding of protocol ("M5" or "Z5"), without
// the frame header. Calls carry their flag as a bool and replies as an int,
// which reproduces the bytes ZEO's own client and server send.
func EncodeMessage(protocol string, m Message) ([]byte, error) {
	c, err := codecFor(protocol)
	if err != nil {
		return nil, err
	}
	return c.encode(m)
}

// DecodeMessage decodes one message payload (a frame without its header).
func DecodeMessage(protocol string, payload []byte) (Message, error) {
	c, err := codecFor(protocol)
	if err != nil {
		return Message{}, err
	}
	return c.decode(payload)
}

// ReadMessage reads one frame of at most max bytes (DefaultMaxFrame when
// max <= 0) and decodes it.
func ReadMessage(r io.Reader, protocol string, max int) (Message, error) {
	c, err := codecFor(protocol)
	if err != nil {
		return Message{}, err
	}
	payload, err := ReadFrame(r, max)
	if err != nil {
		return Message{}, err
	}
	return c.decode(payload)
}

// WriteMessage encodes m and writes it as one frame.
func WriteMessage(w io.Writer, protocol string, m Message) error {
	payload, err := EncodeMessage(protocol, m)
	if err != nil {
		return err
	}
	return WriteFrame(w, payload)
}

// messageFromTuple checks the shape shared by both encodings: a 4-tuple of
// an integer id, a bool or integer flag, a method name and the arguments.
func messageFromTuple(v any) (Message, error) {
	t, ok := v.([]any)
	if !ok || len(t) != 4 {
		return Message{}, fmt.Errorf("message is %s, not a (msgid, flag, method, args) tuple", describe(v))
	}
	var m Message
	switch id := t[0].(type) {
	case int64:
		m.ID = id
	default:
		return Message{}, fmt.Errorf("message id is %s, not an integer", describe(t[0]))
	}
	switch f := t[1].(type) {
	case bool:
		if f {
			m.Flag = FlagAsync
		}
	case int64:
		m.Flag = f
	default:
		return Message{}, fmt.Errorf("message flag is %s, not a bool or integer", describe(t[1]))
	}
	switch name := t[2].(type) {
	case string:
		m.Method = name
	case []byte:
		m.Method = string(name)
	default:
		return Message{}, fmt.Errorf("message method is %s, not a string", describe(t[2]))
	}
	m.Args = t[3]
	return m, nil
}

// tupleOf is the 4-tuple to encode for m, with the flag typed as ZEO does.
func tupleOf(m Message) []any {
	var flag any = m.Flag
	if !m.IsReply() {
		flag = m.Flag != FlagSync
	}
	return []any{m.ID, flag, m.Method, m.Args}
}

// describe names a value's kind for error messages without dumping it: a
// hostile message must not be able to fill a log line.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case []any:
		return fmt.Sprintf("a tuple of %d", len(v))
	case string:
		return fmt.Sprintf("the string %q", clip(v))
	case []byte:
		return fmt.Sprintf("%d bytes", len(v))
	case map[string]any:
		return fmt.Sprintf("a dict of %d", len(v))
	default:
		return fmt.Sprintf("%T", v)
	}
}

// clip shortens s for an error message.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// errTooDeep is returned for values nested deeper than maxDepth.
var errTooDeep = fmt.Errorf("values nest deeper than %d levels", maxDepth)

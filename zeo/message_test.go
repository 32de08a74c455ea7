package zeo_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"deploy/zeo"
)

// tids are the last transaction ids in each capture.
var tids = map[string][]byte{
	"M5": {0, 0, 0, 0, 0, 0, 0, 0},
	"Z5": []byte("\x04\r-T)\xc2\x9a\xee"),
}

// fixtureMessages are the decoded values the captures show, for every frame
// that carries a message (the greeting, echo and ruok frames are raw).
func fixtureMessages(protocol string) map[string]zeo.Message {
	tid := tids[protocol]
	return map[string]zeo.Message{
		// S->C: the server's replies.
		"register reply":        {ID: 1, Flag: 0, Method: ".reply", Args: tid},
		"lastTransaction reply": {ID: 2, Flag: 0, Method: ".reply", Args: tid},
		"error reply": {ID: 1, Flag: 2, Method: ".reply",
			Args: []any{"builtins.ValueError", []any{"unknown storage: nosuch"}}},
		// C->S: the client's calls, async flag False.
		"register('1',True)":      {ID: 1, Flag: 0, Method: "register", Args: []any{"1", true}},
		"lastTransaction()":       {ID: 2, Flag: 0, Method: "lastTransaction", Args: []any{}},
		"register('nosuch',True)": {ID: 1, Flag: 0, Method: "register", Args: []any{"nosuch", true}},
	}
}

func TestDecodeMessage_EveryCapturedMessageDecodesToTheValueTheCaptureShows(t *testing.T) {
	for _, protocol := range protocols {
		for label, want := range fixtureMessages(protocol) {
			t.Run(protocol+"/"+label, func(t *testing.T) {
				f := frame(t, protocol, label)
				got, err := zeo.ReadMessage(bytes.NewReader(f.Bytes), protocol, 0)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("decoded %#v\nwant    %#v", got, want)
				}
			})
		}
	}
}

func TestEncodeMessage_ReproducesTheCapturedBytesExactly(t *testing.T) {
	for _, protocol := range protocols {
		for label, m := range fixtureMessages(protocol) {
			t.Run(protocol+"/"+label, func(t *testing.T) {
				var buf bytes.Buffer
				if err := zeo.WriteMessage(&buf, protocol, m); err != nil {
					t.Fatal(err)
				}
				if want := frame(t, protocol, label).Bytes; !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("encoded % x\nwant    % x", buf.Bytes(), want)
				}
			})
		}
	}
}

func TestMessageErr_TheCapturedErrorReplyIsAValueErrorAboutTheStorage(t *testing.T) {
	for _, protocol := range protocols {
		m, err := zeo.DecodeMessage(protocol, frame(t, protocol, "error reply").Payload())
		if err != nil {
			t.Fatal(err)
		}
		var re *zeo.RemoteError
		if !errors.As(m.Err(), &re) {
			t.Fatalf("%s: Err() = %v, want a *RemoteError", protocol, m.Err())
		}
		if re.Class != "builtins.ValueError" || re.Text() != "unknown storage: nosuch" {
			t.Fatalf("%s: got %q %q", protocol, re.Class, re.Text())
		}
		if re.Error() != "builtins.ValueError: unknown storage: nosuch" {
			t.Fatalf("%s: Error() = %q", protocol, re.Error())
		}
	}
}

func TestMessageErr_AReplyWithAResultIsNoError(t *testing.T) {
	m, err := zeo.DecodeMessage("Z5", frame(t, "Z5", "register reply").Payload())
	if err != nil {
		t.Fatal(err)
	}
	if m.Err() != nil {
		t.Fatalf("Err() = %v", m.Err())
	}
}

// Before ZEO 6 a Z5 server pickled the exception class itself and the
// exception instance: GLOBAL builtins ValueError, then REDUCE with its args.
func TestMessageErr_AnOlderServersPickledExceptionClassReadsTheSame(t *testing.T) {
	payload := []byte("\x80\x03(K\x01K\x02X\x06\x00\x00\x00.replycbuiltins\nValueError\n" +
		"cbuiltins\nValueError\nX\x17\x00\x00\x00unknown storage: nosuch\x85R\x86t.")
	m, err := zeo.DecodeMessage("Z5", payload)
	if err != nil {
		t.Fatal(err)
	}
	var re *zeo.RemoteError
	if !errors.As(m.Err(), &re) || re.Error() != "builtins.ValueError: unknown storage: nosuch" {
		t.Fatalf("Err() = %v", m.Err())
	}
	// And it encodes back to the same pickle.
	again, err := zeo.EncodeMessage("Z5", m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, payload) {
		t.Fatalf("re-encoded %q\nwant        %q", again, payload)
	}
}

func TestDecodeMessage_RejectsWhatIsNotAZEOMessage(t *testing.T) {
	cases := []struct {
		name, protocol string
		payload        []byte
		want           string
	}{
		{"msgpack not a tuple", "M5", []byte{0x01}, "not a (msgid, flag, method, args) tuple"},
		{"msgpack 3-tuple", "M5", []byte{0x93, 0x01, 0x00, 0xa1, 'x'}, "not a (msgid, flag, method, args) tuple"},
		{"msgpack string id", "M5", []byte{0x94, 0xa1, 'x', 0x00, 0xa1, 'x', 0x90}, "message id is"},
		{"msgpack trailing bytes", "M5", append(frame(t, "M5", "register reply").Payload(), 0xc0), "1 bytes after the message"},
		{"msgpack truncated", "M5", frame(t, "M5", "register reply").Payload()[:10], "EOF"},
		{"msgpack extension", "M5", []byte{0x94, 0x01, 0x00, 0xa1, 'x', 0xd4, 0x01, 0x00}, "not used by ZEO"},
		{"pickle not a tuple", "Z5", []byte("\x80\x03K\x01."), "not a (msgid, flag, method, args) tuple"},
		{"pickle truncated", "Z5", frame(t, "Z5", "register reply").Payload()[:12], "EOF"},
		{"pickle persistent ref", "Z5", []byte("\x80\x03(K\x01K\x00X\x06\x00\x00\x00.replyK\x05Qt."), "persistent reference"},
		{"empty", "Z5", nil, "EOF"},
		{"old protocol", "Z4", []byte{0}, "speaks M5 and Z5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := zeo.DecodeMessage(c.protocol, c.payload)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestEncodeMessage_RefusesValuesTheEncodingCannotCarry(t *testing.T) {
	m := zeo.Message{ID: 1, Method: ".reply", Args: zeo.Global{Module: "builtins", Name: "ValueError"}}
	if _, err := zeo.EncodeMessage("M5", m); err == nil {
		t.Fatal("msgpack encoded a pickle global")
	}
	m.Args = struct{}{}
	if _, err := zeo.EncodeMessage("Z5", m); err == nil {
		t.Fatal("pickle encoded a Go struct")
	}
}

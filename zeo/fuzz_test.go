package zeo_test

import (
	"bytes"
	"testing"

	"deploy/zeo"
)

// FuzzReadMessage feeds arbitrary bytes to the frame reader and the message
// decoders of both encodings, as a hostile or broken server would. They must
// return errors, never panic, and never allocate what a length field merely
// announces (the seeds include such lengths; testdata/fuzz holds the
// captured frames). Whatever decodes must encode again into something that
// decodes, so that zeotest can always answer what the probe reads.
func FuzzReadMessage(f *testing.F) {
	for _, protocol := range protocols {
		for _, fr := range capture(f, protocol).Frames {
			f.Add(protocol == "M5", fr.Bytes)
		}
	}
	f.Add(true, []byte("\x00\x00\x00\x0b\x94\x01\x00\xa6.reply\xdd\xff\xff\xff\xff"))
	f.Add(false, []byte("\x00\x00\x00\x0a\x80\x03}q\x00K\x01h\x00s."))

	f.Fuzz(func(t *testing.T, m5 bool, data []byte) {
		protocol := zeo.ProtocolPickle
		if m5 {
			protocol = zeo.ProtocolMsgpack
		}
		r := bytes.NewReader(data)
		for range 4 {
			m, err := zeo.ReadMessage(r, protocol, 1<<16)
			if err != nil {
				return
			}
			if err := m.Err(); err != nil {
				_ = err.Error()
			}
			payload, err := zeo.EncodeMessage(protocol, m)
			if err != nil {
				continue // a value the other direction never sends
			}
			if _, err := zeo.DecodeMessage(protocol, payload); err != nil {
				t.Fatalf("our own encoding of %#v does not decode: %v\n% x", m, err, payload)
			}
		}
	})
}

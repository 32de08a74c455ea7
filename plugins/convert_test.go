package plugins

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"deploy/plugins/proto/pluginv1"
)

func TestConfig_ArrivesAsEncodingJSONWouldDecodeIt(t *testing.T) {
	in := map[string]any{
		"url": "http://x", "port": 8080, "ratio": 0.5, "on": true, "none": nil,
		"tags": []string{"a", "b"}, "headers": map[string]string{"X": "1"},
		"nested": map[string]any{"list": []any{1, "two", false}}, "n": json.Number("42"), "small": int8(3),
	}
	s, err := configToProto(in)
	if err != nil {
		t.Fatal(err)
	}
	got := configFromProto(s)
	want := map[string]any{
		"url": "http://x", "port": 8080.0, "ratio": 0.5, "on": true, "none": nil,
		"tags": []any{"a", "b"}, "headers": map[string]any{"X": "1"},
		"nested": map[string]any{"list": []any{1.0, "two", false}}, "n": 42.0, "small": 3.0,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
	if got := configFromProto(nil); len(got) != 0 {
		t.Errorf("no settings = %v", got)
	}
}

func TestConfig_ValuesNoPluginCanReceiveAreRefused(t *testing.T) {
	for name, v := range map[string]any{"chan": make(chan int), "badutf8": "a\xff", "deep": []string{"\xff"}} {
		_, err := configToProto(map[string]any{name: v})
		if err == nil || !strings.Contains(err.Error(), `setting "`+name+`"`) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestStackContext_SurvivesTheWire(t *testing.T) {
	in := testStack("ok")
	p, err := stackToProto(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := stackFromProto(p); !reflect.DeepEqual(got, in) {
		t.Errorf("got %+v\nwant %+v", got, in)
	}
	if got := stackFromProto(nil); got.Service != "" || got.Config == nil {
		t.Errorf("nil stack = %+v", got)
	}
}

func TestCheckResult_DurationsBeyondTimeDurationAreRefused(t *testing.T) {
	_, err := checkResultFromProto(&pluginv1.CheckResponse{Duration: &durationpb.Duration{Seconds: 1 << 35}})
	if err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("huge duration: %v", err)
	}
	_, err = checkResultFromProto(&pluginv1.CheckResponse{Duration: &durationpb.Duration{Seconds: 1, Nanos: -1}})
	if err == nil {
		t.Error("invalid duration accepted")
	}
	r, err := checkResultFromProto(&pluginv1.CheckResponse{Ok: true, Duration: durationpb.New(time.Second)})
	if err != nil || !r.OK || r.Duration != time.Second {
		t.Errorf("%+v, %v", r, err)
	}
}

package plugins

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"

	"deploy/plugins/proto/pluginv1"
)

// The conversions between the Go API and the wire. They are used on both
// sides, so they only translate: judging answers is validate.go's job, and
// nothing here may panic on whatever a plugin sends (getters are nil-safe).

// configToProto carries settings as a google.protobuf.Struct, the one
// shape every plugin language can read. Settings are JSON-compatible values;
// string slices and maps are accepted too because callers build them by hand.
func configToProto(cfg map[string]any) (*structpb.Struct, error) {
	fields := make(map[string]*structpb.Value, len(cfg))
	for k, v := range cfg {
		if !utf8.ValidString(k) {
			return nil, fmt.Errorf("setting %q: name is not valid UTF-8", k)
		}
		pv, err := toValue(v)
		if err != nil {
			return nil, fmt.Errorf("setting %q: %w", k, err)
		}
		fields[k] = pv
	}
	return &structpb.Struct{Fields: fields}, nil
}

func toValue(v any) (*structpb.Value, error) {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return nil, fmt.Errorf("%q is not valid UTF-8", x)
		}
		return structpb.NewStringValue(x), nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return structpb.NewNumberValue(f), nil
	case int8, int16, uint8, uint16:
		return structpb.NewNumberValue(float64(asInt64(x))), nil
	case []string:
		list := make([]any, len(x))
		for i, s := range x {
			list[i] = s
		}
		return toValue(list)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return toValue(m)
	case []any:
		values := make([]*structpb.Value, len(x))
		for i, e := range x {
			pv, err := toValue(e)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			values[i] = pv
		}
		return structpb.NewListValue(&structpb.ListValue{Values: values}), nil
	case map[string]any:
		s, err := configToProto(x)
		if err != nil {
			return nil, err
		}
		return structpb.NewStructValue(s), nil
	}
	pv, err := structpb.NewValue(v) // nil, bool, the other ints and floats
	if err != nil {
		return nil, fmt.Errorf("a %T cannot be sent to a plugin: %w", v, err)
	}
	return pv, nil
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	}
	return 0
}

// configFromProto gives a plugin its settings the way encoding/json would:
// float64, string, bool, nil, []any and map[string]any.
func configFromProto(s *structpb.Struct) map[string]any {
	return s.AsMap()
}

func infoToProto(in Info) *pluginv1.InfoResponse {
	return &pluginv1.InfoResponse{Name: in.Name, Kind: in.Kind, Version: in.Version, Description: in.Description}
}

func infoFromProto(p *pluginv1.InfoResponse) Info {
	return Info{Name: p.GetName(), Kind: p.GetKind(), Version: p.GetVersion(), Description: p.GetDescription()}
}

func schemaToProto(s Schema) *pluginv1.ConfigSchemaResponse {
	out := &pluginv1.ConfigSchemaResponse{}
	for _, a := range s.Attributes {
		out.Attributes = append(out.Attributes, &pluginv1.Attribute{Name: a.Name, Type: a.Type, Description: a.Description, Required: a.Required})
	}
	return out
}

func schemaFromProto(p *pluginv1.ConfigSchemaResponse) Schema {
	var s Schema
	for _, a := range p.GetAttributes() {
		s.Attributes = append(s.Attributes, Attribute{Name: a.GetName(), Type: a.GetType(), Description: a.GetDescription(), Required: a.GetRequired()})
	}
	return s
}

func instanceToProto(in InstanceContext) *pluginv1.InstanceContext {
	return &pluginv1.InstanceContext{Index: int64(in.Index), Port: int64(in.Port), VarDir: in.VarDir, ClientName: in.ClientName}
}

func instanceFromProto(p *pluginv1.InstanceContext) InstanceContext {
	return InstanceContext{Index: int(p.GetIndex()), Port: int(p.GetPort()), VarDir: p.GetVarDir(), ClientName: p.GetClientName()}
}

func stackToProto(s StackContext) (*pluginv1.StackContext, error) {
	cfg, err := configToProto(s.Config)
	if err != nil {
		return nil, err
	}
	out := &pluginv1.StackContext{
		Service: s.Service, Slot: s.Slot, Release: s.Release, StackDir: s.StackDir,
		ZeoAddress: s.ZEOAddress, ZeoStorages: s.ZEOStorages, Config: cfg,
	}
	for _, in := range s.Instances {
		out.Instances = append(out.Instances, instanceToProto(in))
	}
	return out, nil
}

func stackFromProto(p *pluginv1.StackContext) StackContext {
	s := StackContext{
		Service: p.GetService(), Slot: p.GetSlot(), Release: p.GetRelease(), StackDir: p.GetStackDir(),
		ZEOAddress: p.GetZeoAddress(), ZEOStorages: p.GetZeoStorages(), Config: configFromProto(p.GetConfig()),
	}
	for _, in := range p.GetInstances() {
		s.Instances = append(s.Instances, instanceFromProto(in))
	}
	return s
}

func filesToProto(files []File) []*pluginv1.File {
	out := make([]*pluginv1.File, 0, len(files))
	for _, f := range files {
		out = append(out, &pluginv1.File{Path: f.Path, Mode: f.Mode, Data: f.Data})
	}
	return out
}

func filesFromProto(p []*pluginv1.File) []File {
	out := make([]File, 0, len(p))
	for _, f := range p {
		out = append(out, File{Path: f.GetPath(), Mode: f.GetMode(), Data: f.GetData()})
	}
	return out
}

func checkRequestToProto(r CheckRequest) (*pluginv1.CheckRequest, error) {
	cfg, err := configToProto(r.Config)
	if err != nil {
		return nil, err
	}
	out := &pluginv1.CheckRequest{Service: r.Service, Slot: r.Slot, Config: cfg}
	for _, t := range r.Targets {
		out.Targets = append(out.Targets, &pluginv1.CheckTarget{Label: t.Label, Addr: t.Addr})
	}
	return out, nil
}

func checkRequestFromProto(p *pluginv1.CheckRequest) CheckRequest {
	r := CheckRequest{Service: p.GetService(), Slot: p.GetSlot(), Config: configFromProto(p.GetConfig())}
	for _, t := range p.GetTargets() {
		r.Targets = append(r.Targets, CheckTarget{Label: t.GetLabel(), Addr: t.GetAddr()})
	}
	return r
}

func checkResultToProto(r CheckResult) *pluginv1.CheckResponse {
	out := &pluginv1.CheckResponse{Ok: r.OK, Message: r.Message, Details: r.Details}
	if r.Duration != 0 {
		out.Duration = durationpb.New(r.Duration)
	}
	return out
}

// maxDurationSeconds is the most a time.Duration holds.
const maxDurationSeconds = int64(math.MaxInt64 / int64(time.Second))

// checkResultFromProto fails only on a duration that does not fit a
// time.Duration, which AsDuration would silently clamp.
func checkResultFromProto(p *pluginv1.CheckResponse) (CheckResult, error) {
	r := CheckResult{OK: p.GetOk(), Message: p.GetMessage(), Details: p.GetDetails()}
	if d := p.GetDuration(); d != nil {
		if err := d.CheckValid(); err != nil {
			return CheckResult{}, fmt.Errorf("duration: %w", err)
		}
		if s := d.GetSeconds(); s > maxDurationSeconds || s < -maxDurationSeconds {
			return CheckResult{}, fmt.Errorf("duration of %d seconds is out of range", s)
		}
		r.Duration = d.AsDuration()
	}
	return r, nil
}

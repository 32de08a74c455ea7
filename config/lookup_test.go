package config

import (
	"reflect"
	"testing"
)

func TestSlot_PortsCountFromBasePortOnePerInstance(t *testing.T) {
	s := Slot{Name: "blue", BasePort: 9101}
	if got := s.Port(1); got != 9101 {
		t.Errorf("Port(1) = %d, want 9101", got)
	}
	if got := s.Port(3); got != 9103 {
		t.Errorf("Port(3) = %d, want 9103", got)
	}
	if got := s.Ports(3); !reflect.DeepEqual(got, []int{9101, 9102, 9103}) {
		t.Errorf("Ports(3) = %v", got)
	}
	if got := s.Ports(0); len(got) != 0 {
		t.Errorf("Ports(0) = %v, want empty", got)
	}
}

func TestConfig_LooksUpServicesAndSlotsByName(t *testing.T) {
	cfg, _ := mustLoad(t, exampleConfig)
	s, ok := cfg.Service("demo")
	if !ok || s.Name != "demo" {
		t.Fatalf(`Service("demo") = %v, %v`, s, ok)
	}
	if _, ok := cfg.Service("nope"); ok {
		t.Error(`Service("nope") found`)
	}
	if sl, ok := s.Slot("green"); !ok || sl.BasePort != 9201 {
		t.Errorf(`Slot("green") = %v, %v`, sl, ok)
	}
	if _, ok := s.Slot("red"); ok {
		t.Error(`Slot("red") found`)
	}
	if got := s.SlotNames(); !reflect.DeepEqual(got, []string{"blue", "green"}) {
		t.Errorf("SlotNames() = %v", got)
	}
}

func TestConfig_LooksUpZEOServersByName(t *testing.T) {
	cfg, _ := mustLoad(t, exampleConfig)
	z, ok := cfg.ZEOServer("catalog")
	if !ok || z.Address != "/var/run/zeo/catalog.sock" {
		t.Fatalf(`ZEOServer("catalog") = %v, %v`, z, ok)
	}
	if !reflect.DeepEqual(z.Storages, []string{"1"}) {
		t.Errorf(`storages = %q, want ZEO's default ["1"]`, z.Storages)
	}
	if _, ok := cfg.ZEOServer("nope"); ok {
		t.Error(`ZEOServer("nope") found`)
	}
	s, _ := cfg.Service("demo")
	if z, ok := cfg.ZEOServer(s.ZEO); !ok || z.Name != "main" {
		t.Errorf("the service's ZEO server %q does not resolve: %v, %v", s.ZEO, z, ok)
	}
}

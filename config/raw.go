package config

import "github.com/hashicorp/hcl/v2"

// The raw* structs are what gohcl decodes the file into. Attributes stay
// hcl.Expression so that validation can point at the exact expression (or
// list element) at fault; gohcl would drop those ranges if it converted the
// values itself. Blocks keep their definition and label ranges for the same
// reason.

// Blocks that may appear once are slices all the same: gohcl drops a
// repeated block unchecked, while validation reports the repeat and still
// checks the contents of both.

type rawFile struct {
	Controllers []*rawController `hcl:"controller,block"`
	Proxies     []*rawProxy      `hcl:"proxy,block"`
	ZEOs        []*rawZEO        `hcl:"zeo,block"`
	Services    []*rawService    `hcl:"service,block"`
}

type rawController struct {
	StateDir     hcl.Expression `hcl:"state_dir,optional"`
	Socket       hcl.Expression `hcl:"socket,optional"`
	ReleasesDir  hcl.Expression `hcl:"releases_dir,optional"`
	KeepReleases hcl.Expression `hcl:"keep_releases,optional"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

type rawZEO struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	Address   hcl.Expression `hcl:"address,optional"`
	Storages  hcl.Expression `hcl:"storages,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawProxy struct {
	Listen         hcl.Expression `hcl:"listen,optional"`
	TrustedProxies hcl.Expression `hcl:"trusted_proxies,optional"`
	DefRange       hcl.Range      `hcl:",def_range"`
}

type rawService struct {
	Name         string         `hcl:"name,label"`
	NameRange    hcl.Range      `hcl:"name,label_range"`
	Hosts        hcl.Expression `hcl:"hosts,optional"`
	Default      hcl.Expression `hcl:"default,optional"`
	Instances    hcl.Expression `hcl:"instances,optional"`
	DrainTimeout hcl.Expression `hcl:"drain_timeout,optional"`
	ZEO          hcl.Expression `hcl:"zeo,optional"`
	Slots        []*rawSlot     `hcl:"slot,block"`
	Stacks       []*rawStack    `hcl:"stack,block"`
	DefRange     hcl.Range      `hcl:",def_range"`
}

type rawSlot struct {
	Name      string         `hcl:"name,label"`
	NameRange hcl.Range      `hcl:"name,label_range"`
	BasePort  hcl.Expression `hcl:"base_port,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawStack struct {
	Dir        hcl.Expression  `hcl:"dir,optional"`
	Command    hcl.Expression  `hcl:"command,optional"`
	Env        hcl.Expression  `hcl:"env,optional"`
	Grace      hcl.Expression  `hcl:"grace,optional"`
	Readies    []*rawReady     `hcl:"ready,block"`
	Templates  []*rawTemplate  `hcl:"template,block"`
	CrashLoops []*rawCrashLoop `hcl:"crash_loop,block"`
	Logs       []*rawLog       `hcl:"log,block"`
	DefRange   hcl.Range       `hcl:",def_range"`
}

type rawReady struct {
	Path     hcl.Expression `hcl:"path,optional"`
	Timeout  hcl.Expression `hcl:"timeout,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawTemplate struct {
	Source      hcl.Expression `hcl:"source,optional"`
	Destination hcl.Expression `hcl:"destination,optional"`
	DefRange    hcl.Range      `hcl:",def_range"`
}

type rawCrashLoop struct {
	MaxExits hcl.Expression `hcl:"max_exits,optional"`
	Within   hcl.Expression `hcl:"within,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

type rawLog struct {
	MaxSize  hcl.Expression `hcl:"max_size,optional"`
	Keep     hcl.Expression `hcl:"keep,optional"`
	DefRange hcl.Range      `hcl:",def_range"`
}

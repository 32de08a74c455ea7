package config

import (
	"path/filepath"
	"testing"
	"time"
)

func TestLoad_ReleasesDirFollowsStateDirAndZEOMayComeLast(t *testing.T) {
	stateDir := shortTempDir(t)
	cfg, _ := mustLoad(t, `
controller { state_dir = "`+stateDir+`" }
service "www" {
  default = true
  zeo     = "db"
  slot "blue" { base_port = 9101 }
  stack { command = ["app"] }
}
zeo "db" { address = "[::1]:8100" }
`)
	if want := filepath.Join(stateDir, "releases"); cfg.Controller.ReleasesDir != want {
		t.Errorf("ReleasesDir = %q, want %q", cfg.Controller.ReleasesDir, want)
	}
	if cfg.Services[0].ZEO != "db" || len(cfg.ZEO) != 1 || cfg.ZEO[0].Address != "[::1]:8100" {
		t.Errorf("ZEO = %q, servers %+v", cfg.Services[0].ZEO, cfg.ZEO)
	}
}

func TestLoad_SizesAreBinaryWhateverTheirSpelling(t *testing.T) {
	for size, want := range map[string]int64{
		`1048576`:   1 << 20,
		`"1048576"`: 1 << 20,
		`"100b"`:    100,
		`"512KB"`:   512 << 10,
		`"512kib"`:  512 << 10,
		`"512 K"`:   512 << 10,
		`"10MB"`:    10 << 20,
		`"10MiB"`:   10 << 20,
		`"10m"`:     10 << 20,
		`"1GB"`:     1 << 30,
		`"3GiB"`:    3 << 30,
	} {
		cfg, _ := mustLoad(t, stackWith("    log { max_size = "+size+" }\n"))
		if got := cfg.Services[0].Stack.Log; got.MaxSize != want || got.Keep != 3 {
			t.Errorf("max_size = %s: got %+v, want MaxSize %d and the default Keep 3", size, got, want)
		}
	}
}

func TestLoad_PartialBlocksKeepTheirOtherDefaults(t *testing.T) {
	cfg, _ := mustLoad(t, stackWith("    crash_loop { within = \"5m\" }\n    log { keep = 10 }\n"))
	st := cfg.Services[0].Stack
	if want := (CrashLoop{MaxExits: 5, Within: 5 * time.Minute}); st.CrashLoop != want {
		t.Errorf("CrashLoop = %+v, want %+v", st.CrashLoop, want)
	}
	if want := (LogRotation{MaxSize: 10 << 20, Keep: 10}); st.Log != want {
		t.Errorf("Log = %+v, want %+v", st.Log, want)
	}
}

package config

import (
	"net/netip"
	"reflect"
	"syscall"
	"testing"
	"time"
)

func TestLoad_ReadsTheCacheJobAndRestartBlocks(t *testing.T) {
	cfg, _ := mustLoad(t, serviceWith(`
  cache {
    max_size    = "512MB"
    default_ttl = "30s"
    purge_from  = ["10.0.0.0/8", "::1"]
  }
  job "maildrop" {
    command  = ["bin/maildrop", "--spool", "var/spool"]
    env      = { QUEUE = "mail" }
    run_with = "live"
    grace    = "3s"
    drain {
      file_empty = "var/maildrop/spool/"
      signal     = "SIGUSR1"
      interval   = "200ms"
      timeout    = "2m"
    }
  }
  job "clock" {
    command = ["bin/clock"]
    drain { command = ["bin/idle"] }
  }
  restart { schedule = "daily 04:30" }
`))
	s := cfg.Services[0]
	wantCache := &Cache{MaxSize: 512 << 20, DefaultTTL: 30 * time.Second,
		PurgeFrom: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	if !reflect.DeepEqual(s.Cache, wantCache) {
		t.Errorf("cache = %+v, want %+v", s.Cache, wantCache)
	}
	wantJobs := []Job{
		{Name: "maildrop", Command: []string{"bin/maildrop", "--spool", "var/spool"}, Env: map[string]string{"QUEUE": "mail"}, Grace: 3 * time.Second,
			Drain: JobDrain{FileEmpty: "var/maildrop/spool", Signal: syscall.SIGUSR1, Interval: 200 * time.Millisecond, Timeout: 2 * time.Minute}},
		{Name: "clock", Command: []string{"bin/clock"}, Env: map[string]string{}, Grace: defaultJobGrace,
			Drain: JobDrain{Command: []string{"bin/idle"}, Interval: defaultJobDrainInterval, Timeout: defaultJobDrainTimeout}},
	}
	if !reflect.DeepEqual(s.Jobs, wantJobs) {
		t.Errorf("jobs = %+v,\nwant %+v", s.Jobs, wantJobs)
	}
	if s.Restart == nil || s.Restart.Schedule != "daily 04:30" {
		t.Errorf("restart = %+v, want the schedule as written", s.Restart)
	}
}

func TestLoad_AnEmptyCacheBlockHasBoundsAndLetsOnlyLoopbackPurge(t *testing.T) {
	cfg, _ := mustLoad(t, serviceWith("  cache {}\n"))
	want := &Cache{MaxSize: defaultCacheMaxSize, PurgeFrom: loopback}
	if got := cfg.Services[0].Cache; !reflect.DeepEqual(got, want) {
		t.Errorf("cache = %+v, want %+v", got, want)
	}
	cfg, _ = mustLoad(t, serviceWith(""))
	if s := cfg.Services[0]; s.Cache != nil || s.Jobs != nil || s.Restart != nil {
		t.Errorf("a service without the blocks has cache %v, jobs %v, restart %v; want none", s.Cache, s.Jobs, s.Restart)
	}
}

func TestParseSchedule_ReadsWordsCrontabAndDescriptors(t *testing.T) {
	from := time.Date(2026, 12, 4, 10, 0, 0, 0, time.Local)
	for spec, want := range map[string]time.Time{
		"daily 04:30":  time.Date(2026, 12, 5, 4, 30, 0, 0, time.Local),
		"daily 4:05":   time.Date(2026, 12, 5, 4, 5, 0, 0, time.Local),
		"daily 23:59":  time.Date(2026, 12, 4, 23, 59, 0, 0, time.Local),
		"30 4 * * 1-5": time.Date(2026, 12, 7, 4, 30, 0, 0, time.Local), // the 5th and 6th are a weekend
		"@every 6h":    from.Add(6 * time.Hour),
		"@hourly":      time.Date(2026, 12, 4, 11, 0, 0, 0, time.Local),
	} {
		s, err := ParseSchedule(spec)
		if err != nil {
			t.Errorf("%q: %v", spec, err)
			continue
		}
		if got := s.Next(from); !got.Equal(want) {
			t.Errorf("%q: next after %s is %s, want %s", spec, from, got, want)
		}
	}
}

func TestParse_ReportsEveryBadDutySettingAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "cache size that is not a size",
			src:  serviceWith("  cache { max_size = \"lots\" }\n"),
			want: []wantDiag{{5, 22, `Invalid size; "lots" is not a size`}},
		},
		{
			name: "negative default_ttl",
			src:  serviceWith("  cache { default_ttl = \"-1s\" }\n"),
			want: []wantDiag{{5, 25, `The duration must not be negative`}},
		},
		{
			name: "purge_from that is not an address",
			src:  serviceWith("  cache { purge_from = [\"localhost\"] }\n"),
			want: []wantDiag{{5, 25, `"localhost" is neither an IP address nor a CIDR prefix`}},
		},
		{
			name: "two cache blocks",
			src:  serviceWith("  cache {}\n  cache {}\n"),
			want: []wantDiag{{6, 3, `Duplicate cache block`}},
		},
		{
			name: "job without a command",
			src:  serviceWith("  job \"mail\" {}\n"),
			want: []wantDiag{{5, 3, `Job "mail" needs the command that runs it`}},
		},
		{
			name: "two jobs of one name",
			src:  serviceWith("  job \"mail\" { command = [\"a\"] }\n  job \"mail\" { command = [\"b\"] }\n"),
			want: []wantDiag{{6, 7, `Job "mail" is already defined (first defined at {file}:5)`}},
		},
		{
			name: "job name that cannot be a file name",
			src:  serviceWith("  job \"Mail Queue\" { command = [\"a\"] }\n"),
			want: []wantDiag{{5, 7, `Invalid job name`}},
		},
		{
			name: "run_with other than live",
			src:  serviceWith("  job \"mail\" {\n    command  = [\"a\"]\n    run_with = \"all\"\n  }\n"),
			want: []wantDiag{{7, 16, `run_with = "all" is not known`}},
		},
		{
			name: "drain with both conditions",
			src:  serviceWith("  job \"mail\" {\n    command = [\"a\"]\n    drain {\n      command    = [\"b\"]\n      file_empty = \"spool\"\n    }\n  }\n"),
			want: []wantDiag{{9, 20, `A drain waits for one condition`}},
		},
		{
			name: "file_empty outside the stack dir",
			src:  serviceWith("  job \"mail\" {\n    command = [\"a\"]\n    drain { file_empty = \"../spool\" }\n  }\n"),
			want: []wantDiag{{7, 26, `"../spool" must be a path relative to the stack dir`}},
		},
		{
			name: "drain signal that would kill the job",
			src:  serviceWith("  job \"mail\" {\n    command = [\"a\"]\n    drain { signal = \"KILL\" }\n  }\n"),
			want: []wantDiag{{7, 22, `"KILL" is not a signal a drain may send`}},
		},
		{
			name: "restart without a schedule",
			src:  serviceWith("  restart {}\n"),
			want: []wantDiag{{5, 3, `A restart block says when the live slot is restarted`}},
		},
		{
			name: "schedule that is not one",
			src:  serviceWith("  restart { schedule = \"daily 25:00\" }\n"),
			want: []wantDiag{{5, 24, `"daily 25:00" is not a schedule`}},
		},
	})
}

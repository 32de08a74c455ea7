package zope

import (
	"errors"
	"strings"
	"testing"

	"deploy/config"
)

func TestRender_RefusesValuesThatWouldBreakTheFilesAndNamesThem(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*config.Zope, *Instance)
		want   error
		value  string // as %q shows it in the error
	}{
		{"newline in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/var\n1" }, ErrUnsafeValue, `"/srv/var\n1"`},
		{"carriage return in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/var\r1" }, ErrUnsafeValue, `"/srv/var\r1"`},
		{"section start in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/<zeo>" }, ErrUnsafeValue, `"/srv/<zeo>"`},
		{"substitution in stack dir", func(_ *config.Zope, in *Instance) { in.StackDir = "/srv/$HOME" }, ErrUnsafeValue, `"/srv/$HOME"`},
		{"interpolation in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/%(here)s" }, ErrUnsafeValue, `"/srv/%(here)s"`},
		{"line separator in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/a\u2028b" }, ErrUnsafeValue, `"/srv/a\u2028b"`},
		{"trailing space in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/var " }, ErrUnsafeValue, `"/srv/var "`},
		{"not UTF-8 in var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "/srv/\xff" }, ErrUnsafeValue, `"/srv/\xff"`},
		{"relative var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "var/1" }, ErrInvalid, `"var/1"`},
		{"relative stack dir", func(_ *config.Zope, in *Instance) { in.StackDir = "releases/r7" }, ErrInvalid, `"releases/r7"`},
		{"empty var dir", func(_ *config.Zope, in *Instance) { in.VarDir = "" }, ErrInvalid, "var dir is empty"},
		{"blob dir climbing out", func(z *config.Zope, _ *Instance) { z.BlobDir = "../blobs" }, ErrInvalid, `"../blobs"`},
		{"absolute blob dir", func(z *config.Zope, _ *Instance) { z.BlobDir = "/blobs" }, ErrInvalid, `"/blobs"`},
		{"directive in blob dir", func(z *config.Zope, _ *Instance) { z.BlobDir = "%include" }, ErrUnsafeValue, `"%include"`},
		{"relative shared blob dir", func(z *config.Zope, _ *Instance) { z.SharedBlobDir = "blobs" }, ErrInvalid, `"blobs"`},
		{"section end in shared blob dir", func(z *config.Zope, _ *Instance) { z.SharedBlobDir = "/srv/</zeoclient>" }, ErrUnsafeValue, `"/srv/</zeoclient>"`},
		{"space in mount name", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = "session db" }, ErrUnsafeValue, `"session db"`},
		{"section end in mount name", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = "s>" }, ErrUnsafeValue, `"s>"`},
		{"slash in mount name", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = "a/b" }, ErrUnsafeValue, `"a/b"`},
		{"dot-dot mount name", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = ".." }, ErrInvalid, `".."`},
		{"empty mount name", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = "" }, ErrInvalid, `mount name ""`},
		{"names equal but for case", func(z *config.Zope, _ *Instance) { z.Mounts[1].Name = "Main" }, ErrInvalid, `"Main"`},
		{"mount point without slash", func(z *config.Zope, _ *Instance) { z.Mounts[1].Path = "session_folder" }, ErrInvalid, `"session_folder"`},
		{"space in mount point", func(z *config.Zope, _ *Instance) { z.Mounts[1].Path = "/a b" }, ErrInvalid, `"/a b"`},
		{"newline in mount point", func(z *config.Zope, _ *Instance) { z.Mounts[1].Path = "/a\n</zodb_db>" }, ErrUnsafeValue, `"/a\n</zodb_db>"`},
		{"one mount point twice", func(z *config.Zope, _ *Instance) { z.Mounts[1].Path = "/" }, ErrInvalid, `mount point "/" is also the mount point of "main"`},
		{"no root database", func(z *config.Zope, _ *Instance) { z.Mounts = z.Mounts[1:] }, ErrInvalid, `no mount at "/"`},
		{"no mounts", func(z *config.Zope, _ *Instance) { z.Mounts = nil }, ErrInvalid, `no mount at "/"`},
		{"ZEO address without port", func(_ *config.Zope, in *Instance) { in.ZEOAddress = "127.0.0.1" }, ErrInvalid, `"127.0.0.1"`},
		{"ZEO address with port 0", func(_ *config.Zope, in *Instance) { in.ZEOAddress = "zeo:0" }, ErrInvalid, `"zeo:0"`},
		{"relative ZEO socket", func(_ *config.Zope, in *Instance) { in.ZEOAddress = "var/zeo.sock" }, ErrInvalid, `"var/zeo.sock"`},
		{"second line in ZEO address", func(_ *config.Zope, in *Instance) { in.ZEOAddress = "zeo:8100\nread-only true" }, ErrUnsafeValue, `"zeo:8100\nread-only true"`},
		{"space in ZEO address", func(_ *config.Zope, in *Instance) { in.ZEOAddress = "zeo:8100 zeo2:8100" }, ErrUnsafeValue, `"zeo:8100 zeo2:8100"`},
		{"port 0", func(_ *config.Zope, in *Instance) { in.Port = 0 }, ErrInvalid, "port 0"},
		{"port 65536", func(_ *config.Zope, in *Instance) { in.Port = 65536 }, ErrInvalid, "port 65536"},
		{"index 0", func(_ *config.Zope, in *Instance) { in.Index = 0 }, ErrInvalid, "instance index 0"},
		{"negative cache size", func(z *config.Zope, _ *Instance) { z.CacheSize = -1 }, ErrInvalid, "ZEO cache size -1"},
		{"negative object cache", func(z *config.Zope, _ *Instance) { z.ObjectCache = -1 }, ErrInvalid, "object cache -1"},
		{"negative threads", func(z *config.Zope, _ *Instance) { z.Threads = -1 }, ErrInvalid, "threads -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z, in := siteZope(), siteInstance("blue", 9101, 1)
			tc.change(&z, &in)
			conf, ini, err := Render(z, in)
			if err == nil {
				t.Fatalf("Render succeeded:\n%s\n%s", conf, ini)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q is not %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.value) {
				t.Errorf("error %q does not name %s", err, tc.value)
			}
			if conf != nil || ini != nil {
				t.Error("Render returned content with its error")
			}
		})
	}
}

func TestRender_ReportsEveryProblemAtOnce(t *testing.T) {
	z, in := siteZope(), siteInstance("blue", 9101, 1)
	in.VarDir, in.Port, z.Mounts[1].Name = "relative", 0, "bad name"
	_, _, err := Render(z, in)
	for _, want := range []string{`var dir "relative"`, "port 0", `mount name "bad name"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestRender_AcceptsAUnixSocketAndIPv6Addresses(t *testing.T) {
	for _, addr := range []string{"/run/zeo/site.sock", "[::1]:8100", "zeo.example.org:8100"} {
		in := siteInstance("blue", 9101, 1)
		in.ZEOAddress = addr
		conf, _, err := Render(siteZope(), in)
		if err != nil {
			t.Errorf("%s: %v", addr, err)
			continue
		}
		if got := confValues(conf, "server"); len(got) != 2 || got[0] != addr {
			t.Errorf("%s: server lines %q", addr, got)
		}
	}
}

package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// zeoMain is a valid zeo block of two storages; it takes lines 1-4.
const zeoMain = `zeo "main" {
  address  = "127.0.0.1:8100"
  storages = ["main", "session"]
}
`

// zopeService is a valid zope service of zeoMain whose body ends with body,
// which starts on line 11.
func zopeService(body string) string {
	return zeoMain + `service "a" {
  hosts  = ["a.test"]
  zeo    = "main"
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack {}
` + body + `}
`
}

// zopeWith is zopeService with a zope block whose contents are body, which
// starts on line 12.
func zopeWith(body string) string {
	return zopeService("  zope {\n" + body + "  }\n")
}

// rootMount is the mount of a zope block for cases whose problem lies
// elsewhere; it takes 3 lines.
const rootMount = `    mount "main" {
      path = "/"
    }
`

// managedWith is a valid configuration with a managed zeo block whose
// contents are body, which starts on line 4.
func managedWith(body string) string {
	return `zeo "main" {
  address = "127.0.0.1:8100"
  managed {
` + body + `  }
}
` + okService
}

func TestParse_ReportsEveryBadZopeSettingAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "unknown driver",
			src:  serviceWith("  driver = \"docker\"\n"),
			want: []wantDiag{{5, 12, `Unknown driver; "docker" is not a driver; the drivers are "command", "zope"`}},
		},
		{
			name: "unknown driver asks for no command and no zope block",
			src: `service "a" {
  hosts  = ["a.test"]
  driver = "zop"
  slot "blue" { base_port = 9101 }
  stack {}
  zope {
    mount "main" {
      path = "/"
    }
  }
}`,
			want: []wantDiag{{3, 12, `Unknown driver`}},
		},
		{
			name: "command driver still needs a command",
			src: `service "a" {
  hosts  = ["a.test"]
  driver = "command"
  slot "blue" { base_port = 9101 }
  stack {}
}`,
			want: []wantDiag{{5, 3, `Missing command; The stack needs a command`}},
		},
		{
			name: "zope driver without a stack block",
			src: zeoMain + `service "a" {
  hosts  = ["a.test"]
  zeo    = "main"
  driver = "zope"
  slot "blue" { base_port = 9101 }
` + "  zope {\n" + rootMount + "  }\n}\n",
			want: []wantDiag{{5, 1, `Missing stack block; Service "a" needs a stack block that says how to run it, such as stack { dir = "." }.`}},
		},
		{
			name: "zope block with the default command driver",
			src:  serviceWith("  zope {\n" + rootMount + "  }\n"),
			want: []wantDiag{{5, 3, `Zope block without the zope driver; The zope block configures the zope driver, but service "a" uses the command driver. Set driver = "zope"`}},
		},
		{
			name: "zope driver without a zeo server",
			src: `service "a" {
  hosts  = ["a.test"]
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack {}
  zope {
    mount "main" {
      path = "/"
    }
  }
}`,
			want: []wantDiag{{3, 12, `Zope needs a ZEO server; Service "a" uses the zope driver, whose instances keep their data in a ZEO server: define one, such as zeo "main" { address = "127.0.0.1:8100" }, and set zeo = "main" on the service.`}},
		},
		{
			name: "zope driver without a zeo setting names the zeo blocks",
			src: zeoMain + `service "a" {
  hosts  = ["a.test"]
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack {}
  zope {
    mount "main" {
      path = "/"
    }
  }
}`,
			want: []wantDiag{{7, 12, `name its zeo block with zeo = "NAME"; the zeo blocks are "main".`}},
		},
		{
			name: "zope driver without a zope block",
			src:  zopeService(""),
			want: []wantDiag{{8, 12, `Missing zope block; Service "a" uses the zope driver, which needs a zope block that mounts the site's databases, with at least mount "main" { path = "/" }`}},
		},
		{
			name: "unknown zeo server is not reported again by the mounts",
			src: zeoMain + `service "a" {
  hosts  = ["a.test"]
  zeo    = "mian"
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack {}
  zope {
    mount "main" {
      path = "/"
    }
  }
}`,
			want: []wantDiag{{7, 12, `Unknown zeo server; No zeo block is named "mian"; the known ones are "main".`}},
		},
		{
			name: "bad storages of the zeo block are not reported again by the mounts",
			src: `zeo "main" {
  address  = "127.0.0.1:8100"
  storages = ["main", ""]
}
service "a" {
  hosts  = ["a.test"]
  zeo    = "main"
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack {}
  zope {
    mount "temp" {
      path = "/"
    }
  }
}`,
			want: []wantDiag{{3, 23, `Empty storage name`}},
		},
		{
			name: "two zope blocks are reported and both are checked",
			src:  zopeService("  zope {\n" + rootMount + "  }\n  zope {\n    threads = 0\n  }\n"),
			want: []wantDiag{
				{16, 3, `Duplicate zope block; Only one zope block is allowed here; the first is at {file}:11`},
				{16, 3, `Missing mount`},
				{17, 15, `Invalid threads; threads must be from 1 to 256; it is 0.`},
			},
		},
		{
			name: "no mount",
			src:  zopeWith("    threads = 2\n"),
			want: []wantDiag{{11, 3, `Missing mount; The zope block needs at least one mount, for the root database of the site: add mount "main" { path = "/" }, named after a storage of the service's ZEO server.`}},
		},
		{
			name: "mount of a storage the zeo server does not serve",
			src:  zopeWith(rootMount + "    mount \"catalog\" {\n      path = \"/catalog\"\n    }\n"),
			want: []wantDiag{{15, 11, `Unknown storage; ZEO server "main" serves no storage "catalog"; its storages are "main", "session". Name the mount after one of them`}},
		},
		{
			name: "storage mounted twice",
			src:  zopeWith(rootMount + "    mount \"main\" {\n      path = \"/again\"\n    }\n"),
			want: []wantDiag{{15, 11, `Duplicate mount; Storage "main" is already mounted at {file}:12; mount each storage once.`}},
		},
		{
			name: "storages mounted under names that differ only in case",
			src: strings.Replace(zopeWith(rootMount+"    mount \"Main\" {\n      path = \"/other\"\n    }\n"),
				`storages = ["main", "session"]`, `storages = ["main", "Main"]`, 1),
			want: []wantDiag{{15, 11, `Duplicate mount; Storage "Main" is already mounted as "main" at {file}:12, and Zope's configuration ignores case in database names; mount only one of them.`}},
		},
		{
			name: "mount without a path",
			src:  zopeWith(rootMount + "    mount \"session\" {\n    }\n"),
			want: []wantDiag{{15, 5, `Missing path; Mount "session" needs a path: "/" for the root database, or where the database appears in the site, such as path = "/session".`}},
		},
		{
			name: "mount path without a leading slash",
			src:  zopeWith(rootMount + "    mount \"session\" {\n      path = \"session\"\n    }\n"),
			want: []wantDiag{{16, 14, `Invalid mount path; "session" must start with "/": it is a path in the Zope object tree, such as "/" or "/temp_folder".`}},
		},
		{
			name: "two mounts at the root",
			src:  zopeWith(rootMount + "    mount \"session\" {\n      path = \"/\"\n    }\n"),
			want: []wantDiag{{16, 14, `Duplicate root mount; Mount "main" (at {file}:12) is already the root database, and there is exactly one. Give mount "session" a path of its own, such as path = "/session".`}},
		},
		{
			name: "two mounts at one path",
			src: zopeWith(`    mount "main" {
      path = "/data"
    }
    mount "session" {
      path = "/data"
    }
    mount "1" {
      path = "/"
    }
`),
			want: []wantDiag{
				{16, 14, `Duplicate mount path; Mount "main" (at {file}:12) already has this path`},
				{18, 11, `Unknown storage; ZEO server "main" serves no storage "1"`},
			},
		},
		{
			name: "no mount at the root",
			src:  zopeWith("    mount \"session\" {\n      path = \"/session_folder\"\n    }\n"),
			want: []wantDiag{{11, 3, `Missing root mount; One mount must have path = "/": the root database of the site, usually the main storage, such as mount "session" { path = "/" }.`}},
		},
		{
			name: "an invalid mount path may have been meant as the root",
			src:  zopeWith("    mount \"main\" {\n      path = \"\"\n    }\n"),
			want: []wantDiag{{13, 14, `Invalid mount path; "" must start with "/"`}},
		},
		{
			name: "cache_size below 1MB",
			src:  zopeWith(rootMount + "    cache_size = \"512KB\"\n"),
			want: []wantDiag{{15, 18, `Invalid cache_size; The ZEO client cache must be at least 1MB; it is 524288 bytes. Write a size with its unit, such as "256MB".`}},
		},
		{
			name: "cache_size not a size",
			src:  zopeWith(rootMount + "    cache_size = \"lots\"\n"),
			want: []wantDiag{{15, 18, `Invalid size; "lots" is not a size.`}},
		},
		{
			name: "object_cache of zero",
			src:  zopeWith(rootMount + "    object_cache = 0\n"),
			want: []wantDiag{{15, 20, `Invalid object_cache; object_cache must be from 1 to 10000000; it is 0.`}},
		},
		{
			name: "threads beyond the limit",
			src:  zopeWith(rootMount + "    threads = 300\n"),
			want: []wantDiag{{15, 15, `Invalid threads; threads must be from 1 to 256; it is 300.`}},
		},
		{
			name: "blob_dir that leaves the var dir",
			src:  zopeWith(rootMount + "    blob_dir = \"var/../../blobs\"\n"),
			want: []wantDiag{{15, 16, `Invalid blob_dir; "var/../../blobs" must be a directory inside each instance's var dir, written relative to it without "..", such as "blobs".`}},
		},
		{
			name: "blob_dir that is the var dir",
			src:  zopeWith(rootMount + "    blob_dir = \"./\"\n"),
			want: []wantDiag{{15, 16, `Invalid blob_dir; "./" must be a directory inside each instance's var dir`}},
		},
		{
			name: "absolute blob_dir",
			src:  zopeWith(rootMount + "    blob_dir = \"/srv/blobs\"\n"),
			want: []wantDiag{{15, 16, `Invalid blob_dir; "/srv/blobs" is absolute, but blob_dir is a directory of each instance's own, relative to its var dir, such as "blobs". For one directory every instance shares, write shared_blob_dir = "/srv/blobs" instead.`}},
		},
		{
			name: "relative shared_blob_dir",
			src:  zopeWith(rootMount + "    shared_blob_dir = \"blobs\"\n"),
			want: []wantDiag{{15, 23, `Invalid shared_blob_dir; "blobs" must be an absolute path, such as "/srv/zope/blobs", since every instance uses it; for a directory of each instance's own, write blob_dir = "blobs" instead.`}},
		},
		{
			name: "blob_dir and shared_blob_dir",
			src:  zopeWith(rootMount + "    shared_blob_dir = \"/srv/blobs\"\n    blob_dir        = \"blobs\"\n"),
			want: []wantDiag{{16, 23, `Conflicting blob directories; The zope block already sets shared_blob_dir at {file}:15; instances keep their blobs either each in its own blob_dir or all in one shared_blob_dir. Remove one.`}},
		},
		{
			name: "empty zope command",
			src:  zopeWith(rootMount + "    command = []\n"),
			want: []wantDiag{{15, 15, `Empty command; List the program and its arguments, such as command = ["bin/runwsgi", "-v"].`}},
		},
		{
			name: "zope command without a program",
			src:  zopeWith(rootMount + "    command = [\"\", \"-v\"]\n"),
			want: []wantDiag{{15, 16, `Empty program`}},
		},
		{
			name: "commands of both the stack and the zope block",
			src: zeoMain + `service "a" {
  hosts  = ["a.test"]
  zeo    = "main"
  driver = "zope"
  slot "blue" { base_port = 9101 }
  stack { command = ["bin/instance"] }
  zope {
` + rootMount + `    command = ["bin/runwsgi"]
  }
}`,
			want: []wantDiag{{15, 15, `Conflicting commands; The stack already sets a command at {file}:10; a Zope service's command is written once, in its zope block, or left out to run Zope's WSGI server. Remove one of the two.`}},
		},
	})
}

func TestParse_ReportsEveryBadVirtualHostAtTheOffendingExpression(t *testing.T) {
	// vh is a service whose virtual_host block holds setting, on line 6.
	vh := func(setting string) string {
		return serviceWith("  virtual_host {\n    " + setting + "\n  }\n")
	}
	runDiagCases(t, []diagCase{
		{
			name: "virtual_host without root",
			src:  vh(`path_prefix = "/intranet"`),
			want: []wantDiag{{5, 3, `Missing root; The virtual_host block needs root, the path of the site in the Zope object tree, such as root = "/Plone"; write "/" when the site is Zope's root.`}},
		},
		{
			name: "root without a leading slash",
			src:  vh(`root = "Plone"`),
			want: []wantDiag{{6, 12, `Invalid root; "Plone" must start with "/": it is a path in the Zope object tree, such as "/Plone".`}},
		},
		{
			name: "root with a trailing slash",
			src:  vh(`root = "/Plone/"`),
			want: []wantDiag{{6, 12, `Invalid root; "/Plone/" must not end with "/"; write "/Plone".`}},
		},
		{
			name: "root with an empty segment",
			src:  vh(`root = "/sites//Plone"`),
			want: []wantDiag{{6, 12, `Invalid root; "/sites//Plone" has an empty segment ("//"); write "/sites/Plone".`}},
		},
		{
			name: "root with a parent segment",
			src:  vh(`root = "/sites/../Plone"`),
			want: []wantDiag{{6, 12, `Invalid root; "/sites/../Plone" has a ".." segment; write the path of the object itself, such as "/Plone".`}},
		},
		{
			name: "root with a space",
			src:  vh(`root = "/my site"`),
			want: []wantDiag{{6, 12, `Invalid root; "/my site" holds " ", which a Zope path cannot: write ids of printable ASCII without spaces, "?" or "#", such as "/Plone".`}},
		},
		{
			name: "root with a query",
			src:  vh(`root = "/Plone?x=1"`),
			want: []wantDiag{{6, 12, `"/Plone?x=1" holds "?", which a Zope path cannot`}},
		},
		{
			name: "root beyond ASCII",
			src:  vh(`root = "/Plöne"`),
			want: []wantDiag{{6, 12, `"/Plöne" holds "ö", which a Zope path cannot`}},
		},
		{
			name: "path_prefix of the root",
			src:  serviceWith("  virtual_host {\n    root        = \"/Plone\"\n    path_prefix = \"/\"\n  }\n"),
			want: []wantDiag{{7, 19, `Invalid path_prefix; path_prefix = "/" adds nothing. Remove it, or write the path the site appears under, such as "/intranet".`}},
		},
		{
			name: "path_prefix without a leading slash",
			src:  serviceWith("  virtual_host {\n    root        = \"/Plone\"\n    path_prefix = \"intranet#top\"\n  }\n"),
			want: []wantDiag{{7, 19, `Invalid path_prefix; "intranet#top" must start with "/"`}},
		},
		{
			name: "two virtual_host blocks",
			src:  serviceWith("  virtual_host {\n    root = \"/a\"\n  }\n  virtual_host {\n    root = \"/b\"\n  }\n"),
			want: []wantDiag{{8, 3, `Duplicate virtual_host block; Only one virtual_host block is allowed here; the first is at {file}:5`}},
		},
	})
}

func TestParse_ReportsEveryBadZEOCheckAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "zeo check of a service without a zeo server",
			src:  serviceWith("  check \"db\" {\n    zeo {}\n  }\n"),
			want: []wantDiag{{6, 5, `ZEO check without a ZEO server; Check "db" probes the service's ZEO server, but service "a" names none. Set zeo = "NAME" on the service, or check something else.`}},
		},
		{
			name: "zeo check of an unknown zeo server is not reported again",
			src:  serviceWith("  zeo = \"main\"\n  check \"db\" {\n    zeo {}\n  }\n"),
			want: []wantDiag{{5, 9, `Unknown zeo server; No zeo block is named "main"; there is none.`}},
		},
		{
			name: "zeo and tcp in one check",
			src:  zopeService("  zope {\n" + rootMount + "  }\n  check \"db\" {\n    zeo {}\n    tcp {}\n  }\n"),
			want: []wantDiag{{18, 5, `Conflicting check kinds; Check "db" already has a zeo block at {file}:17; a check has exactly one of http, tcp, zeo or command.`}},
		},
		{
			name: "zeo check with a setting",
			src:  zopeService("  zope {\n" + rootMount + "  }\n  check \"db\" {\n    zeo {\n      storage = \"main\"\n    }\n  }\n"),
			want: []wantDiag{{18, 7, `An argument named "storage" is not expected here`}},
		},
		{
			name: "two zeo blocks in one check",
			src:  zopeService("  zope {\n" + rootMount + "  }\n  check \"db\" {\n    zeo {}\n    zeo {}\n  }\n"),
			want: []wantDiag{{18, 5, `Duplicate zeo block; Only one zeo block is allowed here; the first is at {file}:17`}},
		},
	})
}

func TestParse_ReportsEveryBadManagedZEOAtTheOffendingExpression(t *testing.T) {
	cmd := "    command = [\"bin/runzeo\"]\n"
	// A case's configuration is parsed from memory, in an empty directory,
	// so files are named by their absolute path.
	file, err := filepath.Abs(filepath.Join("testdata", "zeo.conf.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(filepath.Dir(file), "zeo_broken.conf.tmpl")
	runDiagCases(t, []diagCase{
		{
			name: "managed without a command",
			src:  managedWith("    dir = \".\"\n"),
			want: []wantDiag{{3, 3, `Missing command; The managed block needs the command that runs ZEO server "main", such as command = ["bin/runzeo", "-C", "zeo.conf"]`}},
		},
		{
			name: "managed command without a program",
			src:  managedWith("    command = [\"\"]\n"),
			want: []wantDiag{{4, 16, `Empty program; The first element of command is the program to run and must not be empty, such as command = ["bin/runzeo", "-C", "zeo.conf"].`}},
		},
		{
			name: "managed server on a Unix socket",
			src: `zeo "main" {
  address = "/run/zeo.sock"
  managed {
    command = ["bin/runzeo"]
  }
}` + okService,
			want: []wantDiag{{2, 13, `Managed ZEO server on a socket; The controller supervises a managed ZEO server on its TCP port, so "/run/zeo.sock" cannot be used; write a "host:port" address, such as "127.0.0.1:8100".`}},
		},
		{
			name: "managed server on the proxy's port",
			src: `zeo "main" {
  address = "127.0.0.1:8080"
  managed {
    command = ["bin/runzeo"]
  }
}` + okService,
			want: []wantDiag{{2, 13, `Port collision; Port 8080 of managed ZEO server "main" is already taken by proxy listen address "127.0.0.1:8080". Choose another port for the server.`}},
		},
		{
			name: "slot on a managed server's port",
			src: managedWith(cmd) + `service "b" {
  hosts = ["b.test"]
  slot "blue" { base_port = 8099 }
  instances = 2
  stack { command = ["app"] }
}`,
			want: []wantDiag{{15, 29, `Port collision; ports 8099-8100 of service "b" slot "blue" overlap zeo "main" (8100).`}},
		},
		{
			name: "managed dir is a file",
			src:  managedWith(cmd + "    dir     = \"" + file + "\"\n"),
			want: []wantDiag{{5, 15, "ZEO directory is a file; " + file + " is not a directory. Set dir to the directory the command runs in."}},
		},
		{
			name: "config_template that does not exist",
			src:  managedWith(cmd + "    config_template = \"zeo.conf.tmpl\"\n"),
			want: []wantDiag{{5, 23, `Cannot read config_template; stat {dir}/zeo.conf.tmpl: no such file or directory. Write the path of a text/template file, relative to the configuration file's directory or absolute, or remove config_template to use the built-in zeo.conf.`}},
		},
		{
			name: "config_template that is a directory",
			src:  managedWith(cmd + "    config_template = \".\"\n"),
			want: []wantDiag{{5, 23, `config_template is not a file; {dir} is not a regular file.`}},
		},
		{
			name: "config_template that does not parse",
			src:  managedWith(cmd + "    config_template = \"" + broken + "\"\n"),
			want: []wantDiag{{5, 23, "Invalid config_template; " + broken + " is not a valid text/template: zeo_broken.conf.tmpl:2: function \"quote\" not defined. Fix the template."}},
		},
		{
			name: "invalidation_queue_size of zero",
			src:  managedWith(cmd + "    invalidation_queue_size = 0\n"),
			want: []wantDiag{{5, 31, `Invalid invalidation_queue_size; invalidation_queue_size must be from 1 to 10000000; it is 0. Remove the setting to keep the server's default.`}},
		},
		{
			name: "transaction_timeout of zero",
			src:  managedWith(cmd + "    transaction_timeout = \"0s\"\n"),
			want: []wantDiag{{5, 27, `Invalid duration; The duration must be greater than zero`}},
		},
		{
			name: "transaction_timeout of a fraction of a second",
			src:  managedWith(cmd + "    transaction_timeout = \"1500ms\"\n"),
			want: []wantDiag{{5, 27, `Invalid transaction_timeout; zeo.conf counts transaction-timeout in whole seconds; 1.5s is not. Write such as "300s" or "5m".`}},
		},
		{
			name: "two managed blocks",
			src: `zeo "main" {
  address = "127.0.0.1:8100"
  managed {
    command = ["bin/runzeo"]
  }
  managed {
    command = ["bin/runzeo"]
  }
}` + okService,
			want: []wantDiag{{6, 3, `Duplicate managed block; Only one managed block is allowed here; the first is at {file}:3`}},
		},
		{
			name: "pack without a command",
			src:  managedWith(cmd + "    pack {\n      schedule = \"daily\"\n    }\n"),
			want: []wantDiag{{5, 5, `Missing command; The pack block needs the command that packs one storage, such as command = ["bin/zeopack"]; it runs once per storage with $STORAGE and $DAYS set.`}},
		},
		{
			name: "pack without a schedule",
			src:  managedWith(cmd + "    pack {\n      command = [\"bin/zeopack\"]\n    }\n"),
			want: []wantDiag{{5, 5, `Missing schedule; The pack block needs a schedule. Write "daily", "weekly", or a duration such as "72h".`}},
		},
		{
			name: "pack schedule not a schedule",
			src:  managedWith(cmd + "    pack {\n      command  = [\"bin/zeopack\"]\n      schedule = \"monthly\"\n    }\n"),
			want: []wantDiag{{7, 18, `Invalid schedule; "monthly" is not a schedule. Write "daily", "weekly", or a duration such as "72h".`}},
		},
		{
			name: "pack schedule under a second",
			src:  managedWith(cmd + "    pack {\n      command  = [\"bin/zeopack\"]\n      schedule = \"500ms\"\n    }\n"),
			want: []wantDiag{{7, 18, `Invalid schedule; Packs must be at least 1s apart; "500ms" is less.`}},
		},
		{
			name: "pack days negative",
			src:  managedWith(cmd + "    pack {\n      command  = [\"bin/zeopack\"]\n      schedule = \"daily\"\n      days     = -1\n    }\n"),
			want: []wantDiag{{8, 18, `Invalid days; days must be from 0 to 36500; it is -1. Write 0 to keep no history.`}},
		},
		{
			name: "two pack blocks",
			src:  managedWith(cmd + "    pack {\n      command  = [\"bin/zeopack\"]\n      schedule = \"daily\"\n    }\n    pack {\n      command  = [\"bin/zeopack\"]\n      schedule = \"weekly\"\n    }\n"),
			want: []wantDiag{{9, 5, `Duplicate pack block; Only one pack block is allowed here; the first is at {file}:5`}},
		},
	})
}

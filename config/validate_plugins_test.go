package config

import "testing"

// Plugin blocks for cases whose problem lies elsewhere; each takes lines
// 1-4, so that the body of a serviceWith after one starts on line 9.
const (
	driverPlugin = `plugin "plone" {
  kind = "driver"
  path = "bin/plone"
}
`
	checkPlugin = `plugin "up" {
  kind = "check"
  path = "bin/up"
}
`
	notifierPlugin = `plugin "matrix" {
  kind = "notifier"
  path = "bin/matrix"
}
`
)

func TestParse_ReportsEveryBadPluginBlockAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "plugin_dir empty",
			src:  `controller { plugin_dir = "" }` + okService,
			want: []wantDiag{{1, 27, "Empty path"}},
		},
		{
			name: "plugin_dir not a string",
			src:  `controller { plugin_dir = ["a"] }` + okService,
			want: []wantDiag{{1, 27, "string required"}},
		},
		{
			name: "plugin_dir of a repeated controller block is checked too",
			src:  "controller {}\ncontroller { plugin_dir = \"\" }\n" + okService,
			want: []wantDiag{
				{2, 1, "Duplicate controller block"},
				{2, 27, "Empty path"},
			},
		},
		{
			name: "invalid plugin name",
			src:  "plugin \"Plone\" {\n  kind = \"driver\"\n  path = \"p\"\n}\n" + okService,
			want: []wantDiag{{1, 8, `"Plone" cannot be a plugin name`}},
		},
		{
			name: "duplicate plugin of another kind",
			src:  checkPlugin + "plugin \"up\" {\n  kind = \"notifier\"\n  path = \"p\"\n}\n" + okService,
			want: []wantDiag{{5, 8, `Duplicate plugin; Plugin "up" is already defined (first defined at {file}:1). Rename or remove one of them.`}},
		},
		{
			name: "plugin without a kind",
			src:  "plugin \"up\" {\n  path = \"p\"\n}\n" + okService,
			want: []wantDiag{{1, 1, `Missing plugin kind; Plugin "up" needs a kind that says what it does: "driver", "check", "notifier", such as kind = "driver".`}},
		},
		{
			name: "unknown plugin kind",
			src:  "plugin \"up\" {\n  kind = \"probe\"\n  path = \"p\"\n}\n" + okService,
			want: []wantDiag{{2, 10, `Unknown plugin kind; "probe" is not a plugin kind; the kinds are "driver", "check", "notifier"`}},
		},
		{
			name: "driver plugin named after a built-in driver",
			src:  "plugin \"zope\" {\n  kind = \"driver\"\n  path = \"p\"\n}\n" + okService,
			want: []wantDiag{{1, 8, `Plugin named after a built-in driver; driver = "zope" names the built-in driver, so this plugin could never be used. Rename it, such as plugin "zope-plugin".`}},
		},
		{
			name: "plugin without path or plugin_dir",
			src:  "plugin \"up\" {\n  kind = \"check\"\n}\n" + okService,
			want: []wantDiag{{1, 1, `Missing plugin path; Plugin "up" has no path, and no plugin directory is set to find it in. Set path, such as path = "/opt/deploy/plugins/deploy-plugin-check-up", or controller { plugin_dir } to the directory that holds deploy-plugin-check-up.`}},
		},
		{
			name: "plugin without path, kind or plugin_dir",
			src:  "plugin \"up\" {}\n" + okService,
			want: []wantDiag{
				{1, 1, `Plugin "up" needs a kind`},
				{1, 1, `or controller { plugin_dir } to the directory that holds deploy-plugin-KIND-up.`},
			},
		},
		{
			name: "a plugin_dir in error is not reported again at each plugin",
			src:  "controller { plugin_dir = \"\" }\nplugin \"up\" {\n  kind = \"check\"\n}\n" + okService,
			want: []wantDiag{{1, 27, "Empty path"}},
		},
		{
			name: "empty plugin path",
			src:  "plugin \"up\" {\n  kind = \"check\"\n  path = \"\"\n}\n" + okService,
			want: []wantDiag{{3, 10, "Empty path"}},
		},
		{
			name: "sha256 too short",
			src:  "plugin \"up\" {\n  kind   = \"check\"\n  path   = \"p\"\n  sha256 = \"9f86d0\"\n}\n" + okService,
			want: []wantDiag{{4, 12, `Invalid sha256; "9f86d0" has 6 characters; a SHA-256 digest is 64 hex digits, as sha256sum prints them, such as sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".`}},
		},
		{
			name: "sha256 not hexadecimal",
			src:  "plugin \"up\" {\n  kind   = \"check\"\n  path   = \"p\"\n  sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g\"\n}\n" + okService,
			want: []wantDiag{{4, 12, `"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g" is not hexadecimal; a SHA-256 digest is 64 hex digits`}},
		},
		{
			name: "plugin with an attribute of another block",
			src:  "plugin \"up\" {\n  kind    = \"check\"\n  path    = \"p\"\n  command = [\"up\"]\n}\n" + okService,
			want: []wantDiag{{4, 3, `An argument named "command" is not expected here`}},
		},
	})
}

func TestParse_ReportsEveryBadPluginDriverAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "unknown driver without driver plugins",
			src:  checkPlugin + serviceWith("  driver = \"plone\"\n"),
			want: []wantDiag{{9, 12, `Unknown driver; "plone" is not a driver; the drivers are "command", "zope": "command" runs the stack's command as it is, "zope" configures and runs Zope. For a plugin driver, define it, such as plugin "plone" { kind = "driver" }, with its path.`}},
		},
		{
			name: "unknown driver lists the driver plugins",
			src:  driverPlugin + serviceWith("  driver = \"plome\"\n"),
			want: []wantDiag{{9, 12, `"plome" is not a driver; the drivers are "command", "zope", "plone": "command" runs the stack's command as it is, "zope" configures and runs Zope. The others are plugins.`}},
		},
		{
			name: "unknown driver does not list a driver plugin named like a built-in one",
			src:  "plugin \"zope\" {\n  kind = \"driver\"\n  path = \"p\"\n}\n" + serviceWith("  driver = \"plone\"\n"),
			want: []wantDiag{
				{1, 8, "Plugin named after a built-in driver"},
				{9, 12, `the drivers are "command", "zope": "command" runs`},
			},
		},
		{
			name: "driver naming a check plugin",
			src:  checkPlugin + serviceWith("  driver = \"up\"\n"),
			want: []wantDiag{{9, 12, `Wrong plugin kind; Plugin "up" (defined at {file}:1) is of kind "check", but a service's driver must be of kind "driver"; there is no plugin of kind "driver". Define one, such as plugin "NAME" { kind = "driver" }, with its path.`}},
		},
		{
			name: "driver naming a notifier plugin lists the driver plugins",
			src:  driverPlugin + notifierPlugin + serviceWith("  driver = \"matrix\"\n"),
			want: []wantDiag{{13, 12, `is of kind "notifier", but a service's driver must be of kind "driver"; the plugins of kind "driver" are "plone".`}},
		},
		{
			name: "driver naming a plugin whose kind is wrong is not reported again",
			src:  "plugin \"plone\" {\n  kind = \"drvier\"\n  path = \"p\"\n}\n" + serviceWith("  driver = \"plone\"\n  driver_config {}\n"),
			want: []wantDiag{{2, 10, `"drvier" is not a plugin kind`}},
		},
		{
			name: "driver naming a plugin whose name is wrong is not reported again",
			src:  "plugin \"Plone\" {\n  kind = \"driver\"\n  path = \"p\"\n}\n" + serviceWith("  driver = \"Plone\"\n"),
			want: []wantDiag{{1, 8, `"Plone" cannot be a plugin name`}},
		},
		{
			name: "driver_config with the command driver",
			src:  serviceWith("  driver_config {\n    buildout = \"b.cfg\"\n  }\n"),
			want: []wantDiag{{5, 3, `driver_config without a plugin driver; The driver_config block holds the settings of a plugin driver, but service "a" uses the command driver. Set driver to a plugin of kind "driver", or remove the block.`}},
		},
		{
			name: "driver_config with a driver in error is not reported again",
			src:  serviceWith("  driver = \"plone\"\n  driver_config {}\n"),
			want: []wantDiag{{5, 12, `Unknown driver; "plone" is not a driver`}},
		},
		{
			name: "two driver_config blocks",
			src:  driverPlugin + serviceWith("  driver = \"plone\"\n  driver_config {}\n  driver_config {}\n"),
			want: []wantDiag{{11, 3, "Duplicate driver_config block; Only one driver_config block is allowed here; the first is at {file}:10"}},
		},
		{
			name: "zope block with a plugin driver",
			src:  driverPlugin + serviceWith("  driver = \"plone\"\n  zope {}\n"),
			want: []wantDiag{
				{10, 3, `Zope block without the zope driver; The zope block configures the zope driver, but service "a" uses the plugin driver "plone". Set driver = "zope"`},
				{10, 3, "Missing mount"},
			},
		},
		{
			name: "a plugin driver still needs a stack block",
			src: driverPlugin + `service "a" {
  hosts  = ["a.test"]
  driver = "plone"
  slot "blue" { base_port = 9101 }
}
`,
			want: []wantDiag{{5, 1, `Service "a" needs a stack block that says how to run it, such as stack { dir = "." }.`}},
		},
	})
}

func TestParse_ReportsEveryBadPluginCheckAndNotifierAtTheOffendingExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "check naming no plugin",
			src:  serviceWith("  check \"c\" {\n    plugin = \"up\"\n  }\n"),
			want: []wantDiag{{6, 14, `Unknown plugin; No plugin block is named "up"; there is no plugin of kind "check". Define one, such as plugin "NAME" { kind = "check" }, with its path.`}},
		},
		{
			name: "check naming an unknown plugin lists the check plugins",
			src:  checkPlugin + serviceWith("  check \"c\" {\n    plugin = \"down\"\n  }\n"),
			want: []wantDiag{{10, 14, `No plugin block is named "down"; the plugins of kind "check" are "up".`}},
		},
		{
			name: "check naming a driver plugin",
			src:  driverPlugin + serviceWith("  check \"c\" {\n    plugin = \"plone\"\n  }\n"),
			want: []wantDiag{{10, 14, `Wrong plugin kind; Plugin "plone" (defined at {file}:1) is of kind "driver", but a check's plugin must be of kind "check"`}},
		},
		{
			name: "check with a plugin and other kinds",
			src: checkPlugin + serviceWith(`  check "c" {
    tcp {}
    plugin  = "up"
    command = ["bin/check"]
  }
`),
			want: []wantDiag{
				{11, 15, `Conflicting check kinds; Check "c" already has a tcp block at {file}:10; a check has exactly one of http, tcp, zeo, command or plugin. Move this into a check block of its own.`},
				{12, 15, `Check "c" already has a tcp block at {file}:10; a check has exactly one of http, tcp, zeo, command or plugin.`},
			},
		},
		{
			name: "check without a kind mentions plugins",
			src:  serviceWith("  check \"c\" {\n    config = { a = 1 }\n  }\n"),
			want: []wantDiag{
				{5, 3, `or a plugin of kind "check" such as plugin = "NAME".`},
				{6, 14, `Plugin config without a plugin; config holds the settings of a plugin, but this check names none. Set plugin = "NAME" to a plugin block, or remove config.`},
			},
		},
		{
			name: "config without a plugin is reported whatever it holds",
			src:  serviceWith("  check \"c\" {\n    tcp {}\n    config = var.settings\n  }\n"),
			want: []wantDiag{{7, 14, `Plugin config without a plugin; config holds the settings of a plugin, but this check names none.`}},
		},
		{
			name: "check config not an object",
			src:  checkPlugin + serviceWith("  check \"c\" {\n    plugin = \"up\"\n    config = [\"min_objects\", 1000]\n  }\n"),
			want: []wantDiag{{11, 14, `Invalid plugin config; config holds the plugin's settings and must be written as an object, such as config = { room = "#ops" }`}},
		},
		{
			name: "check config as a string",
			src:  checkPlugin + serviceWith("  check \"c\" {\n    plugin = \"up\"\n    config = \"min_objects=1000\"\n  }\n"),
			want: []wantDiag{{11, 14, `Invalid plugin config`}},
		},
		{
			name: "check config written as a block",
			src:  checkPlugin + serviceWith("  check \"c\" {\n    plugin = \"up\"\n    config {\n      a = 1\n    }\n  }\n"),
			want: []wantDiag{{11, 5, `Blocks of type "config" are not expected here`}},
		},
		{
			name: "check config with variables and functions",
			src: checkPlugin + serviceWith(`  check "c" {
    plugin = "up"
    config = { a = var.x, b = upper("x") }
  }
`),
			want: []wantDiag{
				{11, 20, "Variables not allowed"},
				{11, 31, "Function calls not allowed"},
			},
		},
		{
			name: "check config with arithmetic beyond any number",
			src:  checkPlugin + serviceWith("  check \"c\" {\n    plugin = \"up\"\n    config = { c = 1e300 * 1e300 }\n  }\n"),
			want: []wantDiag{{11, 14, "Number out of range"}},
		},
		{
			name: "check naming a plugin whose kind is missing is not reported again",
			src:  "plugin \"up\" {\n  path = \"p\"\n}\n" + serviceWith("  check \"c\" {\n    plugin = \"up\"\n  }\n"),
			want: []wantDiag{{1, 1, `Plugin "up" needs a kind`}},
		},
		{
			name: "notify naming a check plugin",
			src:  checkPlugin + notifierPlugin + serviceWith("  notify \"chat\" {\n    plugin = \"up\"\n  }\n"),
			want: []wantDiag{{14, 14, `Plugin "up" (defined at {file}:1) is of kind "check", but a notify block's plugin must be of kind "notifier"; the plugins of kind "notifier" are "matrix".`}},
		},
		{
			name: "notify naming no plugin",
			src:  serviceWith("  notify \"chat\" {\n    plugin = \"matrix\"\n  }\n"),
			want: []wantDiag{{6, 14, `No plugin block is named "matrix"; there is no plugin of kind "notifier".`}},
		},
		{
			name: "notify with a webhook and a plugin",
			src:  notifierPlugin + serviceWith("  notify \"chat\" {\n    webhook = \"https://chat.test/x\"\n    plugin  = \"matrix\"\n  }\n"),
			want: []wantDiag{{11, 15, `Conflicting notify targets; Notify "chat" already has a webhook at {file}:10; a notify block has one target: a command, a webhook or a plugin. Move this into a notify block of its own.`}},
		},
		{
			name: "notify without a target mentions plugins",
			src:  serviceWith("  notify \"chat\" {\n    events = [\"switch\"]\n  }\n"),
			want: []wantDiag{{5, 3, `or a plugin of kind "notifier", such as plugin = "NAME".`}},
		},
		{
			name: "notify config without a plugin",
			src:  serviceWith("  notify \"chat\" {\n    command = [\"bin/notify\"]\n    config  = { room = \"#ops\" }\n  }\n"),
			want: []wantDiag{{7, 15, `config holds the settings of a plugin, but this notify block names none.`}},
		},
		{
			name: "notify config not an object",
			src:  notifierPlugin + serviceWith("  notify \"chat\" {\n    plugin = \"matrix\"\n    config = room\n  }\n"),
			want: []wantDiag{{11, 14, "Invalid plugin config"}},
		},
		{
			name: "every plugin problem at once, plugins after the services",
			src: serviceWith(`  driver = "matrix"
  driver_config {}
  check "c" {
    plugin = "matrix"
    config = 1
  }
  notify "n" {
    plugin = "up"
  }
`) + checkPlugin + notifierPlugin,
			want: []wantDiag{
				{5, 12, `is of kind "notifier", but a service's driver must be of kind "driver"`},
				{8, 14, `is of kind "notifier", but a check's plugin must be of kind "check"`},
				{9, 14, "Invalid plugin config"},
				{12, 14, `is of kind "check", but a notify block's plugin must be of kind "notifier"`},
			},
		},
	})
}

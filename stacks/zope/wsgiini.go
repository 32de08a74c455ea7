package zope

import (
	"bytes"
	"fmt"
	"text/template"

	"deploy/config"
)

// wsgiIniTemplate is a PasteDeploy ini for Zope's runwsgi, modelled on the
// one Zope's mkwsgiinstance writes, without its paths.
//
// Choices a deployment wants:
//   - host 127.0.0.1: only the controller's proxy reaches an instance.
//   - clear_untrusted_proxy_headers = false: the proxy sets X-Forwarded-For,
//     -Host and -Proto; waitress 3 would otherwise drop them (its default
//     changed to true) before Zope, which trusts the proxy through
//     trusted-proxy in zope.conf, can read them. Nobody else can send them:
//     the instance listens on loopback only. Set explicitly, it also
//     silences waitress 1.x/2.x's warning about the changing default.
//   - no translogger in the pipeline (so no Paste dependency): the proxy
//     already logs every request with service and slot.
//   - logging to stderr only, which the controller captures into the
//     instance's log file and rotates; no log file paths in here.
var wsgiIniTemplate = template.Must(template.New("wsgi.ini").Parse(`# wsgi.ini of {{.Client}}, rendered by deploy for this one instance:
# edits are lost at its next start.

[app:zope]
use = egg:Zope#main
zope_conf = {{.ZopeConf}}

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {{.Port}}
threads = {{.Threads}}
# Keep the X-Forwarded-* headers the deploy proxy sets; only it can reach
# 127.0.0.1:{{.Port}}.
clear_untrusted_proxy_headers = false

[pipeline:main]
pipeline =
    egg:Zope#httpexceptions
    zope

# Everything goes to stderr, which the controller writes to the instance's
# log file.
[loggers]
keys = root, waitress.queue, waitress

[handlers]
keys = console

[formatters]
keys = generic

[formatter_generic]
format = %(asctime)s %(levelname)s [%(name)s:%(lineno)s][%(threadName)s] %(message)s
datefmt = %Y-%m-%d %H:%M:%S

[logger_root]
level = INFO
handlers = console

[logger_waitress.queue]
level = INFO
handlers = console
qualname = waitress.queue
propagate = 0

[logger_waitress]
level = INFO
handlers = console
qualname = waitress
propagate = 0

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic
`))

// wsgiIniData is what wsgiIniTemplate sees.
type wsgiIniData struct {
	Client   string
	ZopeConf string
	Port     int
	Threads  int
}

func renderWSGIIni(z config.Zope, in Instance, zopeConf string) ([]byte, error) {
	data := wsgiIniData{Client: in.clientName(), ZopeConf: zopeConf, Port: in.Port, Threads: z.Threads}
	var buf bytes.Buffer
	if err := wsgiIniTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render wsgi.ini of %s: %w", data.Client, err)
	}
	return buf.Bytes(), nil
}

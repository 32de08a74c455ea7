package zope

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"deploy/config"
)

// zopeConfTemplate is a Zope 4/5 zope.conf (ZConfig, Zope's wsgischema).
// Only keys valid in both versions are written; the values are checked by
// check before they get here.
//
// Choices a deployment wants:
//   - instancehome and clienthome are the instance's own var dir, so that
//     nothing Zope writes at run time is shared with another process.
//   - trusted-proxy 127.0.0.1: the controller's proxy is the only peer of
//     an instance (waitress listens on 127.0.0.1) and appends the client's
//     address to X-Forwarded-For; trusting it gives getClientAddr() the
//     real client.
//   - wait on: ClientStorage returns only once connected and its
//     persistent cache verified, so an instance never answers (nor passes
//     its readiness probe) from a stale cache. The controller has probed
//     the ZEO server just before, so the wait is short; if the server went
//     away in between, ZEO 5 gives up after its wait timeout and the
//     instance exits, which the controller reports.
var zopeConfTemplate = template.Must(template.New("zope.conf").Parse(`# zope.conf of {{.Client}}, rendered by deploy for this one instance:
# edits are lost at its next start. Stack dir: {{.StackDir}}
#
# Instance and client home are this instance's own var directory, and every
# storage has a ZEO client name of its own: no two processes share a var
# directory or a cache file. The ZEO clients wait until connected (wait on),
# so the instance never answers from an unverified cache; the controller
# probes the ZEO server just before it starts the instance.
%define INSTANCEHOME {{.VarDir}}
instancehome $INSTANCEHOME
%define CLIENTHOME {{.VarDir}}
clienthome $CLIENTHOME

debug-mode off
security-policy-implementation C
verbose-security off
default-zpublisher-encoding utf-8

# The deploy proxy, this instance's only peer, appends the client's address
# to X-Forwarded-For.
trusted-proxy 127.0.0.1
{{range .Mounts}}
<zodb_db {{.Name}}>
    cache-size {{$.ObjectCache}}
    mount-point {{.Path}}
    <zeoclient>
        server {{$.ZEOAddress}}
        storage {{.Name}}
        name {{.Name}}
        client {{.Client}}
        var {{$.VarDir}}
        cache-size {{$.CacheSize}}
        blob-dir {{.BlobDir}}
        shared-blob-dir {{if $.SharedBlobs}}on{{else}}off{{end}}
        wait on
        read-only false
    </zeoclient>
</zodb_db>
{{end}}`))

// zopeConfData is what zopeConfTemplate sees.
type zopeConfData struct {
	Client      string
	StackDir    string
	VarDir      string
	ZEOAddress  string
	ObjectCache int
	CacheSize   int64
	SharedBlobs bool
	Mounts      []mountData
}

// mountData is one <zodb_db>.
type mountData struct {
	Name, Path string
	Client     string // the ZEO client name, unique per instance and storage
	BlobDir    string
}

func renderZopeConf(z config.Zope, in Instance) ([]byte, error) {
	data := zopeConfData{
		Client:      in.clientName(),
		StackDir:    in.StackDir,
		VarDir:      in.VarDir,
		ZEOAddress:  in.ZEOAddress,
		ObjectCache: z.ObjectCache,
		CacheSize:   z.CacheSize,
		SharedBlobs: z.SharedBlobDir != "",
	}
	for _, m := range z.Mounts {
		blobs := filepath.Join(in.VarDir, z.BlobDir, m.Name)
		if data.SharedBlobs {
			blobs = filepath.Join(z.SharedBlobDir, m.Name)
		}
		data.Mounts = append(data.Mounts, mountData{
			Name:    m.Name,
			Path:    m.Path,
			Client:  data.Client + "-" + clientPart(m.Name),
			BlobDir: blobs,
		})
	}
	var buf bytes.Buffer
	if err := zopeConfTemplate.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("render zope.conf of %s: %w", data.Client, err)
	}
	return buf.Bytes(), nil
}

// clientPart writes a storage name for the end of a ZEO client name with
// '_' as "_5f" and '-' as "_2d", so that the last '-' of the client name
// always comes before the storage: two storages of one instance, or two
// instances, never get the same name, hence never the same cache file.
func clientPart(name string) string {
	return strings.NewReplacer("_", "_5f", "-", "_2d").Replace(name)
}

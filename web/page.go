package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"time"
)

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "page.html", s.snapshot(time.Now()))
}

func (s *Server) statusJSON(w http.ResponseWriter, r *http.Request) {
	b, err := json.Marshal(s.snapshot(time.Now()))
	if err != nil {
		s.log.Error("status page: encode status", "err", err)
		http.Error(w, "cannot encode the status", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, '\n'))
}

// asset serves one embedded file; there are no directories to list.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := fs.ReadFile(assetFS, path.Join("assets", name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Write(b)
}

// render executes a template into a buffer first, so that a failing
// template gives a clean error instead of half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		s.log.Error("status page: render", "template", name, "err", err)
		http.Error(w, "cannot render the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	// pathEscape makes a service name one path segment of an action URL.
	"pathEscape":  url.PathEscape,
	"orDash":      orDash,
	"healthClass": healthClass,
}

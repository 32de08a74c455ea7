package orchestrator

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// decodedRequests make a fresh value of each control request type that the
// API decodes from a body.
var decodedRequests = []func() any{
	func() any { return &SwitchRequest{} },
	func() any { return &RollbackRequest{} },
	func() any { return &UpRequest{} },
	func() any { return &ReleaseRequest{} },
	func() any { return &MaintenanceRequest{} },
	func() any { return &RestartRequest{} },
	func() any { return &PurgeRequest{} },
}

// FuzzDecodeRequest feeds arbitrary bodies to the control API's decoding,
// for every request type. Whatever the body, nothing panics, and a body is
// accepted exactly when it is one JSON value, of at most 64 KiB, that
// decodes into the type with no field the type lacks; any other is refused
// with a 400 and a JSON error.
// Seeds live in testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(`{"to":"blue"}` + strings.Repeat(" ", maxRequestBody)))
	f.Add([]byte(`{"reason":"` + strings.Repeat("x", maxRequestBody) + `"}`))
	a := &API{log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newRequest := range decodedRequests {
			v := newRequest()
			w := httptest.NewRecorder()
			r := httptest.NewRequest(http.MethodPost, "/v1/services/demo/op", bytes.NewReader(body))
			if a.decode(w, r, v) {
				checkAccepted(t, body, v, w)
			} else {
				checkRefused(t, body, newRequest(), w)
			}
		}
	})
}

// checkAccepted fails t unless body was acceptable as a v and nothing was
// answered yet.
func checkAccepted(t *testing.T, body []byte, v any, w *httptest.ResponseRecorder) {
	t.Helper()
	typ := reflect.TypeOf(v).Elem().Name()
	if w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Fatalf("%s accepted %q but answered %d %q", typ, body, w.Code, w.Body)
	}
	if why := unacceptable(body, v); why != "" {
		t.Fatalf("%s accepted %q: %s", typ, body, why)
	}
}

// checkRefused fails t unless body was unacceptable as a fresh v and the
// refusal is a 400 with a JSON error of kind invalid.
func checkRefused(t *testing.T, body []byte, v any, w *httptest.ResponseRecorder) {
	t.Helper()
	typ := reflect.TypeOf(v).Elem().Name()
	if unacceptable(body, v) == "" {
		t.Fatalf("%s refused %q, which it should take", typ, body)
	}
	if w.Code != http.StatusBadRequest || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("%s refused %q with %d %s, want 400 application/json", typ, body, w.Code, w.Header().Get("Content-Type"))
	}
	var e Error
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Kind != KindInvalid || e.Message == "" {
		t.Fatalf("%s refused %q with body %q, want a JSON error of kind invalid (%v)", typ, body, w.Body, err)
	}
}

// unacceptable says why body is no request of v's type, or "" when it is
// one: found without the API's strict decoder, from the body's size, its
// validity as JSON, its fields and plain decoding into v.
func unacceptable(body []byte, v any) string {
	if len(body) > maxRequestBody {
		return "over the size limit"
	}
	if !json.Valid(body) {
		return "not one JSON value"
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		known := jsonFieldNames(reflect.TypeOf(v).Elem())
		for name := range fields {
			if !knownField(known, name) {
				return "unknown field " + strconv.Quote(name)
			}
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return "does not decode: " + err.Error()
	}
	return ""
}

// jsonFieldNames returns the names under which encoding/json decodes the
// fields of the struct type t.
func jsonFieldNames(t reflect.Type) []string {
	var names []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// knownField reports whether encoding/json matches name to one of known:
// it ignores case.
func knownField(known []string, name string) bool {
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

package proxy

import (
	"net/http"
	"net/netip"
	"reflect"
	"testing"
)

// forgedHeaders is what a client sends to pass for someone else: its own
// forwarding headers, their underscore spellings, which CGI and WSGI servers
// read as the same, and a guessed preview token.
const forgedHeaders = "X-Forwarded-For: 203.0.113.9\r\n" +
	"X-Forwarded-Proto: https\r\n" +
	"X-Forwarded-Host: www.example.org\r\n" +
	"Forwarded: for=203.0.113.9;proto=https\r\n" +
	"X-Real-IP: 203.0.113.9\r\n" +
	"X_Forwarded_For: 198.51.100.1\r\n" +
	"x_real_ip: 198.51.100.1\r\n" +
	"X-Deploy-Preview: guess\r\n" +
	"X_Deploy_Preview: guess\r\n"

// forwardingSeen sends forgedHeaders through a proxy that trusts trusted
// and returns the headers the backend received.
func forwardingSeen(t *testing.T, trusted ...netip.Prefix) http.Header {
	t.Helper()
	p := New(Options{TrustedProxies: trusted})
	p.Configure([]Service{{Name: "a", Hosts: []string{"a.example"}, PreviewTokens: []string{"s3cret"}}})
	backend, seen := recordingBackend(t, "blue")
	mustSwitch(t, p, "a", "blue", backend)
	conn := dialRaw(t, rawProxy(t, p, ServerOptions{}))
	conn.send(t, "GET / HTTP/1.1\r\nHost: a.example\r\n"+forgedHeaders+"\r\n")
	if resp, body := conn.answer(t); resp.StatusCode != http.StatusOK || body != "blue" {
		t.Fatalf("answer %d %q, want 200 blue", resp.StatusCode, body)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("the backend saw %d requests, want 1", len(got))
	}
	return got[0].header
}

// checkForwarding fails t for each forwarding header the backend saw other
// than want, and for any lookalike or preview header that got through.
func checkForwarding(t *testing.T, seen http.Header, want map[string]string) {
	t.Helper()
	for name, v := range want {
		if got := seen[name]; !reflect.DeepEqual(got, []string{v}) {
			t.Errorf("%s = %q, want exactly %q", name, got, v)
		}
	}
	for name := range seen {
		for _, vouched := range vouchedHeaders {
			if sameCGIName(name, vouched) && name != vouched {
				t.Errorf("the lookalike %s: %q reached the backend", name, seen[name])
			}
		}
	}
	if v, ok := seen[PreviewHeader]; ok {
		t.Errorf("the preview header reached the backend: %q", v)
	}
}

func TestServer_ForgedForwardingHeadersFromAnUntrustedPeerAreReplaced(t *testing.T) {
	checkForwarding(t, forwardingSeen(t), map[string]string{
		"X-Forwarded-For":   "127.0.0.1",
		"X-Forwarded-Proto": "http",
		"X-Forwarded-Host":  "a.example",
		"Forwarded":         `for=127.0.0.1;host="a.example";proto=http`,
		"X-Real-Ip":         "127.0.0.1",
	})
}

func TestServer_ForwardingHeadersFromATrustedPeerAreCarriedOnWithThisHopAppended(t *testing.T) {
	checkForwarding(t, forwardingSeen(t, netip.MustParsePrefix("127.0.0.0/8")), map[string]string{
		"X-Forwarded-For":   "203.0.113.9, 127.0.0.1",
		"X-Forwarded-Proto": "https",
		"X-Forwarded-Host":  "www.example.org",
		"Forwarded":         `for=203.0.113.9;proto=https, for=127.0.0.1;host="a.example";proto=http`,
		"X-Real-Ip":         "203.0.113.9",
	})
}

func TestForwardedElement_QuotesIPv6PeersAndHosts(t *testing.T) {
	for _, c := range []struct{ peer, host, want string }{
		{"192.0.2.1", "www.example.org:8080", `for=192.0.2.1;host="www.example.org:8080";proto=http`},
		{"2001:db8::1", "[2001:db8::2]", `for="[2001:db8::1]";host="[2001:db8::2]";proto=http`},
		{"192.0.2.1", "", `for=192.0.2.1;proto=http`},
		{"192.0.2.1", `a"b\c`, `for=192.0.2.1;host="a\"b\\c";proto=http`},
	} {
		if got := forwardedElement(c.peer, c.host, "http"); got != c.want {
			t.Errorf("forwardedElement(%q, %q) = %s, want %s", c.peer, c.host, got, c.want)
		}
	}
}

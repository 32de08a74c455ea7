package config

import "testing"

func TestParse_MaxBodySizeIsReadAsASize(t *testing.T) {
	for _, c := range []struct {
		setting string
		want    int64
	}{
		{`"512MB"`, 512 << 20},
		{`"2GiB"`, 2 << 30},
		{`"10mb"`, 10 << 20},
		{`1048576`, 1 << 20},
		{`"1048576"`, 1 << 20},
	} {
		cfg, diags, err := Parse([]byte(proxyWith("  max_body_size = "+c.setting+"\n")), "deploy.hcl")
		if err != nil {
			t.Fatalf("max_body_size = %s: %v\n%v", c.setting, err, diags)
		}
		if got := cfg.Proxy.MaxBodySize; got != c.want {
			t.Errorf("max_body_size = %s: MaxBodySize %d, want %d", c.setting, got, c.want)
		}
	}
}

// Left out, the setting is 0, which the proxy reads as its own default
// (proxy.DefaultMaxBodySize, 1GB): config cannot import the proxy to name
// it, and a size set in the file is never 0.
func TestParse_MaxBodySizeLeftOutLeavesTheProxyDefault(t *testing.T) {
	for _, src := range []string{okService, proxyWith("")} {
		cfg, diags, err := Parse([]byte(src), "deploy.hcl")
		if err != nil {
			t.Fatalf("%v\n%v", err, diags)
		}
		if got := cfg.Proxy.MaxBodySize; got != 0 {
			t.Errorf("MaxBodySize %d, want 0 for the proxy's default", got)
		}
	}
}

func TestParse_InvalidMaxBodySizeIsReportedAtItsExpression(t *testing.T) {
	runDiagCases(t, []diagCase{
		{
			name: "not a size",
			src:  proxyWith("  max_body_size = \"big\"\n"),
			want: []wantDiag{{2, 19, `"big" is not a size`}},
		},
		{
			name: "zero",
			src:  proxyWith("  max_body_size = \"0MB\"\n"),
			want: []wantDiag{{2, 19, "The size must be greater than zero"}},
		},
		{
			name: "negative",
			src:  proxyWith("  max_body_size = -1\n"),
			want: []wantDiag{{2, 19, `"-1" is not a size`}},
		},
		{
			name: "too large",
			src:  proxyWith("  max_body_size = \"9000000000GB\"\n"),
			want: []wantDiag{{2, 19, `"9000000000GB" is too large`}},
		},
		{
			name: "not a string or number",
			src:  proxyWith("  max_body_size = [\"1GB\"]\n"),
			want: []wantDiag{{2, 19, "string required"}},
		},
	})
}

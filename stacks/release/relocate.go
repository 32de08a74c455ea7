package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

const (
	// binarySniffLen is how much of a file decides text versus binary: a
	// NUL byte in it makes the file binary, the rule git and grep use.
	binarySniffLen = 8 << 10
	// relocateLimit caps the files that are relocated in memory; larger
	// files are scanned as binary, so a huge log or data file that happens
	// to hold the build path fails the build instead of eating memory.
	relocateLimit = 64 << 20
	// scanChunk is the read size when streaming a file through the scan.
	scanChunk = 64 << 10
)

// prefixMatcher finds the build directory in file contents, as a whole path
// only: /srv/build matches in "/srv/build/bin" and "'/srv/build'" but not in
// "/srv/build2" or "/home/x/srv/build".
type prefixMatcher struct {
	prefixes [][]byte // longest first, so a longer spelling wins at one spot
	longest  int
}

func newPrefixMatcher(prefixes ...string) *prefixMatcher {
	m := &prefixMatcher{}
	seen := map[string]bool{}
	for _, p := range prefixes {
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		m.prefixes = append(m.prefixes, []byte(p))
		m.longest = max(m.longest, len(p))
	}
	sort.Slice(m.prefixes, func(i, j int) bool { return len(m.prefixes[i]) > len(m.prefixes[j]) })
	return m
}

// isPathNameByte reports whether b can continue a file name. A prefix
// occurrence touching such a byte on either side is part of some other path
// (/srv/build2, /srv/build.old, /home/x/srv/build). Everything else ends a
// path: '/', quotes, whitespace, ':' (PATH lists), and also ';', ',', ')',
// '=' and the like, because leaving a real occurrence unrelocated would be
// a silent failure at run time.
func isPathNameByte(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	case b == '.', b == '_', b == '-', b == '~', b == '+', b >= 0x80:
		return true
	}
	return false
}

// matchAt returns the length of the prefix occurring as a whole path at
// buf[i], or 0. final says buf ends the file, so a prefix at its very end
// counts; otherwise the caller must supply the byte after the prefix.
func (m *prefixMatcher) matchAt(buf []byte, i int, final bool) int {
	if i > 0 && isPathNameByte(buf[i-1]) {
		return 0
	}
	for _, p := range m.prefixes {
		end := i + len(p)
		if end > len(buf) || !bytes.Equal(buf[i:end], p) {
			continue
		}
		if end == len(buf) {
			if final {
				return len(p)
			}
			continue
		}
		if !isPathNameByte(buf[end]) {
			return len(p)
		}
	}
	return 0
}

// replace returns data with every whole-path occurrence of a prefix
// replaced by Placeholder, and whether there was any. It scans once, so a
// replacement never creates a new match for a shorter prefix.
func (m *prefixMatcher) replace(data []byte) ([]byte, bool) {
	var out bytes.Buffer
	last, found := 0, false
	for i := 0; i < len(data); {
		j := bytes.IndexByte(data[i:], '/') // every prefix is absolute
		if j < 0 {
			break
		}
		i += j
		if n := m.matchAt(data, i, true); n > 0 {
			if !found {
				out.Grow(len(data) + len(Placeholder))
				found = true
			}
			out.Write(data[last:i])
			out.WriteString(Placeholder)
			i += n
			last = i
			continue
		}
		i++
	}
	if !found {
		return data, false
	}
	out.Write(data[last:])
	return out.Bytes(), true
}

// fileScan is what one streaming read of a regular file tells the build.
type fileScan struct {
	sum    string // hex sha256 of the bytes read
	size   int64  // bytes read
	binary bool   // NUL in the first binarySniffLen bytes
	found  bool   // a prefix occurs as a whole path
}

// scanFile streams the file once, hashing it and looking for the prefixes,
// holding no more than one chunk (plus a prefix-long overlap) in memory.
func (m *prefixMatcher) scanFile(ctx context.Context, path string, prog *buildProgress) (fileScan, error) {
	var res fileScan
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()

	h := sha256.New()
	// keep: bytes carried over so that a prefix spanning two reads is seen
	// together with the byte before it.
	keep := m.longest + 1
	buf := make([]byte, keep+scanChunk)
	n, from := 0, 0 // valid bytes in buf; first start position not yet checked
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		k, rerr := f.Read(buf[n:])
		if k > 0 {
			h.Write(buf[n : n+k])
			if res.size < binarySniffLen {
				sniff := buf[n : n+min(k, int(binarySniffLen-res.size))]
				res.binary = res.binary || bytes.IndexByte(sniff, 0) >= 0
			}
			res.size += int64(k)
			n += k
			prog.add(int64(k))
		}
		final := rerr == io.EOF
		if rerr != nil && !final {
			return res, rerr
		}
		// A start position is decidable once the longest prefix and the
		// byte after it are in buf, or at the end of the file.
		limit := n
		if !final {
			limit = n - m.longest
		}
		for i := from; !res.found && i < limit; i++ {
			res.found = buf[i] == '/' && m.matchAt(buf[:n], i, final) > 0
		}
		if final {
			break
		}
		from = max(from, limit)
		if n == len(buf) {
			// Slide, keeping the byte before the first undecided position.
			s := from - 1
			copy(buf, buf[s:n])
			n -= s
			from = 1
		}
	}
	res.sum = hex.EncodeToString(h.Sum(nil))
	return res, nil
}

// relocateFile reads a text file whole and returns its bytes with the
// prefixes replaced by Placeholder.
func (m *prefixMatcher) relocateFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read one byte past the limit to notice a file that grew past it
	// since the scan.
	data, err := io.ReadAll(io.LimitReader(f, relocateLimit+1))
	if err != nil {
		return nil, err
	}
	if len(data) > relocateLimit {
		return nil, fmt.Errorf("%s: %w", path, errChanged)
	}
	out, _ := m.replace(data)
	return out, nil
}

// scanBuildFile fills in a regular file's stored size and checksum.
func scanBuildFile(ctx context.Context, e *buildEntry, m *prefixMatcher, prog *buildProgress) error {
	res, err := m.scanFile(ctx, e.disk, prog)
	if err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	e.size, e.sum = res.size, res.sum
	if !res.found {
		return nil
	}
	if res.binary || res.size >= relocateLimit {
		e.absolute = true
		return nil
	}
	data, err := m.relocateFile(e.disk)
	if err != nil {
		return fmt.Errorf("%s: %w", e.name, err)
	}
	e.size, e.sum, e.relocate = int64(len(data)), sha256Hex(data), true
	return nil
}

// storedLinkTarget returns the target to store for the symlink at p (name
// in the archive). Links into the tree become relative so the release can
// move; absolute links elsewhere (the system python) stay as they are.
func storedLinkTarget(p, name string, m *prefixMatcher) (string, error) {
	target, err := os.Readlink(p)
	if err != nil {
		return "", err
	}
	dir := path.Dir(name)
	if !filepath.IsAbs(target) {
		joined := path.Join(dir, filepath.ToSlash(target))
		if joined == ".." || strings.HasPrefix(joined, "../") {
			return "", fmt.Errorf("%s -> %s: %w", name, target, ErrSymlinkEscapes)
		}
		return target, nil
	}
	clean := filepath.ToSlash(filepath.Clean(target))
	for _, pre := range m.prefixes {
		pre := string(pre)
		if clean != pre && !strings.HasPrefix(clean, pre+"/") {
			continue
		}
		inTree := strings.TrimPrefix(strings.TrimPrefix(clean, pre), "/")
		if inTree == "" {
			inTree = "."
		}
		rel, err := filepath.Rel(dir, inTree)
		if err != nil {
			return "", fmt.Errorf("%s -> %s: %w", name, target, err)
		}
		return filepath.ToSlash(rel), nil
	}
	return target, nil
}

package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"

	"github.com/mholt/archives"
)

// extractRelocateInMemory is the size below which a relocated file is held
// in memory while it streams in, so the placeholder is resolved before the
// file is written once. Larger ones are rewritten after. A variable so tests
// can reach the large path without a 64 MiB fixture.
var extractRelocateInMemory int64 = 64 << 20

// errExtractOverflow stops a copy that outgrew the size its header gave.
var errExtractOverflow = errors.New("entry is larger than its header says")

// file unpacks a regular file, counting it against the limits while it
// streams (a header's size is never trusted) and hashing the bytes as
// stored.
func (x *extractor) file(ctx context.Context, raw, name string, fi archives.FileInfo) error {
	want, listed := x.m.FileSHA256[name]
	if !listed {
		return x.reject(raw, ErrEntryChecksum, "not listed in the manifest")
	}
	if fi.Size() > x.lim.MaxFileSize {
		return x.reject(raw, nil, "size %d exceeds the per-file limit of %d bytes", fi.Size(), x.lim.MaxFileSize)
	}
	if fi.Size() > x.lim.MaxTotalSize-x.total {
		return x.reject(raw, nil, "release exceeds the limit of %d unpacked bytes", x.lim.MaxTotalSize)
	}
	src, err := fi.Open()
	if err != nil {
		return x.reject(raw, nil, "open: %v", err)
	}
	defer src.Close()
	if fi.Size() <= extractParallelMax {
		return x.smallFile(ctx, raw, name, want, fi, src)
	}

	// One byte more than allowed, so that reaching it tells a bomb from a
	// file exactly at the limit.
	allowed := min(x.lim.MaxFileSize, x.lim.MaxTotalSize-x.total, math.MaxInt64-1)
	in := io.LimitReader(src, allowed+1)
	h := sha256.New()
	f, err := x.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return x.reject(raw, nil, "create: %v", extractPathErr(err))
	}
	defer f.Close()

	inMemory := x.relocated[name] && fi.Size() < extractRelocateInMemory
	var buf *extractBoundedBuffer
	var out io.Writer = f
	if inMemory {
		buf = &extractBoundedBuffer{max: extractRelocateInMemory}
		out = buf
	}
	n, err := io.Copy(&extractProgressWriter{x: x, ctx: ctx, w: io.MultiWriter(out, h)}, in)
	if err := x.checkSize(raw, n); err != nil {
		return err
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return x.reject(raw, nil, "unpack: %v", extractPathErr(err))
	}
	if err := x.checkSum(raw, want, h); err != nil {
		return err
	}
	// Perm keeps rwx for owner, group and other, and drops setuid, setgid
	// and sticky: unpacking a release must never install a privileged
	// program.
	perm := fi.Mode().Perm()
	switch {
	case inMemory:
		data := bytes.ReplaceAll(buf.b.Bytes(), []byte(Placeholder), []byte(x.dest))
		if _, err := f.Write(data); err != nil {
			return x.reject(raw, nil, "write: %v", extractPathErr(err))
		}
	case x.relocated[name]:
		if err := x.relocateLarge(name, f, perm); err != nil {
			return x.reject(raw, nil, "resolve placeholder: %v", extractPathErr(err))
		}
		return nil
	}
	if err := f.Chmod(perm); err != nil {
		return x.reject(raw, nil, "chmod: %v", extractPathErr(err))
	}
	if err := f.Close(); err != nil {
		return x.reject(raw, nil, "close: %v", extractPathErr(err))
	}
	return nil
}

// checkSize enforces the limits on what was actually read.
func (x *extractor) checkSize(raw string, n int64) error {
	if n > x.lim.MaxFileSize {
		return x.reject(raw, nil, "unpacks to more than the per-file limit of %d bytes", x.lim.MaxFileSize)
	}
	if n > x.lim.MaxTotalSize-x.total {
		return x.reject(raw, nil, "release unpacks to more than the limit of %d bytes", x.lim.MaxTotalSize)
	}
	x.total += n
	return nil
}

// checkSum compares a file's sha256 with the manifest's.
func (x *extractor) checkSum(raw, want string, h hash.Hash) error {
	got := hex.EncodeToString(h.Sum(nil))
	if got != strings.ToLower(want) {
		return x.reject(raw, ErrEntryChecksum, "sha256 is %s, the manifest says %s", got, want)
	}
	return nil
}

// relocateLarge resolves the placeholder in a file too large to have been
// held in memory: it streams f (as stored) through the replacement into a
// new file beside it and renames that over name.
func (x *extractor) relocateLarge(name string, f *os.File, perm fs.FileMode) error {
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	tmpName := name + ".deploy-relocating"
	dst, err := x.root.OpenFile(tmpName, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := extractReplace(dst, f, []byte(Placeholder), []byte(x.dest)); err != nil {
		return err
	}
	if err := dst.Chmod(perm); err != nil {
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	return x.root.Rename(tmpName, name)
}

// extractReplace copies src to dst with every old replaced by new, holding
// only a chunk (plus a possible partial match) in memory.
func extractReplace(dst io.Writer, src io.Reader, old, new []byte) error {
	const chunk = 1 << 20
	pending := make([]byte, 0, chunk+len(old))
	for {
		n, rerr := src.Read(pending[len(pending):cap(pending)])
		pending = pending[:len(pending)+n]
		for {
			i := bytes.Index(pending, old)
			if i < 0 {
				break
			}
			if _, err := dst.Write(pending[:i]); err != nil {
				return err
			}
			if _, err := dst.Write(new); err != nil {
				return err
			}
			pending = append(pending[:0], pending[i+len(old):]...)
		}
		// Everything but a tail shorter than old cannot start a match.
		keep := 0
		if rerr == nil {
			keep = min(len(pending), len(old)-1)
		}
		if _, err := dst.Write(pending[:len(pending)-keep]); err != nil {
			return err
		}
		pending = append(pending[:0], pending[len(pending)-keep:]...)
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// hardlink links name to a regular file already unpacked in the tree. The
// target's content was verified when it was written; the link must claim
// the same content in the manifest and the same relocation, because the
// two names share one inode.
func (x *extractor) hardlink(raw, name, target string) error {
	// The target may still be waiting for a writer.
	if err := x.writerFailure(true); err != nil {
		return err
	}
	old, ok := extractLocalName(target)
	if !ok || x.seen[old] != kindFile {
		return x.reject(raw, nil, "hard link target %q is not a file unpacked before it", target)
	}
	want, listed := x.m.FileSHA256[name]
	if !listed {
		return x.reject(raw, ErrEntryChecksum, "not listed in the manifest")
	}
	if want != x.m.FileSHA256[old] {
		return x.reject(raw, ErrEntryChecksum, "hard link to %q, whose sha256 in the manifest differs", target)
	}
	if x.relocated[name] != x.relocated[old] {
		return x.reject(raw, nil, "hard link to %q, but only one of them is relocated", target)
	}
	if err := x.root.Link(old, name); err != nil {
		return x.reject(raw, nil, "hard link: %v", extractPathErr(err))
	}
	return nil
}

// extractProgressWriter reports progress and stops a long copy when the
// context is done.
type extractProgressWriter struct {
	x   *extractor
	ctx context.Context
	w   io.Writer
	n   int64
}

func (p *extractProgressWriter) Write(b []byte) (int, error) {
	if err := p.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.w.Write(b)
	p.n += int64(n)
	if p.x.progress != nil {
		p.x.progress(p.x.total+p.n, p.x.m.Size)
	}
	return n, err
}

// extractBoundedBuffer refuses to grow past max, so a relocated file whose
// header understated its size cannot take the memory with it.
type extractBoundedBuffer struct {
	b   bytes.Buffer
	max int64
}

func (b *extractBoundedBuffer) Write(p []byte) (int, error) {
	if int64(b.b.Len()+len(p)) > b.max {
		return 0, errExtractOverflow
	}
	return b.b.Write(p)
}

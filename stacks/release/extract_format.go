package release

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
	"github.com/mholt/archives"
)

// extractZstdMaxWindow caps the memory a zstd frame may ask for. 128 MiB
// is what the zstd tool itself accepts without --memory; a larger window
// in a release is a hostile or broken archive, not a build of ours.
const extractZstdMaxWindow = 128 << 20

// extractFormats are the release formats, in the order they are sniffed.
// The order is fixed on purpose: archives.Identify ranges over a map, and
// some of its matchers (brotli) guess by trial decoding, so the same bytes
// could be named differently on two runs.
var extractFormats = []struct {
	name   string
	sniff  archives.Format // matched by its magic bytes only
	unpack archives.Extractor
}{
	{FormatTarZst, archives.Zstd{}, archives.CompressedArchive{
		Compression: archives.Zstd{DecoderOptions: []zstd.DOption{zstd.WithDecoderMaxWindow(extractZstdMaxWindow)}},
		Extraction:  archives.Tar{},
	}},
	{FormatTarGz, archives.Gz{}, archives.CompressedArchive{Compression: archives.Gz{}, Extraction: archives.Tar{}}},
	{FormatZip, archives.Zip{}, archives.Zip{}},
}

// extractFormat recognises a release archive by its leading bytes and
// checks it against the manifest's format, when the manifest names one.
// Plain tar and the other formats archives can read are refused: a release
// is only ever one of the three Format* kinds, and each extra decoder is
// attack surface.
func extractFormat(f *os.File, declared string) (archives.Extractor, error) {
	for _, c := range extractFormats {
		// A fresh section per matcher: matchers consume what they peek at.
		mr, err := c.sniff.Match(context.Background(), "", io.NewSectionReader(f, 0, 1<<20))
		if err != nil || !mr.ByStream {
			continue
		}
		if declared != "" && declared != c.name {
			return nil, fmt.Errorf("archive is a %s but the manifest says %s", c.name, declared)
		}
		return c.unpack, nil
	}
	return nil, fmt.Errorf("archive is not a %s, %s or %s", FormatTarZst, FormatTarGz, FormatZip)
}

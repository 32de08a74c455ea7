// Command unpack measures deploy's release unpacking (checksum of the
// archive, safe extraction, sha256 of every file, placeholder resolution,
// one sync) side by side with tar -x of the same archive, in one run.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"deploy/stacks/release"
)

func main() {
	files := flag.Int("files", 50000, "files in the synthetic release")
	size := flag.Int64("size", 500<<20, "total bytes of the synthetic release")
	runs := flag.Int("runs", 3, "runs of each side; the median is reported")
	out := flag.String("json", "", "write the results to this JSON file")
	profile := flag.String("cpuprofile", "", "write a CPU profile of deploy's unpacking to this file")
	flag.Parse()

	work, err := os.MkdirTemp("", "deploy-unpack-bench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	src := filepath.Join(work, "build")
	log.Printf("writing a synthetic build: %d files, %d MiB", *files, *size>>20)
	if err := synthesize(src, *files, *size); err != nil {
		log.Fatal(err)
	}
	archive := filepath.Join(work, "release.tar.zst")
	m, err := buildRelease(src, archive)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("release: %d files, %d relocated, archive %d MiB", m.Files, len(m.Relocated), fileSize(archive)>>20)

	sides := []struct {
		name string
		run  func(dest string) error
	}{
		{"deploy extract (sha256 per file, relocate, sync)", func(dest string) error {
			if *profile != "" {
				f, err := os.Create(*profile)
				if err != nil {
					return err
				}
				defer f.Close()
				pprof.StartCPUProfile(f)
				defer pprof.StopCPUProfile()
			}
			return release.Extract(context.Background(), archive, m, dest, release.ExtractOptions{})
		}},
		{"tar -x", func(dest string) error { return tarExtract(archive, dest, false) }},
		{"tar -x, then sync", func(dest string) error { return tarExtract(archive, dest, true) }},
	}
	results := map[string]float64{}
	fmt.Printf("\n%-50s %10s\n", "unpack of the same archive", "seconds")
	for _, side := range sides {
		var times []float64
		for i := range *runs {
			dest := filepath.Join(work, fmt.Sprintf("out-%d", i))
			dropCaches()
			start := time.Now()
			if err := side.run(dest); err != nil {
				log.Fatalf("%s: %v", side.name, err)
			}
			times = append(times, time.Since(start).Seconds())
			os.RemoveAll(dest)
		}
		results[side.name] = median(times)
		fmt.Printf("%-50s %10.2f\n", side.name, results[side.name])
	}
	ratio := results[sides[0].name] / results[sides[2].name]
	fmt.Printf("\ndeploy / (tar -x + sync): %.2fx (target: at most 1.2x)\n", ratio)
	if *out != "" {
		b, _ := json.MarshalIndent(map[string]any{"files": m.Files, "bytes": m.Size, "runs": *runs, "seconds": results, "ratio_vs_tar_sync": ratio}, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// synthesize writes a tree shaped like a Python build: many small modules,
// some scripts and .pth files that name the build directory.
func synthesize(dir string, files int, total int64) error {
	rng := rand.New(rand.NewPCG(1, 2))
	per := total / int64(files)
	words := strings.Fields("import def class return self value zope plone catalog index request response")
	for i := range files {
		name := filepath.Join(dir, fmt.Sprintf("lib/pkg%03d/mod%05d.py", i%500, i))
		if i%100 == 0 {
			name = filepath.Join(dir, fmt.Sprintf("bin/script%05d", i))
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			return err
		}
		var b strings.Builder
		if i%100 == 0 {
			b.WriteString("#!" + dir + "/bin/python\nimport sys\nsys.path[0:0] = ['" + dir + "/lib']\n")
		}
		for int64(b.Len()) < per {
			b.WriteString(words[rng.IntN(len(words))])
			if rng.IntN(8) == 0 {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		}
		if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func buildRelease(src, archive string) (*release.Manifest, error) {
	f, err := os.Create(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return release.Build(context.Background(), src, release.BuildOptions{ID: "bench"}, f)
}

func tarExtract(archive, dest string, sync bool) error {
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	if out, err := exec.Command("tar", "--zstd", "-xf", archive, "-C", dest).CombinedOutput(); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	if sync {
		return exec.Command("sync", "-f", dest).Run()
	}
	return nil
}

// dropCaches starts every run from the same page cache state when allowed
// (root); otherwise the runs share a warm cache, which favours nobody.
func dropCaches() {
	exec.Command("sync").Run()
	os.WriteFile("/proc/sys/vm/drop_caches", []byte("1"), 0)
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	return xs[len(xs)/2]
}

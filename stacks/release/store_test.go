package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// testStore opens a store in a fresh directory.
func testStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), "releases"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// storeEntries lists the names in the store directory.
func storeEntries(t *testing.T, s *Store) []string {
	t.Helper()
	des, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestOpenStore_CreatesAPrivateDirectory(t *testing.T) {
	s := testStore(t)
	fi, err := os.Stat(s.Dir())
	if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || !filepath.IsAbs(s.Dir()) {
		t.Fatalf("store dir %s: %v %v", s.Dir(), fi.Mode(), err)
	}
}

func TestStore_CreateListGetVerifyRemove(t *testing.T) {
	s := testStore(t)
	src := filepath.Join(t.TempDir(), "build")
	zopeTree(t, src)
	ctx := context.Background()

	first, err := s.Create(ctx, src, BuildOptions{ID: "2024.1", Format: FormatTarGz})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.Create(ctx, src, BuildOptions{ID: "2024.2", Format: FormatZip, NeedsMigration: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, src, BuildOptions{ID: "2024.1"}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate id: got %v, want ErrExists", err)
	}

	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "2024.2" || list[1].ID != "2024.1" {
		t.Fatalf("List: %+v, want 2024.2 then 2024.1", list)
	}
	if list[0].ArchiveSHA256 != second.ArchiveSHA256 || !list[0].NeedsMigration {
		t.Errorf("listed manifest %+v differs from created %+v", list[0], second)
	}

	man, archive, err := s.Get("2024.1")
	if err != nil {
		t.Fatal(err)
	}
	if archive != filepath.Join(s.Dir(), "2024.1", "release.tar.gz") || man.ArchiveSHA256 != first.ArchiveSHA256 {
		t.Errorf("Get: %s %+v", archive, man)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	if sha256Hex(data) != first.ArchiveSHA256 {
		t.Error("stored archive does not match the manifest's checksum")
	}
	readBack(t, FormatTarGz, data) // the stored archive is readable

	for _, id := range []string{"2024.1", "2024.2"} {
		if err := s.Verify(id); err != nil {
			t.Errorf("Verify %s: %v", id, err)
		}
	}

	if err := s.Remove("2024.1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get("2024.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Remove: got %v, want ErrNotFound", err)
	}
	if err := s.Remove("2024.1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: got %v, want ErrNotFound", err)
	}
	if names := storeEntries(t, s); len(names) != 1 || names[0] != "2024.2" {
		t.Errorf("store holds %v, want only 2024.2", names)
	}
}

func TestStore_VerifyDetectsAFlippedByte(t *testing.T) {
	s := testStore(t)
	src := t.TempDir()
	writeTestFile(t, src, "etc/zope.conf", "home "+src+"\n", 0o644)
	man, err := s.Create(context.Background(), src, BuildOptions{ID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	_, archive, err := s.Get("r1")
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x01
	if err := os.WriteFile(archive, data, 0o600); err != nil {
		t.Fatal(err)
	}
	err = s.Verify("r1")
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), man.ArchiveSHA256) || !strings.Contains(err.Error(), sha256Hex(data)) {
		t.Fatalf("got %v, want ErrChecksum naming expected and actual", err)
	}
}

func TestStore_FailedCreateLeavesNothingBehind(t *testing.T) {
	s := testStore(t)
	src := t.TempDir()
	writeTestFile(t, src, "a", "a", 0o644)
	if err := syscall.Mkfifo(filepath.Join(src, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(context.Background(), src, BuildOptions{ID: "r1"}); !errors.Is(err, ErrUnsupportedFile) {
		t.Fatalf("got %v, want ErrUnsupportedFile", err)
	}
	binary := t.TempDir()
	writeTestFile(t, binary, "x.so", "\x00"+binary, 0o644)
	if _, err := s.Create(context.Background(), binary, BuildOptions{ID: "r2"}); !errors.Is(err, ErrAbsolutePaths) {
		t.Fatalf("got %v, want ErrAbsolutePaths", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Create(ctx, binary, BuildOptions{ID: "r3", AllowAbsolute: true}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if names := storeEntries(t, s); len(names) != 0 {
		t.Errorf("store holds %v after failed creates", names)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Errorf("List: %v %v", list, err)
	}
}

func TestStore_RejectsInvalidIDsBeforeWritingAnything(t *testing.T) {
	s := testStore(t)
	src := t.TempDir()
	writeTestFile(t, src, "a", "a", 0o644)
	for _, id := range []string{"../x", "", "a/b", "..", ".tmp-x"} {
		if _, err := s.Create(context.Background(), src, BuildOptions{ID: id}); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Create %q: got %v, want ErrInvalidID", id, err)
		}
		if _, _, err := s.Get(id); !errors.Is(err, ErrInvalidID) || !errors.Is(err, ErrNotFound) {
			t.Errorf("Get %q: got %v", id, err)
		}
		if err := s.Remove(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Remove %q: got %v", id, err)
		}
	}
	if names := storeEntries(t, s); len(names) != 0 {
		t.Errorf("store holds %v", names)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(s.Dir()), "x")); !os.IsNotExist(err) {
		t.Errorf("something was written beside the store: %v", err)
	}
}

func TestStore_ListIgnoresWorkInProgress(t *testing.T) {
	s := testStore(t)
	if err := os.Mkdir(filepath.Join(s.Dir(), ".tmp-r1-123"), 0o700); err != nil {
		t.Fatal(err)
	}
	if list, err := s.List(); err != nil || len(list) != 0 {
		t.Fatalf("List: %v %v", list, err)
	}
}

func TestStore_SweepRemovesInterruptedWorkOnly(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "app.py"), []byte("print(1)\n"), 0o644)
	if _, err := s.Create(context.Background(), src, BuildOptions{ID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, left := range []string{".tmp-r2-123", ".import-456"} {
		os.MkdirAll(filepath.Join(s.Dir(), left, "tree"), 0o700)
	}
	if err := s.Sweep(); err != nil {
		t.Fatal(err)
	}
	des, _ := os.ReadDir(s.Dir())
	if len(des) != 1 || des[0].Name() != "r1" {
		t.Fatalf("after sweep: %v, want only r1", des)
	}
}

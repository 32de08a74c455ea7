package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"deploy/stacks/release"
	"deploy/state"
)

// Release ids that would collide with a slot's own directories, which sit
// beside the slot's unpacked releases.
var reservedReleaseIDs = []string{"var", "log", "run"}

// BuildRequest asks to build a directory into a release.
type BuildRequest struct {
	Source         string `json:"source"`
	ID             string `json:"id"`
	Format         string `json:"format,omitempty"`
	NeedsMigration bool   `json:"needs_migration,omitempty"`
	AllowAbsolute  bool   `json:"allow_absolute,omitempty"`
	Actor          string `json:"-"`
}

func (r *BuildRequest) setCaller(_, actor string) { r.Actor = actor }

// RemoveReleaseRequest asks to delete a release nobody uses.
type RemoveReleaseRequest struct {
	ID    string `json:"-"`
	Actor string `json:"-"`
}

// ReleaseInfo is a release as listed: its manifest without the per-file
// checksums, and the slots that use it.
type ReleaseInfo struct {
	ID             string    `json:"id"`
	Created        time.Time `json:"created"`
	Source         string    `json:"source"`
	Format         string    `json:"format"`
	Files          int       `json:"files"`
	Size           int64     `json:"size"`
	ArchiveSHA256  string    `json:"archive_sha256"`
	NeedsMigration bool      `json:"needs_migration"`
	Relocated      int       `json:"relocated_files"`
	Absolute       []string  `json:"absolute,omitempty"`
	UsedBy         []string  `json:"used_by"`
}

func releaseInfo(m *release.Manifest, usedBy []string) ReleaseInfo {
	if usedBy == nil {
		usedBy = []string{}
	}
	return ReleaseInfo{
		ID: m.ID, Created: m.Created, Source: m.Source, Format: m.Format, Files: m.Files, Size: m.Size,
		ArchiveSHA256: m.ArchiveSHA256, NeedsMigration: m.NeedsMigration, Relocated: len(m.Relocated),
		Absolute: m.Absolute, UsedBy: usedBy,
	}
}

// BuildRelease builds a directory on this machine into an immutable release.
func (c *Controller) BuildRelease(ctx context.Context, req BuildRequest) (res *ReleaseInfo, err error) {
	started := time.Now()
	defer func() {
		c.record(state.Entry{Actor: req.Actor, Op: "build", To: req.ID, Detail: req.Source}, started, err)
	}()
	if slices.Contains(reservedReleaseIDs, req.ID) {
		return nil, errorf(KindInvalid, "choose another release id", "release id %q is reserved", req.ID)
	}
	if !filepath.IsAbs(req.Source) {
		return nil, errorf(KindInvalid, "give the build directory as an absolute path", "build source %q is not absolute", req.Source)
	}
	fi, err := os.Stat(req.Source)
	if err != nil {
		return nil, errorf(KindInvalid, "give the directory that holds the build, or an exported archive", "build source: %v", err)
	}
	src := req.Source
	if !fi.IsDir() {
		tree, cleanup, err := c.unpackImport(ctx, req.Source)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		src = tree
	}
	m, err := c.releases.Create(ctx, src, release.BuildOptions{
		ID: req.ID, Format: req.Format, NeedsMigration: req.NeedsMigration, AllowAbsolute: req.AllowAbsolute,
		Progress: reporter(ctx, "build"),
	})
	var abs *release.AbsolutePathsError
	switch {
	case errors.Is(err, release.ErrExists):
		return nil, errorf(KindRefused, "releases are immutable: build under a new id", "release %s exists already", req.ID)
	case errors.As(err, &abs):
		return nil, errorf(KindRefused, "make the build relocatable, or build with --allow-absolute to keep these files as they are",
			"the build still holds its absolute path where it cannot be relocated:\n%v", err)
	case err != nil:
		return nil, errorf(KindFailed, "", "build release %s: %v", req.ID, err)
	}
	info := releaseInfo(m, nil)
	return &info, nil
}

// unpackImport unpacks an exported archive into a temporary tree inside the
// release store, to be built again as a release of its own: unpacking
// resolves its paths, building relocates them anew.
func (c *Controller) unpackImport(ctx context.Context, archive string) (string, func(), error) {
	m, err := release.ReadManifest(ctx, archive)
	if err != nil {
		return "", nil, errorf(KindInvalid, "give a build directory, or an archive written by deploy export", "%v", err)
	}
	tmp, err := os.MkdirTemp(c.releases.Dir(), ".import-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(tmp) }
	tree := filepath.Join(tmp, "tree")
	if err := release.Extract(ctx, archive, m, tree, release.ExtractOptions{Progress: reporter(ctx, "unpack"), ChecksumProgress: reporter(ctx, "checksum")}); err != nil {
		cleanup()
		return "", nil, errorf(KindFailed, "the archive is damaged or not a deploy export", "unpack %s: %v", archive, err)
	}
	return tree, cleanup, nil
}

// Releases lists the releases, newest first, with the slots using each.
func (c *Controller) Releases() ([]ReleaseInfo, error) {
	ms, err := c.releases.List()
	if err != nil {
		return nil, err
	}
	used := c.releaseUsers()
	out := make([]ReleaseInfo, 0, len(ms))
	for _, m := range ms {
		out = append(out, releaseInfo(m, used[m.ID]))
	}
	return out, nil
}

// RemoveRelease deletes a release no slot uses.
func (c *Controller) RemoveRelease(_ context.Context, req RemoveReleaseRequest) (res *ReleaseInfo, err error) {
	started := time.Now()
	defer func() { c.record(state.Entry{Actor: req.Actor, Op: "release-rm", To: req.ID}, started, err) }()
	m, _, err := c.releases.Get(req.ID)
	if errors.Is(err, release.ErrNotFound) {
		return nil, errorf(KindNotFound, "deploy releases lists them", "no release %q", req.ID)
	}
	if err != nil {
		return nil, err
	}
	if users := c.releaseUsers()[req.ID]; len(users) > 0 {
		return nil, errorf(KindRefused, "bring those slots down or up with another release first",
			"release %s is in use by %v", req.ID, users)
	}
	if err := c.releases.Remove(req.ID); err != nil {
		return nil, errorf(KindFailed, "", "remove release %s: %v", req.ID, err)
	}
	info := releaseInfo(m, nil)
	return &info, nil
}

// releaseUsers maps each release id to the slots ("service/slot") that run
// it or are about to.
func (c *Controller) releaseUsers() map[string][]string {
	snap := c.view()
	used := map[string][]string{}
	for name, svc := range snap.Services {
		for slot, st := range svc.Slots {
			if st.Release != "" && st.Status != state.SlotStopped {
				used[st.Release] = append(used[st.Release], name+"/"+slot)
			}
		}
	}
	c.unpackMu.Lock()
	for id, user := range c.unpacking {
		used[id] = append(used[id], user+" (starting)")
	}
	c.unpackMu.Unlock()
	for _, u := range used {
		slices.Sort(u)
	}
	return used
}

// reserve marks a release as in use by a slot that is being started from
// it, until the state records it; the returned func ends the reservation.
func (c *Controller) reserve(id, user string) func() {
	c.unpackMu.Lock()
	c.unpacking[id] = user
	c.unpackMu.Unlock()
	return func() {
		c.unpackMu.Lock()
		delete(c.unpacking, id)
		c.unpackMu.Unlock()
	}
}

// pruneReleases removes the oldest releases that no slot uses, keeping the
// newest keep_releases. A switch starts it in the background: reading every
// manifest has no place on the path of an incident's command. A pruning that
// is already running is enough.
func (c *Controller) pruneReleases() {
	if !c.pruning.TryLock() {
		return
	}
	defer c.pruning.Unlock()
	ms, err := c.releases.List()
	if err != nil {
		c.log.Error("list releases for pruning", "err", err)
		return
	}
	used := c.releaseUsers()
	for i, m := range ms {
		if i < c.conf().Controller.KeepReleases || len(used[m.ID]) > 0 {
			continue
		}
		if err := c.releases.Remove(m.ID); err != nil {
			c.log.Error("prune release", "release", m.ID, "err", err)
			continue
		}
		c.log.Info("pruned release", "release", m.ID, "keep_releases", c.conf().Controller.KeepReleases)
	}
}

// releaseStackDir is where a release is unpacked for a slot.
func (c *Controller) releaseStackDir(service, slot, id string) string {
	return filepath.Join(c.slotDir(service, slot), id)
}

// slotDir holds a slot's unpacked releases, var and log directories.
func (c *Controller) slotDir(service, slot string) string {
	return filepath.Join(c.conf().Controller.StateDir, "services", service, slot)
}

// unpack extracts a release into a fresh stack directory of the slot. A
// directory left from an earlier start of the same release is replaced; the
// slot's processes were stopped before, so nothing uses it.
func (c *Controller) unpack(ctx context.Context, service, slot, id string) (string, error) {
	m, archive, err := c.releases.Get(id)
	if errors.Is(err, release.ErrNotFound) {
		return "", errorf(KindNotFound, "deploy releases lists them; deploy build makes one", "no release %q", id)
	}
	if err != nil {
		return "", err
	}
	dir := c.releaseStackDir(service, slot, id)
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("remove old stack directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
		return "", fmt.Errorf("create slot directory: %w", err)
	}
	if err := release.Extract(ctx, archive, m, dir, release.ExtractOptions{Progress: reporter(ctx, "unpack"), ChecksumProgress: reporter(ctx, "checksum")}); err != nil {
		return "", errorf(KindFailed, "the slot was not started; the release may need rebuilding", "unpack release %s: %v", id, err)
	}
	return dir, nil
}

// retireStackDirs removes a slot's unpacked releases other than keep.
func (c *Controller) retireStackDirs(service, slot, keep string) {
	entries, err := os.ReadDir(c.slotDir(service, slot))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == keep || slices.Contains(reservedReleaseIDs, e.Name()) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(c.slotDir(service, slot), e.Name())); err != nil {
			c.log.Warn("retire stack directory", "service", service, "slot", slot, "dir", e.Name(), "err", err)
		}
	}
}

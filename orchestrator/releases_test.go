package orchestrator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"deploy/config"
	"deploy/stacks/release"
)

func TestRelease_BeingUnpackedIsInUseUntilTheReservationEnds(t *testing.T) {
	c, _ := testController(t)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "app.py"), []byte("print('hello')\n"), 0o644)
	for _, id := range []string{"r1", "r2"} {
		if _, err := c.releases.Create(t.Context(), src, release.BuildOptions{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	// Only the newest (r2) is kept by count: r1 survives pruning only
	// through its reservation.
	c.conf().Controller.KeepReleases = 1

	done := c.reserve("r1", "demo/green")
	_, err := c.RemoveRelease(t.Context(), RemoveReleaseRequest{ID: "r1"})
	if e := asError(err); e == nil || e.Kind != KindRefused || !strings.Contains(e.Message, "demo/green (starting)") {
		t.Fatalf("removing a release being unpacked: %v", err)
	}
	c.pruneReleases()
	if _, _, err := c.releases.Get("r1"); err != nil {
		t.Fatalf("pruning removed a release being unpacked: %v", err)
	}

	done()
	c.pruneReleases()
	if _, _, err := c.releases.Get("r1"); err == nil {
		t.Fatal("once the reservation ended, pruning should remove r1")
	}
	if _, _, err := c.releases.Get("r2"); err != nil {
		t.Fatalf("pruning removed the newest release: %v", err)
	}
}

func TestRender_SharedStackRefusesADestinationTwoSlotsWouldShare(t *testing.T) {
	c, _ := testController(t)
	s := c.serviceMap()["demo"]
	s.conf().Slots = append(s.conf().Slots, config.Slot{Name: "red", BasePort: 39301})
	s.conf().Stack.Templates = []config.Template{{Source: "a.tmpl", Destination: "etc/app-{{.Instance}}.conf"}}
	err := c.render(t.Context(), s, s.conf().Slots[0], stackPlace{dir: s.conf().Stack.Dir, release: workdirRelease})
	if e := asError(err); e == nil || e.Kind != KindRefused || !strings.Contains(e.Message, "same file for slots blue and green") {
		t.Fatalf("render into the shared stack dir: %v", err)
	}

	// Two slots sharing a file is refused whichever two they are.
	s.conf().Stack.Templates[0].Destination = `etc/app-{{if eq .Slot "green"}}g{{end}}.conf`
	err = c.render(t.Context(), s, s.conf().Slots[0], stackPlace{dir: s.conf().Stack.Dir, release: workdirRelease})
	if e := asError(err); e == nil || !strings.Contains(e.Message, "same file for slots blue and red") {
		t.Fatalf("blue and red share a destination: %v", err)
	}
}

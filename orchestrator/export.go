package orchestrator

import (
	"fmt"
	"net/http"
	"time"

	"deploy/stacks/release"
	"deploy/state"
)

// ChecksumTrailer carries an export's sha256 after its archive bytes: it is
// known only once the archive has been written, and a client that computed
// another one (or got none) holds a broken archive.
const ChecksumTrailer = "Deploy-Archive-Sha256"

// export streams a slot's stack (its release as unpacked, with the rendered
// configuration) as a relocatable release archive, manifest inside.
func (a *API) export(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	service, slot := r.PathValue("service"), r.URL.Query().Get("slot")
	place, id, err := a.c.exportPlace(service, slot)
	if err != nil {
		a.reply(w, nil, err)
		return
	}
	w.Header().Set("Content-Type", "application/zstd")
	w.Header().Set("Trailer", ChecksumTrailer)
	m, err := release.Build(r.Context(), place.dir, release.BuildOptions{ID: id, AllowAbsolute: true}, w)
	entry := state.Entry{Actor: actor(r.Context()), Op: "export", Service: service, Slot: slot, To: id}
	if err != nil {
		a.log.Error("export", "service", service, "slot", slot, "err", err)
		a.c.record(entry, started, err)
		return
	}
	w.Header().Set(ChecksumTrailer, m.ArchiveSHA256)
	a.c.record(entry, started, nil)
}

// exportPlace finds the stack of a running slot and names its export.
func (c *Controller) exportPlace(service, slot string) (stackPlace, string, error) {
	s, err := c.service(service)
	if err != nil {
		return stackPlace{}, "", err
	}
	if _, err := s.slotConfig(slot); err != nil {
		return stackPlace{}, "", err
	}
	rec := c.view().Service(service).Slots[slot]
	if rec == nil || s.run(slot) == nil {
		return stackPlace{}, "", errorf(KindRefused, "export a slot that runs", "slot %s of %s is not running", slot, service)
	}
	place := c.placeOf(s.conf(), slot, rec)
	return place, fmt.Sprintf("%s-%s-%s-export-%s", service, slot, place.release, time.Now().UTC().Format("20060102T150405Z")), nil
}

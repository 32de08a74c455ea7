package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
	"deploy/proxy/certs"
)

func newStatusCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status [SERVICE]",
		Short: "Show what is live: each service's live and previous slot, releases, instances, health, in-flight requests, certificates",
		Args:  args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			service := ""
			if len(a) == 1 {
				service = a[0]
			}
			res, err := c.Status(cmd.Context(), service)
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			for i, s := range res {
				if i > 0 {
					fmt.Fprintln(g.stdout)
				}
				printServiceStatus(g.stdout, s)
			}
			return nil
		},
	}
	jsonFlag(cmd, g)
	return cmd
}

func printServiceStatus(out io.Writer, s orchestrator.ServiceStatus) {
	fmt.Fprintf(out, "%s: live %s, previous %s\n", s.Service, orDash(s.Live), orDash(s.Previous))
	if s.Busy != "" {
		fmt.Fprintf(out, "  busy: %s since %s\n", s.Busy, since(s.BusySince))
	}
	if m := s.Maintenance; m != nil {
		fmt.Fprintf(out, "  MAINTENANCE since %s by %s: visitors get the maintenance page (%q)\n", since(m.Since), m.Actor, m.Message)
	}
	if p := s.Pause; p != nil {
		fmt.Fprintf(out, "  PAUSED since %s: %d requests held until deploy resume %s\n", since(p.Since), p.Waiting, s.Service)
	}
	if s.Preview != "" {
		fmt.Fprintf(out, "  preview: %s\n", s.Preview)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  SLOT\tSTATUS\tRELEASE\tPORTS\tHEALTH\tIN-FLIGHT\tINSTANCES")
	for _, sl := range s.Slots {
		name := sl.Slot
		if sl.Live {
			name += " *"
		}
		health := "-"
		if len(sl.Instances) > 0 {
			health = "unhealthy"
			if sl.Healthy {
				health = "healthy"
			}
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", name, sl.Status, orDash(sl.Release),
			portRange(sl.Ports), health, sl.InFlight, instancesSummary(sl.Instances))
	}
	w.Flush()
	for _, sl := range s.Slots {
		if sl.Reason != "" {
			fmt.Fprintf(out, "  %s: %s\n", sl.Slot, sl.Reason)
		}
		for _, in := range sl.Instances {
			switch {
			case !in.Healthy && in.ProbeError != "":
				fmt.Fprintf(out, "  %s instance %d: unhealthy, out of rotation: %s\n", sl.Slot, in.Index, in.ProbeError)
			case in.ProbeError != "":
				fmt.Fprintf(out, "  %s instance %d: last probe failed: %s\n", sl.Slot, in.Index, in.ProbeError)
			}
			if in.Draining {
				fmt.Fprintf(out, "  %s instance %d: out of rotation for a restart; if none runs (busy above), the last restart stopped at it: deploy restart %s tries again\n",
					sl.Slot, in.Index, s.Service)
			}
			if time.Now().Before(in.EjectedUntil) {
				fmt.Fprintf(out, "  %s instance %d: ejected by the proxy until %s after connection errors or 5xx answers in a row (%d requests, %d 5xx, %d connection errors)\n",
					sl.Slot, in.Index, in.EjectedUntil.Format(time.TimeOnly), in.Requests, in.Responses5xx, in.ConnErrors)
			}
		}
	}
	printJobs(out, s.Jobs)
	if c := s.Cache; c != nil {
		fmt.Fprintf(out, "  cache: %d hits, %d coalesced, %d misses, %d not cacheable; %d entries, %s of %s\n",
			c.Hits, c.Coalesced, c.Misses, c.Bypasses, c.Entries, byteSize(c.Bytes), byteSize(c.MaxSize))
	}
	if !s.NextRestart.IsZero() {
		fmt.Fprintf(out, "  next scheduled restart: %s\n", s.NextRestart.Format("2006-01-02 15:04 MST"))
	}
	printCertificates(out, s.Certificates)
}

// printJobs says where each singleton job runs, and which still drain.
func printJobs(out io.Writer, jobs []orchestrator.JobStatus) {
	for _, j := range jobs {
		state := fmt.Sprintf("pid %d", j.PID)
		switch {
		case j.Failed != "":
			state = "FAILED: " + j.Failed
		case !j.Running:
			state = "not running (restarting)"
		}
		where := "runs from " + j.Slot
		if !j.DrainingSince.IsZero() {
			where = fmt.Sprintf("drains on %s since %s", j.Slot, since(j.DrainingSince))
		}
		fmt.Fprintf(out, "  job %s: %s (%s), %s\n", j.Job, where, orDash(j.Release), state)
	}
}

// printCertificates prints one line per host served over TLS.
func printCertificates(out io.Writer, hosts []certs.HostStatus) {
	if len(hosts) == 0 {
		return
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  HOST\tCERTIFICATE\tISSUER\tNOT AFTER\tRENEWS\tLAST ERROR")
	for _, h := range hosts {
		notAfter, renews := "-", "-"
		if !h.NotAfter.IsZero() {
			notAfter = h.NotAfter.Local().Format(time.DateTime)
		}
		if !h.RenewAt.IsZero() {
			renews = h.RenewAt.Local().Format(time.DateTime)
		}
		lastErr := "-"
		if h.LastError != "" {
			lastErr = fmt.Sprintf("%s (%s)", h.LastError, since(h.ErrorAt))
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\n", h.Host, h.Source, orDash(h.Issuer), notAfter, renews, lastErr)
	}
	w.Flush()
}

// instancesSummary prints "pid 123 ok, pid 124 DOWN (2 restarts)".
func instancesSummary(ins []orchestrator.InstanceStatus) string {
	if len(ins) == 0 {
		return "-"
	}
	out := ""
	for i, in := range ins {
		if i > 0 {
			out += ", "
		}
		state := "ok"
		switch {
		case !in.Running:
			state = "not running"
		case !in.Healthy:
			state = "unhealthy"
		case time.Now().Before(in.EjectedUntil):
			state = "ejected"
		}
		out += fmt.Sprintf("%d:pid %d %s", in.Index, in.PID, state)
		if in.Restarts > 0 {
			out += fmt.Sprintf(" (%d restarts)", in.Restarts)
		}
	}
	return out
}

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"deploy/orchestrator"
)

func newPauseCmd(g *globals) *cobra.Command {
	var max time.Duration
	cmd := &cobra.Command{
		Use:   "pause SERVICE [--max 30s]",
		Short: "Hold a service's new requests in the proxy until deploy resume",
		Long: `Hold the service's new requests in the proxy, in arrival order, instead of
sending them to the live slot; requests already in flight finish. "deploy
resume" releases them, in order, to whatever slot is live then, so that a
short change behind the proxy loses no request. A request held longer than
--max gets a 503 with Retry-After. The preview route and the proxy's health
path are not held. A pause is not saved: a restarted controller is not
paused.`,
		Example: "  deploy pause site --max 20s && deploy switch site --to green --skip-checks && deploy resume site",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			if max <= 0 {
				return usageError{fmt.Errorf("--max must be positive, such as 30s")}
			}
			return callController(g, func(c *orchestrator.Client) (*orchestrator.PauseResult, error) {
				return c.Pause(cmd.Context(), orchestrator.PauseRequest{Service: a[0], Max: orchestrator.Duration(max)})
			}, func(w io.Writer, res *orchestrator.PauseResult) {
				fmt.Fprintf(w, "%s: paused; new requests wait up to %s each for deploy resume %s\n", res.Service, time.Duration(res.Max), res.Service)
			})
		},
	}
	cmd.Flags().DurationVar(&max, "max", 30*time.Second, "longest time one request is held before it gets a 503")
	jsonFlag(cmd, g)
	return cmd
}

func newResumeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "resume SERVICE",
		Short:   "Release the requests a pause holds, in arrival order",
		Long:    `Release the requests that "deploy pause" holds, in arrival order, to the slot that is live now, and stop holding new ones.`,
		Example: "  deploy resume site",
		Args:    args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, a []string) error {
			return callController(g, func(c *orchestrator.Client) (*orchestrator.PauseResult, error) {
				return c.Resume(cmd.Context(), orchestrator.ResumeRequest{Service: a[0]})
			}, func(w io.Writer, res *orchestrator.PauseResult) {
				fmt.Fprintf(w, "%s: resumed; released %d held requests\n", res.Service, res.Released)
			})
		},
	}
	jsonFlag(cmd, g)
	return cmd
}

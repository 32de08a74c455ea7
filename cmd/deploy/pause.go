package main

import (
	"fmt"
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
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Pause(cmd.Context(), orchestrator.PauseRequest{Service: a[0], Max: orchestrator.Duration(max)})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			fmt.Fprintf(g.stdout, "%s: paused; new requests wait up to %s each for deploy resume %s\n", res.Service, time.Duration(res.Max), res.Service)
			return nil
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
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.Resume(cmd.Context(), orchestrator.ResumeRequest{Service: a[0]})
			if err != nil {
				return err
			}
			if g.json {
				return printJSON(g.stdout, res)
			}
			fmt.Fprintf(g.stdout, "%s: resumed; released %d held requests\n", res.Service, res.Released)
			return nil
		},
	}
	jsonFlag(cmd, g)
	return cmd
}

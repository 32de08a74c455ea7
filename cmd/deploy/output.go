package main

import (
	"deploy/orchestrator"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// callController runs one operation through the controller's client and
// prints its result: as JSON with --json, else in words through text.
func callController[Res any](g *globals, op func(*orchestrator.Client) (*Res, error), text func(w io.Writer, res *Res)) error {
	c, err := g.client()
	if err != nil {
		return err
	}
	res, err := op(c)
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(g.stdout, res)
	}
	text(g.stdout, res)
	return nil
}

// portRange prints ports as "9101-9102" when they are consecutive.
func portRange(ports []int) string {
	switch {
	case len(ports) == 0:
		return "-"
	case len(ports) == 1:
		return fmt.Sprint(ports[0])
	case ports[len(ports)-1]-ports[0] == len(ports)-1:
		return fmt.Sprintf("%d-%d", ports[0], ports[len(ports)-1])
	}
	parts := make([]string, len(ports))
	for i, p := range ports {
		parts[i] = fmt.Sprint(p)
	}
	return strings.Join(parts, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// since prints how long ago t was, coarsely, for tables.
func since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return time.Since(t).Round(time.Second).String() + " ago"
}

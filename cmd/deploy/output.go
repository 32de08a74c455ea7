package main

import (
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
